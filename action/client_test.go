package action

import (
	"context"
	"errors"
	"fmt"
	"net"
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

// TestRetryBudgetIsPerRun: the minute of waiting is for the whole run, not
// for each request: requests that each meet a secondary limit stop waiting
// once the run has waited a minute.
func TestRetryBudgetIsPerRun(t *testing.T) {
	gh := fakegithub.New(t)
	for n := 1; n <= 4; n++ {
		gh.AddIssue("o/r", n, "t", "b", fakegithub.User("ann", 1))
		gh.Fail(fakegithub.SecondaryRateLimit(fmt.Sprintf("/repos/o/r/issues/%d", n), 1, 25))
	}
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	api := testAPI(t, gh, clk)
	var errs []error
	for n := 1; n <= 4; n++ {
		_, err := api.issue(context.Background(), n)
		errs = append(errs, err)
	}
	// 25s each (plus jitter): the first two fit in 60s, the third does not.
	if errs[0] != nil || errs[1] != nil || errs[2] == nil || errs[3] == nil {
		t.Errorf("issue() errors = %v, want the first two to succeed after a wait and the rest to fail", errs)
	}
	var total time.Duration
	for _, d := range clk.sleeps {
		total += d
	}
	if len(clk.sleeps) != 2 || total > 60*time.Second {
		t.Errorf("sleeps = %v (%v in total), want two within the run's 60s", clk.sleeps, total)
	}
}

// TestCommentNotPostedTwice: creating a comment is not repeated after a 5xx
// (GitHub may have created it), so one run never leaves two; the error says
// to re-run. A rate limit, which GitHub answers before doing anything, is
// still retried.
func TestCommentNotPostedTwice(t *testing.T) {
	const path = "/repos/o/r/issues/1/comments"
	gh := fakegithub.New(t)
	gh.AddIssue("o/r", 1, "t", "b", fakegithub.User("ann", 1))
	gh.Fail(fakegithub.Fault{Method: "POST", Path: path, Times: 1, Status: 502, Body: `{"message":"Server Error"}`})
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	api := testAPI(t, gh, clk)
	_, err := api.createComment(context.Background(), 1, "hello")
	if err == nil || !strings.Contains(err.Error(), "re-run the job") {
		t.Errorf("createComment after a 502 = %v, want an error saying to re-run", err)
	}
	if n := len(gh.Requests()); n != 1 {
		t.Errorf("requests = %d, want 1: no second POST after a 502", n)
	}
	gh.ResetRequests()
	gh.Fail(fakegithub.SecondaryRateLimit(path, 1, 3))
	if _, err := api.createComment(context.Background(), 1, "hello"); err != nil {
		t.Errorf("createComment after a secondary limit = %v, want success after a retry", err)
	}
	if n := len(gh.Requests()); n != 2 || len(gh.Comments("o/r", 1)) != 1 {
		t.Errorf("requests = %d, comments = %d; want 2 and 1", n, len(gh.Comments("o/r", 1)))
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

// TestServerErrorSaysWhatAndThatItWasRetried: a 502 that outlasts the
// retries is reported by its name, with the retries, and each retry is told
// as it happens.
func TestServerErrorSaysWhatAndThatItWasRetried(t *testing.T) {
	gh := fakegithub.New(t)
	gh.AddIssue("o/r", 1, "t", "b", fakegithub.User("ann", 1))
	gh.Fail(fakegithub.ServerError("/repos/o/r/issues/1", 10, 502))
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var told []string
	c, err := newClient(clientOptions{apiURL: gh.URL, token: "t", sleep: clk.Sleep, now: clk.Now, notify: func(m string) { told = append(told, m) }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&repoAPI{c: c, owner: "o", name: "r"}).issue(context.Background(), 1)
	want := "GitHub answered 502 Bad Gateway (also on 5 retries): try again later"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "[]") {
		t.Fatalf("issue() = %v, want %q", err, want)
	}
	var se *ServerError
	if !errors.As(err, &se) || se.Status != 502 || statusOf(err) != 502 {
		t.Errorf("issue() error %#v: want a *ServerError that still carries the status", err)
	}
	if len(told) != 5 {
		t.Fatalf("told %q, want 5 retries", told)
	}
	for i, m := range told {
		if want := fmt.Sprintf("GitHub answered 502; retrying in %ds", max(int(clk.sleeps[i].Round(time.Second)/time.Second), 1)); m != want {
			t.Errorf("retry %d told %q, want %q", i, m, want)
		}
	}
}

// TestUnreachableIsOneLine: a host that refuses connections ends in one line
// naming the host, why, and what to check, after the retries.
func TestUnreachableIsOneLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &url.URL{Scheme: "http", Host: l.Addr().String()}
	l.Close() // nothing listens on the port now
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var told []string
	c, err := newClient(clientOptions{apiURL: u.String(), token: "t", sleep: clk.Sleep, now: clk.Now, notify: func(m string) { told = append(told, m) }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&repoAPI{c: c, owner: "o", name: "r"}).issue(context.Background(), 1)
	want := "get issue #1 of o/r: cannot reach " + u.Host + " (connection refused, 6 tries): host unreachable: check GH_HOST/GITHUB_API_URL and the network"
	if err == nil || err.Error() != want {
		t.Fatalf("issue() = %v, want %q", err, want)
	}
	if len(told) != 5 || told[0] != "GitHub did not answer (connection refused); retrying in "+strings.TrimPrefix(told[0], "GitHub did not answer (connection refused); retrying in ") {
		t.Errorf("told %q, want 5 retries saying connection refused", told)
	}
}
