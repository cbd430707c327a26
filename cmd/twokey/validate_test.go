package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twokey/twokey/tracker"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var testNow = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// runCmd runs the CLI in-process with stdin and a fixed clock.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
		getenv: func(string) string { return "" },
		now:    func() time.Time { return testNow },
	}
	code = runEnv(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/twokey -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s: diff (-want +got):\n%s", path, diff)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateExamples(t *testing.T) {
	incomplete := filepath.Join("..", "..", "examples", "brief-incomplete.md")
	complete := filepath.Join("..", "..", "examples", "brief-complete.md")
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		golden string
	}{
		{"incomplete", "", []string{"validate", incomplete}, exitNotOK, "incomplete.txt"},
		{"complete", "", []string{"validate", complete}, exitOK, "complete.txt"},
		{"incomplete json", "", []string{"validate", "--json", incomplete}, exitNotOK, "incomplete.json"},
		{"complete json from stdin", readFile(t, complete), []string{"validate", "--json"}, exitOK, "complete.json"},
		{"dash is stdin", readFile(t, complete), []string{"validate", "-"}, exitOK, "complete.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.stdin, tt.args...)
			if code != tt.code || stderr != "" {
				t.Fatalf("twokey %v = exit %d, stderr %q; want exit %d and no stderr", tt.args, code, stderr, tt.code)
			}
			checkGolden(t, filepath.Join("testdata", "validate", tt.golden), stdout)
		})
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidateJSONShape(t *testing.T) {
	body := readFile(t, filepath.Join("..", "..", "examples", "brief-incomplete.md"))
	code, stdout, _ := runCmd(t, body, "validate", "--json")
	if code != exitNotOK {
		t.Fatalf("exit %d, want %d", code, exitNotOK)
	}
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Errorf("--json printed more than one object")
	}
	if diff := cmp.Diff([]string{"fields", "findings", "labels", "valid"}, sortedKeys(got)); diff != "" {
		t.Errorf("--json keys: diff (-want +got):\n%s", diff)
	}
	fields := got["fields"].(map[string]any)
	if _, ok := fields["objective"].(string); !ok {
		t.Errorf("fields.objective = %#v, want a string", fields["objective"])
	}
	if diff := cmp.Diff([]any{"Payments"}, fields["touches"]); diff != "" {
		t.Errorf("fields.touches (multiple dropdown): diff (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"I will answer questions about this brief within two working days."}, fields["agreement"]); diff != "" {
		t.Errorf("fields.agreement (checked boxes): diff (-want +got):\n%s", diff)
	}
	f0 := got["findings"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]string{"field", "message", "rule", "severity", "why"}, sortedKeys(f0)); diff != "" {
		t.Errorf("finding keys: diff (-want +got):\n%s", diff)
	}
}

func sortedKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestValidateFiled(t *testing.T) {
	body := strings.Replace(readFile(t, filepath.Join("..", "..", "examples", "brief-complete.md")), "2099-03-31", "2026-02-10", 1)
	if code, out, _ := runCmd(t, body, "validate", "--filed", "2026-02-01"); code != exitOK {
		t.Errorf("deadline after --filed: exit %d, want 0\n%s", code, out)
	}
	code, out, _ := runCmd(t, body, "validate", "--filed", "2026-02-11")
	if code != exitNotOK || !strings.Contains(out, "the date 2026-02-10 is before the brief was filed (2026-02-11)") {
		t.Errorf("deadline before --filed: exit %d, want 1 and a date finding\n%s", code, out)
	}
	if code, _, _ := runCmd(t, body, "validate"); code != exitNotOK {
		t.Errorf("deadline before now (fixed clock): exit %d, want 1", code)
	}
}

func TestValidateErrors(t *testing.T) {
	dir := t.TempDir()
	badForm := writeFile(t, dir, "form.yml", "name: B\ndescription: D\nbody:\n  - type: dropdown\n    id: a\n    attributes:\n      label: A\n  - type: input\n    id: a\n    attributes: {label: B}\n")
	badPolicy := writeFile(t, dir, "policy.yml", "version: 1\nbrief:\n  rules:\n    - field: objective\n      pattern: '(['\n      why: x\n")
	unknownField := writeFile(t, dir, "unknown.yml", "version: 1\nbrief:\n  rules:\n    - field: budget\n      min_words: 2\n      why: money\n")
	tests := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"broken form", []string{"validate", "--form", badForm, "x.md"}, []string{badForm + ":7:7: body element 1 (dropdown) \"A\" needs options", badForm + ":8:5: id \"a\" is used twice"}},
		{"broken policy", []string{"validate", "--policy", badPolicy, "x.md"}, []string{badPolicy + ":5:16: brief rule 1 (field objective) pattern"}},
		{"policy names a field the form lacks", []string{"validate", "--policy", unknownField, "x.md"}, []string{unknownField + ":4:7: brief rule 1 names the field \"budget\""}},
		{"missing brief", []string{"validate", filepath.Join(dir, "nope.md")}, []string{"twokey validate: read brief: open "}},
		{"missing form", []string{"validate", "--form", filepath.Join(dir, "nope.yml")}, []string{"twokey validate: read form: open "}},
		{"bad filed", []string{"validate", "--filed", "1 March"}, []string{"twokey validate: --filed \"1 March\" is not a date written as YYYY-MM-DD\nRun 'twokey help validate' for its usage.\n"}},
		{"two files", []string{"validate", "a.md", "b.md"}, []string{"validate takes one brief at a time"}},
		{"unknown flag", []string{"validate", "--from", "f.yml"}, []string{"twokey validate: unknown flag --from; did you mean --form?\nRun 'twokey help validate' for its usage.\n"}},
		{"form takes no arguments", []string{"form", "x"}, []string{`twokey form: unexpected argument "x"`}},
		{"policy takes no arguments", []string{"policy", "x"}, []string{`twokey policy: unexpected argument "x"; to check a policy file, run twokey policy --check x`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", tt.args...)
			if code != exitError {
				t.Errorf("twokey %v = exit %d, want %d", tt.args, code, exitError)
			}
			if stdout != "" {
				t.Errorf("twokey %v printed %q on stdout, want nothing", tt.args, stdout)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("twokey %v stderr = %q, want it to contain %q", tt.args, stderr, w)
				}
			}
		})
	}
}

func TestValidateUsesThePolicysForm(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".github/ISSUE_TEMPLATE/brief.yml", "name: Mini\ndescription: D\nbody:\n  - type: input\n    id: objective\n    attributes: {label: Goal}\n    validations: {required: true}\n")
	writeFile(t, dir, "policy.yml", "version: 1\nbrief:\n  rules:\n    - field: objective\n      min_words: 2\n      why: say more\n  answer_labels: []\nrequire: []\n")
	writeFile(t, dir, "brief.md", "### Goal\n\nShip it now")
	t.Chdir(dir)
	code, stdout, stderr := runCmd(t, "", "validate", "--policy", "policy.yml", "brief.md")
	if code != exitOK {
		t.Errorf("validate --policy with the policy's brief.form present = exit %d, want 0 (the repository's own form)\n%s%s", code, stdout, stderr)
	}
	// Without --policy the embedded form is used, and this body is not a brief of it.
	if code, _, _ := runCmd(t, "", "validate", "brief.md"); code != exitNotOK {
		t.Errorf("validate without --policy = exit %d, want 1 (embedded form)", code)
	}
}

func TestFormAndPolicyPrintTheEmbeddedFiles(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		want []byte
	}{{"form", tracker.DefaultFormYAML}, {"policy", tracker.DefaultPolicyYAML}} {
		code, stdout, stderr := runCmd(t, "", tt.cmd)
		if code != exitOK || stderr != "" || stdout != string(tt.want) {
			t.Errorf("twokey %s = exit %d, stderr %q, stdout equal to the embedded file: %v", tt.cmd, code, stderr, stdout == string(tt.want))
		}
	}
	// The time sections are there, commented like the rest.
	_, stdout, _ := runCmd(t, "", "policy")
	for _, want := range []string{"\n# calendar: business time.", "\ncalendar:\n", "\n# freeze: times in which pull requests do not merge", "\nfreeze: []\n", "#     from: Fri 15:00\n", "\n# deadlines: when keys are due.", "\ndeadlines:\n", "  overdue: \"overdue: {kind}\"\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("twokey policy does not print %q", want)
		}
	}
}

func TestHelp(t *testing.T) {
	var help bytes.Buffer
	printHelp(&help)
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "-h"}, {"help", "--help"}, {"help", "help"}} {
		code, stdout, stderr := runCmd(t, "", args...)
		if code != exitOK || stdout != help.String() || stderr != "" {
			t.Errorf("twokey %v = exit %d, stdout %q, stderr %q; want 0 and the help", args, code, stdout, stderr)
		}
	}
	cmds := commands()
	if len(cmds) < 8 {
		t.Fatalf("commands() = %d commands, want the 8 the help lists", len(cmds))
	}
	for _, c := range cmds {
		if !strings.Contains(help.String(), "\t"+fmt.Sprintf("%-10s", c.name)+" "+c.summary) {
			t.Errorf("the help does not list %q", c.name)
		}
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
			code, stdout, stderr := runCmd(t, "", args...)
			if code != exitOK || stdout != c.usage || stderr != "" || !strings.HasPrefix(stdout, "usage: twokey "+c.name) {
				t.Errorf("twokey %v = exit %d, stdout %q, stderr %q; want 0 and the usage of %s", args, code, stdout, stderr, c.name)
			}
		}
	}
	for _, c := range []string{"validate", "form", "policy", "explain", "check", "version"} {
		if !strings.Contains(lookup(c).usage, "Example") {
			t.Errorf("twokey %s -h has no examples", c)
		}
	}
	if code, _, stderr := runCmd(t, "", "help", "nope"); code != exitError || !strings.Contains(stderr, `unknown command "nope"`) {
		t.Errorf("twokey help nope = exit %d, stderr %q; want 2 and unknown command", code, stderr)
	}
}

// TestValidateFlagsAfterTheFile checks that flags may follow the brief.
func TestValidateFlagsAfterTheFile(t *testing.T) {
	complete := filepath.Join("..", "..", "examples", "brief-complete.md")
	body, err := os.ReadFile(complete)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args  []string
		stdin string
	}{
		{[]string{"validate", "--json", complete}, ""},
		{[]string{"validate", complete, "--json"}, ""},
		{[]string{"validate", complete, "--json", "--filed", "2026-03-01"}, ""},
		{[]string{"validate", "--filed", "2026-03-01", complete, "--json"}, ""},
		{[]string{"validate", "-", "--json"}, string(body)},
		{[]string{"validate", "--json", "--", complete}, ""},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCmd(t, tt.stdin, tt.args...)
		var out briefJSON
		if err := json.Unmarshal([]byte(stdout), &out); code != exitOK || err != nil || !out.Valid {
			t.Errorf("twokey %v = exit %d, stdout %q (%v), stderr %q; want 0 and a valid JSON brief", tt.args, code, stdout, err, stderr)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		json bool
		form string
		rest []string
	}{
		{nil, false, "", []string{}},
		{[]string{"a.md"}, false, "", []string{"a.md"}},
		{[]string{"--json", "a.md"}, true, "", []string{"a.md"}},
		{[]string{"a.md", "--json"}, true, "", []string{"a.md"}},
		{[]string{"a.md", "--form", "f.yml", "b.md", "--json"}, true, "f.yml", []string{"a.md", "b.md"}},
		{[]string{"-", "--json"}, true, "", []string{"-"}},
		{[]string{"a.md", "--", "--json"}, false, "", []string{"a.md", "--json"}},
		{[]string{"--", "-x", "a.md"}, false, "", []string{"-x", "a.md"}},
	}
	for _, tt := range tests {
		fs := newFlagSet("t")
		asJSON := fs.Bool("json", false, "")
		form := fs.String("form", "", "")
		if err := parseFlags(fs, tt.args); err != nil {
			t.Errorf("parseFlags(%q) = %v, want nil", tt.args, err)
			continue
		}
		got := []any{*asJSON, *form, append([]string{}, fs.Args()...)}
		if diff := cmp.Diff([]any{tt.json, tt.form, tt.rest}, got); diff != "" {
			t.Errorf("parseFlags(%q): diff (-want +got):\n%s", tt.args, diff)
		}
	}
	for _, args := range [][]string{{"a.md", "--nope"}, {"a.md", "--form"}} {
		var ue *usageError
		if err := parseFlags(newFlagSet("t"), args); !errors.As(err, &ue) {
			t.Errorf("parseFlags(%q) = %v, want a usage error", args, err)
		}
	}
	if err := parseFlags(newFlagSet("t"), []string{"a.md", "-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseFlags([a.md -h]) = %v, want flag.ErrHelp", err)
	}
}

// TestValidateOwnFormWithoutPolicy: with --form of a real project's form and
// no policy, the embedded default's rules for the default form's fields are
// left out with one line on stderr, and the exit status is the brief's.
func TestValidateOwnFormWithoutPolicy(t *testing.T) {
	forms := filepath.Join("..", "..", "tracker", "testdata", "forms")
	form := filepath.Join(forms, "ollama__ollama__10_bug_report.yml")
	body := filepath.Join(forms, "ollama__ollama__10_bug_report__issue-13868.md")
	onlyBrief := writeFile(t, t.TempDir(), "p.yml", "brief: {rules: [], answer_labels: []}\n")
	notice := "twokey validate: the default policy's rules for the default form's fields objective, audience, mvp, success, examples, deadline, vendor, new_vendor, touches do not apply to " +
		form + " and are left out (7 brief rules, 6 answer labels, 1 require rule); to check its answers, write your own brief.rules, brief.answer_labels and require in the policy\n"
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string // a line stdout must contain
		stderr string
	}{
		{"a complete bug report", "", []string{"validate", "--form", form, body}, exitOK, "ready: 0 problems, 0 warnings; labels: brief: ready", notice},
		{"a bug report without its description", "### OS\n\nLinux\n", []string{"validate", "--form", form}, exitNotOK, "needs info: ", notice},
		{"json stays one object", "", []string{"validate", "--json", "--form", form, body}, exitOK, `"valid": true`, notice},
		{"a policy that leaves require out", "", []string{"validate", "--policy", onlyBrief, "--form", form, body}, exitOK, "ready: ",
			"twokey validate: the default policy's rules for the default form's fields new_vendor do not apply to " + form +
				" and are left out (1 require rule); to check its answers, write your own require in the policy\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("twokey %v = exit %d, want %d\n%s%s", tt.args, code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("twokey %v stdout = %q, want it to contain %q", tt.args, stdout, tt.stdout)
			}
			if diff := cmp.Diff(tt.stderr, stderr); diff != "" {
				t.Errorf("twokey %v stderr: diff (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// TestValidateShowsTheLineOfAConfigError: a broken policy is reported at
// the mistake, with the line shown and a caret under the column.
func TestValidateShowsTheLineOfAConfigError(t *testing.T) {
	dir := t.TempDir()
	pol := writeFile(t, dir, "twokey.yml", "version: 1\nkinds:\n  usability:\n    description: x\n     users: [ux-lead]\n")
	brief := writeFile(t, dir, "brief.md", "x")
	code, _, stderr := runCmd(t, "", "validate", "--policy", pol, brief)
	want := pol + ":5:11: a \": \" here cannot start a key"
	if code != exitError || !strings.Contains(stderr, want) {
		t.Fatalf("validate with a broken policy = %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, want)
	}
	if snippet := "    5 |      users: [ux-lead]\n      |           ^\n"; !strings.Contains(stderr, snippet) {
		t.Errorf("stderr:\n%s\nwant the line shown:\n%s", stderr, snippet)
	}
}

// TestValidateFromASubdirectory: the policy's brief.form is found from the
// top of the policy's repository, whatever the current directory, and
// stderr says which policy and form were used; a brief.form the policy
// names that does not exist is an error, never the embedded form.
func TestValidateFromASubdirectory(t *testing.T) {
	repo := t.TempDir()
	gitCmd(t, repo, "init", "-q")
	form := "name: Mini\ndescription: D\nbody:\n  - type: input\n    id: objective\n    attributes: {label: Goal}\n    validations: {required: true}\n"
	writeFile(t, repo, "forms/brief.yml", form)
	rules := "  rules:\n    - field: objective\n      min_words: 2\n      why: say more\n  answer_labels: []\nrequire: []\n"
	pol := writeFile(t, repo, ".github/twokey.yml", "version: 1\nbrief:\n  form: forms/brief.yml\n"+rules)
	missing := writeFile(t, repo, ".github/missing.yml", "version: 1\nbrief:\n  form: forms/gone.yml\n"+rules)
	sub := filepath.Join(repo, "web", "checkout")
	brief := writeFile(t, sub, "brief.md", "### Goal\n\nShip it now")
	t.Chdir(sub)

	code, stdout, stderr := runCmd(t, "", "validate", "--policy", pol, brief)
	if code != exitOK {
		t.Errorf("validate from %s = exit %d, want 0 (the repository's form)\n%s%s", sub, code, stdout, stderr)
	}
	if want := "twokey validate: policy " + pol + "; form " + filepath.Join(repo, "forms", "brief.yml") + " (its brief.form, in " + repo + ")\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}

	code, _, stderr = runCmd(t, "", "validate", "--policy", missing, brief)
	if want := missing + ":3:9: brief.form names forms/gone.yml, which does not exist in " + repo; code != exitError || !strings.Contains(stderr, want) {
		t.Errorf("validate with a missing brief.form = exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
}

func TestValidateWarnsOfUsersAndPermission(t *testing.T) {
	dir := t.TempDir()
	pol := writeFile(t, dir, "p.yml", "version: 1\nkinds:\n  usability:\n    users: [ux-lead]\n    permission: write\nrequire: [{kinds: [usability]}]\n")
	_, _, stderr := runCmd(t, "", "validate", "--form", filepath.Join("..", "..", "tracker", "defaults", "brief.yml"), "--policy", pol, "../../examples/brief-complete.md")
	want := "twokey validate: warning: " + pol + ":5:5: kind \"usability\" lists users and also permission: write, so anyone with write permission may sign it too"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "    5 |     permission: write\n") {
		t.Errorf("stderr = %q, want %q and the line", stderr, want)
	}
}
