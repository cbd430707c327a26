package action

import (
	"strings"
	"testing"
	"time"

	"github.com/twokey/twokey/internal/fakegithub"
)

// briefBody is a ready brief of the default form whose deadline answer is
// deadline.
func briefBody(deadline string) string {
	return strings.Join([]string{
		"### Objective\n\nLet returning customers reorder a past purchase in two clicks.",
		"### Audience\n\nLogged-in UK customers on mobile.",
		"### Minimum viable product\n\nA reorder button on each past order.",
		"### How success is measured\n\nReorder rate from 12% to 15% in six weeks.",
		"### Examples and mock-ups\n\nSee https://www.figma.com/file/abc",
		"### Deadline\n\n" + deadline,
		"### What does it touch?\n\nNone of these",
		"### Does it bring in a new vendor, tool or third-party service?\n\nNo",
		"### Which vendor, tool or service?\n\n_No response_",
		"### Size\n\nSmall (a day or less)",
		"### Working agreement\n\n- [x] I will answer questions about this brief within two working days.\n- [x] I will test the usability of the change before it ships.",
	}, "\n\n")
}

var (
	march31Last = time.Date(2026, 3, 31, 23, 59, 0, 0, berlin) // the deadline day, still in time
	april1      = time.Date(2026, 4, 1, 0, 0, 0, 0, berlin)    // the deadline has passed
	passedText  = "the deadline 2026-03-31 has passed: update it or close the brief"
)

// fileBrief files brief number with deadline 2026-03-31 and runs the
// issues event on it.
func (h *harness) fileBrief(number int) {
	h.t.Helper()
	body := briefBody("2026-03-31")
	h.gh.AddIssue(testRepo, number, "Reorder", body, fakegithub.User("ann", 1), "brief")
	h.mustRun(h.run("issues", "issues.opened.json", map[string]any{"issue.number": number, "issue.body": body, "issue.labels": []any{map[string]any{"name": "brief"}}}))
}

// briefComment is twokey's comment on brief number.
func (h *harness) briefComment(number int) string {
	h.t.Helper()
	for _, c := range h.gh.Comments(testRepo, number) {
		if strings.HasPrefix(c.GetBody(), briefMarker) {
			return c.GetBody()
		}
	}
	h.t.Fatalf("brief #%d has no twokey comment", number)
	return ""
}

// TestScheduledRunWarnsOfAPassedBriefDeadline: an open brief whose deadline
// passes gets a warning in its comment on the first scheduled run of the day
// after (Berlin, the calendar's zone), and stays ready; later runs read the
// listing and write nothing. A closed brief is not listed, and an edit after
// the deadline keeps the warning.
func TestScheduledRunWarnsOfAPassedBriefDeadline(t *testing.T) {
	h := newTimeHarness(t)
	h.at(time.Date(2026, 3, 2, 10, 0, 0, 0, berlin))
	h.fileBrief(3)
	h.fileBrief(4)
	h.gh.CloseIssue(testRepo, 4)
	if c := h.briefComment(3); !strings.Contains(c, "**This brief is ready.**") || strings.Contains(c, passedText) {
		t.Fatalf("filed brief's comment:\n%s", c)
	}

	h.at(march31Last)
	h.mustRun(h.runScheduled())
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("on the deadline day: wrote %v, want nothing", w)
	}

	h.at(april1)
	h.mustRun(h.runScheduled())
	c := h.briefComment(3)
	if !strings.Contains(c, "**This brief is ready.**") || !strings.Contains(c, "- **Deadline**: "+passedText+".") {
		t.Errorf("after the deadline: brief comment does not warn:\n%s", c)
	}
	if w := h.gh.Writes(); len(w) != 1 || w[0].Method != "PATCH" {
		t.Errorf("after the deadline: writes %v, want the one comment edit", w)
	}
	if got := h.gh.Labels(testRepo, 3); !containsLabel(got, "brief: ready") || containsLabel(got, "brief: needs-info") {
		t.Errorf("labels %v, want still ready (a warning)", got)
	}
	if !strings.Contains(h.summary(), "Briefs whose deadline has passed, judged again: 1: #3") {
		t.Errorf("summary:\n%s", h.summary())
	}
	if strings.Contains(h.briefComment(4), passedText) {
		t.Errorf("a closed brief was judged again")
	}

	h.at(april1.Add(15 * time.Minute))
	h.mustRun(h.runScheduled())
	if w, n := h.gh.Writes(), len(h.gh.Requests()); len(w) != 0 || n != 2 {
		t.Errorf("the next scheduled run: %d requests, writes %v; want 2 (the listings) and none", n, w)
	}

	// An edit of the brief after its deadline is judged at GitHub's clock:
	// the warning stays (the event's run writes nothing).
	h.mustRun(h.run("issues", "issues.opened.json", map[string]any{"action": "edited", "issue.number": 3, "issue.body": briefBody("2026-03-31"), "issue.labels": []any{map[string]any{"name": "brief"}}}))
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("an edit event after the deadline wrote %v, want nothing", w)
	}
	// Moving the deadline clears it.
	h.gh.SetIssueBody(testRepo, 3, briefBody("2026-04-30"))
	h.mustRun(h.run("issues", "issues.opened.json", map[string]any{"action": "edited", "issue.number": 3, "issue.body": briefBody("2026-04-30"), "issue.labels": []any{map[string]any{"name": "brief"}}}))
	if strings.Contains(h.briefComment(3), "has passed") {
		t.Errorf("a moved deadline still warns:\n%s", h.briefComment(3))
	}
}

// TestPassedDeadlineNeedsInfoWhenThePolicySays: with deadlines.passed:
// needs_info, the brief is labelled needs-info once its deadline passes,
// and a pull request that needs it ready is judged again on the same
// scheduled run (its status said when) and waits.
func TestPassedDeadlineNeedsInfoWhenThePolicySays(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", strings.Replace(timePolicy, "link:\n  required: false\n", "", 1)+"deadlines:\n  brief_field: deadline\n  passed: needs_info\n")
	h.at(time.Date(2026, 3, 2, 10, 0, 0, 0, berlin))
	h.fileBrief(3)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 9, Title: "Reorder", Body: "Brief: #3", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 9, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.gh.AddReview(testRepo, 9, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 9, "pull_request.head.sha": sha1A, "pull_request.body": "Brief: #3"}))
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Fatalf("before the deadline: status %s %q, want success", st.GetState(), st.GetDescription())
	}

	h.at(april1)
	h.mustRun(h.runScheduled())
	if got := h.gh.Labels(testRepo, 3); !containsLabel(got, "brief: needs-info") || containsLabel(got, "brief: ready") {
		t.Errorf("brief labels %v, want brief: needs-info", got)
	}
	if c := h.briefComment(3); !strings.Contains(c, "It needs a little more") || !strings.Contains(c, passedText) {
		t.Errorf("brief comment:\n%s", c)
	}
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "brief") {
		t.Errorf("after the deadline: status %s %q, want pending on the brief", st.GetState(), st.GetDescription())
	}
	if !strings.Contains(h.summary(), "Judged 1: #9") {
		t.Errorf("the pull request was not judged again:\n%s", h.summary())
	}
}

// TestRecheckHundredOpenBriefs: the figures docs/time.md states for the
// briefs of a scheduled run: 101 open briefs cost two listing requests a
// run; the run after their deadline passed reads the comments of each and
// edits each comment once; the runs after cost the listings alone.
func TestRecheckHundredOpenBriefs(t *testing.T) {
	h := newTimeHarness(t)
	h.at(time.Date(2026, 3, 2, 10, 0, 0, 0, berlin))
	const n = 101
	for i := 1; i <= n; i++ {
		h.fileBrief(i)
	}
	count := func(label string) (requests, writes int) {
		requests, writes = len(h.gh.Requests()), len(h.gh.Writes())
		t.Logf("%d open briefs, no open pull request, %s: %d requests, %d writes", n, label, requests, writes)
		return requests, writes
	}
	h.at(march31Last)
	h.mustRun(h.runScheduled())
	if r, w := count("scheduled run before the deadline"); r != 1+2 || w != 0 {
		t.Errorf("before: %d requests, %d writes; want 3 (one listing of pull requests, two pages of briefs) and 0", r, w)
	}
	h.at(april1)
	h.mustRun(h.runScheduled())
	if r, w := count("scheduled run when the deadline has passed"); r != 1+2+2*n || w != n {
		t.Errorf("deadline passed: %d requests, %d writes; want %d (the listings, then each brief's comments and its comment edit) and %d", r, w, 3+2*n, n)
	}
	h.at(april1.Add(15 * time.Minute))
	h.mustRun(h.runScheduled())
	if r, w := count("the next scheduled run"); r != 1+2 || w != 0 {
		t.Errorf("next: %d requests, %d writes; want 3 and 0", r, w)
	}
	for i := 1; i <= n; i++ {
		if !strings.Contains(h.briefComment(i), passedText) {
			t.Fatalf("brief #%d does not say its deadline passed", i)
		}
	}
}
