package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/internal/gitserver"
	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

var auditEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// auditRepo is a clone made with the real git binary, hermetic (own HOME, no
// system config, fixed identity, each command one minute after the last).
type auditRepo struct {
	t         *testing.T
	dir, home string
	tick      int
}

func (g *auditRepo) git(args ...string) string {
	g.t.Helper()
	g.tick++
	date := auditEpoch.Add(time.Duration(g.tick) * time.Minute).Format(time.RFC3339)
	cmd := exec.Command("git", append([]string{"-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), "HOME="+g.home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(g.home, "gitconfig"),
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date, "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func (g *auditRepo) commit(file, content, msg string) string {
	g.t.Helper()
	if err := os.WriteFile(filepath.Join(g.dir, file), []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.git("add", file)
	g.git("commit", "-q", "-m", msg)
	return g.git("rev-parse", "HEAD")
}

// commitDated commits as a pusher can: author and committer dates of their
// choosing.
func (g *auditRepo) commitDated(file, content, msg string, date time.Time) string {
	g.t.Helper()
	if err := os.WriteFile(filepath.Join(g.dir, file), []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.git("add", file)
	d := date.Format(time.RFC3339)
	cmd := exec.Command("git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false", "commit", "-q", "-m", msg)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), "HOME="+g.home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(g.home, "gitconfig"),
		"GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d, "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		g.t.Fatalf("git commit: %v\n%s", err, out)
	}
	return g.git("rev-parse", "HEAD")
}

func (g *auditRepo) record(commit string, rec tracker.Record) {
	g.t.Helper()
	l := gitstore.OpenLocal(g.dir)
	l.Now = func() time.Time { return auditEpoch }
	if err := l.AppendRecord(context.Background(), commit, rec); err != nil {
		g.t.Fatalf("AppendRecord(%s): %v", commit, err)
	}
}

// passRec is a passing record of pull request pr, merged pr hours after
// auditEpoch.
func passRec(pr int, head string) tracker.Record {
	return tracker.Record{
		V: 1, Type: tracker.RecordMerge, Repo: "acme/site", PR: pr, Briefs: []int{pr + 100}, Base: "main", Head: head,
		MergedBy: "lead", MergedAt: auditEpoch.Add(time.Duration(pr) * time.Hour), Required: []string{"usability", "backend"},
		Signoffs: []tracker.RecordSignoff{
			{Kind: "usability", Login: "ux", ID: 1, SHA: head, Via: "review"},
			{Kind: "backend", Login: "be", ID: 2, SHA: head, Via: "comment"},
		},
		Verdict: tracker.VerdictPass,
	}
}

// auditHistory builds main with, in order: an initial commit (no record), a
// merge commit, a squash merge and a rebase merge (each recorded as passing),
// an admin merge without sign-offs (bypassed), and a direct push.
func auditHistory(t *testing.T) (g *auditRepo, since string, shas map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not found")
	}
	g = &auditRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
	g.git("init", "-q", "-b", "main", ".")
	shas = map[string]string{}
	shas["initial"] = g.commit("index.html", "home\n", "Initial site")

	g.git("checkout", "-q", "-b", "pr-1")
	head1 := g.commit("about.html", "about\n", "About page")
	g.git("checkout", "-q", "main")
	g.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1 from acme/pr-1", "pr-1")
	shas["merge"] = g.git("rev-parse", "HEAD")
	g.record(shas["merge"], passRec(1, head1))

	g.git("checkout", "-q", "-b", "pr-2")
	head2 := g.commit("pricing.html", "pricing\n", "Pricing | plans")
	g.git("checkout", "-q", "main")
	g.git("merge", "-q", "--squash", "pr-2")
	g.git("commit", "-q", "-m", "Pricing page (#2)")
	shas["squash"] = g.git("rev-parse", "HEAD")
	g.record(shas["squash"], passRec(2, head2))

	g.git("checkout", "-q", "-b", "pr-3", "HEAD~1")
	g.commit("contact.html", "contact\n", "Contact page")
	g.git("rebase", "-q", "main")
	head3 := g.git("rev-parse", "HEAD")
	g.git("checkout", "-q", "main")
	g.git("merge", "-q", "--ff-only", "pr-3")
	shas["rebase"] = head3
	g.record(shas["rebase"], passRec(3, head3))

	shas["admin"] = g.commit("jobs.html", "jobs\n", "Jobs page (#4)")
	adm := passRec(4, shas["admin"])
	adm.Verdict, adm.Signoffs, adm.Reason = tracker.VerdictBypassed, nil, "launch deadline"
	g.record(shas["admin"], adm)

	shas["push"] = g.commit("index.html", "home!\n", "Hotfix straight on main")
	// A push record's time is the commit's, which the pusher sets: never
	// trusted for ranges.
	g.record(shas["push"], tracker.Record{V: 1, Type: tracker.RecordPush, Repo: "acme/site", Commit: shas["push"],
		Base: "main", MergedBy: "ops", MergedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Verdict: tracker.VerdictDirectPush})
	// A person's free-text note on the squash merge is a warning, not an error.
	g.git("notes", "--ref=twokey", "append", "-m", "looked fine to me", shas["squash"])

	since = auditEpoch.Add(time.Hour).Format(time.RFC3339) // when #1 landed
	return g, since, shas
}

func runAuditCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }, now: func() time.Time { return auditEpoch.Add(24 * time.Hour) }}
	code = runEnv(context.Background(), e, append([]string{"audit"}, args...))
	return code, out.String(), errb.String()
}

func TestAuditCommand(t *testing.T) {
	g, since, shas := auditHistory(t)
	// The three ways a pull request lands are ok; git shows their records.
	for _, k := range []string{"merge", "squash", "rebase"} {
		if out := g.git("log", "-1", "--notes=twokey", "--format=%N", shas[k]); !strings.Contains(out, `"verdict":"pass"`) {
			t.Errorf("git log --notes=twokey %s (%s) = %q, want the record", k, shas[k], out)
		}
	}
	untilOK := auditEpoch.Add(4 * time.Hour).Format(time.RFC3339) // when #4 landed

	t.Run("ok range exits 0", func(t *testing.T) {
		// #2 and #3 landed in [#2, #4); #1 landed before: the walk stops
		// there.
		from := auditEpoch.Add(2 * time.Hour).Format(time.RFC3339)
		code, out, _ := runAuditCmd(t, "--repo", g.dir, "--since", from, "--until", untilOK)
		if code != exitOK {
			t.Errorf("audit (squash..rebase) exit = %d, want 0\n%s", code, out)
		}
		if !strings.Contains(out, "2 commits on main: 2 ok, 0 no_record") || !strings.Contains(out, "stopped at ff3ba2cf7f0c (landed 2026-03-01T13:00:00Z, before the range)") {
			t.Errorf("audit summary = %q, want 2 ok and the walk stopped at #1", out)
		}
	})
	t.Run("the commits below the oldest record may have landed with it", func(t *testing.T) {
		code, out, _ := runAuditCmd(t, "--repo", g.dir, "--since", since, "--until", untilOK)
		if code != exitNotOK || !strings.Contains(out, "4 commits on main: 3 ok, 1 no_record") {
			t.Errorf("audit [#1, #4) = exit %d, %q; want 3 ok and the initial commit", code, out)
		}
	})

	t.Run("json", func(t *testing.T) {
		code, out, stderr := runAuditCmd(t, "--repo", g.dir, "--json")
		if code != exitNotOK {
			t.Errorf("audit --json exit = %d, want 1; stderr %s", code, stderr)
		}
		var got struct {
			Ref     string         `json:"ref"`
			Summary map[string]int `json:"summary"`
			Entries []struct {
				Commit, Class string
				PR            int
			}
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("audit --json output is not JSON: %v\n%s", err, out)
		}
		wantSummary := map[string]int{"ok": 3, "no_record": 1, "invalid_record": 0, "missing_signoff": 0, "stale_signoff": 0, "bypassed": 1, "direct_push": 1, "unverified": 0, "total": 6}
		if diff := cmp.Diff(wantSummary, got.Summary); diff != "" {
			t.Errorf("summary diff (-want +got):\n%s", diff)
		}
		classes := map[string]string{}
		for _, en := range got.Entries {
			classes[en.Commit] = en.Class
		}
		want := map[string]string{shas["initial"]: "no_record", shas["merge"]: "ok", shas["squash"]: "ok", shas["rebase"]: "ok", shas["admin"]: "bypassed", shas["push"]: "direct_push"}
		if diff := cmp.Diff(want, classes); diff != "" {
			t.Errorf("classes diff (-want +got):\n%s", diff)
		}
		if got.Ref != "main" {
			t.Errorf("ref = %q, want main", got.Ref)
		}
		if !strings.Contains(stderr, "not twokey records") {
			t.Errorf("stderr = %q, want a warning about the free-text line", stderr)
		}
	})

	for _, format := range auditFormats {
		t.Run(format, func(t *testing.T) {
			code, out, _ := runAuditCmd(t, "--repo", g.dir, "--format", format)
			if code != exitNotOK {
				t.Errorf("audit --format %s exit = %d, want 1", format, code)
			}
			golden := filepath.Join("testdata", "audit."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestAuditCommand -update)", err)
			}
			if diff := cmp.Diff(string(want), out); diff != "" {
				t.Errorf("audit --format %s diff (-want +got):\n%s", format, diff)
			}
		})
	}
}

func TestAuditFetch(t *testing.T) {
	up, _, shas := auditHistory(t)
	down := &auditRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
	down.git("clone", "-q", up.dir, ".")
	code, _, stderr := runAuditCmd(t, "--repo", down.dir, "--json")
	if code != exitNotOK || !strings.Contains(stderr, "git fetch origin refs/notes/twokey:refs/notes/twokey") {
		t.Errorf("audit without notes: exit %d, stderr %q; want 1 and a hint to fetch them", code, stderr)
	}
	code, out, stderr := runAuditCmd(t, "--repo", down.dir, "--json", "--fetch", "origin")
	if code != exitNotOK || !strings.Contains(out, `"ok":3`) || !strings.Contains(stderr, "updated refs/notes/twokey") {
		t.Errorf("audit --fetch origin: exit %d, out %.200s, stderr %q", code, out, stderr)
	}
	if got := down.git("notes", "--ref=twokey", "show", shas["merge"]); !strings.Contains(got, `"pr":1`) {
		t.Errorf("after --fetch, git notes show = %q", got)
	}
}

func TestAuditErrors(t *testing.T) {
	g, _, _ := auditHistory(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not a repo", []string{"--repo", t.TempDir()}, "not a git repository"},
		{"unknown ref", []string{"--repo", g.dir, "--ref", "nope"}, "not a branch"},
		{"bad format", []string{"--repo", g.dir, "--format", "xml"}, "unknown --format"},
		{"bad date", []string{"--repo", g.dir, "--since", "yesterday"}, "YYYY-MM-DD"},
		{"json and format", []string{"--repo", g.dir, "--json", "--format", "text"}, "disagree"},
		{"backwards range", []string{"--repo", g.dir, "--since", "2026-03-02", "--until", "2026-03-01"}, "not before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runAuditCmd(t, tt.args...)
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("audit %v = exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
			}
		})
	}
}

// TestAuditBackdatedPush: a direct push dated 2020 at the tip of main, with
// or without a record, stays in --since 2026-01-01, and the report says how
// it chose the commits.
func TestAuditBackdatedPush(t *testing.T) {
	g, _, _ := auditHistory(t)
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	sneaky := g.commitDated("index.html", "home?\n", "Backdated fix", old)
	if got := g.git("log", "--first-parent", "--since", "2026-01-01", "--format=%H", "main"); strings.Contains(got, sneaky) {
		t.Fatalf("git log --since keeps the backdated commit: the test does not test anything")
	}
	code, out, _ := runAuditCmd(t, "--repo", g.dir, "--since", "2026-01-01", "--json")
	if code != exitNotOK {
		t.Errorf("exit %d, want 1", code)
	}
	var rep struct {
		Entries []struct{ Commit, Class string }
		Range   tracker.AuditRange
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Entries) != 7 || rep.Entries[0].Commit != sneaky || rep.Entries[0].Class != "no_record" {
		t.Errorf("entries = %+v, want 7 with the backdated push first, no_record", rep.Entries)
	}
	if rep.Range.Rule != tracker.RangeRule || rep.Range.Since != "2026-01-01" || rep.Range.From == nil || !rep.Range.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("range = %+v, want as given, resolved, and the rule", rep.Range)
	}
}

// TestAuditEmptyRange: a range in which nothing landed says so in every
// format, never "Every commit is ok.", and exits 1.
func TestAuditEmptyRange(t *testing.T) {
	g, _, _ := auditHistory(t)
	for _, format := range auditFormats {
		code, out, stderr := runAuditCmd(t, "--repo", g.dir, "--since", "2030-01-01", "--format", format)
		if code != exitNotOK {
			t.Errorf("--format %s: exit %d, want 1", format, code)
		}
		if strings.Contains(out, "Every commit is ok") || !strings.Contains(out, "nothing to audit") && !strings.Contains(out, "Nothing to audit") {
			t.Errorf("--format %s: output does not say there was nothing to audit:\n%s", format, out)
		}
		if !strings.Contains(stderr, "nothing to audit") {
			t.Errorf("--format %s: stderr = %q", format, stderr)
		}
	}
}

// TestAuditWarningsTravel: "no notes were fetched" and its fix are in the
// json, jsonl, csv and markdown reports, not only on stderr.
func TestAuditWarningsTravel(t *testing.T) {
	up, _, _ := auditHistory(t)
	down := &auditRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
	down.git("clone", "-q", up.dir, ".")
	for _, format := range auditFormats {
		_, out, _ := runAuditCmd(t, "--repo", down.dir, "--format", format)
		if !strings.Contains(out, "no notes were fetched") || !strings.Contains(out, "git fetch origin refs/notes/twokey:refs/notes/twokey") {
			t.Errorf("--format %s: the report lacks the warning and its fix:\n%s", format, out)
		}
	}
}

// TestAuditFetchCredentials: a --fetch URL with credentials is never shown
// with them, whether the fetch works or fails.
func TestAuditFetchCredentials(t *testing.T) {
	up, _, _ := auditHistory(t)
	root := t.TempDir()
	up.git("clone", "-q", "--bare", up.dir, filepath.Join(root, "site.git"))
	up.git("-C", filepath.Join(root, "site.git"), "fetch", "-q", up.dir, "refs/notes/twokey:refs/notes/twokey")
	srv, _ := gitserver.Serve(t, root, up.home, "s3cr3t-token")
	u, err := url.Parse(srv)
	if err != nil {
		t.Fatal(err)
	}
	down := &auditRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
	down.git("init", "-q", ".")
	down.git("fetch", "-q", up.dir, "main:main")
	for _, tt := range []struct{ token, name string }{{"s3cr3t-token", "works"}, {"wr0ng-token", "fails"}} {
		t.Run(tt.name, func(t *testing.T) {
			remote := "http://x-access-token:" + tt.token + "@" + u.Host + "/site.git"
			code, out, stderr := runAuditCmd(t, "--repo", down.dir, "--ref", "main", "--fetch", remote, "--json")
			if strings.Contains(out+stderr, tt.token) {
				t.Errorf("the token is shown:\nstdout %.300s\nstderr %s", out, stderr)
			}
			if tt.name == "works" {
				if code != exitNotOK || !strings.Contains(out, `"notes_fetched_from":"http://`+u.Host+`/site.git"`) || !strings.Contains(stderr, "updated refs/notes/twokey from http://"+u.Host) {
					t.Errorf("exit %d, stdout %.400s, stderr %s; want the notes fetched from the URL without credentials", code, out, stderr)
				}
			} else if code != exitError {
				t.Errorf("exit %d, want 2; stderr %s", code, stderr)
			}
			// twokey report fetches the same way.
			_, out, stderr = runReportCmd(t, nil, "--repo", down.dir, "--ref", "main", "--fetch", remote, "--format", "json")
			if strings.Contains(out+stderr, tt.token) {
				t.Errorf("report: the token is shown:\nstdout %.300s\nstderr %s", out, stderr)
			}
		})
	}
}

// TestAuditHeader: the report says what it audited, at which commits, by
// which twokey, when, and that it was not verified.
func TestAuditHeader(t *testing.T) {
	g, _, _ := auditHistory(t)
	_, out, _ := runAuditCmd(t, "--repo", g.dir, "--format", "jsonl")
	first, _, _ := strings.Cut(out, "\n")
	var h struct {
		Type string `json:"type"`
		tracker.AuditHeader
	}
	if err := json.Unmarshal([]byte(first), &h); err != nil {
		t.Fatal(err)
	}
	want := tracker.AuditHeader{Twokey: twokeyVersion(), GeneratedAt: auditEpoch.Add(24 * time.Hour), Ref: "main", RefSHA: g.git("rev-parse", "main"),
		NotesRef: "refs/notes/twokey", NotesSHA: g.git("rev-parse", "refs/notes/twokey"),
		Verification: "not verified: the records were read offline and not checked against GitHub (run with --verify)"}
	if diff := cmp.Diff(want, h.AuditHeader); diff != "" || h.Type != "header" {
		t.Errorf("jsonl header %q (-want +got):\n%s", h.Type, diff)
	}
}

// TestAuditVerify: forged notes pass offline and are unverified under
// --verify, each with what GitHub contradicts: a passing record appended to
// a direct push, a record naming a pull request that never existed, and
// signers who never signed. The genuine merge stays ok. One GraphQL request
// reads the four pull requests.
func TestAuditVerify(t *testing.T) {
	g := &auditRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not found")
	}
	g.git("init", "-q", "-b", "main", ".")
	g.commit("index.html", "home\n", "Initial site")
	g.git("checkout", "-q", "-b", "pr-1")
	head1 := g.commit("about.html", "about\n", "About page")
	g.git("checkout", "-q", "main")
	g.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr-1")
	merge1 := g.git("rev-parse", "HEAD")
	push := g.commit("index.html", "home!\n", "Hotfix straight on main")
	ghost := g.commit("ghost.html", "boo\n", "Ghost page (#99)")
	unsigned := g.commit("jobs.html", "jobs\n", "Jobs page (#3)")

	mergedAt := auditEpoch.Add(time.Hour)
	gh := fakegithub.New(t)
	gh.SetNow(func() time.Time { return mergedAt })
	lead := fakegithub.User("lead", 1)
	gh.AddPull("acme/site", fakegithub.Pull{Number: 1, Head: head1, Merged: true, MergedBy: lead, Merge: merge1})
	gh.AddReview("acme/site", 1, fakegithub.User("ux", 2), "APPROVED", "", head1)
	gh.AddComment("acme/site", 1, fakegithub.User("be", 3), "/signoff backend")
	gh.AddPull("acme/site", fakegithub.Pull{Number: 2, Head: headA, Merged: true, MergedBy: lead, Merge: "c0ffee0000000000000000000000000000000000"})
	gh.AddPull("acme/site", fakegithub.Pull{Number: 3, Head: unsigned, Merged: true, MergedBy: lead, Merge: unsigned})
	for _, h := range []string{head1, headA, unsigned} {
		gh.SetStatus("acme/site", h, "twokey/gate", "success", fakegithub.User("twokey[bot]", 9))
	}

	rec := func(pr int, head string) tracker.Record {
		r := passRec(pr, head)
		r.Briefs, r.MergedAt = nil, mergedAt
		return r
	}
	g.record(merge1, rec(1, head1))
	g.record(push, tracker.Record{V: 1, Type: tracker.RecordPush, Repo: "acme/site", Commit: push, Base: "main", MergedBy: "ops", MergedAt: mergedAt, Verdict: tracker.VerdictDirectPush})
	g.record(push, rec(2, headA)) // forged: #2 was merged elsewhere
	g.record(ghost, rec(99, ghost))
	g.record(unsigned, rec(3, unsigned))

	vars := map[string]string{"GITHUB_API_URL": gh.URL, "GH_TOKEN": "gho_test", "GITHUB_REPOSITORY": "acme/site"}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
			getenv: func(k string) string { return vars[k] }, now: func() time.Time { return auditEpoch.Add(24 * time.Hour) }}
		code := runEnv(context.Background(), e, append([]string{"audit", "--repo", g.dir}, args...))
		return code, out.String(), errb.String()
	}
	type row struct{ Commit, Class, Verified string }
	classes := func(out string) (rows []row, details map[string][]string, head tracker.AuditHeader, requests int) {
		var rep struct {
			tracker.AuditHeader
			Entries []tracker.AuditEntry `json:"entries"`
			tracker.AuditFooter
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		details = map[string][]string{}
		for _, e := range rep.Entries[:4] {
			rows = append(rows, row{e.Commit, string(e.Class), e.Verified})
			details[e.Commit] = e.Details
		}
		return rows, details, rep.AuditHeader, rep.Requests
	}

	code, out, _ := run("--json")
	offline, _, h, _ := classes(out)
	want := []row{{unsigned, "ok", "offline"}, {ghost, "ok", "offline"}, {push, "ok", "offline"}, {merge1, "ok", "offline"}}
	if diff := cmp.Diff(want, offline); diff != "" || h.Verified {
		t.Errorf("offline audit: the forgeries should pass, unverified (verified %v) (-want +got):\n%s", h.Verified, diff)
	}
	if code != exitNotOK { // the initial commit has no record
		t.Errorf("offline exit %d, want 1", code)
	}
	if len(gh.Requests()) != 0 {
		t.Errorf("the offline audit asked GitHub: %v", gh.Requests())
	}

	code, out, stderr := run("--json", "--verify")
	online, details, h, requests := classes(out)
	want = []row{{unsigned, "unverified", "contradicted"}, {ghost, "unverified", "contradicted"}, {push, "unverified", "contradicted"}, {merge1, "ok", "verified"}}
	if diff := cmp.Diff(want, online); diff != "" {
		t.Errorf("--verify (-want +got):\n%s\nstderr %s", diff, stderr)
	}
	if code != exitNotOK || !h.Verified || requests != 1 || len(gh.Requests()) != 1 {
		t.Errorf("--verify: exit %d, verified %v, %d requests counted, %d received; want 1, true, 1, 1", code, h.Verified, requests, len(gh.Requests()))
	}
	for commit, want := range map[string]string{
		push:     "GitHub says #2 was merged as c0ffee000000, not this commit",
		ghost:    "GitHub has no pull request #99 in acme/site",
		unsigned: "GitHub has no review by ux on " + unsigned[:12] + " of #3 for the usability sign-off",
	} {
		if d := details[commit]; len(d) == 0 || d[0] != want {
			t.Errorf("details of %s = %q, want first %q", commit[:12], d, want)
		}
	}

	vars = map[string]string{"GITHUB_API_URL": gh.URL, "GITHUB_REPOSITORY": "acme/site"}
	saved := ghAuthToken
	ghAuthToken = func(context.Context, string) string { return "" }
	defer func() { ghAuthToken = saved }()
	if code, _, stderr := run("--verify"); code != exitError || !strings.Contains(stderr, "--verify needs a token") {
		t.Errorf("--verify without a token: exit %d, stderr %q", code, stderr)
	}
}

// TestAuditDocs: docs/audit.md names every class, every csv column and every
// field of the json schema, and its workflow is YAML whose audit step uses
// flags the command has.
func TestAuditDocs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, c := range tracker.AuditClasses {
		if !strings.Contains(doc, "| `"+string(c)+"` |") {
			t.Errorf("docs/audit.md does not describe class %s", c)
		}
	}
	for _, col := range auditCSVColumns {
		if !strings.Contains(doc, col) {
			t.Errorf("docs/audit.md does not name csv column %s", col)
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[tracker.AuditHeader](), reflect.TypeFor[tracker.AuditEntry](),
		reflect.TypeFor[tracker.AuditFooter](), reflect.TypeFor[tracker.AuditRange](), reflect.TypeFor[tracker.AuditKey]()} {
		for f := range typ.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && !strings.Contains(doc, "`"+name+"`") {
				t.Errorf("docs/audit.md does not name %s field %s", typ.Name(), name)
			}
		}
	}
	_, block, ok := strings.Cut(doc, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	var wf struct {
		Jobs map[string]struct {
			Steps []struct{ Run string }
		}
	}
	if err := yaml.Unmarshal([]byte(block), &wf); !ok || err != nil || len(wf.Jobs["audit"].Steps) == 0 {
		t.Fatalf("docs/audit.md workflow: %v (found %v)", err, ok)
	}
	for _, s := range wf.Jobs["audit"].Steps {
		if !strings.Contains(s.Run, "twokey audit") {
			continue
		}
		for _, f := range strings.Fields(s.Run) {
			if strings.HasPrefix(f, "--") && !strings.Contains(auditUsage, f+" ") {
				t.Errorf("the docs' workflow passes %s, which twokey audit does not have", f)
			}
		}
	}
}

// TestAuditVerifyForeignRecord (attack2): mallory merges a pull request in
// a repository of her own (two accounts of hers sign it), pushes the merge
// commit GitHub made there straight to acme/site's main, and writes the
// other repository's record on it. GitHub agrees with every field of that
// record, so --verify passed it; the record must be of the repository
// audited, which --github-repo, the clone's origin or $GITHUB_REPOSITORY
// names, and --verify without one is refused.
func TestAuditVerifyForeignRecord(t *testing.T) {
	g := &auditRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not found")
	}
	g.git("init", "-q", "-b", "main", ".")
	g.commit("index.html", "home\n", "Initial site")
	g.git("checkout", "-q", "-b", "evil")
	head := g.commit("pay.js", "steal()\n", "Payments tweak")
	g.git("checkout", "-q", "main")
	g.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1 from mallory/evil", "evil")
	merge := g.git("rev-parse", "HEAD")

	mergedAt := auditEpoch.Add(time.Hour)
	gh := fakegithub.New(t)
	gh.SetNow(func() time.Time { return mergedAt })
	gh.Repo("acme/site")
	gh.AddPull("mallory/site", fakegithub.Pull{Number: 1, Head: head, Merged: true, MergedBy: fakegithub.User("lead", 1), Merge: merge})
	gh.AddReview("mallory/site", 1, fakegithub.User("ux", 2), "APPROVED", "", head)
	gh.AddComment("mallory/site", 1, fakegithub.User("be", 3), "/signoff backend")
	rec := passRec(1, head)
	rec.Repo, rec.Briefs, rec.MergedAt = "mallory/site", nil, mergedAt
	g.record(merge, rec)

	run := func(vars map[string]string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
			getenv: func(k string) string { return vars[k] }, now: func() time.Time { return auditEpoch.Add(24 * time.Hour) }}
		code := runEnv(context.Background(), e, append([]string{"audit", "--repo", g.dir, "--json", "--verify", "--since", auditEpoch.Add(30 * time.Minute).Format(time.RFC3339)}, args...))
		return code, out.String(), errb.String()
	}
	vars := map[string]string{"GITHUB_API_URL": gh.URL, "GH_TOKEN": "gho_test"}
	for _, tt := range []struct {
		name string
		vars map[string]string
		args []string
	}{
		{"flag", vars, []string{"--github-repo", "acme/site"}},
		{"env", map[string]string{"GITHUB_API_URL": gh.URL, "GH_TOKEN": "gho_test", "GITHUB_REPOSITORY": "acme/site"}, nil},
	} {
		code, out, stderr := run(tt.vars, tt.args...)
		var rep struct {
			Entries []tracker.AuditEntry `json:"entries"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: %v\n%s\n%s", tt.name, err, out, stderr)
		}
		if code != exitNotOK || len(rep.Entries) == 0 || rep.Entries[0].Class != tracker.ClassUnverified ||
			!strings.Contains(strings.Join(rep.Entries[0].Details, "\n"), "names repository mallory/site, not acme/site") {
			t.Errorf("%s: exit %d, entries %+v; want 1 and the merge unverified, naming both repositories", tt.name, code, rep.Entries)
		}
	}
	if code, _, stderr := run(vars); code != exitError || !strings.Contains(stderr, "--github-repo OWNER/NAME") {
		t.Errorf("--verify without the repository: exit %d, stderr %q; want 2 asking for --github-repo", code, stderr)
	}
	g.git("remote", "add", "origin", "git@github.com:acme/site.git")
	if code, out, _ := run(vars); code != exitNotOK || !strings.Contains(out, "names repository mallory/site, not acme/site") {
		t.Errorf("origin names acme/site: exit %d, out %.300s", code, out)
	}
}
