package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's and docs' samples are what twokey prints: these tests run
// the commands they show and compare.

// readDoc reads a Markdown page from the repository's top.
func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// consoleSessions maps each command of the ```console blocks of doc (a line
// "$ command") to the lines shown after it, up to the next command or the
// end of the block.
func consoleSessions(doc string) map[string][]string {
	out := map[string][]string{}
	in, cmd := false, ""
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case !in && l == "```console":
			in, cmd = true, ""
		case in && strings.HasPrefix(l, "```"):
			in = false
		case in && strings.HasPrefix(l, "$ "):
			cmd = strings.TrimPrefix(l, "$ ")
			out[cmd] = []string{}
		case in && cmd != "":
			out[cmd] = append(out[cmd], l)
		}
	}
	return out
}

// excerptOf reports whether shown is got with runs of lines left out where
// shown has a line "…": the lines between are got's, in order, the first
// run at its start and the last at its end.
func excerptOf(shown, got []string) bool {
	var runs [][]string
	cur := []string{}
	for _, l := range shown {
		if l == "…" {
			runs, cur = append(runs, cur), []string{}
			continue
		}
		cur = append(cur, l)
	}
	runs = append(runs, cur)
	at := 0
	for i, run := range runs {
		switch {
		case i == 0:
			if !hasPrefixLines(got, run) {
				return false
			}
			at = len(run)
		case i == len(runs)-1:
			return len(got)-len(run) >= at && hasPrefixLines(got[len(got)-len(run):], run)
		default:
			j := at
			for ; j+len(run) <= len(got); j++ {
				if hasPrefixLines(got[j:], run) {
					break
				}
			}
			if j+len(run) > len(got) {
				return false
			}
			at = j + len(run)
		}
	}
	return at == len(got)
}

func hasPrefixLines(got, run []string) bool {
	if len(run) > len(got) {
		return false
	}
	for i := range run {
		if got[i] != run[i] {
			return false
		}
	}
	return true
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

func TestExcerptOf(t *testing.T) {
	full := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		shown []string
		want  bool
	}{
		{[]string{"a", "b", "c", "d", "e"}, true},
		{[]string{"a", "b", "c", "d"}, false},
		{[]string{"a", "…", "e"}, true},
		{[]string{"a", "b", "…"}, true},
		{[]string{"a", "…", "c", "…", "e"}, true},
		{[]string{"a", "…", "d", "c", "…"}, false},
		{[]string{"b", "…"}, false},
		{[]string{"a", "…", "d"}, false},
		{[]string{"a", "…", "x", "…", "e"}, false},
		{[]string{"a", "b", "c", "…", "c", "d", "e"}, false},
	}
	for _, tt := range tests {
		if got := excerptOf(tt.shown, full); got != tt.want {
			t.Errorf("excerptOf(%q, %q) = %v, want %v", tt.shown, full, got, tt.want)
		}
	}
}

// TestReadmeTryIt runs the README's "Try it" commands: the example brief
// and init in a new repository print what the README shows.
func TestReadmeTryIt(t *testing.T) {
	sessions := consoleSessions(readDoc(t, "README.md"))

	const validate = "./twokey validate examples/brief-incomplete.md"
	shown, ok := sessions[validate]
	if !ok {
		t.Fatalf("README.md has no console session running %q", validate)
	}
	code, out, stderr := runCmd(t, "", "validate", filepath.Join("..", "..", "examples", "brief-incomplete.md"))
	if code != exitNotOK {
		t.Errorf("%s: exit %d, want 1 (the README says so); stderr %s", validate, code, stderr)
	}
	if !excerptOf(shown, lines(out)) {
		t.Errorf("README.md shows for %s:\n%s\nbut it prints:\n%s", validate, strings.Join(shown, "\n"), out)
	}

	const initCmd = "../twokey/twokey init"
	shown, ok = sessions[initCmd]
	if !ok {
		t.Fatalf("README.md has no console session running %q", initCmd)
	}
	if _, ok := sessions["git init -q ../demo && cd ../demo"]; !ok {
		t.Errorf("README.md does not make the new repository init runs in")
	}
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q")
	t.Chdir(dir)
	code, out, stderr = runInitCLI(t, "init")
	if code != exitOK {
		t.Fatalf("twokey init in a new repository: exit %d; stderr %s", code, stderr)
	}
	if !excerptOf(shown, lines(out)) {
		t.Errorf("README.md shows for %s:\n%s\nbut it prints:\n%s", initCmd, strings.Join(shown, "\n"), out)
	}
}

// TestReadmeSamples: the README's sample gate comment is the golden comment
// the gate test renders (tracker/testdata/gate/one-key.md), as a quote, and
// its audit excerpt is what twokey audit prints for the history of
// TestAuditCommand (testdata/audit.text.golden).
func TestReadmeSamples(t *testing.T) {
	readme := readDoc(t, "README.md")

	golden := readDoc(t, "tracker/testdata/gate/one-key.md")
	header, comment, ok := strings.Cut(golden, "\n\n")
	if !ok || !strings.Contains(header, "description: waiting for backend") {
		t.Fatalf("tracker/testdata/gate/one-key.md: header %q, want the status description first", header)
	}
	var quoted strings.Builder
	for _, l := range lines(comment) {
		if l == "" {
			quoted.WriteString(">\n")
		} else {
			quoted.WriteString("> " + l + "\n")
		}
	}
	if !strings.Contains(readme, "\n\n"+quoted.String()+"\n") {
		t.Errorf("README.md does not quote the gate comment of tracker/testdata/gate/one-key.md whole:\n%s", quoted.String())
	}
	if !strings.Contains(readme, "*waiting for\nbackend*") {
		t.Errorf("README.md does not give the sample's status description, %q", "waiting for backend")
	}

	audit := readDoc(t, "cmd/twokey/testdata/audit.text.golden")
	if !strings.Contains(readme, "```console\n$ twokey audit\n"+audit+"```\n") {
		t.Errorf("README.md does not show testdata/audit.text.golden whole after $ twokey audit:\n%s", audit)
	}
}

// TestPolicyDocMistake: the mistake docs/policy.md shows under "Mistakes"
// is reported as it says, by twokey validate --policy.
func TestPolicyDocMistake(t *testing.T) {
	doc := readDoc(t, "docs/policy.md")
	_, section, ok := strings.Cut(doc, "\n## Mistakes\n")
	if !ok {
		t.Fatal("docs/policy.md has no Mistakes section")
	}
	_, policy, ok1 := strings.Cut(section, "<!-- not a whole policy -->\n```yaml\n")
	policy, rest, ok2 := strings.Cut(policy, "```\n")
	_, shown, ok3 := strings.Cut(rest, "```\n")
	shown, _, ok4 := strings.Cut(shown, "```\n")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		t.Fatal("docs/policy.md's Mistakes section has no marked yaml block followed by a block of what twokey prints")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "twokey.yml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	brief, err := filepath.Abs(filepath.Join("..", "..", "examples", "brief-complete.md"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, _, stderr := runCmd(t, "", "validate", "--policy", ".github/twokey.yml", brief)
	if code != exitError || stderr != shown {
		t.Errorf("validate --policy with docs/policy.md's mistake: exit %d, stderr\n%s\nwant exit 2 and what the docs show:\n%s", code, stderr, shown)
	}
}
