package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"github.com/twokey/twokey/internal/fakegithub"
)

// The end-to-end tests build the real twokey binary once and run it as the
// Actions runner does: environment variables, an event file adapted from the
// shared webhook fixtures, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and
// GITHUB_API_URL pointing at the stateful fake GitHub.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func twokeyBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test builds the binary; skipped with -short")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "twokey-e2e-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "twokey")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

const (
	e2eRepo = "acme/site"
	// The policy on the default branch: two teams, and checkout/** needs a backend sign-off.
	strictPolicy = `version: 1
kinds:
  usability:
    teams: [acme/web-ux]
  backend:
    teams: [acme/platform]
require:
  - kinds: [usability, backend]
  - paths: ["checkout/**"]
    kinds: [backend]
`
	headA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	headB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func briefBody(objective string) string {
	return "### Objective\n\n" + objective + "\n\n" +
		"### Audience\n\nReturning customers on mobile\n\n" +
		"### Minimum viable product\n\nA saved card option on the payment page.\n\n" +
		"### How success is measured\n\nCheckout completion rises from 61% to 70%.\n\n" +
		"### Examples and mock-ups\n\nhttps://example.com/mock-up\n\n" +
		"### Deadline\n\n2030-12-31\n\n" +
		"### What does it touch?\n\nPayments\n\n" +
		"### Does it bring in a new vendor, tool or third-party service?\n\nNo\n\n" +
		"### Which vendor, tool or service?\n\n_No response_\n\n" +
		"### Size\n\nSmall (a day or less)\n\n" +
		"### Working agreement\n\n- [x] I will answer questions about this brief within two working days.\n- [x] I will test the usability of the change before it ships.\n"
}

const goodObjective = "Let returning customers pay with a saved card so that checkout takes fewer steps than today."

// world is one scenario: the fake GitHub and the runner's files.
type world struct {
	t   *testing.T
	bin string
	gh  *fakegithub.Server
	dir string
	env map[string]string
	// clock is GitHub's: every run moves it on a minute, so that what
	// happens between runs happens after the last run's read.
	mu  sync.Mutex
	now time.Time
}

// tick moves GitHub's clock on by d.
func (w *world) tick(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, bin: twokeyBinary(t), gh: fakegithub.New(t), dir: t.TempDir(), now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	w.gh.SetNow(func() time.Time {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.now
	})
	w.gh.Repo(e2eRepo)
	w.gh.SetFile(e2eRepo, "main", ".github/twokey.yml", strictPolicy)
	w.env = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_REPOSITORY":   e2eRepo,
		"GITHUB_API_URL":      w.gh.URL,
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_RUN_ID":       "4242",
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_OUTPUT":       filepath.Join(w.dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(w.dir, "summary"),
		"INPUT_GITHUB_TOKEN":  "ghs_test",
		"INPUT_POLICY_PATH":   ".github/twokey.yml",
		"INPUT_FORM_PATH":     "",
	}
	return w
}

// result is what one run of the binary produced.
type result struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
	reqs           []fakegithub.Request
}

func (r result) writes() []string {
	var out []string
	for _, q := range r.reqs {
		if q.Write() {
			out = append(out, q.Method+" "+q.Path)
		}
	}
	return out
}

// run writes the event (fixture patched by patch), runs `twokey action` and
// collects what it did.
func (w *world) run(event, fixture string, patch func(m map[string]any)) result {
	w.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "webhooks", fixture))
	if err != nil {
		w.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		w.t.Fatal(err)
	}
	normalise(m)
	if patch != nil {
		patch(m)
	}
	// The payload carries the pull request's or issue's text as it is when
	// the event fires.
	for _, key := range []string{"pull_request", "issue"} {
		obj, _ := m[key].(map[string]any)
		if n, ok := obj["number"].(float64); ok {
			if title, body, ok := w.gh.IssueText(e2eRepo, int(n)); ok {
				obj["title"], obj["body"] = title, body
			}
		} else if n, ok := obj["number"].(int); ok {
			if title, body, ok := w.gh.IssueText(e2eRepo, n); ok {
				obj["title"], obj["body"] = title, body
			}
		}
	}
	data, _ = json.Marshal(m)
	path := filepath.Join(w.dir, "event.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		w.t.Fatal(err)
	}
	for _, f := range []string{w.env["GITHUB_OUTPUT"], w.env["GITHUB_STEP_SUMMARY"]} {
		os.WriteFile(f, nil, 0o644)
	}
	w.gh.ResetRequests()
	cmd := exec.Command(w.bin, "action")
	cmd.Dir = w.dir // a workspace without the repository: nothing is read from it
	cmd.Env = []string{"PATH=/nonexistent", "GITHUB_EVENT_NAME=" + event, "GITHUB_EVENT_PATH=" + path}
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	w.tick(time.Minute)
	out, _ := os.ReadFile(w.env["GITHUB_OUTPUT"])
	sum, _ := os.ReadFile(w.env["GITHUB_STEP_SUMMARY"])
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: parseOutputFile(w.t, string(out)),
		summary: string(sum), reqs: w.gh.Requests()}
}

// parseOutputFile reads GITHUB_OUTPUT the way the runner does: name=value
// lines and name<<DELIM heredocs.
func parseOutputFile(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok {
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				t.Fatalf("GITHUB_OUTPUT: heredoc %s not closed", name)
			}
			out[name] = strings.Join(val, "\n")
		} else if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
		}
	}
	return out
}

// normalise moves a fixture into the scenario's repository, acme/site with
// default branch main.
func normalise(m map[string]any) {
	repo := map[string]any{"full_name": e2eRepo, "name": "site", "default_branch": "main", "owner": map[string]any{"login": "acme", "id": 1, "type": "Organization"}}
	for k, v := range repo {
		set(m, "repository."+k, v)
	}
	if _, ok := m["pull_request"]; ok {
		for _, side := range []string{"base", "head"} {
			for k, v := range repo {
				set(m, "pull_request."+side+".repo."+k, v)
			}
		}
		set(m, "pull_request.base.ref", "main")
	}
}

// set assigns v at a dotted path, creating maps on the way.
func set(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func user(login string, id int64) map[string]any {
	return map[string]any{"login": login, "id": id, "type": "User"}
}

func (w *world) pr(number int, head string, files ...string) {
	w.gh.AddPull(e2eRepo, fakegithub.Pull{Number: number, Title: "Saved cards at checkout", Body: "Brief: #1\n\nAdds saved cards.",
		User: fakegithub.User("dev", 7), Head: head, Branch: "saved-cards", Files: files})
}

func (w *world) readyBrief() {
	w.gh.AddIssue(e2eRepo, 1, "Saved cards", briefBody(goodObjective), fakegithub.User("marketer", 5), "brief", "brief: ready")
}

func prEvent(number int, head string) func(m map[string]any) {
	return func(m map[string]any) {
		set(m, "number", number)
		set(m, "pull_request.number", number)
		set(m, "pull_request.head.sha", head)
	}
}

func (w *world) status(sha string) *github.RepoStatus {
	return w.gh.LatestStatus(e2eRepo, sha, "twokey/gate")
}

func assertCost(t *testing.T, what string, r result, max int) {
	t.Helper()
	t.Logf("%s: %d requests", what, len(r.reqs))
	if len(r.reqs) > max {
		var lines []string
		for _, q := range r.reqs {
			lines = append(lines, q.String())
		}
		t.Errorf("%s cost %d requests, want at most %d:\n%s", what, len(r.reqs), max, strings.Join(lines, "\n"))
	}
}

func assertOK(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("twokey action exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestActionBriefIncompleteThenFixed(t *testing.T) {
	w := newWorld(t)
	body := briefBody("Make it better")
	w.gh.AddIssue(e2eRepo, 1, "Saved cards", body, fakegithub.User("marketer", 5), "brief")
	issue := func(body string) func(m map[string]any) {
		return func(m map[string]any) {
			set(m, "issue.number", 1)
			set(m, "issue.body", body)
			set(m, "issue.labels", []any{map[string]any{"name": "brief", "id": 1}})
		}
	}

	r := w.run("issues", "issues.opened.json", issue(body))
	assertOK(t, r)
	assertCost(t, "brief opened, incomplete", r, 4)
	if r.outputs["verdict"] != "needs-info" {
		t.Errorf("verdict = %q, want needs-info", r.outputs["verdict"])
	}
	var findings []map[string]any
	if err := json.Unmarshal([]byte(r.outputs["findings"]), &findings); err != nil || len(findings) == 0 || findings[0]["field"] != "objective" {
		t.Errorf("findings = %s (%v), want a finding on objective", r.outputs["findings"], err)
	}
	if diff := cmp.Diff([]string{"brief", "brief: needs-info", "touches: payments"}, w.gh.Labels(e2eRepo, 1)); diff != "" {
		t.Errorf("labels diff (-want +got):\n%s", diff)
	}
	cs := w.gh.Comments(e2eRepo, 1)
	if len(cs) != 1 || !strings.HasPrefix(cs[0].GetBody(), "<!-- twokey:brief -->") || !strings.Contains(cs[0].GetBody(), "Objective") {
		t.Fatalf("comments = %v, want one sticky brief comment naming Objective", cs)
	}
	if !strings.Contains(r.summary, "needs-info") {
		t.Errorf("summary = %q, want the verdict", r.summary)
	}

	// The same event again: nothing to write.
	r = w.run("issues", "issues.opened.json", issue(body))
	assertOK(t, r)
	if len(r.writes()) != 0 {
		t.Errorf("re-run writes = %v, want none", r.writes())
	}
	assertCost(t, "brief re-run, nothing changed", r, 2)

	// Fixed: labels flip, the same comment is updated in place. The payload's
	// labels are those of the first event (the runner may queue it): twokey
	// still removes its needs-info label, known from the comment's state.
	fixed := briefBody(goodObjective)
	w.gh.SetIssueBody(e2eRepo, 1, fixed)
	r = w.run("issues", "issues.edited.json", issue(fixed))
	assertOK(t, r)
	// The edit also asks GitHub which pull requests reference the brief
	// (none here): one query.
	assertCost(t, "brief edited, fixed", r, 6)
	if r.outputs["verdict"] != "ready" {
		t.Errorf("verdict = %q, want ready", r.outputs["verdict"])
	}
	if diff := cmp.Diff([]string{"brief", "brief: ready", "touches: payments"}, w.gh.Labels(e2eRepo, 1)); diff != "" {
		t.Errorf("labels diff (-want +got):\n%s", diff)
	}
	cs2 := w.gh.Comments(e2eRepo, 1)
	if len(cs2) != 1 || cs2[0].GetID() != cs[0].GetID() || !strings.Contains(cs2[0].GetBody(), "ready") {
		t.Errorf("comments after fix = %v, want the same comment saying ready", cs2)
	}
}

func TestActionIssueNotABrief(t *testing.T) {
	w := newWorld(t)
	w.gh.AddIssue(e2eRepo, 3, "Bug", "The logo is blurry", fakegithub.User("ann", 2))
	r := w.run("issues", "issues.opened.json", func(m map[string]any) {
		set(m, "issue.number", 3)
		set(m, "issue.body", "The logo is blurry")
		set(m, "issue.labels", []any{})
	})
	assertOK(t, r)
	if len(r.writes()) != 0 || !strings.Contains(r.stdout, "::notice::") {
		t.Errorf("writes = %v, stdout = %q; want none and a notice", r.writes(), r.stdout)
	}
}

func TestActionPullWithoutBrief(t *testing.T) {
	w := newWorld(t)
	w.gh.AddPull(e2eRepo, fakegithub.Pull{Number: 2, Title: "Tweak", Body: "No link here", User: fakegithub.User("dev", 7), Head: headA, Files: []string{"index.html"}})
	r := w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	assertOK(t, r)
	st := w.status(headA)
	if st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "brief") || !strings.HasPrefix(st.GetTargetURL(), "https://github.com/acme/site/actions/runs/4242#twokey-pr2-seen") {
		t.Errorf("status = %v, want pending naming the brief with the run URL", st)
	}
	if diff := cmp.Diff([]string{"needs: brief"}, w.gh.Labels(e2eRepo, 2)); diff != "" {
		t.Errorf("labels diff (-want +got):\n%s", diff)
	}
	if r.outputs["verdict"] != "pending" {
		t.Errorf("verdict = %q, want pending", r.outputs["verdict"])
	}
	assertCost(t, "PR opened without brief (first run: read, status, labels, comment)", r, 4)
}

// TestActionTwoKeys follows a pull request from opening to both sign-offs,
// through a sign-off by the wrong team, a push that makes them stale, and an
// unauthorised /signoff.
func TestActionTwoKeys(t *testing.T) {
	w := newWorld(t)
	w.readyBrief()
	files := []string{"checkout/pay.js"}
	for i := range 99 {
		files = append(files, fmt.Sprintf("static/img%02d.png", i))
	}
	w.pr(2, headA, files...)
	w.gh.SetTeamMember("acme/web-ux", "uma", "active")
	w.gh.SetTeamMember("acme/platform", "bea", "active")
	w.gh.SetTeamMember("acme/web-ux", "wes", "active") // ux, not platform

	r := w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	assertOK(t, r)
	if st := w.status(headA); st.GetState() != "pending" {
		t.Fatalf("status after open = %v, want pending", st)
	}
	assertCost(t, "PR opened with brief, path rules, 100 files (first run: read, status, comment)", r, 4)
	r = w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	assertCost(t, "PR re-run, nothing changed (one read)", r, 1)
	if w := r.writes(); len(w) != 0 {
		t.Errorf("re-run writes = %v, want none", w)
	}

	review := func(login string, id int64) func(m map[string]any) {
		return func(m map[string]any) {
			prEvent(2, headA)(m)
			set(m, "review.user", user(login, id))
			set(m, "review.state", "approved")
			set(m, "review.commit_id", headA)
		}
	}
	// Usability by the right team.
	w.gh.AddReview(e2eRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", headA)
	r = w.run("pull_request_review", "pull_request_review.submitted.json", review("uma", 11))
	assertOK(t, r)
	if got := w.gh.Labels(e2eRepo, 2); !cmp.Equal(got, []string{"signed: usability"}) {
		t.Errorf("labels after usability = %v, want [signed: usability]", got)
	}
	// Backend by the wrong team: still pending.
	w.gh.AddReview(e2eRepo, 2, fakegithub.User("wes", 12), "APPROVED", "", headA)
	r = w.run("pull_request_review", "pull_request_review.submitted.json", review("wes", 12))
	assertOK(t, r)
	if st := w.status(headA); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "backend") {
		t.Errorf("status after wrong-team backend = %v, want pending on backend", st)
	}
	// Backend by the right team: success.
	w.gh.AddReview(e2eRepo, 2, fakegithub.User("bea", 13), "APPROVED", "", headA)
	r = w.run("pull_request_review", "pull_request_review.submitted.json", review("bea", 13))
	assertOK(t, r)
	if st := w.status(headA); st.GetState() != "success" {
		t.Fatalf("status after both = %v, want success\n%s", st, r.summary)
	}
	if r.outputs["verdict"] != "success" {
		t.Errorf("verdict = %q, want success", r.outputs["verdict"])
	}
	// 3 reviewers x 2 teams: one member list per team, not one look-up per
	// reviewer and team.
	assertCost(t, "PR review, both signed (read, 2 teams in one query, status, labels, comment, then the read and teams that confirm the pass)", r, 7)

	// A push makes both stale.
	w.gh.SetHead(e2eRepo, 2, headB)
	r = w.run("pull_request_target", "pull_request.synchronize.json", prEvent(2, headB))
	assertOK(t, r)
	if st := w.status(headB); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "stale") {
		t.Errorf("status after push = %v, want pending with stale kinds", st)
	}
	if got := w.gh.Labels(e2eRepo, 2); len(got) != 0 {
		t.Errorf("labels after push = %v, want none", got)
	}

	// An unauthorised /signoff does not count, and the comment says why.
	c := w.gh.AddComment(e2eRepo, 2, fakegithub.User("mallory", 66), "/signoff backend")
	r = w.run("issue_comment", "issue_comment.created.on-pull-request.json", func(m map[string]any) {
		set(m, "issue.number", 2)
		set(m, "comment.id", c.GetID())
		set(m, "comment.body", "/signoff backend")
		set(m, "comment.user", user("mallory", 66))
	})
	assertOK(t, r)
	if st := w.status(headB); st.GetState() != "pending" {
		t.Errorf("status after mallory = %v, want pending", st)
	}
	sticky := w.gh.Comments(e2eRepo, 2)[0]
	if !strings.Contains(sticky.GetBody(), "mallory") {
		t.Errorf("gate comment does not mention the ignored sign-off by mallory:\n%s", sticky.GetBody())
	}
	if strings.Contains(sticky.GetBody(), "twokey:state") {
		t.Errorf("gate comment keeps a state; nothing in it may bind a sign-off:\n%s", sticky.GetBody())
	}
	chat := w.gh.AddComment(e2eRepo, 2, fakegithub.User("dev", 7), "Thanks, pushed the fix.")
	r = w.run("issue_comment", "issue_comment.created.on-pull-request.json", func(m map[string]any) {
		set(m, "issue.number", 2)
		set(m, "comment.id", chat.GetID())
		set(m, "comment.body", chat.GetBody())
		set(m, "comment.user", user("dev", 7))
	})
	assertOK(t, r)
	// mallory's /signoff backend is in the thread: backend is a team kind,
	// so the team's members are read too (the policy names them, and it is
	// known only once the first read returns).
	assertCost(t, "a comment that changes nothing (read, teams)", r, 2)
	if w := r.writes(); len(w) != 0 {
		t.Errorf("a comment that changes nothing wrote %v", w)
	}

	// /signoff by the right people on the new head: success again.
	for _, s := range []struct {
		login string
		id    int64
		kind  string
	}{{"uma", 11, "usability"}, {"bea", 13, "backend"}} {
		c := w.gh.AddComment(e2eRepo, 2, fakegithub.User(s.login, s.id), "/signoff "+s.kind)
		r = w.run("issue_comment", "issue_comment.created.on-pull-request.json", func(m map[string]any) {
			set(m, "issue.number", 2)
			set(m, "comment.id", c.GetID())
			set(m, "comment.user", user(s.login, s.id))
		})
		assertOK(t, r)
	}
	if st := w.status(headB); st.GetState() != "success" {
		t.Errorf("status after /signoff on new head = %v, want success\n%s", st, r.summary)
	}
	if n := len(w.gh.Comments(e2eRepo, 2)); n != 5 {
		t.Errorf("PR has %d comments, want 5 (one sticky gate comment, three /signoff, one chat)", n)
	}
}

func TestActionForkReadOnly(t *testing.T) {
	w := newWorld(t)
	w.readyBrief()
	w.gh.AddPull(e2eRepo, fakegithub.Pull{Number: 5, Title: "From a fork", Body: "Brief: #1", User: fakegithub.User("outsider", 99),
		Head: headA, HeadRepo: "outsider/site"})
	w.gh.SetReadOnly(true)
	r := w.run("pull_request", "pull_request.opened.json", func(m map[string]any) {
		prEvent(5, headA)(m)
		set(m, "pull_request.head.repo.full_name", "outsider/site")
		set(m, "pull_request.head.repo.owner", user("outsider", 99))
	})
	assertOK(t, r)
	if !strings.Contains(r.stdout, "::notice::") || !strings.Contains(r.stdout, "read-only") {
		t.Errorf("stdout = %q, want a notice about the read-only token", r.stdout)
	}
	if !strings.Contains(r.summary, "twokey gate") {
		t.Errorf("summary = %q, want the verdict", r.summary)
	}
	if r.outputs["verdict"] != "pending" {
		t.Errorf("verdict = %q, want pending", r.outputs["verdict"])
	}

	// A review of a fork's pull request: there is no _target variant, so the
	// notice does not send people to pull_request_target.
	r = w.run("pull_request_review", "pull_request_review.submitted.json", func(m map[string]any) {
		prEvent(5, headA)(m)
		set(m, "pull_request.head.repo.full_name", "outsider/site")
		set(m, "pull_request.head.repo.owner", user("outsider", 99))
	})
	assertOK(t, r)
	if !strings.Contains(r.stdout, "next event that can write") || strings.Contains(r.stdout, "use pull_request_target") {
		t.Errorf("review on a fork: stdout = %q, want a notice that the next writable event catches up", r.stdout)
	}
}

// TestActionForkUnderTarget: under pull_request_target a fork's pull request
// gets the full treatment (status, comment, labels) through the API alone:
// the run has no checkout and no code from the fork.
func TestActionForkUnderTarget(t *testing.T) {
	w := newWorld(t)
	w.readyBrief()
	w.gh.AddPull(e2eRepo, fakegithub.Pull{Number: 5, Title: "From a fork", Body: "Brief: #1", User: fakegithub.User("outsider", 99),
		Head: headA, HeadRepo: "outsider/site", Files: []string{"checkout/pay.js"}})
	r := w.run("pull_request_target", "pull_request.opened.json", func(m map[string]any) {
		prEvent(5, headA)(m)
		set(m, "pull_request.head.repo.full_name", "outsider/site")
		set(m, "pull_request.head.repo.owner", user("outsider", 99))
	})
	assertOK(t, r)
	if st := w.status(headA); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "usability") {
		t.Errorf("status on the fork's head = %v, want pending, waiting for usability", st)
	}
	if cs := w.gh.Comments(e2eRepo, 5); len(cs) != 1 || !strings.Contains(cs[0].GetBody(), "twokey gate") {
		t.Errorf("comments = %v, want the one gate comment", cs)
	}
	for _, q := range r.reqs {
		if strings.Contains(q.Path, "outsider/") {
			t.Errorf("request to the fork %s: twokey reads the pull request from the base repository only", q)
		}
	}
}

func TestActionRateLimitThenSuccess(t *testing.T) {
	w := newWorld(t)
	w.readyBrief()
	w.pr(2, headA, "index.html")
	w.gh.Fail(fakegithub.SecondaryRateLimit("/graphql", 1, 0))
	w.gh.Fail(fakegithub.TooManyRequests("/graphql", 1, 0))
	w.gh.Fail(fakegithub.ServerError("/repos/acme/site/statuses/*", 1, 502))
	r := w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	assertOK(t, r)
	if st := w.status(headA); st.GetState() != "pending" {
		t.Errorf("status = %v, want pending after retries", st)
	}

	// The primary limit is not waited for: a clear error with the reset time.
	w.gh.Fail(fakegithub.PrimaryRateLimit("/graphql", 1, mustTime("2030-01-02T03:04:05Z")))
	r = w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	if r.code != 1 || !strings.Contains(r.stdout, "::error") || !strings.Contains(r.stdout, "2030-01-02 03:04:05 UTC") {
		t.Errorf("primary limit: exit %d, stdout %q; want 1 and an error naming the reset", r.code, r.stdout)
	}
}

func TestActionBrokenPolicy(t *testing.T) {
	w := newWorld(t)
	w.gh.SetFile(e2eRepo, "main", ".github/twokey.yml", "version: 1\nkinds:\n  usability:\n    permission: boss\n")
	w.pr(2, headA, "index.html")
	r := w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, "::error ") || !strings.Contains(r.stdout, "file=.github/twokey.yml") || !strings.Contains(r.stdout, "line=4") {
		t.Errorf("stdout = %q, want an ::error annotation at .github/twokey.yml line 4", r.stdout)
	}
	if st := w.status(headA); st.GetState() != "error" || !strings.Contains(st.GetDescription(), "boss") {
		t.Errorf("status = %v, want error naming the problem", st)
	}
}

// TestActionPolicyFromDefaultBranch proves security invariant 1: the pull
// request's head carries a permissive policy; the default branch's strict one
// applies, and every read of the policy or the form names main: the GraphQL
// expressions main:PATH, and the contents API's ref=main when GraphQL answers
// with errors and the action falls back to REST.
func TestActionPolicyFromDefaultBranch(t *testing.T) {
	tests := []struct {
		name   string
		faults []fakegithub.Fault
		want   []string // the config reads
	}{
		{"graphql", nil, []string{"graphql policy=refs/heads/main:.github/twokey.yml form=refs/heads/main:.github/ISSUE_TEMPLATE/brief.yml"}},
		{"a GraphQL error answer is asked again",
			[]fakegithub.Fault{{Path: "/graphql", Times: 1, Status: 200, Body: `{"errors":[{"message":"Something went wrong while executing your query."}]}`}},
			[]string{
				"graphql policy=refs/heads/main:.github/twokey.yml form=refs/heads/main:.github/ISSUE_TEMPLATE/brief.yml",
				"graphql policy=refs/heads/main:.github/twokey.yml form=refs/heads/main:.github/ISSUE_TEMPLATE/brief.yml",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.readyBrief()
			w.pr(2, headA, ".github/twokey.yml")
			permissive := "version: 1\nkinds:\n  usability:\n    users: [dev]\n    allow_author: true\nrequire: []\nlink:\n  required: false\n"
			w.gh.SetFile(e2eRepo, headA, ".github/twokey.yml", permissive)
			w.gh.SetFile(e2eRepo, "saved-cards", ".github/twokey.yml", permissive)
			// A tag named like the default branch wins over it in git's
			// rev-parse: twokey names refs/heads/main.
			w.gh.SetFile(e2eRepo, "refs/tags/main", ".github/twokey.yml", permissive)
			os.MkdirAll(filepath.Join(w.dir, ".github"), 0o755)
			os.WriteFile(filepath.Join(w.dir, ".github", "twokey.yml"), []byte(permissive), 0o644) // the workspace too
			for _, f := range tt.faults {
				w.gh.Fail(f)
			}
			r := w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
			assertOK(t, r)
			if st := w.status(headA); st.GetState() != "pending" {
				t.Errorf("status = %v, want pending under the strict policy", st)
			}
			if diff := cmp.Diff(tt.want, configReads(t, r.reqs)); diff != "" {
				t.Errorf("config reads diff (-want +got):\n%s", diff)
			}
		})
	}
}

// configReads describes the requests that read files: GraphQL queries by
// their expressions, contents reads by path and query.
func configReads(t *testing.T, reqs []fakegithub.Request) []string {
	t.Helper()
	var out []string
	for _, q := range reqs {
		switch {
		case q.Path == "/graphql":
			var body struct {
				Variables map[string]any `json:"variables"`
			}
			if err := json.Unmarshal(q.Body, &body); err != nil {
				t.Fatalf("GraphQL request body %q: %v", q.Body, err)
			}
			if body.Variables["policy"] == nil {
				out = append(out, "graphql")
				continue
			}
			out = append(out, fmt.Sprintf("graphql policy=%v form=%v", body.Variables["policy"], body.Variables["form"]))
		case strings.Contains(q.Path, "/contents/"):
			_, path, _ := strings.Cut(q.Path, "/contents/")
			out = append(out, "contents "+path+" "+q.Query)
		}
	}
	return out
}

func TestActionUnknownEvent(t *testing.T) {
	w := newWorld(t)
	r := w.run("made_up_event", "push.json", nil) // schedule is handled now: it re-checks
	assertOK(t, r)
	if !strings.Contains(r.stdout, "::notice::") || len(r.reqs) != 0 {
		t.Errorf("stdout = %q, requests = %v; want a notice and no request", r.stdout, r.reqs)
	}
	r = w.run("pull_request_target", "pull_request.opened.json", func(m map[string]any) { set(m, "action", "assigned") })
	assertOK(t, r)
	if !strings.Contains(r.stdout, "::notice::") || len(r.reqs) != 0 {
		t.Errorf("assigned: stdout = %q, requests = %v; want a notice and no request", r.stdout, r.reqs)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestActionCostDefaultPolicy measures a pull request under the embedded
// default policy (no .github/twokey.yml: its require rule reads brief answers,
// so the form is read too) with 100 files, 100 comments and 100 reviews.
func TestActionCostDefaultPolicy(t *testing.T) {
	w := newWorld(t)
	w.gh = fakegithub.New(t) // a repository without .github/twokey.yml
	w.gh.SetNow(func() time.Time {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.now
	})
	w.env["GITHUB_API_URL"] = w.gh.URL
	w.gh.Repo(e2eRepo)
	w.readyBrief()
	var files []string
	for i := range 100 {
		files = append(files, fmt.Sprintf("f%03d.html", i))
	}
	w.pr(2, headA, files...)
	for i := range 100 {
		w.gh.AddComment(e2eRepo, 2, fakegithub.User("chatty", 30), fmt.Sprintf("comment %d", i))
		w.gh.AddReview(e2eRepo, 2, fakegithub.User("reviewer", 31), "COMMENTED", "looks fine", headA)
	}
	r := w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	assertOK(t, r)
	assertCost(t, "default policy, PR with brief, 100 files/comments/reviews (first run: read, status, comment)", r, 4)
	r = w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	assertCost(t, "default policy, re-run (101 comments with the sticky one: a second page)", r, 2)
	if w := r.writes(); len(w) != 0 {
		t.Errorf("re-run writes = %v, want none", w)
	}
}
