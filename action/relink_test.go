package action

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twokey/twokey/internal/fakegithub"
)

// relinkPolicy: usability and backend always; vendor when the linked brief
// answers that a new vendor comes in; legal when the pull request or its
// brief is labelled legal-review. A pull request needs a ready brief.
const relinkPolicy = `version: 1
kinds:
  usability:
    users: [uma]
  backend:
    users: [bea]
  vendor:
    users: [vic]
  legal:
    users: [lee]
require:
  - kinds: [usability, backend]
  - brief: {field: new_vendor, is: "Yes"}
    kinds: [vendor]
  - labels: [legal-review]
    kinds: [legal]
link:
  required: true
`

// withVendor is briefBody with a new vendor named.
func withVendor(body string) string {
	body = strings.Replace(body, "### Does it bring in a new vendor, tool or third-party service?\n\nNo", "### Does it bring in a new vendor, tool or third-party service?\n\nYes", 1)
	return strings.Replace(body, "### Which vendor, tool or service?\n\n_No response_", "### Which vendor, tool or service?\n\nAcme Payments Ltd", 1)
}

// newRelinkHarness files brief #3 (ready, no vendor) and opens pull request
// #9 linking it, signed by uma and bea: the gate passes.
func newRelinkHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", relinkPolicy)
	h.at(time.Date(2026, 3, 2, 10, 0, 0, 0, berlin))
	h.fileBrief(3)
	h.openSignedPull(9, "Brief: #3", sha1A)
	return h
}

// openSignedPull opens pull request number with body on head, approved by
// uma and bea, and runs its opened event.
func (h *harness) openSignedPull(number int, body, head string) {
	h.t.Helper()
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: number, Title: "Reorder", Body: body, User: fakegithub.User("dev", 7), Head: head})
	h.gh.AddReview(testRepo, number, fakegithub.User("uma", 11), "APPROVED", "", head)
	h.gh.AddReview(testRepo, number, fakegithub.User("bea", 12), "APPROVED", "", head)
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": number, "pull_request.head.sha": head, "pull_request.body": body}))
	if st := h.gh.LatestStatus(testRepo, head, StatusContext); st.GetState() != "success" {
		h.t.Fatalf("pull request #%d opened: status %s %q, want success", number, st.GetState(), st.GetDescription())
	}
}

// briefEvent runs the issues event action on issue number, whose body and
// labels the payload carries as GitHub has them now; patch adds to it.
func (h *harness) briefEvent(action string, number int, patch map[string]any) int {
	h.t.Helper()
	_, body, _ := h.gh.IssueText(testRepo, number)
	var labels []any
	for _, l := range h.gh.Labels(testRepo, number) {
		labels = append(labels, map[string]any{"name": l})
	}
	if patch == nil {
		patch = map[string]any{}
	}
	patch["action"], patch["issue.number"], patch["issue.body"], patch["issue.labels"] = action, number, body, labels
	return h.run("issues", "issues.opened.json", patch)
}

// graphQLCount is how many of the last run's requests were GraphQL queries.
func (h *harness) graphQLCount() int {
	n := 0
	for _, rq := range h.gh.Requests() {
		if rq.Path == "/graphql" {
			n++
		}
	}
	return n
}

// TestBriefEditRejudgesLinkedPull: a brief edited to bring in a new vendor
// makes its linked pull request require the vendor key: the brief's edit
// event turns the green gate pending at once, in one more query (GitHub's
// cross-references) plus the pull request's read and the writes that
// change; the same event again writes nothing.
func TestBriefEditRejudgesLinkedPull(t *testing.T) {
	h := newRelinkHarness(t)
	_, body, _ := h.gh.IssueText(testRepo, 3)
	h.gh.SetIssueBody(testRepo, 3, withVendor(body))
	h.mustRun(h.briefEvent("edited", 3, map[string]any{"changes.body.from": body}))

	st := h.gh.LatestStatus(testRepo, sha1A, StatusContext)
	if st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "vendor") {
		t.Errorf("after the brief's edit: status %s %q, want pending on vendor", st.GetState(), st.GetDescription())
	}
	if c := h.gateComment(9); !strings.Contains(c, "vendor") {
		t.Errorf("gate comment does not name vendor:\n%s", c)
	}
	if !strings.Contains(h.summary(), "## twokey: pull requests that link brief #3, judged again\n\n- #9: pending") {
		t.Errorf("summary:\n%s", h.summary())
	}
	// The brief: its read (policy and form), its comments, its writes (the
	// vendor-review answer label, its comment); the cross-references; the
	// pull request's read and its writes (status, comment).
	var lines []string
	for _, rq := range h.gh.Requests() {
		lines = append(lines, rq.String())
	}
	if n, g, w := len(h.gh.Requests()), h.graphQLCount(), len(h.gh.Writes()); n != 8 || g != 3 || w != 4 {
		t.Errorf("the edit's run: %d requests (%d GraphQL, %d writes), want 8 (3 GraphQL, 4 writes):\n%s", n, g, w, strings.Join(lines, "\n"))
	}

	h.mustRun(h.briefEvent("edited", 3, map[string]any{"changes.body.from": body}))
	if n, w := len(h.gh.Requests()), h.gh.Writes(); n != 4 || len(w) != 0 {
		t.Errorf("the same event again: %d requests, writes %v; want 4 (brief, comments, references, pull request) and none", n, w)
	}

	// vic's key turns it green again on the pull request's own event.
	h.gh.AddReview(testRepo, 9, fakegithub.User("vic", 13), "APPROVED", "", sha1A)
	h.mustRun(h.run("pull_request_review", "pull_request.opened.json", map[string]any{"action": "submitted", "pull_request.number": 9, "pull_request.head.sha": sha1A, "pull_request.body": "Brief: #3"}))
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Errorf("after vic's review: status %s %q, want success", st.GetState(), st.GetDescription())
	}
}

// TestBriefLabelsRejudgeLinkedPull: a label on the brief that a rule names
// (legal-review) requires its kind of the linked pull request on the
// labeled event, and taking it off frees it on the unlabeled event; a brief
// edited until it needs info, or until it is no brief at all, turns the
// pull request pending on that edit.
func TestBriefLabelsRejudgeLinkedPull(t *testing.T) {
	h := newRelinkHarness(t)
	state := func(when, want, in string) {
		t.Helper()
		st := h.gh.LatestStatus(testRepo, sha1A, StatusContext)
		if st.GetState() != want || !strings.Contains(st.GetDescription(), in) {
			t.Errorf("%s: status %s %q, want %s naming %q", when, st.GetState(), st.GetDescription(), want, in)
		}
	}

	h.gh.LabelIssue(testRepo, 3, "legal-review", fakegithub.User("ann", 1))
	h.mustRun(h.briefEvent("labeled", 3, map[string]any{"label": map[string]any{"name": "legal-review"}}))
	state("brief labelled legal-review", "pending", "legal")

	h.gh.UnlabelIssue(testRepo, 3, "legal-review", fakegithub.User("ann", 1))
	h.mustRun(h.briefEvent("unlabeled", 3, map[string]any{"label": map[string]any{"name": "legal-review"}}))
	state("label taken off", "success", "")

	_, body, _ := h.gh.IssueText(testRepo, 3)
	vague := strings.Replace(body, "Let returning customers reorder a past purchase in two clicks.", "Reorder.", 1)
	h.gh.SetIssueBody(testRepo, 3, vague)
	h.mustRun(h.briefEvent("edited", 3, map[string]any{"changes.body.from": body}))
	if got := h.gh.Labels(testRepo, 3); !containsLabel(got, "brief: needs-info") {
		t.Fatalf("brief labels %v, want brief: needs-info", got)
	}
	state("brief edited until it needs info", "pending", "brief")

	h.gh.SetIssueBody(testRepo, 3, body)
	h.mustRun(h.briefEvent("edited", 3, map[string]any{"changes.body.from": vague}))
	state("brief fixed", "success", "")

	// No longer a brief: the label taken off and the body no form. The
	// issue is left alone, the pull request waits for a brief.
	h.gh.UnlabelIssue(testRepo, 3, "brief", fakegithub.User("ann", 1))
	h.gh.SetIssueBody(testRepo, 3, "never mind")
	h.mustRun(h.briefEvent("edited", 3, map[string]any{"changes.body.from": body}))
	state("brief turned into a plain issue", "pending", "brief")
}

// TestUnrelatedIssueEventsRejudgeNothing: an edit of a brief that no pull
// request references costs the one query for its references and judges
// nothing; pull requests that reference it from another repository, or
// that are closed, are not judged; an edit of an issue that is no brief
// (and was none) does not look; a brief just opened has no references yet.
func TestUnrelatedIssueEventsRejudgeNothing(t *testing.T) {
	h := newRelinkHarness(t)
	h.fileBrief(4)
	h.gh.AddPull("acme/other", fakegithub.Pull{Number: 1, Title: "Elsewhere", Body: "Brief: acme/site#4", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 10, Title: "Old", Body: "Brief: #4", User: fakegithub.User("dev", 7), Head: strings.Repeat("b", 40)})
	h.gh.ClosePull(testRepo, 10, fakegithub.User("dev", 7))

	_, body, _ := h.gh.IssueText(testRepo, 4)
	h.gh.SetIssueBody(testRepo, 4, withVendor(body))
	h.mustRun(h.briefEvent("edited", 4, map[string]any{"changes.body.from": body}))
	for _, rq := range h.gh.Requests() {
		if strings.Contains(rq.String(), "pulls") || strings.Contains(rq.String(), "statuses") {
			t.Errorf("an unrelated brief's edit sent %s", rq)
		}
	}
	if g := h.graphQLCount(); g != 2 {
		t.Errorf("an unrelated brief's edit sent %d GraphQL queries, want 2 (its read, its references)", g)
	}
	if strings.Contains(h.summary(), "judged again") {
		t.Errorf("summary says something was judged again:\n%s", h.summary())
	}
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Errorf("#9's status %s, want success untouched", st.GetState())
	}

	h.gh.AddIssue(testRepo, 5, "Bug", "The logo is blurry, see #9", fakegithub.User("ann", 1))
	h.mustRun(h.briefEvent("edited", 5, nil))
	if g := h.graphQLCount(); g != 1 {
		t.Errorf("an edit of an issue that is no brief sent %d GraphQL queries, want 1 (the policy)", g)
	}

	body6 := briefBody("2026-03-31")
	h.gh.AddIssue(testRepo, 6, "Reorder", body6, fakegithub.User("ann", 1), "brief")
	h.mustRun(h.briefEvent("opened", 6, nil))
	if g := h.graphQLCount(); g != 1 {
		t.Errorf("a brief opened sent %d GraphQL queries, want 1 (the policy)", g)
	}
}

// TestRelinkCapsThePullRequestsJudged: a brief referenced by more open pull
// requests than one run judges again (maxRelinked) judges the most recently
// referenced ones and names the others in a warning and the summary.
func TestRelinkCapsThePullRequestsJudged(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", relinkPolicy)
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, berlin)
	h.at(start)
	h.fileBrief(3)
	const n = maxRelinked + 2
	for i := 0; i < n; i++ {
		h.at(start.Add(time.Duration(i+1) * time.Minute))
		head := fmt.Sprintf("%040x", i+1)
		h.openSignedPull(100+i, "Brief: #3", head)
	}
	_, body, _ := h.gh.IssueText(testRepo, 3)
	h.gh.SetIssueBody(testRepo, 3, withVendor(body))
	h.mustRun(h.briefEvent("edited", 3, map[string]any{"changes.body.from": body}))

	for i := 0; i < n; i++ {
		st := h.gh.LatestStatus(testRepo, fmt.Sprintf("%040x", i+1), StatusContext)
		want := "pending"
		if i < n-maxRelinked {
			want = "success" // the oldest references: left for their next event
		}
		if st.GetState() != want {
			t.Errorf("#%d: status %s, want %s", 100+i, st.GetState(), want)
		}
	}
	if !strings.Contains(h.stdout.String(), "::warning::brief #3: 2 more open pull requests reference it than one run judges again (20): #101, #100 are judged on their next event") {
		t.Errorf("no warning naming the pull requests left:\n%s", h.stdout.String())
	}
	if !strings.Contains(h.summary(), "Not judged on this run (at most 20 a run): #101, #100") {
		t.Errorf("summary:\n%s", h.summary())
	}
	// The brief's read, comments, answer label and comment edit, the
	// references, then each judged pull request's read, status and
	// comment.
	if got, want := len(h.gh.Requests()), 4+1+3*maxRelinked; got != want {
		t.Errorf("%d requests, want %d", got, want)
	}
}

// TestRelinkJudgesPassingPullsFirst: newer references from pull requests
// whose gate does not pass (anyone can open them) do not crowd a passing
// pull request out of the run: those passing are judged first.
func TestRelinkJudgesPassingPullsFirst(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", relinkPolicy)
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, berlin)
	h.at(start)
	h.fileBrief(3)
	h.openSignedPull(9, "Brief: #3", sha1A)
	for i := 0; i <= maxRelinked; i++ {
		h.at(start.Add(time.Duration(i+1) * time.Minute))
		h.gh.AddPull(testRepo, fakegithub.Pull{Number: 100 + i, Title: "Crowd", Body: "Brief: #3", User: fakegithub.User("mallory", 66), Head: fmt.Sprintf("%040x", i+1)})
	}
	_, body, _ := h.gh.IssueText(testRepo, 3)
	h.gh.SetIssueBody(testRepo, 3, withVendor(body))
	h.mustRun(h.briefEvent("edited", 3, map[string]any{"changes.body.from": body}))
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "vendor") {
		t.Errorf("#9 behind %d newer references: status %s %q, want pending on vendor", maxRelinked+1, st.GetState(), st.GetDescription())
	}
	if !strings.Contains(h.summary(), "judged again\n\n- #9: pending") || !strings.Contains(h.summary(), "Not judged on this run (at most 20 a run): #101, #100") {
		t.Errorf("summary:\n%s", h.summary())
	}
}

// TestBriefEditRejudgesPullLinkedByBranch: a pull request that links the
// brief by its branch name alone makes no cross-reference with its own
// text, but twokey's gate comment on it names the brief, and GitHub
// cross-references that: the brief's edit judges it again at once.
func TestBriefEditRejudgesPullLinkedByBranch(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", relinkPolicy)
	h.at(time.Date(2026, 3, 2, 10, 0, 0, 0, berlin))
	h.fileBrief(3)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 9, Title: "Reorder", Body: "The new checkout order.", Branch: "brief-3/reorder", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 9, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.gh.AddReview(testRepo, 9, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 9, "pull_request.head.sha": sha1A, "pull_request.body": "The new checkout order.", "pull_request.head.ref": "brief-3/reorder"}))
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Fatalf("#9 linked by its branch: status %s %q, want success", st.GetState(), st.GetDescription())
	}

	_, body, _ := h.gh.IssueText(testRepo, 3)
	h.gh.SetIssueBody(testRepo, 3, withVendor(body))
	h.mustRun(h.briefEvent("edited", 3, map[string]any{"changes.body.from": body}))
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "vendor") {
		t.Errorf("after the brief's edit: status %s %q, want pending on vendor", st.GetState(), st.GetDescription())
	}
	if !strings.Contains(h.summary(), "- #9: pending") {
		t.Errorf("summary:\n%s", h.summary())
	}
}
