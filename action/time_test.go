package action

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/tracker"
)

// timePolicy: uma and bea turn the keys, backend is due 2 working days after
// the pull request is ready, rel may lift the Friday freeze (Berlin).
const timePolicy = `version: 1
kinds:
  usability:
    users: [uma]
  backend:
    users: [bea]
    due: 2 working days
  release:
    users: [rel]
require:
  - kinds: [usability, backend]
link:
  required: false
calendar:
  zone: Europe/Berlin
freeze:
  - reason: No launches on Friday afternoon or over the weekend.
    from: Fri 15:00
    to: Mon 09:00
    override: release
`

var (
	berlin       = mustLoad("Europe/Berlin")
	friday1600   = time.Date(2026, 3, 6, 16, 0, 0, 0, berlin)
	saturday     = time.Date(2026, 3, 7, 12, 0, 0, 0, berlin)
	monday0859   = time.Date(2026, 3, 9, 8, 59, 0, 0, berlin)
	monday0900   = time.Date(2026, 3, 9, 9, 0, 0, 0, berlin)
	monday0915   = time.Date(2026, 3, 9, 9, 15, 0, 0, berlin)
	fridayStatus = "frozen until Mon 9 Mar 09:00 CET (Europe/Berlin): No launches on Friday afternoon or over the weekend."
)

func mustLoad(name string) *time.Location {
	loc, err := tracker.LoadZone(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at sets GitHub's clock (the fake's Date header and timestamps).
func (h *harness) at(t time.Time) { h.gh.SetNow(func() time.Time { return t }) }

// runScheduled runs the action as the workflow's schedule would.
func (h *harness) runScheduled() int {
	h.t.Helper()
	data, _ := json.Marshal(map[string]any{"schedule": "*/15 * * * *"})
	path := filepath.Join(h.dir, "schedule.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
	h.env["GITHUB_EVENT_NAME"], h.env["GITHUB_EVENT_PATH"], h.env["GITHUB_REF"] = "schedule", path, "refs/heads/main"
	h.stdout.Reset()
	h.stderr.Reset()
	h.gh.ResetRequests()
	clk := &fakeClock{now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)} // the runner's clock: a Monday, never used
	return Run(context.Background(), Config{Getenv: func(k string) string { return h.env[k] }, Stdout: &h.stdout, Stderr: &h.stderr, Now: clk.Now, Sleep: clk.Sleep})
}

// summary is what the last run wrote to the step summary.
func (h *harness) summary() string {
	data, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	return string(data)
}

func newTimeHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", timePolicy)
	return h
}

func (h *harness) mustRun(code int) {
	h.t.Helper()
	if code != ExitOK {
		h.t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
	}
}

// TestFridayFreezeEndsOnTheFirstScheduledRunAfter: both keys on a Friday at
// 16:00 Berlin time leave the gate pending until Monday 09:00, whatever the
// runner's clock says (it says Monday noon); scheduled runs before then
// write nothing, and the first after passes it.
func TestFridayFreezeEndsOnTheFirstScheduledRunAfter(t *testing.T) {
	h := newTimeHarness(t)
	h.at(friday1600.Add(-time.Hour))
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 5, Title: "Checkout", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 5, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.at(friday1600)
	h.gh.AddReview(testRepo, 5, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	h.mustRun(h.run("pull_request_review", "pull_request.opened.json", map[string]any{"action": "submitted", "pull_request.number": 5, "pull_request.head.sha": sha1A}))
	st := h.gh.LatestStatus(testRepo, sha1A, StatusContext)
	if st.GetState() != "pending" || st.GetDescription() != fridayStatus {
		t.Fatalf("Friday 16:00: status %s %q, want pending %q", st.GetState(), st.GetDescription(), fridayStatus)
	}
	if c := h.gh.Comments(testRepo, 5); len(c) != 1 || !strings.Contains(c[0].GetBody(), "**🧊 Frozen until Mon 9 Mar 2026 09:00 CET (Europe/Berlin):**") {
		t.Fatalf("gate comment does not say the freeze: %v", c)
	}

	for _, now := range []time.Time{saturday, monday0859} {
		h.at(now)
		h.mustRun(h.runScheduled())
		if w := h.gh.Writes(); len(w) != 0 {
			t.Errorf("scheduled run at %v wrote %v, want nothing", now, w)
		}
		if n := len(h.gh.Requests()); n != 2 {
			t.Errorf("scheduled run at %v: %d requests, want 2 (the listings of pull requests and briefs): %v", now, n, h.gh.Requests())
		}
	}

	h.at(monday0900)
	h.mustRun(h.runScheduled())
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Fatalf("first scheduled run from Monday 09:00: status %s %q, want success", st.GetState(), st.GetDescription())
	}
	if !strings.Contains(h.summary(), "Judged 1: #5") {
		t.Errorf("summary does not list #5 as judged:\n%s", h.summary())
	}
	h.at(monday0915)
	h.mustRun(h.runScheduled())
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("the next scheduled run wrote %v, want nothing", w)
	}
}

// TestReleaseOverridePassesAtOnce: a /signoff release on the head by rel
// lifts the freeze on the comment's own run, and the merge record keeps the
// window and who lifted it.
func TestReleaseOverridePassesAtOnce(t *testing.T) {
	h := newTimeHarness(t)
	h.at(friday1600)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 6, Title: "Hotfix", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 6, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.gh.AddReview(testRepo, 6, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 6, "pull_request.head.sha": sha1A}))
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" {
		t.Fatalf("status %s %q, want pending (frozen)", st.GetState(), st.GetDescription())
	}

	h.at(friday1600.Add(5 * time.Minute))
	c := h.gh.AddComment(testRepo, 6, fakegithub.User("rel", 13), "/signoff release")
	h.mustRun(h.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{
		"issue.number": 6, "comment.id": c.GetID(), "comment.body": c.GetBody(), "comment.user.login": "rel", "comment.user.id": 13,
	}))
	st := h.gh.LatestStatus(testRepo, sha1A, StatusContext)
	if st.GetState() != "success" || !strings.Contains(st.GetDescription(), "freeze lifted by @rel (release)") {
		t.Fatalf("after rel's /signoff release: status %s %q, want success, lifted by rel", st.GetState(), st.GetDescription())
	}

	merge := "9ddf41af2d1aeec63f7bb82dd9494dcbd34a3abf"
	h.at(friday1600.Add(10 * time.Minute))
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 6, Title: "Hotfix", User: fakegithub.User("dev", 7), Head: sha1A, Merged: true, MergedBy: fakegithub.User("dev", 7), Merge: merge})
	h.mustRun(h.run("pull_request_target", "pull_request.closed.json", map[string]any{"pull_request.number": 6, "pull_request.head.sha": sha1A, "pull_request.merge_commit_sha": merge}))
	recs := h.records.recs[merge]
	if len(recs) != 1 {
		t.Fatalf("records %v, want one on the merge", h.records.recs)
	}
	r := recs[0]
	if r.Verdict != tracker.VerdictPass || r.Freeze == nil || r.Freeze.Override != "release" || r.Freeze.By != "rel" || r.Freeze.Reason != "No launches on Friday afternoon or over the weekend." {
		t.Errorf("record verdict %s freeze %+v, want pass, in the Friday freeze lifted by rel's release", r.Verdict, r.Freeze)
	}
	if e := tracker.ClassifyRecords(merge, recs); e.Class != tracker.ClassOK || !e.Frozen {
		t.Errorf("audit: %s frozen=%v %v, want ok and flagged frozen", e.Class, e.Frozen, e.Details)
	}
}

// TestMergeRecordKeepsDueTimes: the merge record keeps when each required
// kind's key was due, as the gate computed it at the merge, although both
// keys are turned by then (the gate's pending due times are empty): backend,
// due 2 working days after the pull request opened on Monday 2 March 11:00
// Berlin time, was due Wednesday 4 March 11:00 (10:00 UTC); usability has
// no due time and is left out. bea's key on Thursday is late against it.
func TestMergeRecordKeepsDueTimes(t *testing.T) {
	h := newTimeHarness(t)
	monday := time.Date(2026, 3, 2, 11, 0, 0, 0, berlin)
	h.at(monday.Add(time.Hour))
	h.gh.AddReview(testRepo, 8, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.at(time.Date(2026, 3, 5, 10, 0, 0, 0, berlin))
	h.gh.AddReview(testRepo, 8, fakegithub.User("bea", 12), "APPROVED", "", sha1A)

	merge := "9ddf41af2d1aeec63f7bb82dd9494dcbd34a3abf"
	h.at(time.Date(2026, 3, 5, 12, 0, 0, 0, berlin))
	pr := h.gh.AddPull(testRepo, fakegithub.Pull{Number: 8, Title: "Reorder", User: fakegithub.User("dev", 7), Head: sha1A, Merged: true, MergedBy: fakegithub.User("dev", 7), Merge: merge})
	pr.CreatedAt = &github.Timestamp{Time: monday} // the fake's own copy: opened on Monday
	h.mustRun(h.run("pull_request_target", "pull_request.closed.json", map[string]any{"pull_request.number": 8, "pull_request.head.sha": sha1A, "pull_request.merge_commit_sha": merge}))
	recs := h.records.recs[merge]
	if len(recs) != 1 {
		t.Fatalf("records %v, want one on the merge", h.records.recs)
	}
	r := recs[0]
	if r.Verdict != tracker.VerdictPass {
		t.Fatalf("record verdict %s %q, want pass", r.Verdict, r.Reason)
	}
	want := map[string]time.Time{"backend": time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, r.Due); diff != "" {
		t.Errorf("record due diff (-want +got):\n%s", diff)
	}
	line, err := r.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(line), `"due":{"backend":"2026-03-04T10:00:00Z"}`) {
		t.Errorf("record line %s, want the due time in UTC", line)
	}
}

// TestOverdueBackendMentionedOnce: a backend key due 2 working days after
// the pull request became ready is shown with its due time; once it is
// overdue the pull request gets the overdue: backend label and bea is told
// once, however many runs follow.
func TestOverdueBackendMentionedOnce(t *testing.T) {
	h := newTimeHarness(t)
	monday := time.Date(2026, 3, 2, 11, 0, 0, 0, berlin)
	h.at(monday)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 7, Title: "Reorder", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 7, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 7, "pull_request.head.sha": sha1A}))
	sticky := h.gh.Comments(testRepo, 7)[0].GetBody()
	if !strings.Contains(sticky, "- **backend**: due Wed 4 Mar 2026 11:00 CET (Europe/Berlin) (2 working days after it was ready for backend)") {
		t.Fatalf("gate comment does not show the due time:\n%s", sticky)
	}

	notices := func() []string {
		var out []string
		for _, c := range h.gh.Comments(testRepo, 7) {
			if strings.HasPrefix(c.GetBody(), "<!-- twokey:overdue ") && c.GetUser().GetLogin() != "mallory" {
				out = append(out, c.GetBody())
			}
		}
		return out
	}
	// A notice someone else writes with twokey's marker does not count as
	// told: only twokey's own comments do.
	h.gh.AddComment(testRepo, 7, fakegithub.User("mallory", 66), tracker.OverdueMarker("backend", time.Date(2026, 3, 4, 11, 0, 0, 0, berlin))+"\nalready told, honest")
	h.at(time.Date(2026, 3, 4, 10, 59, 0, 0, berlin))
	h.mustRun(h.runScheduled())
	if n := notices(); len(n) != 0 {
		t.Fatalf("a minute before the due time: notices %q", n)
	}
	h.at(time.Date(2026, 3, 4, 11, 0, 0, 0, berlin))
	h.mustRun(h.runScheduled())
	n := notices()
	if len(n) != 1 || !strings.Contains(n[0], "@bea: the **backend** sign-off on `aaaaaaa` was due Wed 4 Mar 2026 11:00 CET (Europe/Berlin)") {
		t.Fatalf("at the due time: notices %q, want one telling @bea", n)
	}
	if !containsLabel(h.gh.Labels(testRepo, 7), "overdue: backend") {
		t.Errorf("labels %v, want overdue: backend", h.gh.Labels(testRepo, 7))
	}
	// Later scheduled runs and events tell nobody again.
	h.at(time.Date(2026, 3, 4, 11, 15, 0, 0, berlin))
	h.mustRun(h.runScheduled())
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "edited", "pull_request.number": 7, "pull_request.head.sha": sha1A}))
	if n := notices(); len(n) != 1 {
		t.Errorf("after more runs: %d notices, want 1", len(n))
	}
	// bea signs: the label goes.
	h.gh.AddReview(testRepo, 7, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	h.mustRun(h.run("pull_request_review", "pull_request.opened.json", map[string]any{"action": "submitted", "pull_request.number": 7, "pull_request.head.sha": sha1A}))
	if containsLabel(h.gh.Labels(testRepo, 7), "overdue: backend") {
		t.Errorf("labels %v after bea signed, want no overdue: backend", h.gh.Labels(testRepo, 7))
	}
}

func containsLabel(ls []string, l string) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}

// TestRecheckHundredOpenPulls: the figures the README states for a
// scheduled run over 100 open pull requests, each with both keys, frozen on
// a Friday: the first run judges all of them; runs while nothing is due
// cost one request and write nothing; the run when the freeze ends judges
// all 100 again and writes only the status and comment that changed.
func TestRecheckHundredOpenPulls(t *testing.T) {
	h := newTimeHarness(t)
	h.at(friday1600)
	const n = 100
	for i := 1; i <= n; i++ {
		sha := fmt.Sprintf("%040x", i)
		h.gh.AddPull(testRepo, fakegithub.Pull{Number: i, Title: "change", User: fakegithub.User("dev", 7), Head: sha})
		h.gh.AddReview(testRepo, i, fakegithub.User("uma", 11), "APPROVED", "", sha)
		h.gh.AddReview(testRepo, i, fakegithub.User("bea", 12), "APPROVED", "", sha)
	}
	count := func(label string) (requests, writes int) {
		requests, writes = len(h.gh.Requests()), len(h.gh.Writes())
		t.Logf("%d open pull requests, %s: %d requests, %d writes", n, label, requests, writes)
		return requests, writes
	}

	h.mustRun(h.runScheduled())
	if r, w := count("first scheduled run (none judged before)"); r != 2+4*n || w != 3*n {
		t.Errorf("first run: %d requests, %d writes; want %d (the listings of pull requests and briefs, then a read, a status, the signed: labels and a comment each) and %d", r, w, 2+4*n, 3*n)
	}
	h.at(saturday)
	h.mustRun(h.runScheduled())
	if r, w := count("scheduled run with nothing due"); r != 2 || w != 0 {
		t.Errorf("nothing due: %d requests, %d writes; want 2 (the listings) and 0", r, w)
	}
	h.at(monday0900)
	h.mustRun(h.runScheduled())
	if r, w := count("scheduled run when the freeze ends"); r != 2+4*n || w != 2*n {
		t.Errorf("freeze ends: %d requests, %d writes; want %d (the listings, then a read, a status, a comment edit and the read that confirms the pass each) and %d", r, w, 2+4*n, 2*n)
	}
	for i := 1; i <= n; i++ {
		if st := h.gh.LatestStatus(testRepo, fmt.Sprintf("%040x", i), StatusContext); st.GetState() != "success" {
			t.Fatalf("#%d: status %s, want success", i, st.GetState())
		}
	}
	// A 101st pull request: the listing takes a second page, and only the
	// new one is judged.
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: n + 1, Title: "new", User: fakegithub.User("dev", 7), Head: fmt.Sprintf("%040x", n+1)})
	h.mustRun(h.runScheduled())
	if r, _ := count("scheduled run with one new pull request among 101"); r != 3+3 || !strings.Contains(h.summary(), "Judged 1: #101") {
		t.Errorf("101 open: %d requests, want 6 (2 listing pages of pull requests and one of briefs, then a read, a status and a comment); summary:\n%s", r, h.summary())
	}
}

// TestPushThatChangesThePolicyRechecks: the recheck job's push run re-judges
// the open pull requests when the policy on the default branch changed, and
// only then.
func TestPushThatChangesThePolicyRechecks(t *testing.T) {
	h := newTimeHarness(t)
	h.at(time.Date(2026, 3, 4, 11, 0, 0, 0, berlin)) // a Wednesday: no freeze
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 8, Title: "a", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 8, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.gh.AddReview(testRepo, 8, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 8, "pull_request.head.sha": sha1A}))
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Fatalf("status %s, want success", st.GetState())
	}
	h.env["INPUT_RECHECK"] = "true"
	push := map[string]any{"ref": "refs/heads/main"}
	h.mustRun(h.run("push", "push.json", push))
	if w := h.gh.Writes(); len(w) != 0 || len(h.records.recs) != 0 {
		t.Errorf("push without a policy change wrote %v, recorded %v", w, h.records.recs)
	}
	// The policy now needs a release sign-off on every pull request.
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", strings.Replace(timePolicy, "  - kinds: [usability, backend]", "  - kinds: [usability, backend, release]", 1))
	h.mustRun(h.run("push", "push.json", push))
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "release") {
		t.Errorf("after the policy change: status %s %q, want pending for release", st.GetState(), st.GetDescription())
	}
	if len(h.records.recs) != 0 {
		t.Errorf("the recheck job recorded %v; recording is the record job's", h.records.recs)
	}
}

// runScheduledNested runs a scheduled re-check with its own environment and
// output, for a run that starts while another is still going (inside a
// SetAfter hook of the other's requests).
func (h *harness) runScheduledNested() (int, string) {
	h.t.Helper()
	env := map[string]string{}
	for k, v := range h.env {
		env[k] = v
	}
	data, _ := json.Marshal(map[string]any{"schedule": "*/15 * * * *"})
	dir := h.t.TempDir()
	path := filepath.Join(dir, "schedule.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
	env["GITHUB_EVENT_NAME"], env["GITHUB_EVENT_PATH"], env["GITHUB_REF"] = "schedule", path, "refs/heads/main"
	env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"] = filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	var out strings.Builder
	clk := &fakeClock{now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
	code := Run(context.Background(), Config{Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &out, Now: clk.Now, Sleep: clk.Sleep})
	return code, out.String()
}

// TestOverdueNoticeOnceWhenRunsOverlap: a pull request's event and a
// scheduled re-check judge the same overdue pull request at once (the
// re-check starts and finishes while the event's run is between its read
// and its writes, and the other way round): the signers are told once. Only
// re-checks tell them (the workflow runs one at a time); an event's run
// marks the notice owed, and the next re-check posts it.
func TestOverdueNoticeOnceWhenRunsOverlap(t *testing.T) {
	for _, outer := range []string{"event", "schedule"} {
		t.Run(outer+" first", func(t *testing.T) {
			h := newTimeHarness(t)
			h.at(time.Date(2026, 3, 2, 11, 0, 0, 0, berlin))
			h.gh.AddPull(testRepo, fakegithub.Pull{Number: 7, Title: "Reorder", User: fakegithub.User("dev", 7), Head: sha1A})
			h.gh.AddReview(testRepo, 7, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
			h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 7, "pull_request.head.sha": sha1A}))

			h.at(time.Date(2026, 3, 4, 11, 5, 0, 0, berlin)) // backend was due at 11:00
			nested := false
			h.gh.SetAfter(func(rq fakegithub.Request) {
				if nested || rq.Path != "/graphql" || !strings.Contains(string(rq.Body), "pullRequest(number") {
					return
				}
				nested = true // the other run, between this one's read and its writes
				if outer == "event" {
					if code, out := h.runScheduledNested(); code != ExitOK {
						t.Errorf("nested scheduled run = %d\n%s", code, out)
					}
					return
				}
				if code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "edited", "pull_request.number": 7, "pull_request.head.sha": sha1A}); code != ExitOK {
					t.Errorf("nested event run = %d\n%s", code, h.stdout.String())
				}
			})
			if outer == "event" {
				h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "edited", "pull_request.number": 7, "pull_request.head.sha": sha1A}))
			} else {
				h.mustRun(h.runScheduled())
			}
			h.gh.SetAfter(nil)
			if !nested {
				t.Fatal("the runs did not overlap")
			}
			notices := 0
			for _, c := range h.gh.Comments(testRepo, 7) {
				if strings.HasPrefix(c.GetBody(), overdueMarkerPrefix) {
					notices++
				}
			}
			if notices != 1 {
				t.Errorf("%d overdue notices after overlapping runs, want 1", notices)
			}
			// Whatever ran last, the next re-check has nothing to tell.
			h.at(time.Date(2026, 3, 4, 11, 20, 0, 0, berlin))
			h.mustRun(h.runScheduled())
			h.mustRun(h.runScheduled())
			if w := h.gh.Writes(); len(w) != 0 {
				t.Errorf("the second re-check after wrote %v, want nothing", w)
			}
		})
	}
}

// TestEventRunLeavesTheNoticeToTheRecheck: an event's run on an overdue
// pull request labels it and shows it overdue, tells nobody, and marks its
// status so that the next scheduled run, whatever the time rules say of
// later, judges it and tells the signers.
func TestEventRunLeavesTheNoticeToTheRecheck(t *testing.T) {
	h := newTimeHarness(t)
	h.at(time.Date(2026, 3, 2, 11, 0, 0, 0, berlin))
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 7, Title: "Reorder", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 7, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.at(time.Date(2026, 3, 4, 11, 5, 0, 0, berlin))
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 7, "pull_request.head.sha": sha1A}))
	if c := h.gh.Comments(testRepo, 7); len(c) != 1 || !containsLabel(h.gh.Labels(testRepo, 7), "overdue: backend") {
		t.Fatalf("the event's run: comments %d, labels %v; want the gate comment alone and overdue: backend", len(c), h.gh.Labels(testRepo, 7))
	}
	h.at(time.Date(2026, 3, 4, 11, 15, 0, 0, berlin))
	h.mustRun(h.runScheduled())
	if c := h.gh.Comments(testRepo, 7); len(c) != 2 || !strings.HasPrefix(c[1].GetBody(), tracker.OverdueMarker("backend", time.Date(2026, 3, 4, 11, 0, 0, 0, berlin))) {
		t.Fatalf("the re-check did not tell bea: %d comments", len(c))
	}
}
