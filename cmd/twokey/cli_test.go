package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/twokey/twokey/tracker"
)

func TestNearest(t *testing.T) {
	cmds := commandNames()
	tests := []struct {
		name       string
		candidates []string
		want       string
	}{
		{"valdate", cmds, "validate"},
		{"vaildate", cmds, "validate"}, // two letters swapped
		{"chek", cmds, "check"},
		{"audti", cmds, "audit"},
		{"val", cmds, "validate"}, // the only command it starts
		{"explian", cmds, "explain"},
		{"frobnicate", cmds, ""},
		{"x", cmds, ""},
		{"from", []string{"form", "policy", "json", "filed"}, "form"},
		{"frce", []string{"dir", "force"}, "force"},
		{"polciy", []string{"form", "policy", "json", "filed"}, "policy"},
		{"pr", []string{"pr", "repo", "policy-path"}, "pr"},
	}
	for _, tt := range tests {
		if got := nearest(tt.name, tt.candidates); got != tt.want {
			t.Errorf("nearest(%q, %q) = %q, want %q", tt.name, tt.candidates, got, tt.want)
		}
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"valdate", "brief.md"}, "twokey: unknown command \"valdate\"; did you mean validate?\nRun 'twokey help' for the list of commands.\n"},
		{[]string{"help", "chek"}, "twokey: unknown command \"chek\"; did you mean check?\nRun 'twokey help' for the list of commands.\n"},
		{[]string{"frobnicate"}, "twokey: unknown command \"frobnicate\"\nRun 'twokey help' for the list of commands.\n"},
		{[]string{"--verison"}, "twokey: unknown command \"--verison\"; did you mean version?\nRun 'twokey help' for the list of commands.\n"},
		{[]string{"help", "validate", "x"}, "twokey help: unexpected argument \"x\"; help takes one command\nRun 'twokey help' for the list of commands.\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCmd(t, "", tt.args...)
		if code != exitError || stdout != "" || stderr != tt.want {
			t.Errorf("twokey %q = exit %d, stdout %q, stderr %q; want exit 2 and stderr %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
}

// TestUsageErrorsAreOneLine: every command answers a mistake in how it was
// called with one line and where to read the usage, never the whole usage,
// and an unknown flag with the nearest flag it has.
func TestUsageErrorsAreOneLine(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", c.name, "--nope")
			want := "twokey " + c.name + ": unknown flag --nope\nRun 'twokey help " + c.name + "' for its usage.\n"
			if code != exitError || stdout != "" || stderr != want {
				t.Errorf("twokey %s --nope = exit %d, stdout %q, stderr %q; want exit 2 and %q", c.name, code, stdout, stderr, want)
			}
		})
	}
	code, _, stderr := runCmd(t, "", "audit", "--sinse", "2026-01-01")
	if want := "twokey audit: unknown flag --sinse; did you mean --since?\n"; code != exitError || !strings.HasPrefix(stderr, want) {
		t.Errorf("twokey audit --sinse = exit %d, stderr %q; want exit 2 and %q", code, stderr, want)
	}
	// A flag's value that looks like a flag is its value, not an unknown flag.
	code, _, stderr = runCmd(t, "", "validate", "--filed", "-x")
	if code != exitError || !strings.Contains(stderr, `--filed "-x" is not a date`) {
		t.Errorf("twokey validate --filed -x = exit %d, stderr %q; want the date error", code, stderr)
	}
}

// TestExtraArgumentsAreUsageErrors: an argument a command does not take is
// a usage error, for every command that takes a fixed number.
func TestExtraArgumentsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "a.md", "b.md"},
		{"form", "x"},
		{"form", "--body", "x"},
		{"policy", "x"},
		{"policy", "--check", "a.yml", "b.yml"},
		{"check", "--pr", "1", "x"},
		{"audit", "main"},
		{"init", "x"},
		{"action", "x"},
		{"version", "x"},
		{"help", "validate", "x"},
	} {
		code, stdout, stderr := runCmd(t, "", args...)
		if code != exitError || stdout != "" || strings.Count(stderr, "\n") != 2 || !strings.Contains(stderr, "Run 'twokey help") {
			t.Errorf("twokey %q = exit %d, stdout %q, stderr %q; want exit 2 and a one-line usage error", args, code, stdout, stderr)
		}
	}
}

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.1",
		Main:      debug.Module{Path: "github.com/twokey/twokey", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0d1da7f3c0ffee"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name     string
		released string
		bi       *debug.BuildInfo
		want     string
	}{
		{"go install", "", bi, "twokey v1.2.3\ncommit:   0d1da7f3c0ffee (modified), 2026-01-02T03:04:05Z\ngo:       go1.26.1\nplatform: linux/arm64\n"},
		{"release", "v2.0.0", bi, "twokey v2.0.0\ncommit:   0d1da7f3c0ffee (modified), 2026-01-02T03:04:05Z\ngo:       go1.26.1\nplatform: linux/arm64\n"},
		{"no build info", "", nil, "twokey (devel)\ncommit:   unknown (built without version control information)\ngo:       " + runtime.Version() + "\nplatform: linux/arm64\n"},
	}
	for _, tt := range tests {
		if got := versionText(tt.released, tt.bi, "linux/arm64"); got != tt.want {
			t.Errorf("%s: versionText = %q, want %q", tt.name, got, tt.want)
		}
	}
	code, stdout, stderr := runCmd(t, "", "version")
	if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "twokey ") ||
		!strings.Contains(stdout, "\nplatform: "+runtime.GOOS+"/"+runtime.GOARCH+"\n") || !strings.Contains(stdout, "\ngo:       go1.") {
		t.Errorf("twokey version = exit %d, stdout %q, stderr %q; want the version, Go version and %s/%s", code, stdout, stderr, runtime.GOOS, runtime.GOARCH)
	}
}

func TestFormBody(t *testing.T) {
	code, stdout, stderr := runCmd(t, "", "form", "--body")
	if code != exitOK || stderr != "" {
		t.Fatalf("twokey form --body = exit %d, stderr %q", code, stderr)
	}
	checkGolden(t, filepath.Join("testdata", "form-body.md"), stdout)
	// The blank brief is a brief of the form: validate finds only questions
	// to answer and boxes to check, none of them missing a section.
	code, out, _ := runCmd(t, stdout, "validate", "--json")
	var got briefJSON
	if err := json.Unmarshal([]byte(out), &got); code != exitNotOK || err != nil {
		t.Fatalf("twokey form --body | twokey validate --json = exit %d (%v), want 1:\n%s", code, err, out)
	}
	if len(got.Fields) != len(tracker.DefaultForm().Fields) {
		t.Errorf("validate read %d fields of the blank brief, want %d", len(got.Fields), len(tracker.DefaultForm().Fields))
	}
	for _, fd := range got.Findings {
		if fd.Rule == tracker.RuleMissingSection || fd.Rule == tracker.RulePlaceholder {
			t.Errorf("the blank brief has a %s finding: %+v", fd.Rule, fd)
		}
	}

	form := filepath.Join("..", "..", "tracker", "testdata", "forms", "ollama__ollama__10_bug_report.yml")
	code, stdout, stderr = runCmd(t, "", "form", "--body", "--form", form)
	if code != exitOK || stderr != "" || !strings.Contains(stdout, "### Relevant log output\n\n```shell\n\n```") {
		t.Errorf("twokey form --body --form ollama = exit %d, stderr %q, stdout:\n%s\nwant the render field's empty code block", code, stderr, stdout)
	}
	if code, _, stderr := runCmd(t, "", "form", "--form", form); code != exitError || !strings.Contains(stderr, "--form FILE goes with --body") {
		t.Errorf("twokey form --form FILE = exit %d, stderr %q; want a usage error", code, stderr)
	}
}

// policyRepo makes a repository-like directory (a .git directory marks its
// top) holding the default form and the given policy, and changes into it.
func policyRepo(t *testing.T, policy string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, ".github/ISSUE_TEMPLATE/brief.yml", string(tracker.DefaultFormYAML))
	if policy != "" {
		writeFile(t, dir, ".github/twokey.yml", policy)
	}
	t.Chdir(dir)
	return dir
}

func TestPolicyCheck(t *testing.T) {
	t.Run("the default", func(t *testing.T) {
		dir := policyRepo(t, string(tracker.DefaultPolicyYAML))
		writeFile(t, dir, "sub/x", "")
		t.Chdir(filepath.Join(dir, "sub")) // the default file is found from the top
		code, stdout, stderr := runCmd(t, "", "policy", "--check")
		want := filepath.Join(dir, ".github", "twokey.yml") + ": ok: 3 kinds (usability, backend, vendor), 3 require rules, 7 brief rules; the form asks 11 questions\n"
		if code != exitOK || stdout != want {
			t.Errorf("twokey policy --check = exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, want)
		}
		if !strings.Contains(stderr, "form "+filepath.Join(dir, ".github", "ISSUE_TEMPLATE", "brief.yml")) {
			t.Errorf("twokey policy --check does not say which form it used: stderr %q", stderr)
		}
	})
	t.Run("a rule naming a field the form lacks", func(t *testing.T) {
		policyRepo(t, "version: 1\nbrief:\n  rules:\n    - field: budget\n      min_words: 2\n      why: money\n")
		code, stdout, stderr := runCmd(t, "", "policy", "--check", ".github/twokey.yml")
		want := ".github/twokey.yml:4:7: brief rule 1 names the field \"budget\", which the form"
		if code != exitNotOK || stdout != "" || !strings.Contains(stderr, want) || !strings.Contains(stderr, "    - field: budget\n") || !strings.Contains(stderr, "^") {
			t.Errorf("twokey policy --check = exit %d, stdout %q, stderr %q; want 1 and %q with the line and a caret", code, stdout, stderr, want)
		}
	})
	t.Run("not YAML", func(t *testing.T) {
		policyRepo(t, "version: 1\nkinds: [a, b\n")
		code, _, stderr := runCmd(t, "", "policy", "--check")
		if code != exitNotOK || !strings.Contains(stderr, ".github/twokey.yml:2:") {
			t.Errorf("twokey policy --check = exit %d, stderr %q; want 1 and the line of the unclosed [", code, stderr)
		}
	})
	t.Run("a form the policy names that is not there", func(t *testing.T) {
		policyRepo(t, "version: 1\nbrief:\n  form: .github/ISSUE_TEMPLATE/change.yml\n")
		code, _, stderr := runCmd(t, "", "policy", "--check")
		if code != exitNotOK || !strings.Contains(stderr, ".github/twokey.yml:3:9: brief.form names .github/ISSUE_TEMPLATE/change.yml, which does not exist") {
			t.Errorf("twokey policy --check = exit %d, stderr %q; want 1 and the missing form at its line", code, stderr)
		}
	})
	t.Run("a form with mistakes, given with --form", func(t *testing.T) {
		dir := policyRepo(t, string(tracker.DefaultPolicyYAML))
		bad := writeFile(t, dir, "bad.yml", "name: B\ndescription: D\nbody:\n  - type: dropdown\n    id: a\n    attributes:\n      label: A\n")
		code, _, stderr := runCmd(t, "", "policy", "--check", "--form", bad)
		if code != exitNotOK || !strings.Contains(stderr, "bad.yml:7:7: body element 1 (dropdown) \"A\" needs options") {
			t.Errorf("twokey policy --check --form bad.yml = exit %d, stderr %q; want 1 and the form's mistake", code, stderr)
		}
	})
	t.Run("warnings are not problems", func(t *testing.T) {
		policyRepo(t, "version: 1\nkinds:\n  usability: {users: [uma], permission: write}\n  backend: {}\n  vendor: {}\n")
		code, stdout, stderr := runCmd(t, "", "policy", "--check")
		if code != exitOK || !strings.Contains(stdout, ": ok: ") || !strings.Contains(stderr, "warning: ") {
			t.Errorf("twokey policy --check = exit %d, stdout %q, stderr %q; want 0, ok and a warning", code, stdout, stderr)
		}
	})
	t.Run("no policy file", func(t *testing.T) {
		policyRepo(t, "")
		code, _, stderr := runCmd(t, "", "policy", "--check")
		if want := "twokey policy: no policy at .github/twokey.yml: name the file to check"; code != exitError || !strings.HasPrefix(stderr, want) {
			t.Errorf("twokey policy --check = exit %d, stderr %q; want 2 and %q", code, stderr, want)
		}
		code, _, stderr = runCmd(t, "", "policy", "--check", "nope.yml")
		if code != exitError || !strings.Contains(stderr, "read policy: open nope.yml") {
			t.Errorf("twokey policy --check nope.yml = exit %d, stderr %q; want 2 and the read error", code, stderr)
		}
	})
}

func TestExplain(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil { // the top of the policy's repository
		t.Fatal(err)
	}
	policy := writeFile(t, dir, "policy.yml", `version: 1
kinds: {usability: {}, backend: {}, vendor: {}}
require:
  - paths: ["web/**"]
    kinds: [usability]
  - paths: ["api/**", "**/*.sql"]
    kinds: [backend]
  - brief: {field: new_vendor, is: "Yes"}
    kinds: [vendor]
  - labels: [vendor-review]
    kinds: [vendor, backend]
`)
	writeFile(t, dir, ".github/ISSUE_TEMPLATE/brief.yml", string(tracker.DefaultFormYAML))
	complete := readFile(t, filepath.Join("..", "..", "examples", "brief-complete.md"))
	vendorYes := strings.Replace(complete, "### Does it bring in a new vendor, tool or third-party service?\n\nNo", "### Does it bring in a new vendor, tool or third-party service?\n\nYes", 1)
	if vendorYes == complete {
		t.Fatal("examples/brief-complete.md has no new_vendor answer No to change")
	}
	vendorYes = strings.Replace(vendorYes, "### Which vendor, tool or service?\n\n_No response_", "### Which vendor, tool or service?\n\nAcme Chat, https://acme.example", 1)
	brief := writeFile(t, dir, "brief.md", vendorYes)

	tests := []struct {
		name   string
		args   []string
		stdout string
	}{
		{"a path", []string{"--paths", "api/orders.go"}, `A change to api/orders.go needs backend.

  backend  added by require rule 2 (paths: api/**, **/*.sql)

Rules that do not hold:
  require rule 1 (paths: web/**) would add usability
  require rule 3 (brief: new_vendor is "Yes") would add vendor
  require rule 4 (labels: vendor-review) would add vendor and backend
  (no brief was given, so no brief: condition holds; pass --brief FILE)
`},
		{"paths as arguments, a label", []string{"--paths", "web/cart.tsx", "db/001.sql", "--label", "vendor-review"}, `A change to web/cart.tsx, db/001.sql, labelled "vendor-review" needs usability and backend and vendor.

  usability  added by require rule 1 (paths: web/**)
  backend    added by require rule 2 (paths: api/**, **/*.sql); require rule 4 (labels: vendor-review)
  vendor     added by require rule 4 (labels: vendor-review)

Rules that do not hold:
  require rule 3 (brief: new_vendor is "Yes") would add vendor
  (no brief was given, so no brief: condition holds; pass --brief FILE)
`},
		{"a brief: its answer and the label it gets", []string{"--brief", brief, "--paths", "README.md"}, `A change to README.md, linking the brief ` + brief + ` needs backend and vendor.

  backend  added by require rule 4 (labels: vendor-review)
  vendor   added by require rule 3 (brief: new_vendor is "Yes"); require rule 4 (labels: vendor-review)

Rules that do not hold:
  require rule 1 (paths: web/**) would add usability
  require rule 2 (paths: api/**, **/*.sql) would add backend
`},
		{"nothing holds", []string{"--paths", "docs/a.md"}, `A change to docs/a.md needs no sign-off: no require rule holds.

Rules that do not hold:
  require rule 1 (paths: web/**) would add usability
  require rule 2 (paths: api/**, **/*.sql) would add backend
  require rule 3 (brief: new_vendor is "Yes") would add vendor
  require rule 4 (labels: vendor-review) would add vendor and backend
  (no brief was given, so no brief: condition holds; pass --brief FILE)
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"explain", "--policy", policy}, tt.args...)
			code, stdout, stderr := runCmd(t, "", args...)
			if code != exitOK || stdout != tt.stdout {
				t.Errorf("twokey %q = exit %d, stderr %q, stdout:\n%s\nwant exit 0 and:\n%s", args, code, stderr, stdout, tt.stdout)
			}
		})
	}

	// The embedded policy: every change needs both keys.
	code, stdout, _ := runCmd(t, "", "explain", "--paths", "a.go")
	if code != exitOK || !strings.Contains(stdout, "  usability  added by require rule 1 (every change)\n") {
		t.Errorf("twokey explain --paths a.go = exit %d, stdout:\n%s\nwant usability added by rule 1 for every change", code, stdout)
	}
	// A brief with problems is explained, and said to need info.
	code, _, stderr := runCmd(t, "", "explain", "--brief", "-", "--paths", "a.go")
	if code != exitOK || !strings.Contains(stderr, "the brief - needs info") {
		t.Errorf("twokey explain --brief - (empty) = exit %d, stderr %q; want 0 and a note that the brief needs info", code, stderr)
	}
	for _, args := range [][]string{
		{"explain", "--paths", "../x.go"},
		{"explain", "--paths", "/etc/passwd"},
		{"explain", "--form", "f.yml"},
		{"explain", "--brief", filepath.Join(dir, "nope.md")},
	} {
		if code, stdout, _ := runCmd(t, "", args...); code != exitError || stdout != "" {
			t.Errorf("twokey %q = exit %d, stdout %q; want exit 2 and nothing on stdout", args, code, stdout)
		}
	}
}

// TestValidateNotABrief: an empty file, a binary file and another form's
// body each get one problem on the body.
func TestValidateNotABrief(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, body, want string }{
		{"empty.md", "", "The body\n  the body is empty: none of the form's headings"},
		{"image.png", "\x89PNG\r\n\x1a\n\x00\x00", "The body\n  the body is not text (it has the byte 0x89, which is not UTF-8, at line 1, column 1)"},
		{"other.md", readFile(t, filepath.Join("..", "..", "tracker", "testdata", "forms", "ollama__ollama__10_bug_report__issue-13868.md")), "The body\n  none of the form's headings"},
	} {
		p := writeFile(t, dir, tt.name, tt.body)
		code, stdout, _ := runCmd(t, "", "validate", p)
		if code != exitNotOK || !strings.HasPrefix(stdout, tt.want) || !strings.HasSuffix(stdout, "needs info: 1 problem, 0 warnings; labels: brief: needs-info\n") {
			t.Errorf("twokey validate %s = exit %d, stdout:\n%s\nwant 1 and one problem starting %q", tt.name, code, stdout, tt.want)
		}
	}
}
