package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

const (
	testRepo = "acme/site"
	sha1A    = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	// userPolicy: sign-offs by listed users, so no team look-ups.
	userPolicy = `version: 1
kinds:
  usability:
    users: [uma]
  backend:
    users: [bea]
require:
  - kinds: [usability, backend]
link:
  required: false
`
)

// harness runs Run in-process against the fake, with a fake clock.
type harness struct {
	t       *testing.T
	gh      *fakegithub.Server
	dir     string
	env     map[string]string
	stdout  bytes.Buffer
	stderr  bytes.Buffer
	records *memRecords
}

// memRecords is a RecordWriter that keeps records in memory.
type memRecords struct {
	mu   sync.Mutex
	url  string
	recs map[string][]tracker.Record
	err  error // returned by every AppendRecord when set
}

func (m *memRecords) AppendRecord(ctx context.Context, commit string, rec tracker.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.recs[commit] = append(m.recs[commit], rec)
	return nil
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, gh: fakegithub.New(t), dir: t.TempDir(), records: &memRecords{recs: map[string][]tracker.Record{}}}
	h.gh.Repo(testRepo)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", userPolicy)
	h.env = map[string]string{
		"GITHUB_REPOSITORY":   testRepo,
		"GITHUB_API_URL":      h.gh.URL,
		"GITHUB_SERVER_URL":   "https://github.example.com",
		"GITHUB_RUN_ID":       "7",
		"GITHUB_OUTPUT":       filepath.Join(h.dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(h.dir, "summary"),
		"INPUT_GITHUB_TOKEN":  "ghs_x",
	}
	return h
}

// run writes the fixture, patched, as the event and runs the action.
func (h *harness) run(event, fixture string, patch map[string]any) int {
	h.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "webhooks", fixture))
	if err != nil {
		h.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		h.t.Fatal(err)
	}
	patch["repository.full_name"] = testRepo
	patch["repository.default_branch"] = "main"
	for k, v := range patch {
		setPath(m, k, v)
	}
	data, _ = json.Marshal(m)
	path := filepath.Join(h.dir, "event.json")
	os.WriteFile(path, data, 0o644)
	h.env["GITHUB_EVENT_NAME"] = event
	h.env["GITHUB_EVENT_PATH"] = path
	h.stdout.Reset()
	h.stderr.Reset()
	h.gh.ResetRequests()
	clk := &fakeClock{now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
	return Run(context.Background(), Config{
		Getenv: func(k string) string { return h.env[k] }, Stdout: &h.stdout, Stderr: &h.stderr,
		Now: clk.Now, Sleep: clk.Sleep,
		Records: func(url, token string) RecordWriter {
			h.records.url = url + " " + token
			return h.records
		},
	})
}

func setPath(m map[string]any, path string, v any) {
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

func TestMergeGroup(t *testing.T) {
	h := newHarness(t)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 12, Title: "a", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 12, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.gh.AddReview(testRepo, 12, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 13, Title: "b", User: fakegithub.User("dev", 7), Head: "cccc"})
	h.gh.AddReview(testRepo, 13, fakegithub.User("uma", 11), "APPROVED", "", "cccc")

	tests := []struct {
		ref, state, desc string
	}{
		{"refs/heads/gh-readonly-queue/main/pr-12-0123abcd", "success", "every pull request"},
		{"refs/heads/gh-readonly-queue/main/pr-13-0123abcd", "failure", "#13 (waiting for backend)"},
		{"refs/heads/some-branch", "failure", "cannot tell"},
	}
	for i, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			group := strings.Repeat(strconv.Itoa(i+1), 40)
			// No merge_group fixture is shared: the payload is built from GitHub's documented shape.
			data, _ := json.Marshal(map[string]any{
				"action":      "checks_requested",
				"merge_group": map[string]any{"head_sha": group, "head_ref": tt.ref, "base_ref": "refs/heads/main", "base_sha": "b"},
				"repository":  map[string]any{"full_name": testRepo, "default_branch": "main"},
			})
			path := filepath.Join(h.dir, "mg.json")
			os.WriteFile(path, data, 0o644)
			h.env["GITHUB_EVENT_NAME"], h.env["GITHUB_EVENT_PATH"] = "merge_group", path
			code := Run(context.Background(), Config{Getenv: func(k string) string { return h.env[k] }, Stdout: &h.stdout})
			if code != ExitOK {
				t.Fatalf("Run = %d, want 0\n%s", code, h.stdout.String())
			}
			st := h.gh.LatestStatus(testRepo, group, StatusContext)
			if st.GetState() != tt.state || !strings.Contains(st.GetDescription(), tt.desc) {
				t.Errorf("merge group status = %s %q, want %s containing %q", st.GetState(), st.GetDescription(), tt.state, tt.desc)
			}
		})
	}
}

func TestMergedPullIsRecorded(t *testing.T) {
	for _, tt := range []struct {
		name    string
		signed  bool
		verdict string
	}{{"gate passed", true, tracker.VerdictPass}, {"admin merged anyway", false, tracker.VerdictBypassed}} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			// The approvals come an hour before the merge (one in the
			// merge's second is not known to be before it).
			h.gh.SetNow(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) })
			h.gh.AddReview(testRepo, 13, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
			if tt.signed {
				h.gh.AddReview(testRepo, 13, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
			}
			h.gh.SetNow(func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) })
			pr := h.gh.AddPull(testRepo, fakegithub.Pull{Number: 13, Title: "Saved cards", User: fakegithub.User("dev", 7), Head: sha1A,
				Merged: true, MergedBy: fakegithub.User("boss", 3), Merge: "9ddf41af2d1aeec63f7bb82dd9494dcbd34a3abf"})
			opened := pr.GetMergedAt().Add(-50 * time.Hour)
			pr.CreatedAt = &github.Timestamp{Time: opened} // the fake's own copy: opened two days before the merge
			code := h.run("pull_request_target", "pull_request.closed.json", map[string]any{
				"pull_request.head.sha": sha1A, "pull_request.number": 13,
			})
			if code != ExitOK {
				t.Fatalf("Run = %d, want 0\n%s%s", code, h.stdout.String(), h.stderr.String())
			}
			recs := h.records.recs["9ddf41af2d1aeec63f7bb82dd9494dcbd34a3abf"]
			if len(recs) != 1 {
				t.Fatalf("records = %v, want one on the merge commit", h.records.recs)
			}
			r := recs[0]
			if r.Type != tracker.RecordMerge || r.Verdict != tt.verdict || r.PR != 13 || r.Head != sha1A || r.MergedBy == "" {
				t.Errorf("record = %+v, want a merge record of #13 with verdict %s", r, tt.verdict)
			}
			if r.Due != nil {
				t.Errorf("record due = %v, want none (no kind has a due time, no brief a deadline)", r.Due)
			}
			if !r.OpenedAt.Equal(opened) || r.OpenedAt.Equal(r.MergedAt) {
				t.Errorf("record opened_at = %v, want the pull request's created_at %v (merged_at %v)", r.OpenedAt, opened, r.MergedAt)
			}
			if h.records.url != "https://github.example.com/acme/site.git ghs_x" {
				t.Errorf("remote = %q, want GITHUB_SERVER_URL/owner/repo.git with the token", h.records.url)
			}
			if w := h.gh.Writes(); len(w) != 0 {
				t.Errorf("writes to GitHub = %v, want none", w)
			}
		})
	}
}

// TestRecordFailureSaysWhatToDo: a notes push that failed tells the
// maintainer what to do, and the hint depends on why it failed.
func TestRecordFailureSaysWhatToDo(t *testing.T) {
	for _, tt := range []struct {
		err  error
		hint string
	}{
		{fmt.Errorf("push refs/notes/twokey after 24 attempts: %w", gitstore.ErrPushRejected), "other runs kept pushing notes at the same time; re-run the job"},
		{errors.New("authorization failed"), "the job needs contents: write"},
	} {
		h := newHarness(t)
		h.records.err = tt.err
		h.gh.AddPull(testRepo, fakegithub.Pull{Number: 13, User: fakegithub.User("dev", 7), Head: sha1A,
			Merged: true, MergedBy: fakegithub.User("boss", 3), Merge: "9ddf41af2d1aeec63f7bb82dd9494dcbd34a3abf"})
		code := h.run("pull_request_target", "pull_request.closed.json", map[string]any{"pull_request.head.sha": sha1A, "pull_request.number": 13})
		out := h.stdout.String() + h.stderr.String()
		if code != ExitError || !strings.Contains(out, "::error") || !strings.Contains(out, tt.hint) {
			t.Errorf("Run with AppendRecord failing with %q = %d\n%s\nwant %d and an error saying %q", tt.err, code, out, ExitError, tt.hint)
		}
	}
}

func TestDirectPushIsRecorded(t *testing.T) {
	h := newHarness(t)
	// push.json has one commit, 0d1a26e6…; it has no pull request.
	code := h.run("push", "push.json", map[string]any{"ref": "refs/heads/main"})
	if code != ExitOK {
		t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
	}
	if len(h.records.recs) != 1 {
		t.Fatalf("records = %v, want one", h.records.recs)
	}
	for commit, recs := range h.records.recs {
		if recs[0].Type != tracker.RecordPush || recs[0].Verdict != tracker.VerdictDirectPush || recs[0].Commit != commit || recs[0].Policy == "" {
			t.Errorf("record = %+v, want a direct_push record with the policy SHA", recs[0])
		}
	}

	// A commit that came with a pull request is not a direct push.
	h = newHarness(t)
	var ev struct {
		Commits []struct{ ID string } `json:"commits"`
	}
	data, _ := os.ReadFile("testdata/webhooks/push.json")
	json.Unmarshal(data, &ev)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 4, User: fakegithub.User("dev", 7), Head: "x", Merged: true, Merge: ev.Commits[0].ID})
	h.gh.SetCommitPulls(testRepo, ev.Commits[0].ID, 4)
	h.run("push", "push.json", map[string]any{"ref": "refs/heads/main"})
	if len(h.records.recs) != 0 {
		t.Errorf("records = %v, want none for a commit of a merged pull request", h.records.recs)
	}

	// A commit that an open pull request (or one merged elsewhere) also
	// contains was still pushed directly.
	for _, p := range []fakegithub.Pull{
		{Number: 5, User: fakegithub.User("dev", 7), Head: ev.Commits[0].ID},
		{Number: 6, User: fakegithub.User("dev", 7), Head: "y", Base: "release", Merged: true, Merge: "z"},
	} {
		h = newHarness(t)
		h.gh.AddPull(testRepo, p)
		h.gh.SetCommitPulls(testRepo, ev.Commits[0].ID, p.Number)
		h.run("push", "push.json", map[string]any{"ref": "refs/heads/main"})
		if recs := h.records.recs[ev.Commits[0].ID]; len(recs) != 1 || recs[0].Verdict != tracker.VerdictDirectPush {
			t.Errorf("pull request #%d (base %q, merged %v): records = %v, want one direct_push", p.Number, p.Base, p.Merged, h.records.recs)
		}
	}
	// The merge of a pull request whose commits came from another branch's
	// pull requests (develop into main): the push is that merge, and none of
	// its commits is a direct push.
	h = newHarness(t)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 8, User: fakegithub.User("dev", 7), Head: "d", Base: "develop", Merged: true, Merge: "m8"})
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 9, User: fakegithub.User("dev", 7), Head: "d", Merged: true, Merge: "m9"})
	h.gh.SetCommitPulls(testRepo, ev.Commits[0].ID, 8)
	h.gh.SetCommitPulls(testRepo, "m9", 9)
	h.run("push", "push.json", map[string]any{"ref": "refs/heads/main", "after": "m9", "commits": []any{
		map[string]any{"id": ev.Commits[0].ID, "timestamp": "2026-03-01T10:00:00Z"},
		map[string]any{"id": "m9", "timestamp": "2026-03-01T10:00:00Z"},
	}})
	if len(h.records.recs) != 0 {
		t.Errorf("records = %v, want none for the merge of #9 and the commits it brought", h.records.recs)
	}

	// A push to another branch is not recorded.
	h = newHarness(t)
	h.run("push", "push.json", map[string]any{"ref": "refs/heads/feature"})
	if len(h.records.recs) != 0 || len(h.gh.Requests()) != 0 {
		t.Errorf("push to a feature branch: records %v, requests %v; want none", h.records.recs, h.gh.Requests())
	}
}

// TestRecordToRealRepository writes a merge record with gitstore into a bare
// repository and reads it back with git.
func TestRecordToRealRepository(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	gitRun := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitRun("init", "-q", "-b", "main")
	gitRun("commit", "-q", "--allow-empty", "-m", "merge #13")
	commit := gitRun("rev-parse", "HEAD")

	h := newHarness(t)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 13, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A,
		Merged: true, MergedBy: fakegithub.User("boss", 3), Merge: commit})
	data, _ := os.ReadFile("testdata/webhooks/pull_request.closed.json")
	var m map[string]any
	json.Unmarshal(data, &m)
	setPath(m, "repository.full_name", testRepo)
	setPath(m, "repository.default_branch", "main")
	setPath(m, "pull_request.merge_commit_sha", commit)
	setPath(m, "pull_request.number", 13)
	data, _ = json.Marshal(m)
	path := filepath.Join(h.dir, "closed.json")
	os.WriteFile(path, data, 0o644)
	h.env["GITHUB_EVENT_NAME"], h.env["GITHUB_EVENT_PATH"] = "pull_request_target", path
	code := Run(context.Background(), Config{Getenv: func(k string) string { return h.env[k] }, Stdout: &h.stdout, Stderr: &h.stderr,
		Records: func(string, string) RecordWriter { return gitstore.OpenRemote(dir, nil) }})
	if code != ExitOK {
		t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
	}
	note := gitRun("notes", "--ref=twokey", "show", commit)
	recs, _ := tracker.ParseRecords([]byte(note))
	if len(recs) != 1 || recs[0].PR != 13 || recs[0].Verdict != tracker.VerdictBypassed {
		t.Errorf("git notes show = %q, want one bypassed record of #13", note)
	}
}

func TestTeamUnreadableStaysPending(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", "version: 1\nkinds:\n  usability:\n    teams: [acme/web-ux]\nrequire:\n  - kinds: [usability]\nlink:\n  required: false\n")
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	// No membership is set: the fake answers 404, like GitHub does for GITHUB_TOKEN.
	if code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	st := h.gh.LatestStatus(testRepo, sha1A, StatusContext)
	if st.GetState() != "pending" {
		t.Errorf("status = %v, want pending", st)
	}
	body := h.gh.Comments(testRepo, 2)[0].GetBody()
	if !strings.Contains(body, "could not read the members of @acme/web-ux") || !strings.Contains(body, "read:org") {
		t.Errorf("gate comment does not say the token cannot read teams:\n%s", body)
	}
	if d := st.GetDescription(); d != "waiting for usability (token cannot read its team)" {
		t.Errorf("status description = %q, want it to say the token cannot read the team", d)
	}
	if out := h.stdout.String(); !strings.Contains(out, "::warning::pull request #2, usability: could not read the members of @acme/web-ux") {
		t.Errorf("stdout = %q, want a warning annotation naming the team", out)
	}
}

// umaBeaPolicy lets uma give usability and bea backend; every pull request
// needs both.
const umaBeaPolicy = "version: 1\nkinds:\n  usability:\n    users: [uma]\n  backend:\n    users: [bea]\nrequire:\n  - kinds: [usability, backend]\n"

// gate runs a pull request event ev and returns the status it left on the
// head sha1A.
func (h *harness) gate(ev map[string]any) *github.RepoStatus {
	h.t.Helper()
	if code := h.run("pull_request_target", "pull_request.opened.json", ev); code != ExitOK {
		h.t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	return h.gh.LatestStatus(testRepo, sha1A, StatusContext)
}

// TestEditedReviewDoesNotSign: a review whose text was edited after it was
// submitted (REST does not show it; GraphQL's lastEditedAt does) signs
// nothing, and the comment says why. One GraphQL request asks about every
// review that could sign, with twokey's comment when it has state.
func TestEditedReviewDoesNotSign(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", umaBeaPolicy+"link:\n  required: false\n")
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	bea := h.gh.AddReview(testRepo, 2, fakegithub.User("bea", 12), "COMMENTED", "looks fine", sha1A)
	ev := map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}
	if st := h.gate(ev); st.GetState() != "pending" {
		t.Fatalf("status = %v, want pending (backend missing)", st)
	}

	// mallory (write access) edits bea's comment review to add a sign-off,
	// within the second: GitHub's edit history names mallory.
	h.gh.EditReviewAs(testRepo, 2, bea.GetID(), "looks fine\n/signoff backend", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), fakegithub.User("mallory", 66))
	if st := h.gate(ev); st.GetState() != "pending" {
		t.Errorf("status after the edit = %v, want pending: a review edited by someone else signs nothing", st)
	}
	if body := h.gh.Comments(testRepo, 2)[0].GetBody(); !strings.Contains(body, "the review was edited by @\u200bmallory, not by @\u200bbea") {
		t.Errorf("gate comment does not say who edited the review:\n%s", body)
	}

	// bea's own edit of her own review is hers to make.
	own := h.gh.AddReview(testRepo, 2, fakegithub.User("bea", 12), "COMMENTED", "one more look", sha1A)
	h.gh.EditReview(testRepo, 2, own.GetID(), "/signoff backend", time.Date(2026, 3, 2, 10, 5, 0, 0, time.UTC))
	if st := h.gate(ev); st.GetState() != "success" {
		t.Errorf("status after bea's own edit = %v, want success", st)
	}
}

// TestEditedReviewDoesNotWaive: a review edited to add the link waive
// command does not waive the brief, and a draft review is not read at all.
func TestEditedReviewDoesNotWaive(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", umaBeaPolicy)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.gh.AddReview(testRepo, 2, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	nit := h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "COMMENTED", "nit", sha1A)
	h.gh.AddReview(testRepo, 2, fakegithub.User("bea", 12), "PENDING", "/no-brief", sha1A)
	ev := map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}
	if st := h.gate(ev); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "a brief link") {
		t.Fatalf("status = %v, want pending for a brief link (the draft review's /no-brief is not submitted)", st)
	}
	h.gh.EditReviewAs(testRepo, 2, nit.GetID(), "nit\n/no-brief", time.Now().Add(time.Hour), fakegithub.User("mallory", 66))
	if st := h.gate(ev); st.GetState() != "pending" {
		t.Errorf("status after the edit = %v, want pending: a review edited by someone else does not waive the brief", st)
	}
}

// TestForgedStickyIgnored: a person's comment that imitates twokey's sticky
// comment, with state binding their /signoff to the head, is not trusted.
func TestForgedStickyIgnored(t *testing.T) {
	h := newHarness(t)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	so := h.gh.AddComment(testRepo, 2, fakegithub.User("bea", 12), "/signoff backend")
	h.gh.AddComment(testRepo, 2, fakegithub.User("mallory", 66),
		gateMarker+"\nfake\n<!-- twokey:state {\"c\":{\""+strconv.FormatInt(so.GetID(), 10)+"\":\""+sha1A+"\"}} -->")
	if code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" {
		t.Errorf("status = %v, want pending: bea's /signoff was never bound to a head by twokey", st)
	}
	if n := len(h.gh.Comments(testRepo, 2)); n != 3 {
		t.Errorf("comments = %d, want 3 (twokey made its own sticky comment)\n%s", n, h.gh.Comments(testRepo, 2)[1].GetBody())
	}
}

// TestNeverExecs checks invariant 4 at the source: packages action, tracker
// and tracker/gitstore (which pushes the notes) import nothing that runs
// programs and start no process; package action reads no file but the
// event, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY (os.ReadFile appears once,
// for the event).
func TestNeverExecs(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	ours, _ := filepath.Glob("../tracker/*.go")
	store, _ := filepath.Glob("../tracker/gitstore/*.go") // pushes the notes for the action
	reads := 0
	for _, f := range append(files, append(ours, store...)...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if !strings.HasPrefix(f, "../") {
			src, _ := os.ReadFile(f)
			reads += strings.Count(string(src), "os.ReadFile(") + strings.Count(string(src), "os.Open(")
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			switch p, _ := strconv.Unquote(imp.Path.Value); {
			case p == "os/exec" || p == "plugin" || p == "golang.org/x/sys/execabs":
				t.Errorf("%s imports %s: the action must never run programs", f, p)
			case p == "syscall" && !strings.HasPrefix(f, "../"):
				t.Errorf("%s imports %s: the action must never run programs", f, p)
			}
		}
		// gitstore maps pack files with syscall: it may not start processes.
		src, _ := os.ReadFile(f)
		for _, call := range []string{"StartProcess(", "ForkExec(", "syscall.Exec("} {
			if strings.Contains(string(src), call) {
				t.Errorf("%s calls %s: the action must never run programs", f, call)
			}
		}
	}
	if len(ours) == 0 || len(store) == 0 {
		t.Fatal("found no source of tracker or tracker/gitstore to check")
	}
	if reads != 1 {
		t.Errorf("package action reads files in %d places, want 1 (the event payload)", reads)
	}
}

func TestIssueOutputsAndIdempotence(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", "version: 1\n")
	body := "### Objective\n\nshort\n"
	h.gh.AddIssue(testRepo, 1, "t", body, fakegithub.User("ann", 1), "brief")
	patch := map[string]any{"issue.number": 1, "issue.body": body, "issue.labels": []any{map[string]any{"name": "brief"}}}
	if code := h.run("issues", "issues.opened.json", patch); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	out, _ := os.ReadFile(h.env["GITHUB_OUTPUT"])
	got := parseOutputs(t, string(out))
	if got["verdict"] != "needs-info" || !strings.HasPrefix(got["brief"], "{") || !strings.HasPrefix(got["findings"], "[") {
		t.Errorf("outputs = %v, want verdict, brief JSON and findings JSON", got)
	}
	first := h.gh.Comments(testRepo, 1)
	os.WriteFile(h.env["GITHUB_OUTPUT"], nil, 0o644)
	h.run("issues", "issues.opened.json", patch)
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("second run wrote %v, want nothing", w)
	}
	if diff := cmp.Diff(first, h.gh.Comments(testRepo, 1)); diff != "" {
		t.Errorf("comments changed on re-run (-before +after):\n%s", diff)
	}
}

// TestRerunReadsFreshIssue: a re-run (GITHUB_RUN_ATTEMPT > 1) may carry a
// payload older than the issue; the issue is read again.
func TestRerunReadsFreshIssue(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", "version: 1\n")
	h.gh.AddIssue(testRepo, 1, "t", "### Objective\n\nshort\n", fakegithub.User("ann", 1), "brief")
	h.env["GITHUB_RUN_ATTEMPT"] = "2"
	// The payload says the issue is not a brief; the issue itself is one.
	if code := h.run("issues", "issues.opened.json", map[string]any{"issue.number": 1, "issue.body": "old", "issue.labels": []any{}}); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	if got := h.gh.Labels(testRepo, 1); !cmp.Equal(got, []string{"brief", "brief: needs-info"}) {
		t.Errorf("labels = %v, want [brief brief: needs-info] from the fresh issue", got)
	}
}

// TestReadOnlyTokenOutsideForkFails: a read-only token on a pull request of
// the repository itself is a misconfigured workflow, not a fork: exit 1 with
// the permissions to add.
func TestReadOnlyTokenOutsideForkFails(t *testing.T) {
	h := newHarness(t)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.SetReadOnly(true)
	code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A})
	if code != ExitError || !strings.Contains(h.stdout.String(), "::error::") || !strings.Contains(h.stdout.String(), "statuses: write") {
		t.Errorf("Run = %d, stdout %q; want 1 and an error naming the permissions", code, h.stdout.String())
	}
}

func TestMergeGroupAnswersOnError(t *testing.T) {
	h := newHarness(t)
	h.gh.Fail(fakegithub.Fault{Path: "/repos/acme/site/pulls/12", Times: 1, Status: 404, Body: `{"message":"Not Found"}`})
	group := strings.Repeat("9", 40)
	data, _ := json.Marshal(map[string]any{
		"action":      "checks_requested",
		"merge_group": map[string]any{"head_sha": group, "head_ref": "refs/heads/gh-readonly-queue/main/pr-12-0123abcd"},
		"repository":  map[string]any{"full_name": testRepo, "default_branch": "main"},
	})
	path := filepath.Join(h.dir, "mg.json")
	os.WriteFile(path, data, 0o644)
	h.env["GITHUB_EVENT_NAME"], h.env["GITHUB_EVENT_PATH"] = "merge_group", path
	if code := Run(context.Background(), Config{Getenv: func(k string) string { return h.env[k] }, Stdout: &h.stdout}); code != ExitError {
		t.Errorf("Run = %d, want %d", code, ExitError)
	}
	if st := h.gh.LatestStatus(testRepo, group, StatusContext); st.GetState() != "error" || !strings.Contains(st.GetDescription(), "#12") {
		t.Errorf("status = %v, want error naming #12", st)
	}
}

// TestPersonalTokenKeepsOneComment: with a personal token twokey comments as
// a person; it recognises its own comment by the token's login (GraphQL's
// viewer, read with the pull request) and still keeps a single comment; a
// second run that changes nothing writes nothing.
func TestPersonalTokenKeepsOneComment(t *testing.T) {
	h := newHarness(t)
	h.env["INPUT_GITHUB_TOKEN"] = "github_pat_x"
	h.gh.SetAuthenticatedUser(fakegithub.User("twokey-bot-account", 500))
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	patch := map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}
	for range 2 {
		if code := h.run("pull_request_target", "pull_request.opened.json", patch); code != ExitOK {
			t.Fatalf("Run = %d\n%s", code, h.stdout.String())
		}
	}
	if n := len(h.gh.Comments(testRepo, 2)); n != 1 {
		t.Errorf("comments = %d, want 1", n)
	}
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("second run writes = %v, want none", w)
	}
}

// A /signoff whose own run never came (Actions replaced the pending run of
// the concurrency group with a newer one) still counts for the head when it
// was made after twokey's own status recorded that head; one made before is
// not guessed, and after a push the key is stale.
func TestSignoffWhoseRunNeverCame(t *testing.T) {
	h := newHarness(t)
	sha1B := strings.Repeat("b", 40)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.gh.AddComment(testRepo, 2, fakegithub.User("bea", 12), "/signoff backend") // in the second of the first read
	opened := map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}
	if code := h.run("pull_request_target", "pull_request.opened.json", opened); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	st := h.gh.LatestStatus(testRepo, sha1A, StatusContext)
	if st.GetState() != "pending" {
		t.Fatalf("status = %v, want pending: bea's early /signoff cannot be placed on a head", st)
	}
	if !strings.Contains(st.GetTargetURL(), "/actions/runs/7#twokey-pr2-seen1772445600-next0-cfg") {
		t.Errorf("status target = %q, want the run's URL with twokey's mark of the head", st.GetTargetURL())
	}
	// Re-running changes nothing and writes nothing.
	if code := h.run("pull_request_target", "pull_request.opened.json", opened); code != ExitOK {
		t.Fatal(code)
	}
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("re-run wrote %v", w)
	}

	// bea comments again, later; its issue_comment run never comes. The next
	// event (an edit of the description) binds it to the head twokey's own
	// status had recorded before it.
	h.gh.SetNow(func() time.Time { return time.Date(2026, 3, 2, 10, 0, 3, 0, time.UTC) })
	h.gh.AddComment(testRepo, 2, fakegithub.User("bea", 12), "/signoff backend")
	if code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "edited", "pull_request.number": 2, "pull_request.head.sha": sha1A}); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Errorf("status = %v, want success: bea's later /signoff was made on %s", st, sha1A[:7])
	}
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); !strings.Contains(st.GetTargetURL(), "#twokey-pr2-seen1772445600-") {
		t.Errorf("status target = %q, want the first sight of the head carried on", st.GetTargetURL())
	}

	// After a push, the keys given on A are stale.
	h.gh.SetHead(testRepo, 2, sha1B)
	if code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"action": "synchronize", "pull_request.number": 2, "pull_request.head.sha": sha1B}); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	if st := h.gh.LatestStatus(testRepo, sha1B, StatusContext); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "stale") {
		t.Errorf("status after push = %v, want pending with stale sign-offs", st)
	}
}

// The record is the gate as it stood at merge time: an approval given after
// the merge does not turn a bypass into a pass, and re-running the job writes
// the same record again.
func TestMergeRecordIgnoresLaterSignoffs(t *testing.T) {
	h := newHarness(t)
	merge := "9ddf41af2d1aeec63f7bb82dd9494dcbd34a3abf"
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 13, Title: "Saved cards", User: fakegithub.User("dev", 7), Head: sha1A,
		Merged: true, MergedBy: fakegithub.User("boss", 3), Merge: merge})
	h.gh.AddReview(testRepo, 13, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	h.gh.SetNow(func() time.Time { return time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC) }) // an hour after the merge
	h.gh.AddReview(testRepo, 13, fakegithub.User("bea", 12), "APPROVED", "", sha1A)
	for range 2 {
		if code := h.run("pull_request_target", "pull_request.closed.json", map[string]any{"pull_request.head.sha": sha1A, "pull_request.number": 13}); code != ExitOK {
			t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
		}
	}
	recs := h.records.recs[merge]
	if len(recs) != 2 || recs[0].Verdict != tracker.VerdictBypassed {
		t.Fatalf("records = %+v, want two runs' records, bypassed (bea approved after the merge)", recs)
	}
	a, _ := recs[0].MarshalLine()
	b, _ := recs[1].MarshalLine()
	if string(a) != string(b) {
		t.Errorf("a re-run wrote another record:\n%s\n%s", a, b)
	}
}

// A missing policy at the default path means the embedded default, and says
// so; a policy-path someone set that does not exist is an error, never the
// default.
func TestMissingPolicy(t *testing.T) {
	h := newHarness(t)
	h.gh = fakegithub.New(t) // a repository without .github/twokey.yml
	h.gh.Repo(testRepo)
	h.env["GITHUB_API_URL"] = h.gh.URL
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", Body: "Brief: #1", User: fakegithub.User("dev", 7), Head: sha1A})
	ev := map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}
	if code := h.run("pull_request_target", "pull_request.opened.json", ev); code != ExitOK {
		t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
	}
	if !strings.Contains(h.stdout.String(), "::notice::no .github/twokey.yml on main: the embedded default policy applies") {
		t.Errorf("stdout = %q, want a notice that the embedded default applies", h.stdout.String())
	}

	h.env["INPUT_POLICY_PATH"] = "ci/gate.yml"
	code := h.run("pull_request_target", "pull_request.opened.json", ev)
	if code != ExitError || !strings.Contains(h.stderr.String(), "policy-path ci/gate.yml: no such file on main") {
		t.Errorf("Run with a missing policy-path = %d, stderr %q; want 1 and the path named", code, h.stderr.String())
	}
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "error" {
		t.Errorf("status = %v, want error", st)
	}
}

// GitHub lists at most 3,000 files of a pull request: when it has more, every
// path rule holds, so a guarded file beyond the list still needs its kind.
func TestPathRulesBeyondTheFileList(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", `version: 1
kinds:
  usability: {users: [uma]}
  backend: {users: [bea]}
require:
  - kinds: [usability]
  - paths: ["checkout/**"]
    kinds: [backend]
link: {required: false}
`)
	for _, n := range []int{3000, 3001} {
		files := make([]string, 0, n)
		for i := range n - 1 {
			files = append(files, fmt.Sprintf("static/%04d.png", i))
		}
		files = append(files, "checkout/pay.js") // last: beyond the list when n > 3000
		head := fmt.Sprintf("%040d", n)          // each its own: a shared head cannot pass
		h.gh.AddPull(testRepo, fakegithub.Pull{Number: n, Title: "t", User: fakegithub.User("dev", 7), Head: head, Files: files})
		h.gh.AddReview(testRepo, n, fakegithub.User("uma", 11), "APPROVED", "", head)
		if code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": n, "pull_request.head.sha": head}); code != ExitOK {
			t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
		}
		st := h.gh.LatestStatus(testRepo, head, StatusContext)
		if st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "backend") {
			t.Errorf("%d files: status = %v, want pending on backend", n, st)
		}
	}
}

// The labels twokey owns on a linked brief are recomputed from its body: a
// person who labels an incomplete brief "brief: ready" does not satisfy the
// link, and removing an answer label does not drop the kind it adds.
func TestLinkedBriefJudgedFromItsBody(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", `version: 1
kinds:
  usability: {users: [uma]}
  backend: {users: [bea]}
  security: {users: [sam]}
require:
  - kinds: [usability, backend]
  - labels: ["touches: payments"]
    kinds: [security]
`)
	complete, err := os.ReadFile("../examples/brief-complete.md")
	if err != nil {
		t.Fatal(err)
	}
	incomplete, err := os.ReadFile("../examples/brief-incomplete.md")
	if err != nil {
		t.Fatal(err)
	}
	// Labels set by hand: both claim ready, neither says payments.
	h.gh.AddIssue(testRepo, 1, "Reorder", string(incomplete), fakegithub.User("marketer", 5), "brief", "brief: ready")
	h.gh.AddIssue(testRepo, 3, "Reorder", string(complete), fakegithub.User("marketer", 5), "brief", "brief: ready")
	for _, tt := range []struct {
		pr, brief int
		desc      string
	}{
		{2, 1, "a ready brief"},
		{4, 3, "security"},
	} {
		head := fmt.Sprintf("%040d", tt.pr) // each its own: a shared head cannot pass
		h.gh.AddPull(testRepo, fakegithub.Pull{Number: tt.pr, Title: "Reorder", Body: fmt.Sprintf("Brief: #%d", tt.brief), User: fakegithub.User("dev", 7), Head: head})
		h.gh.AddReview(testRepo, tt.pr, fakegithub.User("uma", 11), "APPROVED", "", head)
		h.gh.AddReview(testRepo, tt.pr, fakegithub.User("bea", 12), "APPROVED", "", head)
		if code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": tt.pr, "pull_request.head.sha": head}); code != ExitOK {
			t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
		}
		st := h.gh.LatestStatus(testRepo, head, StatusContext)
		if st.GetState() != "pending" || !strings.Contains(st.GetDescription(), tt.desc) {
			t.Errorf("PR #%d (brief #%d): status = %v, want pending on %q", tt.pr, tt.brief, st, tt.desc)
		}
	}
}

// twokey knows its own comment by the token's own account (GraphQL's
// viewer), never as "a bot with the marker": under an App token, a comment
// of github-actions[bot] (another workflow) with the marker is not twokey's,
// and nothing in twokey's comment, edited by anyone, binds a sign-off.
func TestStickyIsKnownByIdentity(t *testing.T) {
	h := newHarness(t)
	h.env["INPUT_GITHUB_TOKEN"] = "ghs_app"
	h.gh.SetAuthenticatedUser(fakegithub.User("twokey-app[bot]", 501))
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	so := h.gh.AddComment(testRepo, 2, fakegithub.User("bea", 12), "/signoff backend") // before twokey saw the head
	h.gh.AddComment(testRepo, 2, fakegithub.User("github-actions[bot]", 41898282),
		gateMarker+"\nforged\n<!-- twokey:state {\"c\":{\""+strconv.FormatInt(so.GetID(), 10)+"\":\""+sha1A+"\"},\"h\":\""+sha1A+"\",\"s\":1} -->")
	ev := map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}
	if st := h.gate(ev); st.GetState() != "pending" {
		t.Errorf("status = %v, want pending: a forged state binds nothing", st)
	}
	cs := h.gh.Comments(testRepo, 2)
	if len(cs) != 3 || cs[2].GetUser().GetLogin() != "twokey-app[bot]" {
		t.Fatalf("comments = %d, want twokey's own as the third", len(cs))
	}
	// Someone edits twokey's comment: it changes nothing about the gate.
	h.gh.EditCommentAs(testRepo, cs[2].GetID(), gateMarker+"\nall signed\n", time.Now(), fakegithub.User("mallory", 66))
	if st := h.gate(ev); st.GetState() != "pending" {
		t.Errorf("status after twokey's comment was edited = %v, want pending", st)
	}
	if body := h.gh.Comments(testRepo, 2)[2].GetBody(); !strings.Contains(body, "GitHub's records do not establish") {
		t.Errorf("twokey's comment was not restored with the reason bea's /signoff does not count:\n%s", body)
	}
}

// The record says how a pull request was merged; a rebase merge names the
// other commits it put on the base branch.
func TestMergeMethods(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 3, 1, 9, m, 0, 0, time.UTC) }
	sha := func(c byte) string { return strings.Repeat(string(c), 40) }
	base := sha('0')
	pr := []fakegithub.Commit{
		{SHA: sha('1'), Parents: []string{base}, Message: "Add the button", Author: "dev", AuthorDate: at(1)},
		{SHA: sha('2'), Parents: []string{sha('1')}, Message: "Style it", Author: "dev", AuthorDate: at(2)},
		{SHA: sha('3'), Parents: []string{sha('2')}, Message: "Test it", Author: "dev", AuthorDate: at(3)},
	}
	rebased := []fakegithub.Commit{
		{SHA: sha('4'), Parents: []string{base}, Message: "Add the button", Author: "dev", AuthorDate: at(1), Committed: at(30)},
		{SHA: sha('5'), Parents: []string{sha('4')}, Message: "Style it", Author: "dev", AuthorDate: at(2), Committed: at(30)},
		{SHA: sha('6'), Parents: []string{sha('5')}, Message: "Test it", Author: "dev", AuthorDate: at(3), Committed: at(30)},
	}
	squash := fakegithub.Commit{SHA: sha('7'), Parents: []string{base}, Message: "Saved cards (#13)", Author: "dev", AuthorDate: at(30), Committed: at(30)}
	merge := fakegithub.Commit{SHA: sha('8'), Parents: []string{base, sha('3')}, Message: "Merge pull request #13", Author: "boss", AuthorDate: at(30), Committed: at(30)}
	for _, tt := range []struct {
		name, commit, method string
		landed               []string
	}{
		{"rebase", sha('6'), "rebase", []string{sha('5'), sha('4')}},
		{"squash", sha('7'), "squash", nil},
		{"merge", sha('8'), "merge", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.gh.AddCommit(testRepo, fakegithub.Commit{SHA: base, Message: "base", Author: "boss", AuthorDate: at(0), Committed: at(0)})
			for _, c := range append(append(slices.Clone(pr), rebased...), squash, merge) {
				h.gh.AddCommit(testRepo, c)
			}
			h.gh.AddPull(testRepo, fakegithub.Pull{Number: 13, Title: "Saved cards", User: fakegithub.User("dev", 7), Head: sha('3'),
				Merged: true, MergedBy: fakegithub.User("boss", 3), Merge: tt.commit})
			h.gh.SetPullCommits(testRepo, 13, sha('1'), sha('2'), sha('3'))
			if code := h.run("pull_request_target", "pull_request.closed.json", map[string]any{"pull_request.head.sha": sha('3'), "pull_request.number": 13, "pull_request.merge_commit_sha": tt.commit}); code != ExitOK {
				t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
			}
			recs := h.records.recs[tt.commit]
			if len(recs) != 1 {
				t.Fatalf("records = %v, want one on %s", h.records.recs, tt.commit[:7])
			}
			if recs[0].Method != tt.method || !cmp.Equal(recs[0].Landed, tt.landed) {
				t.Errorf("method %q, landed %v; want %q, %v", recs[0].Method, recs[0].Landed, tt.method, tt.landed)
			}
		})
	}
}

// The comment that triggers a run is bound to the head that run reads only
// when GitHub's records say that head was the head when it was written:
// twokey's own status recorded it (its mark) strictly before the comment,
// and no push that is not a fast-forward came between. Re-running an old
// comment's workflow binds nothing new.
func TestTriggerCommentAfterPush(t *testing.T) {
	at := func(sec int) func() time.Time {
		return func() time.Time { return time.Date(2026, 3, 2, 10, 0, sec, 0, time.UTC) }
	}
	sha1B := strings.Repeat("b", 40)
	for _, tt := range []struct {
		name      string
		syncRun   bool // the push's own run read the new head (at 0:20) before the comment's run
		commentAt int  // seconds
		want      string
	}{
		// The push's run never came: nothing recorded B before the comment.
		{"head changed since twokey last looked", false, 5, "pending"},
		// The push's run saw B at 0:20, after the comment at 0:05.
		{"comment older than twokey's first sight of the head", true, 5, "pending"},
		// In the same second: the order is not known.
		{"comment in the second twokey first saw the head", true, 20, "pending"},
		{"comment after twokey first saw the head", true, 30, "success"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.gh.SetNow(at(0))
			h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
			ev := func(sha string) map[string]any {
				return map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha}
			}
			if code := h.run("pull_request_target", "pull_request.opened.json", ev(sha1A)); code != ExitOK {
				t.Fatalf("Run = %d\n%s", code, h.stdout.String())
			}
			h.gh.SetHead(testRepo, 2, sha1B)
			h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", sha1B)
			if tt.syncRun {
				h.gh.SetNow(at(20))
				ev := ev(sha1B)
				ev["action"] = "synchronize"
				if code := h.run("pull_request_target", "pull_request.opened.json", ev); code != ExitOK {
					t.Fatalf("Run = %d\n%s", code, h.stdout.String())
				}
			}
			h.gh.SetNow(at(tt.commentAt))
			c := h.gh.AddComment(testRepo, 2, fakegithub.User("bea", 12), "/signoff backend")
			h.gh.SetNow(at(40))
			for range 2 { // the comment's run, and a re-run of it later
				if code := h.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{
					"issue.number": 2, "comment.id": c.GetID(), "comment.body": c.GetBody(),
					"comment.user.login": "bea", "comment.user.id": 12,
				}); code != ExitOK {
					t.Fatalf("Run = %d\n%s", code, h.stdout.String())
				}
				if st := h.gh.LatestStatus(testRepo, sha1B, StatusContext); st.GetState() != tt.want {
					t.Errorf("status = %v, want %s", st, tt.want)
				}
				h.gh.SetNow(at(59))
			}
			sticky := h.gh.Comments(testRepo, 2)[0].GetBody()
			if tt.want == "pending" && !strings.Contains(sticky, "@bea signed (GitHub's records do not establish which head it was written on)") {
				t.Errorf("the gate comment does not tell bea how to sign:\n%s", sticky)
			}
		})
	}
}

// signedLate opens pull request #2 on sha1A with uma's approval, lets twokey
// see it at 10:00:00, then has bea post body at 10:00:30 without a run of its
// own, and runs twokey for an edit of the pull request. It returns that event.
func signedLate(t *testing.T, h *harness, body string) map[string]any {
	t.Helper()
	h.gh.SetNow(func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) })
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	h.gh.AddReview(testRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", sha1A)
	ev := map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}
	if code := h.run("pull_request_target", "pull_request.opened.json", ev); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	h.gh.SetNow(func() time.Time { return time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC) })
	h.gh.AddComment(testRepo, 2, fakegithub.User("bea", 12), body) // its run never came
	ev["action"] = "edited"
	if code := h.run("pull_request_target", "pull_request.opened.json", ev); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, h.stdout.String())
	}
	return ev
}

// TestEditedRevokeStaysRevoked: a revoke that someone else edits away does
// not bring back the sign-off it withdrew: GitHub's edit history names the
// editor, and an edit by anyone but its author voids and withdraws.
func TestEditedRevokeStaysRevoked(t *testing.T) {
	h := newHarness(t)
	ev := signedLate(t, h, "/signoff backend") // uma approved, bea signed backend: success
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Fatalf("status = %v, want success before the revoke", st)
	}
	h.gh.SetNow(func() time.Time { return time.Date(2026, 3, 2, 10, 1, 0, 0, time.UTC) })
	revoke := h.gh.AddComment(testRepo, 2, fakegithub.User("uma", 11), "/signoff revoke usability")
	if st := h.gate(ev); st.GetState() != "pending" {
		t.Fatalf("status after the revoke = %v, want pending", st)
	}
	h.gh.EditCommentAs(testRepo, revoke.GetID(), "ok", time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), fakegithub.User("mallory", 66))
	if st := h.gate(ev); st.GetState() != "pending" {
		t.Errorf("status after the revoke was edited away = %v, want pending: the edit must not bring back uma's approval", st)
	}
	if body := h.gh.Comments(testRepo, 2)[0].GetBody(); !strings.Contains(body, "it may have been a revoke") {
		t.Errorf("gate comment does not say why uma's sign-off stays withdrawn:\n%s", body)
	}
}

// Commands are matched without case, and so is the binding of a comment to
// its head: a /SignOff whose own run never came still counts.
func TestBindingIgnoresCase(t *testing.T) {
	h := newHarness(t)
	signedLate(t, h, "/SignOff backend")
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Errorf("status = %v, want success: /SignOff was made after twokey first saw the head", st)
	}
}

// When GitHub does not answer the read (a 502 that outlasts the retries),
// twokey judges nothing and writes nothing; a re-run, once GitHub answers,
// judges as if the failure never was.
func TestReadFailureChangesNothing(t *testing.T) {
	h := newHarness(t)
	ev := signedLate(t, h, "/signoff backend")
	before := h.gh.Comments(testRepo, 2)[0].GetBody()

	h.gh.Fail(fakegithub.Fault{Path: "/graphql", Times: 100, Status: http.StatusBadGateway, Body: `{"message":"Server Error"}`})
	if code := h.run("pull_request_target", "pull_request.opened.json", ev); code != ExitError {
		t.Fatalf("Run = %d, want %d when the pull request cannot be read\n%s\n%v", code, ExitError, h.stdout.String(), h.gh.Requests())
	}
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("a run that could not read the pull request wrote %v", w)
	}
	if after := h.gh.Comments(testRepo, 2)[0].GetBody(); after != before {
		t.Errorf("the gate comment changed:\n%s\nwas:\n%s", after, before)
	}
	h.gh.ClearFaults()
	if code := h.run("pull_request_target", "pull_request.opened.json", ev); code != ExitOK {
		t.Fatalf("re-run = %d\n%s", code, h.stdout.String())
	}
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "success" {
		t.Errorf("status after re-run = %v, want success", st)
	}
}

// A rebase of more commits than one page holds is still a rebase, and the
// record names every other commit it put on the base branch.
func TestMergeMethodLongRebase(t *testing.T) {
	const n = 130
	at := func(m int) time.Time {
		return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute)
	}
	sha := func(kind, i int) string { return fmt.Sprintf("%02x%038x", kind, i) }
	h := newHarness(t)
	base := sha(0, 0)
	h.gh.AddCommit(testRepo, fakegithub.Commit{SHA: base, Message: "base", Author: "boss", AuthorDate: at(0), Committed: at(0)})
	var own, want []string
	for i := 1; i <= n; i++ {
		parent, rparent := base, base
		if i > 1 {
			parent, rparent = sha(1, i-1), sha(2, i-1)
		}
		msg := fmt.Sprintf("Step %d", i)
		h.gh.AddCommit(testRepo, fakegithub.Commit{SHA: sha(1, i), Parents: []string{parent}, Message: msg, Author: "dev", AuthorDate: at(i)})
		h.gh.AddCommit(testRepo, fakegithub.Commit{SHA: sha(2, i), Parents: []string{rparent}, Message: msg, Author: "dev", AuthorDate: at(i), Committed: at(n + 10)})
		own = append(own, sha(1, i))
		if i < n {
			want = append([]string{sha(2, i)}, want...) // newest first
		}
	}
	merged := sha(2, n)
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 13, Title: "Long", User: fakegithub.User("dev", 7), Head: sha(1, n),
		Merged: true, MergedBy: fakegithub.User("boss", 3), Merge: merged})
	h.gh.SetPullCommits(testRepo, 13, own...)
	if code := h.run("pull_request_target", "pull_request.closed.json", map[string]any{"pull_request.head.sha": sha(1, n), "pull_request.number": 13, "pull_request.merge_commit_sha": merged}); code != ExitOK {
		t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
	}
	recs := h.records.recs[merged]
	if len(recs) != 1 {
		t.Fatalf("records = %v, want one on %s", h.records.recs, merged[:7])
	}
	if recs[0].Method != "rebase" || !cmp.Equal(recs[0].Landed, want) {
		t.Errorf("method %q, %d landed; want rebase, %d", recs[0].Method, len(recs[0].Landed), len(want))
	}
}

// TestOwnFormWithoutPolicy: a repository with its own brief form and no
// policy gets the embedded default's gate; the default's rules for the
// default form's fields are left out with a notice, and issues are judged by
// the repository's form. The default's answer labels are left out with them,
// so a label such as vendor-review set by hand is not twokey's to remove.
func TestOwnFormWithoutPolicy(t *testing.T) {
	form, err := os.ReadFile("../tracker/testdata/forms/ollama__ollama__10_bug_report.yml")
	if err != nil {
		t.Fatal(err)
	}
	complete, err := os.ReadFile("../tracker/testdata/forms/ollama__ollama__10_bug_report__issue-13868.md")
	if err != nil {
		t.Fatal(err)
	}
	notice := "::notice::the default policy's rules for the default form's fields objective, audience, mvp, success, examples, deadline, vendor, new_vendor, touches do not apply to .github/ISSUE_TEMPLATE/brief.yml and are left out (7 brief rules, 6 answer labels, 1 require rule)"
	tests := []struct {
		name, body, verdict string
		labels              []string
	}{
		{"a complete bug report", string(complete), "ready", []string{"brief", "brief: ready", "vendor-review"}},
		{"a bug report without its description", "### OS\n\nLinux\n\n### GPU\n\nAMD\n\n### CPU\n\nIntel\n\n### Ollama version\n\n0.9\n", "needs-info", []string{"brief", "brief: needs-info", "vendor-review"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.gh = fakegithub.New(t) // no .github/twokey.yml
			h.gh.Repo(testRepo)
			h.env["GITHUB_API_URL"] = h.gh.URL
			h.gh.SetFile(testRepo, "main", tracker.DefaultFormFile, string(form))
			h.gh.AddIssue(testRepo, 1, "t", tt.body, fakegithub.User("ann", 1), "brief", "vendor-review")
			patch := map[string]any{"issue.number": 1, "issue.body": tt.body, "issue.labels": []any{map[string]any{"name": "brief"}, map[string]any{"name": "vendor-review"}}}
			if code := h.run("issues", "issues.opened.json", patch); code != ExitOK {
				t.Fatalf("Run = %d, want 0\n%s%s", code, h.stdout.String(), h.stderr.String())
			}
			if n := strings.Count(h.stdout.String(), notice); n != 1 {
				t.Errorf("stdout has %d notices %q, want one\n%s", n, notice, h.stdout.String())
			}
			if strings.Contains(h.stdout.String(), "::error") {
				t.Errorf("stdout has an error annotation:\n%s", h.stdout.String())
			}
			out, _ := os.ReadFile(h.env["GITHUB_OUTPUT"])
			if got := parseOutputs(t, string(out))["verdict"]; got != tt.verdict {
				t.Errorf("verdict = %q, want %q", got, tt.verdict)
			}
			if diff := cmp.Diff(tt.labels, h.gh.Labels(testRepo, 1)); diff != "" {
				t.Errorf("labels: diff (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUndefinedKindIsAConfigurationError: a required kind that is not
// defined is refused when the policy is read (status error, not failure); an
// error in a part the policy inherits is annotated with the default's line,
// not placed on a line of the repository's file.
func TestUndefinedKindIsAConfigurationError(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", "version: 1\nkinds:\n  usability: {users: [uma]}\n  backend: {users: [bea]}\n")
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A})
	if code != ExitError {
		t.Fatalf("Run = %d, want %d\n%s", code, ExitError, h.stdout.String())
	}
	want := `::error title=twokey configuration::(embedded default policy):110:13: require rule names kind "vendor", which is not defined under kinds: (defined: usability, backend); .github/twokey.yml has no require: section, so the default's applies: write your own to change it`
	if !strings.Contains(h.stdout.String(), want) {
		t.Errorf("stdout = %q, want the annotation %q", h.stdout.String(), want)
	}
	if strings.Contains(h.stdout.String(), "file=(embedded default policy)") || strings.Contains(h.stdout.String(), "line=1,") {
		t.Errorf("stdout = %q, want no annotation placed in a file for the default's part", h.stdout.String())
	}
	if st := h.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "error" {
		t.Errorf("status = %v, want error", st)
	}
}

// A form that the policy's brief.form or the form-path input names must
// exist: only the default path, named by neither, may be missing (the
// embedded form then applies, with a notice).
func TestMissingForm(t *testing.T) {
	patch := func() map[string]any {
		return map[string]any{"issue.number": 1, "issue.body": "x", "issue.labels": []any{map[string]any{"name": "brief"}}}
	}
	tests := []struct {
		name   string
		policy string
		input  string
		code   int
		want   string // in stdout (a notice) or stderr (an error)
	}{
		{"the default path, named by nobody", "version: 1\n", "", ExitOK,
			"::notice::no .github/ISSUE_TEMPLATE/brief.yml on main: the embedded default brief form applies"},
		{"the default path, named by the policy", "version: 1\nbrief:\n  form: .github/ISSUE_TEMPLATE/brief.yml\n", "", ExitError,
			".github/twokey.yml:3:9: brief.form names .github/ISSUE_TEMPLATE/brief.yml, which does not exist on main"},
		{"another path, named by the policy", "version: 1\nbrief:\n  label: brief\n  form: forms/brief.yml\n", "", ExitError,
			".github/twokey.yml:4:9: brief.form names forms/brief.yml, which does not exist on main"},
		{"named by the input", "version: 1\n", "forms/brief.yml", ExitError,
			"form-path forms/brief.yml: no such file on main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.gh.SetFile(testRepo, "main", ".github/twokey.yml", tt.policy)
			h.gh.AddIssue(testRepo, 1, "t", "x", fakegithub.User("ann", 1), "brief")
			if tt.input != "" {
				h.env["INPUT_FORM_PATH"] = tt.input
			}
			code := h.run("issues", "issues.opened.json", patch())
			if code != tt.code || !strings.Contains(h.stdout.String()+h.stderr.String(), tt.want) {
				t.Errorf("Run = %d, stdout %q, stderr %q; want %d and %q", code, h.stdout.String(), h.stderr.String(), tt.code, tt.want)
			}
		})
	}
}

// A kind that lists users and a permission is warned about on its line.
func TestPolicyWarningAnnotated(t *testing.T) {
	h := newHarness(t)
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", "version: 1\nkinds:\n  usability: {users: [uma], permission: write}\nrequire: [{kinds: [usability]}]\nlink: {required: false}\n")
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: fakegithub.User("dev", 7), Head: sha1A})
	if code := h.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}); code != ExitOK {
		t.Fatalf("Run = %d\n%s%s", code, h.stdout.String(), h.stderr.String())
	}
	var line string
	for _, l := range strings.Split(h.stdout.String(), "\n") {
		if strings.HasPrefix(l, "::warning ") {
			line = l
		}
	}
	for _, want := range []string{"file=.github/twokey.yml", "line=3", "col=29", `::kind "usability" lists users and also permission: write`} {
		if !strings.Contains(line, want) {
			t.Errorf("warning annotation = %q, want it to contain %q\nstdout:\n%s", line, want, h.stdout.String())
		}
	}
}
