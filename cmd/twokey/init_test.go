package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/twokey/twokey/tracker"
)

// runInitCLI runs twokey with args in-process and returns its exit code,
// stdout and stderr.
func runInitCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(""),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(string) string { return "" },
		now:    func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	}
	code := runEnv(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// gitCmd runs the real git binary in dir with a fixed identity.
func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// wantScaffold is what init must write into a repository whose default
// branch is main (or unknown).
func wantScaffold() map[string]string {
	return map[string]string{
		".github/ISSUE_TEMPLATE/brief.yml": string(tracker.DefaultFormYAML),
		".github/twokey.yml":               string(tracker.DefaultPolicyYAML),
		".github/workflows/twokey.yml":     string(tracker.DefaultWorkflowYAML),
	}
}

// readTree returns every regular file under dir except .git, keyed by
// slash-separated relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			got[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestInitEmptyRepository(t *testing.T) {
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "main")

	code, stdout, stderr := runInitCLI(t, "init", "--dir", dir)
	if code != exitOK {
		t.Fatalf("twokey init = exit %d, want %d; stderr:\n%s", code, exitOK, stderr)
	}
	if stderr != "" {
		t.Errorf("twokey init in a git repository wrote to stderr:\n%s", stderr)
	}
	if diff := cmp.Diff(wantScaffold(), readTree(t, dir)); diff != "" {
		t.Errorf("files after twokey init: diff (-want +got)\n%s", diff)
	}
	for _, want := range []string{
		"wrote    " + filepath.Join(dir, ".github", "twokey.yml"),
		"wrote    " + filepath.Join(dir, ".github", "ISSUE_TEMPLATE", "brief.yml"),
		"wrote    " + filepath.Join(dir, ".github", "workflows", "twokey.yml"),
		"twokey/gate a required status check",
		"git add .github",
		"cannot read team membership",
		`"brief" label yourself`,
		`records direct pushes to "main"`,
		"twokey validate --policy .github/twokey.yml FILE",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("twokey init stdout lacks %q:\n%s", want, stdout)
		}
	}
	// git sees exactly the three new files, nothing else (no temporary files).
	status := gitCmd(t, dir, "status", "--porcelain", "--untracked-files=all")
	wantStatus := "?? .github/ISSUE_TEMPLATE/brief.yml\n?? .github/twokey.yml\n?? .github/workflows/twokey.yml\n"
	if status != wantStatus {
		t.Errorf("git status after init = %q, want %q", status, wantStatus)
	}
	// The scaffold is what a real repository commits.
	gitCmd(t, dir, "add", ".github")
	gitCmd(t, dir, "commit", "-q", "-m", "Add twokey")

	// The written form and policy are the ones twokey validate checks briefs with.
	form := filepath.Join(dir, ".github", "ISSUE_TEMPLATE", "brief.yml")
	policy := filepath.Join(dir, ".github", "twokey.yml")
	for _, tt := range []struct {
		brief string
		want  int
	}{
		{"../../examples/brief-complete.md", exitOK},
		{"../../examples/brief-incomplete.md", exitNotOK},
	} {
		code, stdout, stderr := runInitCLI(t, "validate", "--form", form, "--policy", policy, tt.brief)
		if code != tt.want {
			t.Errorf("twokey validate --form %s --policy %s %s = exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
				form, policy, tt.brief, code, tt.want, stdout, stderr)
		}
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "main")
	mine := filepath.Join(dir, ".github", "twokey.yml")
	if err := os.MkdirAll(filepath.Dir(mine), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, []byte("version: 1\n# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runInitCLI(t, "init", "--dir", dir)
	if code != exitError {
		t.Fatalf("twokey init over an existing policy = exit %d, want %d", code, exitError)
	}
	for _, want := range []string{"refusing to overwrite " + mine, "nothing was written", "--force"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("twokey init stderr lacks %q:\n%s", want, stderr)
		}
	}
	if stdout != "" {
		t.Errorf("twokey init refused but printed to stdout:\n%s", stdout)
	}
	want := map[string]string{".github/twokey.yml": "version: 1\n# mine\n"}
	if diff := cmp.Diff(want, readTree(t, dir)); diff != "" {
		t.Errorf("files after a refused init (nothing may be written): diff (-want +got)\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, ".github", "workflows")); err == nil {
		t.Errorf("a refused init created .github/workflows")
	}

	code, stdout, stderr = runInitCLI(t, "init", "--dir", dir, "--force")
	if code != exitOK {
		t.Fatalf("twokey init --force = exit %d, want %d; stderr:\n%s", code, exitOK, stderr)
	}
	if diff := cmp.Diff(wantScaffold(), readTree(t, dir)); diff != "" {
		t.Errorf("files after twokey init --force: diff (-want +got)\n%s", diff)
	}
	if want := "replaced " + mine; !strings.Contains(stdout, want) {
		t.Errorf("twokey init --force stdout lacks %q:\n%s", want, stdout)
	}

	// Every existing file is named, and a second run without --force is refused.
	code, _, stderr = runInitCLI(t, "init", "--dir", dir)
	if code != exitError {
		t.Fatalf("second twokey init = exit %d, want %d", code, exitError)
	}
	for path := range wantScaffold() {
		if name := filepath.Join(dir, filepath.FromSlash(path)); !strings.Contains(stderr, name) {
			t.Errorf("refusal does not name existing %s:\n%s", name, stderr)
		}
	}
}

func TestInitNotAGitRepository(t *testing.T) {
	dir := t.TempDir()
	if _, err := exec.Command("git", "-C", dir, "rev-parse", "--git-dir").Output(); err == nil {
		t.Skip("the temporary directory is inside a git repository")
	}
	code, _, stderr := runInitCLI(t, "init", "--dir", dir)
	if code != exitOK {
		t.Fatalf("twokey init outside git = exit %d, want %d (a warning, not a failure); stderr:\n%s", code, exitOK, stderr)
	}
	if want := "warning: " + dir + " is not inside a git repository"; !strings.Contains(stderr, want) {
		t.Errorf("twokey init outside git: stderr lacks %q:\n%s", want, stderr)
	}
	if diff := cmp.Diff(wantScaffold(), readTree(t, dir)); diff != "" {
		t.Errorf("files after twokey init outside git: diff (-want +got)\n%s", diff)
	}
}

// TestInitBelowTheTop: init into a folder inside a repository warns that
// GitHub reads .github/ only at the top, and names the top.
func TestInitBelowTheTop(t *testing.T) {
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "main")
	sub := filepath.Join(dir, "site")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runInitCLI(t, "init", "--dir", sub)
	if code != exitOK {
		t.Fatalf("twokey init --dir %s = exit %d, want %d (a warning); stderr:\n%s", sub, code, exitOK, stderr)
	}
	if want := "is not the top of its git repository"; !strings.Contains(stderr, want) || !strings.Contains(stderr, "--dir "+dir) {
		t.Errorf("stderr = %q, want a warning containing %q and the top %s", stderr, want, dir)
	}
}

// TestInitDefaultBranch proves that in a clone whose default branch is not
// main, the workflow records pushes to that branch and is otherwise the
// embedded one.
func TestInitDefaultBranch(t *testing.T) {
	origin := t.TempDir()
	gitCmd(t, origin, "init", "-q", "-b", "trunk")
	gitCmd(t, origin, "commit", "-q", "--allow-empty", "-m", "first")
	clone := filepath.Join(t.TempDir(), "clone")
	gitCmd(t, origin, "clone", "-q", origin, clone)

	code, stdout, stderr := runInitCLI(t, "init", "--dir", clone)
	if code != exitOK {
		t.Fatalf("twokey init = exit %d, want %d; stderr:\n%s", code, exitOK, stderr)
	}
	if strings.Contains(stdout, "records direct pushes to") {
		t.Errorf("init knew the default branch but still asked to check it:\n%s", stdout)
	}
	got, err := os.ReadFile(filepath.Join(clone, ".github", "workflows", "twokey.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On struct {
			Push struct {
				Branches []string `yaml:"branches"`
			} `yaml:"push"`
		} `yaml:"on"`
	}
	if err := yaml.Unmarshal(got, &wf); err != nil {
		t.Fatalf("written workflow is not YAML: %v", err)
	}
	if diff := cmp.Diff([]string{"trunk"}, wf.On.Push.Branches); diff != "" {
		t.Errorf("on.push.branches: diff (-want +got)\n%s", diff)
	}
	want := strings.Replace(string(tracker.DefaultWorkflowYAML), "branches: [main]", `branches: ["trunk"]`, 1)
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("workflow: diff (-want +got)\n%s", diff)
	}
}

func TestInitScaffoldBranchNames(t *testing.T) {
	tests := []struct {
		branch string
		want   []string
	}{
		{"", []string{"main"}},
		{"main", []string{"main"}},
		{"master", []string{"master"}},
		{"release/2026", []string{"release/2026"}},
		{`odd"name'#x`, []string{`odd"name'#x`}},
	}
	for _, tt := range tests {
		t.Run(tt.branch, func(t *testing.T) {
			files, err := initScaffold(tt.branch)
			if err != nil {
				t.Fatalf("initScaffold(%q): %v", tt.branch, err)
			}
			var wf struct {
				On struct {
					Push struct {
						Branches []string `yaml:"branches"`
					} `yaml:"push"`
				} `yaml:"on"`
			}
			if err := yaml.Unmarshal(files[2].data, &wf); err != nil {
				t.Fatalf("initScaffold(%q) workflow is not YAML: %v", tt.branch, err)
			}
			if diff := cmp.Diff(tt.want, wf.On.Push.Branches); diff != "" {
				t.Errorf("initScaffold(%q) on.push.branches: diff (-want +got)\n%s", tt.branch, diff)
			}
		})
	}
}

func TestInitBadUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing dir", []string{"init", "--dir", missing}, "--dir " + missing + ": no such directory"},
		{"dir is a file", []string{"init", "--dir", file}, "--dir " + file + ": not a directory"},
		{"argument", []string{"init", "somewhere"}, `unexpected argument "somewhere"`},
		{"unknown flag", []string{"init", "--frce"}, "unknown flag --frce; did you mean --force?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runInitCLI(t, tt.args...)
			if code != exitError {
				t.Errorf("twokey %s = exit %d, want %d", strings.Join(tt.args, " "), code, exitError)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("twokey %s: stderr lacks %q:\n%s", strings.Join(tt.args, " "), tt.want, stderr)
			}
		})
	}
}
