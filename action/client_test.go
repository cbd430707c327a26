package action

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twokey/twokey/internal/fakegithub"
)

// fakeClock is a clock that sleeping advances.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func testAPI(t *testing.T, gh *fakegithub.Server, clk *fakeClock) *repoAPI {
	t.Helper()
	c, err := newClient(clientOptions{apiURL: gh.URL, token: "t", sleep: clk.Sleep, now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &repoAPI{c: c, owner: "o", name: "r"}
}

func TestRetries(t *testing.T) {
	const path = "/repos/o/r/issues/1"
	tests := []struct {
		name     string
		faults   []fakegithub.Fault
		wantErr  string
		minSleep []time.Duration // each sleep is at least this
		requests int
	}{
		{"5xx twice", []fakegithub.Fault{fakegithub.ServerError(path, 2, 502)}, "", []time.Duration{500 * time.Millisecond, time.Second}, 3},
		{"secondary with Retry-After", []fakegithub.Fault{fakegithub.SecondaryRateLimit(path, 1, 7)}, "", []time.Duration{7 * time.Second}, 2},
		{"secondary without Retry-After", []fakegithub.Fault{{Path: path, Times: 1, Status: 403,
			Body: `{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}}, "", []time.Duration{5 * time.Second}, 2},
		{"429 with Retry-After", []fakegithub.Fault{fakegithub.TooManyRequests(path, 1, 3)}, "", []time.Duration{3 * time.Second}, 2},
		{"budget spent", []fakegithub.Fault{fakegithub.SecondaryRateLimit(path, 5, 40)}, "secondary rate limit", []time.Duration{40 * time.Second}, 2},
		{"5xx forever", []fakegithub.Fault{fakegithub.ServerError(path, 10, 503)}, "503", nil, 6},
		{"primary not waited for", []fakegithub.Fault{fakegithub.PrimaryRateLimit(path, 1, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))},
			"used up until 2030-01-02 03:04:05 UTC", nil, 1},
		{"plain 403 not retried", []fakegithub.Fault{{Path: path, Times: 1, Status: 403, Body: `{"message":"Must have admin rights"}`}}, "admin rights", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(t)
			gh.AddIssue("o/r", 1, "t", "b", fakegithub.User("ann", 1))
			for _, f := range tt.faults {
				gh.Fail(f)
			}
			clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			_, err := testAPI(t, gh, clk).issue(context.Background(), 1)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("issue() = %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("issue() = %v, want error containing %q", err, tt.wantErr)
			}
			if n := len(gh.Requests()); n != tt.requests {
				t.Errorf("requests = %d, want %d", n, tt.requests)
			}
			for i, min := range tt.minSleep {
				if i >= len(clk.sleeps) || clk.sleeps[i] < min || clk.sleeps[i] > 2*min+2*time.Second {
					t.Errorf("sleeps = %v, want sleep %d about %v", clk.sleeps, i, min)
				}
			}
			var total time.Duration
			for _, d := range clk.sleeps {
				total += d
			}
			if total > 60*time.Second {
				t.Errorf("slept %v in total, more than the 60s budget", total)
			}
		})
	}
}

func TestPrimaryRateLimitError(t *testing.T) {
	gh := fakegithub.New(t)
	gh.AddIssue("o/r", 1, "t", "b", fakegithub.User("ann", 1))
	reset := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	gh.Fail(fakegithub.PrimaryRateLimit("/repos/o/r/issues/1", 1, reset))
	_, err := testAPI(t, gh, &fakeClock{now: time.Now()}).issue(context.Background(), 1)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !rl.Reset.Equal(reset) {
		t.Errorf("issue() = %v, want *RateLimitError resetting at %v", err, reset)
	}
}

func TestBaseURL(t *testing.T) {
	for _, in := range []string{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", "https://api.github.com"} {
		c, err := newClient(clientOptions{apiURL: in})
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(in, "/") + "/"
		if got := c.BaseURL.String(); got != want {
			t.Errorf("newClient(%q).BaseURL = %q, want %q", in, got, want)
		}
	}
	if _, err := newClient(clientOptions{apiURL: "not a url"}); err == nil {
		t.Error("newClient(not a url) = nil error, want one")
	}
}

func TestSetLabelsOnlyOwnedAndEscaped(t *testing.T) {
	gh := fakegithub.New(t)
	gh.AddIssue("o/r", 1, "t", "b", fakegithub.User("ann", 1), "keep/me", "area/api", "100%", "brief: needs-info")
	api := testAPI(t, gh, &fakeClock{now: time.Now()})
	ctx := context.Background()
	owned := []string{"area/api", "100%", "brief: needs-info", "brief: ready", "kind:bug?"}
	have := gh.Labels("o/r", 1)
	changed, err := api.setLabels(ctx, 1, have, []string{"brief: ready", "kind:bug?"}, owned)
	if err != nil || !changed {
		t.Fatalf("setLabels = %v, %v; want changed", changed, err)
	}
	want := []string{"brief: ready", "keep/me", "kind:bug?"}
	if diff := cmp.Diff(want, gh.Labels("o/r", 1)); diff != "" {
		t.Errorf("labels diff (-want +got):\n%s", diff)
	}
	for _, q := range gh.Requests() {
		if q.Method == "DELETE" && strings.Count(q.EscapedPath, "/") != 7 {
			t.Errorf("DELETE %s: the label name was not escaped into one segment", q.EscapedPath)
		}
	}
	gh.ResetRequests()
	changed, err = api.setLabels(ctx, 1, gh.Labels("o/r", 1), []string{"brief: ready", "kind:bug?"}, owned)
	if err != nil || changed || len(gh.Requests()) != 0 {
		t.Errorf("second setLabels = %v, %v with %d requests; want no change and no request", changed, err, len(gh.Requests()))
	}
	if _, err := url.Parse(gh.URL); err != nil {
		t.Fatal(err)
	}
}
