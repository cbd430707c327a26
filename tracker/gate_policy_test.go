package tracker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-cmp/cmp"
)

func TestCheckGateErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // every error, in order
	}{
		{
			name: "every problem at once, each with file:line:col",
			yaml: `version: 1
kinds:
  user experience:
    teams: [acme]
    permission: owner
  backend:
    teams: ["@acme/backend"]
require:
  - kinds: [usability]
  - paths: ["site/[a-"]
    kinds: [backend]
  - labels: [x]
  - brief: {is: "Yes"}
    kinds: [backend]
link:
  waive_command: nobrief
pr_labels:
  signed: signed
bypass:
  users: ["two words"]
`,
			want: []string{
				`p.yml:3:3: kind "user experience" has whitespace in its name: people type it in /signoff <kind>, use one word such as "user-experience"`,
				`p.yml:4:13: kind "user experience": team "acme" must be written org/slug, as in @acme/web-ux`,
				`p.yml:5:17: kind "user experience": permission "owner" is not one of read, triage, write, maintain, admin`,
				`p.yml:9:13: require rule names kind "usability", which is not defined under kinds: (defined: user experience, backend)`,
				`p.yml:10:13: require rule path "site/[a-" is not a valid glob`,
				`p.yml:12:5: require rule names no kinds`,
				`p.yml:13:12: require rule brief: condition names no field`,
				`p.yml:16:18: link.waive_command "nobrief" must be one word starting with /`,
				`p.yml:18:11: pr_labels.signed "signed" must contain {kind}`,
				`p.yml:20:11: bypass user "two words" is not a GitHub login`,
			},
		},
		{
			name: "empty paths and labels",
			yaml: "version: 1\nkinds: {backend: {}}\nrequire:\n  - paths: []\n    kinds: [backend]\n  - labels: []\n    kinds: [backend]\n  - paths:\n    kinds: [backend]\n",
			want: []string{
				"p.yml:4:12: require rule has paths: [], which would match every pull request: list at least one, or remove paths: for a rule without that condition",
				"p.yml:6:13: require rule has labels: [], which would match every pull request",
			},
		},
		{
			name: "no kinds",
			yaml: "version: 1\nkinds: {}\nrequire: []\n",
			want: []string{"p.yml:2:8: no sign-off kinds: define at least one under kinds:"},
		},
		{
			name: "a kind named revoke",
			yaml: "version: 1\nkinds:\n  revoke: {}\nrequire: []\n",
			want: []string{`p.yml:3:3: kind "revoke" clashes with the command /signoff revoke <kind>`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPolicy("p.yml", []byte(tt.yaml))
			got := AsConfigErrors(err)
			if len(got) != len(tt.want) {
				t.Fatalf("LoadPolicy errors = %v, want %d:\n%s", err, len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i].Error(), w) {
					t.Errorf("LoadPolicy error %d = %q, want it to start with %q", i, got[i].Error(), w)
				}
			}
		})
	}
}

func TestCheckGateDefaults(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte(`version: 1
kinds:
  usability: {teams: [acme/ux]}
  backend:
  qa: {users: ["@quinn"], permission: maintain}
require:
  - kinds: [usability, backend]
link: {}
signoffs: {}
pr_labels: {}
bypass: {users: ["@root"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Perms          map[string]string
		QAUsers        []string
		Link           LinkPolicy
		KeepOnSameTree bool
		Separate       bool
		Labels         PRLabels
		Bypass         []string
	}
	got := view{
		Perms:   map[string]string{},
		QAUsers: p.Kinds["qa"].Users,
		Link:    p.Link, KeepOnSameTree: p.Signoffs.KeepOnSameTree, Separate: p.SeparateSigners,
		Labels: p.PRLabels, Bypass: p.Bypass.Users,
	}
	for k, v := range p.Kinds {
		got.Perms[k] = v.Permission
	}
	want := view{
		Perms:          map[string]string{"usability": "", "backend": "write", "qa": "maintain"},
		QAUsers:        []string{"quinn"},
		Link:           LinkPolicy{Required: true, WaiveLabel: "no-brief", WaiveCommand: "/no-brief"},
		KeepOnSameTree: true, Separate: true,
		Labels: PRLabels{Signed: "signed: {kind}", NeedsBrief: "needs: brief", Overdue: "overdue: {kind}"},
		Bypass: []string{"root"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadPolicy defaults diff (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"usability", "backend", "qa"}, p.KindOrder); diff != "" {
		t.Errorf("KindOrder diff (-want +got):\n%s", diff)
	}
}

func TestCheckGateExplicitFalseStays(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte("version: 1\nlink: {required: false, waive_label: \"\"}\nsignoffs: {keep_on_same_tree: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Link.Required || p.Signoffs.KeepOnSameTree || p.Link.WaiveLabel != "" || p.Link.WaiveCommand != "/no-brief" {
		t.Errorf("LoadPolicy link = %+v, signoffs = %+v, want the file's explicit false and empty label, default command", p.Link, p.Signoffs)
	}
}

// TestGlobFilterIsSound checks that the shortcut before doublestar.Match
// never rules out a path that matches.
func TestGlobFilterIsSound(t *testing.T) {
	globs := []string{"payments/**", "**/*.sql", "site/**/x", "a/**/b/*.go", "**", "*", "README.md", "docs/*.{md,txt}",
		"**/migrations/**", "site/**/*.{css,scss}", "[ab]/c?/**/d", "a/**", "**/a", "x{/y,}/z", "a\\*b", "{site,docs}/**/*.{md,css}", "**/*.{graphql,gql}"}
	paths := []string{"payments", "payments/x", "payments/a/b.go", "db/a.sql", "a.sql", "site/x", "site/a/b/x", "a/b/c.go", "a/b/x/b/c.go",
		"README.md", "docs/README.md", "docs/a.txt", "migrations/1", "db/migrations/1.sql", "site/a.css", "site/a/b.scss",
		"a/c1/d", "b/c2/e/f/d", "a", "x/y/z", "x/z", "a*b", "sub/a", "site/a/b.md", "docs/x.css", "api/q.gql", "q.graphql"}
	for _, g := range globs {
		f := newGlobFilter(g)
		for _, p := range paths {
			ok, err := doublestar.Match(g, p)
			if err != nil {
				t.Fatalf("doublestar.Match(%q, %q): %v", g, p, err)
			}
			if ok && !f.mayMatch(p) {
				t.Errorf("newGlobFilter(%q).mayMatch(%q) = false, but the glob matches", g, p)
			}
			if got := anyPathMatches([]string{g}, []string{p}); got != ok {
				t.Errorf("anyPathMatches([%q], [%q]) = %v, want %v (doublestar.Match)", g, p, got, ok)
			}
		}
	}
}

// notWholePolicy marks a yaml block of docs/policy.md, on the line before
// its fence, that is deliberately not a policy of its own (a fragment, or a
// mistake shown with its error).
const notWholePolicy = "<!-- not a whole policy -->"

// docSnippet is a fenced yaml block of a Markdown file: the line its text
// starts on, the text, and whether it is marked notWholePolicy.
type docSnippet struct {
	line   int
	text   string
	marked bool
}

// yamlSnippets returns the ```yaml blocks of doc, in order.
func yamlSnippets(doc string) []docSnippet {
	lines := strings.Split(doc, "\n")
	var out []docSnippet
	prev := "" // the last non-blank line before a fence
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			if strings.TrimSpace(l) != "" {
				prev = strings.TrimSpace(l)
			}
			continue
		}
		j := i + 1
		for j < len(lines) && !strings.HasPrefix(lines[j], "```") {
			j++
		}
		if strings.TrimSpace(strings.TrimPrefix(l, "```")) == "yaml" {
			out = append(out, docSnippet{line: i + 2, text: strings.Join(lines[i+1:min(j, len(lines))], "\n") + "\n", marked: prev == notWholePolicy})
		}
		i, prev = j, ""
	}
	return out
}

func TestYAMLSnippets(t *testing.T) {
	doc := "# x\n\n```yaml\na: 1\n```\n\n" + notWholePolicy + "\n```yaml\nb: [\n```\n\n```sh\nc\n```\n```yaml\nd: 2\ne: 3\n```\n"
	want := []docSnippet{{line: 4, text: "a: 1\n"}, {line: 9, text: "b: [\n", marked: true}, {line: 16, text: "d: 2\ne: 3\n"}}
	if diff := cmp.Diff(want, yamlSnippets(doc), cmp.AllowUnexported(docSnippet{})); diff != "" {
		t.Errorf("yamlSnippets: diff (-want +got):\n%s", diff)
	}
}

// TestPolicyDocSnippets keeps the policy reference's examples true: every
// yaml block of docs/policy.md loads with LoadPolicy, without a warning, and
// fits the default form, unless it is marked notWholePolicy; then it must
// not load, so that the mark cannot hide a snippet that is fine.
func TestPolicyDocSnippets(t *testing.T) {
	const name = "docs/policy.md"
	data, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	loaded := 0
	for _, sn := range yamlSnippets(string(data)) {
		// Blank lines before the text make LoadPolicy's lines the file's.
		p, err := LoadPolicy(name, []byte(strings.Repeat("\n", sn.line-1)+sn.text))
		if sn.marked {
			if err == nil {
				t.Errorf("%s:%d: the snippet is marked %s but loads as a policy: remove the mark", name, sn.line, notWholePolicy)
			}
			continue
		}
		if err != nil {
			t.Errorf("LoadPolicy(the snippet at %s:%d): %v\n(a snippet that is deliberately not a whole policy needs %s on the line before its fence)", name, sn.line, err, notWholePolicy)
			continue
		}
		loaded++
		for _, w := range p.Warnings {
			t.Errorf("LoadPolicy(the snippet at %s:%d): warning %v", name, sn.line, w)
		}
		if _, _, err := FitPolicyToForm(p, DefaultForm()); err != nil {
			t.Errorf("FitPolicyToForm(the snippet at %s:%d, the default form): %v", name, sn.line, err)
		}
		if _, ok := p.Kinds["security"]; ok {
			// The gate example: three kinds, fresh sign-offs on every push.
			if got := strings.Join(p.KindOrder, ","); got != "usability,backend,security" {
				t.Errorf("%s:%d: kinds = %q, want usability,backend,security", name, sn.line, got)
			}
			if p.Signoffs.KeepOnSameTree || !p.Link.Required || p.Link.WaiveLabel != "chore" || p.Link.WaiveCommand != "/no-brief" {
				t.Errorf("%s:%d: link = %+v, signoffs = %+v", name, sn.line, p.Link, p.Signoffs)
			}
		}
	}
	if loaded < 3 {
		t.Errorf("%s: %d policy snippets loaded, want the 3 or more it shows", name, loaded)
	}
}
