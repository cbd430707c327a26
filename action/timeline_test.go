package action

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/tracker"
)

func TestReadTimelines(t *testing.T) {
	gh := fakegithub.New(t)
	gh.Repo(testRepo)
	gh.SetFile(testRepo, "main", ".github/twokey.yml", "version: 1\nbrief:\n  labels:\n    ready: ready to build\n")
	clock := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	gh.SetNow(func() time.Time { return clock })
	ann, bot := fakegithub.User("ann", 1), fakegithub.User("github-actions[bot]", 41898282)

	// #101: filed, bounced, ready 5h after filing; later edited back and forth.
	gh.AddIssue(testRepo, 101, "Pricing", "body", ann, "brief")
	filed101 := clock
	clock = clock.Add(time.Hour)
	gh.LabelIssue(testRepo, 101, "brief: needs-info", bot)
	clock = clock.Add(4 * time.Hour)
	gh.LabelIssue(testRepo, 101, "Ready to build", bot) // label names match without case
	ready101 := clock
	clock = clock.Add(24 * time.Hour)
	gh.UnlabelIssue(testRepo, 101, "ready to build", bot)
	clock = clock.Add(time.Hour)
	gh.LabelIssue(testRepo, 101, "ready to build", bot)
	// #102 never became ready; the default policy's label does not count.
	gh.AddIssue(testRepo, 102, "Banner", "body", ann, "brief")
	filed102 := clock
	clock = clock.Add(time.Hour)
	gh.LabelIssue(testRepo, 102, "brief: ready", bot)
	// #104 became ready after 120 other label events: on the second page.
	gh.AddIssue(testRepo, 104, "Footer", "body", ann)
	filed104 := clock
	for range 60 {
		clock = clock.Add(time.Minute)
		gh.LabelIssue(testRepo, 104, "wip", ann)
		gh.UnlabelIssue(testRepo, 104, "wip", ann)
	}
	clock = clock.Add(time.Minute)
	gh.LabelIssue(testRepo, 104, "ready to build", bot)
	ready104 := clock
	// Pull request #7, opened now.
	gh.AddPull(testRepo, fakegithub.Pull{Number: 7, User: ann, Head: sha1A})
	opened7 := clock
	gh.ResetRequests()

	got, err := ReadTimelines(context.Background(), TimelineConfig{APIURL: gh.URL, Token: "t", Repo: testRepo}, []int{101, 102, 103, 104}, []int{7, 8})
	if err != nil {
		t.Fatal(err)
	}
	want := &Timelines{
		ReadyLabel: "ready to build",
		Briefs: map[int]tracker.BriefTimeline{
			101: {Filed: filed101, Ready: ready101},
			102: {Filed: filed102},
			104: {Filed: filed104, Ready: ready104},
		},
		Opened: map[int]time.Time{7: opened7},
		// repository, policy; #7, #8; #101, #102 and #103 (404) one issue
		// and one page each but #103's page; #104 an issue and two pages.
		Requests: 2 + 2 + 2 + 2 + 1 + 3,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadTimelines diff (-want +got):\n%s", diff)
	}
	if n := len(gh.Requests()); n != got.Requests {
		t.Errorf("the fake served %d requests, ReadTimelines counted %d", n, got.Requests)
	}
	if w := gh.Writes(); len(w) != 0 {
		t.Errorf("writes to GitHub = %v, want none", w)
	}
}

func TestReadTimelinesErrors(t *testing.T) {
	gh := fakegithub.New(t)
	gh.Repo(testRepo)
	gh.AddIssue(testRepo, 1, "Brief", "body", fakegithub.User("ann", 1))
	for _, tt := range []struct {
		name string
		cfg  TimelineConfig
		want string
	}{
		{"not owner/name", TimelineConfig{APIURL: gh.URL, Repo: "acme"}, `repository "acme" is not owner/name`},
		{"no such repository", TimelineConfig{APIURL: gh.URL, Repo: "acme/none"}, "or the token cannot read it"},
		{"policy path mistyped", TimelineConfig{APIURL: gh.URL, Repo: testRepo, PolicyPath: "twokey.yaml"}, "policy-path twokey.yaml: no such file on main"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTimelines(context.Background(), tt.cfg, []int{1}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadTimelines = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	gh.Fail(fakegithub.Fault{Path: "/repos/acme/site/issues/1/events", Times: 1, Status: 401, Body: `{"message":"Bad credentials"}`})
	_, err := ReadTimelines(context.Background(), TimelineConfig{APIURL: gh.URL, Repo: testRepo}, []int{1}, nil)
	if err == nil || !strings.Contains(err.Error(), "list the events of brief #1") || !strings.Contains(err.Error(), "GitHub refused the token") {
		t.Errorf("ReadTimelines with a refused token = %v, want which read failed and what to do", err)
	}
}
