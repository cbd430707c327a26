package action

import (
	"strings"
	"testing"
	"time"

	"github.com/twokey/twokey/internal/fakegithub"
)

// laterPolicy: usability always, security when the pull request is labelled
// payments, backend when it changes db/**; security is due 1 working day
// and backend 2 working days after they became required (Berlin).
const laterPolicy = `version: 1
kinds:
  usability:
    users: [uma]
  backend:
    users: [bea]
    due: 2 working days
  security:
    users: [sam]
    due: 1 working day
require:
  - kinds: [usability]
  - labels: [payments]
    kinds: [security]
  - paths: ["db/**"]
    kinds: [backend]
link:
  required: false
calendar:
  zone: Europe/Berlin
`

// gateComment is twokey's gate comment on pull request number.
func (h *harness) gateComment(number int) string {
	h.t.Helper()
	for _, c := range h.gh.Comments(testRepo, number) {
		if strings.HasPrefix(c.GetBody(), gateMarker) {
			return c.GetBody()
		}
	}
	h.t.Fatalf("pull request #%d has no gate comment", number)
	return ""
}

// TestKindRequiredByALaterLabel: a label added on Tuesday at 14:00 to a pull
// request ready since Monday 11:00 makes security required: its key is due 1
// working day after the label (Wednesday 14:00), not after ready (Tuesday
// 11:00, already past), and stays so on later runs. The labeled events come
// with the one read of the pull request.
func TestKindRequiredByALaterLabel(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", laterPolicy)
	h.at(time.Date(2026, 3, 2, 11, 0, 0, 0, berlin))
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 7, Title: "Checkout", User: fakegithub.User("dev", 7), Head: sha1A, Files: []string{"web/checkout.html"}})
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 7, "pull_request.head.sha": sha1A}))
	if c := h.gateComment(7); strings.Contains(c, "security") {
		t.Fatalf("security required before the label:\n%s", c)
	}

	h.at(time.Date(2026, 3, 3, 14, 0, 0, 0, berlin))
	h.gh.LabelIssue(testRepo, 7, "payments", fakegithub.User("dev", 7))
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "labeled", "pull_request.number": 7, "pull_request.head.sha": sha1A}))
	want := "- **security**: due Wed 4 Mar 2026 14:00 CET (Europe/Berlin)"
	if c := h.gateComment(7); !strings.Contains(c, want) || strings.Contains(c, "overdue") {
		t.Fatalf("after the label: gate comment does not say %q (and nothing overdue):\n%s", want, c)
	}
	graphql := 0
	for _, rq := range h.gh.Requests() {
		if rq.Path == "/graphql" {
			graphql++
		}
	}
	if graphql != 1 {
		t.Errorf("the labeled event's run sent %d GraphQL requests, want 1 (the read)", graphql)
	}

	// Later runs keep the time (the status records it), and the
	// scheduled run at the due time finds it overdue then, not before.
	h.at(time.Date(2026, 3, 4, 13, 59, 0, 0, berlin))
	h.mustRun(h.runScheduled())
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "edited", "pull_request.number": 7, "pull_request.head.sha": sha1A}))
	if c := h.gateComment(7); !strings.Contains(c, want) || strings.Contains(c, "overdue") || containsLabel(h.gh.Labels(testRepo, 7), "overdue: security") {
		t.Fatalf("a minute before: gate comment:\n%s\nlabels %v", c, h.gh.Labels(testRepo, 7))
	}
	h.at(time.Date(2026, 3, 4, 14, 0, 0, 0, berlin))
	h.mustRun(h.runScheduled())
	if !containsLabel(h.gh.Labels(testRepo, 7), "overdue: security") {
		t.Errorf("at the due time: labels %v, want overdue: security", h.gh.Labels(testRepo, 7))
	}
}

// TestKindRequiredByALaterPush: a push on Wednesday at 10:00 that adds a
// file under db/ makes backend required: its key is due 2 working days
// after twokey first saw that head (Friday 10:00), not after ready (Wednesday
// 11:00), and later runs on that head keep the time.
func TestKindRequiredByALaterPush(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", laterPolicy)
	h.at(time.Date(2026, 3, 2, 11, 0, 0, 0, berlin))
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 7, Title: "Checkout", User: fakegithub.User("dev", 7), Head: sha1A, Files: []string{"web/checkout.html"}})
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 7, "pull_request.head.sha": sha1A}))

	shaB := strings.Repeat("b", 40)
	h.at(time.Date(2026, 3, 4, 10, 0, 0, 0, berlin))
	h.gh.SetHead(testRepo, 7, shaB)
	h.gh.SetPullCommits(testRepo, 7, sha1A, shaB) // a fast-forward: GitHub's timeline does not time it
	h.gh.SetPullFiles(testRepo, 7, "web/checkout.html", "db/orders.sql")
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "synchronize", "pull_request.number": 7, "pull_request.head.sha": shaB}))
	want := "- **backend**: due Fri 6 Mar 2026 10:00 CET (Europe/Berlin)"
	if c := h.gateComment(7); !strings.Contains(c, want) {
		t.Fatalf("after the push: gate comment does not say %q:\n%s", want, c)
	}
	h.at(time.Date(2026, 3, 5, 9, 0, 0, 0, berlin))
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "edited", "pull_request.number": 7, "pull_request.head.sha": shaB}))
	if c := h.gateComment(7); !strings.Contains(c, want) {
		t.Errorf("a later run on the head: gate comment does not say %q:\n%s", want, c)
	}
}

// TestKindRequiredWithoutARecordCountsFromReady: with no record of an
// earlier judgement (twokey's first run on the pull request, or a status
// written before twokey kept the kinds), a kind a path requires counts from
// when the pull request was ready.
func TestKindRequiredWithoutARecordCountsFromReady(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", laterPolicy)
	h.at(time.Date(2026, 3, 2, 11, 0, 0, 0, berlin))
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 7, Title: "Checkout", User: fakegithub.User("dev", 7), Head: sha1A, Files: []string{"db/orders.sql"}})
	h.at(time.Date(2026, 3, 3, 9, 0, 0, 0, berlin))
	h.mustRun(h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 7, "pull_request.head.sha": sha1A}))
	if c := h.gateComment(7); !strings.Contains(c, "- **backend**: due Wed 4 Mar 2026 11:00 CET (Europe/Berlin)") {
		t.Errorf("gate comment:\n%s", c)
	}
}

// TestStatusMarkKinds: the kinds a status lists, with their times, read
// back as written; a mark without the list (written before twokey kept it)
// says nothing of them, and an empty list says no kind was required.
func TestStatusMarkKinds(t *testing.T) {
	at := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	seen := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	kinds := []string{"usability", "back end", "security"}
	for _, since := range []map[string]time.Time{
		{"usability": {}, "back end": at},
		{},
	} {
		req := reqMark(since)
		url := "https://github.example.com/acme/site/actions/runs/7" + statusMark(12, seen, judgedMark{cfg: "abc123", next: at, req: &req})
		m, ok := parseMark(url)
		if !ok || m.req == nil || !m.next.Equal(at) || m.cfg != "abc123" {
			t.Fatalf("parseMark(%q) = %+v, %v", url, m, ok)
		}
		got := parseReq(*m.req, kinds)
		if len(got) != len(since) {
			t.Errorf("parseReq(%q) = %v, want %v", *m.req, got, since)
		}
		for k, want := range since {
			if g, ok := got[k]; !ok || !g.Equal(want) {
				t.Errorf("parseReq(%q)[%q] = %v, %v; want %v", *m.req, k, g, ok, want)
			}
		}
	}
	old := "https://github.example.com/acme/site/actions/runs/7#twokey-pr12-seen1767225600-next0-cfgabc123"
	if m, ok := parseMark(old); !ok || m.req != nil {
		t.Errorf("parseMark(%q) = %+v, %v; want no kinds listed", old, m, ok)
	}
}
