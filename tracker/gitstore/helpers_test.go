package gitstore

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twokey/twokey/tracker"
)

// gitRepo is a repository on disk driven by the real git binary, hermetic:
// its own HOME, no system config, fixed identities and dates (each command
// one minute after the previous), so object names are stable.
type gitRepo struct {
	t    *testing.T
	dir  string
	home string
	tick int
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not found")
	}
}

func newGitRepo(t *testing.T, bare bool) *gitRepo {
	t.Helper()
	needGit(t)
	g := &gitRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
	args := []string{"init", "-q", "-b", "main"}
	if bare {
		args = append(args, "--bare")
	}
	g.run(append(args, ".")...)
	return g
}

func (g *gitRepo) env() []string {
	date := epoch.Add(time.Duration(g.tick) * time.Minute).Format(time.RFC3339)
	return append(os.Environ(),
		"HOME="+g.home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(g.home, "gitconfig"),
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date, "GIT_EDITOR=true", "LC_ALL=C")
}

// run runs git in the repository and returns its trimmed stdout.
func (g *gitRepo) run(args ...string) string {
	g.t.Helper()
	return g.runIn(nil, args...)
}

func (g *gitRepo) runIn(stdin *strings.Reader, args ...string) string {
	g.t.Helper()
	return strings.TrimSpace(g.runRaw(stdin, args...))
}

// runRaw runs git with stdin and returns its stdout as it is.
func (g *gitRepo) runRaw(stdin *strings.Reader, args ...string) string {
	g.t.Helper()
	g.tick++
	full := append([]string{"-c", "user.name=Test Person", "-c", "user.email=person@example.com",
		"-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "gc.auto=0"}, args...)
	cmd := exec.Command("git", full...)
	cmd.Dir = g.dir
	cmd.Env = g.env()
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// commit writes file with content and commits it, returning the SHA.
func (g *gitRepo) commit(file, content, msg string) string {
	g.t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(g.dir, file)), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(g.dir, file), []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.run("add", file)
	g.run("commit", "-q", "-m", msg)
	return g.run("rev-parse", "HEAD")
}

// landings builds on main, with real git, the three ways a pull request
// lands plus a direct push, and returns the commit each left on main.
type landings struct {
	merge, squash, rebase, push string
	rebaseFirst                 string // the first of the rebase merge's two commits
}

func (g *gitRepo) buildLandings() landings {
	g.t.Helper()
	var l landings
	g.commit("index.html", "<h1>home</h1>\n", "Initial site")
	// A merge commit (GitHub "Create a merge commit").
	g.run("checkout", "-q", "-b", "pr-1")
	g.commit("about.html", "about\n", "Add the about page")
	g.run("checkout", "-q", "main")
	g.run("merge", "-q", "--no-ff", "-m", "Merge pull request #1 from acme/pr-1", "pr-1")
	l.merge = g.run("rev-parse", "HEAD")
	// A squash merge.
	g.run("checkout", "-q", "-b", "pr-2")
	g.commit("pricing.html", "pricing v1\n", "Pricing page")
	g.commit("pricing.html", "pricing v2\n", "Fix typo")
	g.run("checkout", "-q", "main")
	g.run("merge", "-q", "--squash", "pr-2")
	g.run("commit", "-q", "-m", "Pricing page (#2)")
	l.squash = g.run("rev-parse", "HEAD")
	// A rebase merge: the PR's two commits replayed on main.
	g.run("checkout", "-q", "-b", "pr-3", "HEAD~1")
	g.commit("contact.html", "contact\n", "Contact page")
	g.commit("contact.html", "contact form\n", "Contact form")
	g.run("rebase", "-q", "main")
	g.run("checkout", "-q", "main")
	g.run("merge", "-q", "--ff-only", "pr-3")
	l.rebase = g.run("rev-parse", "HEAD")
	l.rebaseFirst = g.run("rev-parse", "HEAD~1")
	// A direct push.
	l.push = g.commit("index.html", "<h1>home!</h1>\n", "Hotfix straight on main")
	return l
}

func mergeRecord(commit, head string, pr int, method string) tracker.Record {
	return tracker.Record{
		V: 1, Type: tracker.RecordMerge, Repo: "acme/site", PR: pr, Briefs: []int{pr + 10},
		Title: fmt.Sprintf("PR %d", pr), Base: "main", Head: head, Commit: commit,
		MergedBy: "maintainer", MergedAt: epoch.Add(time.Duration(pr) * time.Hour), Method: method,
		Required: []string{"usability", "backend"},
		Signoffs: []tracker.RecordSignoff{
			{Kind: "usability", Login: "ux", ID: 1, SHA: head, Via: "review", URL: "https://github.com/acme/site/pull/1#r1", At: epoch},
			{Kind: "backend", Login: "be", ID: 2, SHA: head, Via: "comment", URL: "https://github.com/acme/site/pull/1#c2", At: epoch},
		},
		Verdict: tracker.VerdictPass, Policy: "0123456789abcdef0123456789abcdef01234567",
	}
}

func fixedLocal(dir string) *Local {
	return &Local{Dir: dir, Now: func() time.Time { return epoch }}
}
