package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

func (g *auditRepo) record(commit string, rec tracker.Record) {
	g.t.Helper()
	l := gitstore.OpenLocal(g.dir)
	l.Now = func() time.Time { return auditEpoch }
	if err := l.AppendRecord(context.Background(), commit, rec); err != nil {
		g.t.Fatalf("AppendRecord(%s): %v", commit, err)
	}
}

func passRec(pr int, head string) tracker.Record {
	return tracker.Record{
		V: 1, Type: tracker.RecordMerge, Repo: "acme/site", PR: pr, Briefs: []int{pr + 100}, Base: "main", Head: head,
		MergedBy: "lead", MergedAt: auditEpoch, Required: []string{"usability", "backend"},
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
	g.record(shas["push"], tracker.Record{V: 1, Type: tracker.RecordPush, Repo: "acme/site", Commit: shas["push"],
		Base: "main", MergedBy: "ops", MergedAt: auditEpoch, Verdict: tracker.VerdictDirectPush})
	// A person's free-text note on the squash merge is a warning, not an error.
	g.git("notes", "--ref=twokey", "append", "-m", "looked fine to me", shas["squash"])

	since = g.git("log", "-1", "--format=%cI", shas["merge"])
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
	untilOK := g.git("log", "-1", "--format=%cI", shas["admin"])

	t.Run("ok range exits 0", func(t *testing.T) {
		code, out, _ := runAuditCmd(t, "--repo", g.dir, "--since", since, "--until", untilOK)
		if code != exitOK {
			t.Errorf("audit (merge..rebase) exit = %d, want 0\n%s", code, out)
		}
		if !strings.Contains(out, "3 commits on main: 3 ok, 0 no_record") {
			t.Errorf("audit summary = %q, want 3 ok", out)
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
		wantSummary := map[string]int{"ok": 3, "no_record": 1, "missing_signoff": 0, "stale_signoff": 0, "bypassed": 1, "direct_push": 1, "total": 6}
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

	for _, format := range []string{"text", "markdown"} {
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
