package tracker

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultPolicyLoads(t *testing.T) {
	p := DefaultPolicy()
	if p.Version != 1 {
		t.Errorf("DefaultPolicy().Version = %d, want 1", p.Version)
	}
	if got, want := strings.Join(p.KindOrder, ","), "usability,backend,vendor"; got != want {
		t.Errorf("DefaultPolicy().KindOrder = %q, want %q", got, want)
	}
	if p.SHA != GitBlobSHA(DefaultPolicyYAML) || len(p.SHA) != 40 {
		t.Errorf("DefaultPolicy().SHA = %q, want the blob SHA of the embedded file", p.SHA)
	}
}

func TestLoadPolicyErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", "version: 1\nbreif: {}\n", `p.yml:2:1: unknown key "breif" at the top level (allowed: version, brief, kinds,`},
		{"unknown nested key", "version: 1\nlink:\n  requird: true\n", `p.yml:3:3: unknown key "requird" in link (allowed: required, waive_label, waive_command;`},
		{"wrong type", "version: 1\nseparate_signers: [1]\n", "p.yml:2:19: separate_signers: expected true or false, got a list"},
		{"bad version", "version: 3\n", "p.yml:1:10: version 3 is not supported"},
		{"syntax", "version: 1\nkinds: [\n", "p.yml:"},
		{"empty", "", "p.yml: the file is empty"},
		{"not a mapping", "- a\n", "p.yml:1:1: expected a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPolicy("p.yml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadPolicy(%q) error = %v, want it to contain %q", tt.yaml, err, tt.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("LoadPolicy(%q) error %T is not a *ConfigError", tt.yaml, err)
			}
		})
	}
}

func TestLoadPolicyTakesMissingSectionsFromDefault(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte("version: 1\nseparate_signers: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultPolicy()
	if p.SeparateSigners {
		t.Errorf("separate_signers = true, want the file's false")
	}
	if len(p.Kinds) != len(def.Kinds) || len(p.Require) != len(def.Require) {
		t.Errorf("kinds/require not taken from the default: %d/%d kinds, %d/%d rules", len(p.Kinds), len(def.Kinds), len(p.Require), len(def.Require))
	}
	if p.SHA == def.SHA {
		t.Errorf("SHA = default's SHA, want the file's own")
	}
}

// TestLoadPolicyReportsEveryProblemAtOnce: unknown keys and wrong types in
// several sections come out together, each at line and column and in YAML's
// terms, with the value checks of the sections that decoded.
func TestLoadPolicyReportsEveryProblemAtOnce(t *testing.T) {
	src := `version: 1
kinds: [usability]
separate_signers: maybe
brief:
  rules:
    - field: objective
      min_words: many
      why: say more
  lables: {}
require:
  - kinds: usability
link:
  waive_command: nope
bypass:
  users: [two words]
`
	want := []string{
		`p.yml:2:8: kinds: expected a mapping of kind names, got a list`,
		`p.yml:3:19: separate_signers: expected true or false, got "maybe"`,
		`p.yml:7:18: brief.rules[].min_words: expected a whole number, got "many"`,
		`p.yml:9:3: unknown key "lables" in brief (allowed: form, label, labels, rules, answer_labels; check its spelling and indentation against the reference)`,
		`p.yml:11:12: require[].kinds: expected a list, got "usability" (a list of one is written [usability])`,
		`p.yml:13:18: link.waive_command "nope" must be one word starting with / (for example /no-brief) and not /signoff or /bypass`,
		`p.yml:15:11: bypass user "two words" is not a GitHub login`,
	}
	_, err := LoadPolicy("p.yml", []byte(src))
	var got []string
	for _, ce := range AsConfigErrors(err) {
		got = append(got, ce.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadPolicy errors: diff (-want +got):\n%s", diff)
	}
}

func TestLoadPolicyTypeErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"a kind's bool", "kinds:\n  usability:\n    allow_author: maybe\n", `p.yml:3:19: kinds.usability.allow_author: expected true or false, got "maybe"`},
		{"a number with a fraction", "brief:\n  rules:\n    - {field: a, min_words: 2.5, why: x}\n", `p.yml:3:29: brief.rules[].min_words: expected a whole number, got "2.5"`},
		{"a mapping where text belongs", "brief:\n  form: {path: x}\n", `p.yml:2:9: brief.form: expected text, got a mapping`},
		{"a condition written as text", "require:\n  - kinds: [backend]\n    brief: new_vendor\n", `p.yml:3:12: require[].brief: expected a mapping such as {field: ID, is: VALUE}, got "new_vendor"`},
		{"a list where a section belongs", "link: [required]\n", `p.yml:1:7: link: expected a mapping of keys (required, waive_label, waive_command), got a list`},
		{"a key twice", "link:\n  required: true\n  required: false\n", `p.yml:3:3: link has key "required" twice (first at line 2); keep one`},
		{"a section twice", "link: {}\nlink: {}\n", `p.yml:2:1: the top level has key "link" twice (first at line 1); keep one`},
		{"an unknown key in a rule", "brief:\n  rules:\n    - {field: a, minwords: 2, why: x}\n", `p.yml:3:18: unknown key "minwords" in brief.rules[] (allowed: field, min_words, pattern, message, link, date, required, when, why;`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPolicy("p.yml", []byte(tt.yaml))
			ces := AsConfigErrors(err)
			if len(ces) != 1 || !strings.HasPrefix(ces[0].Error(), tt.want) {
				t.Errorf("LoadPolicy(%q) = %v, want one error starting %q", tt.yaml, err, tt.want)
			}
		})
	}
}

// TestLoadPolicyInheritedPartsPointAtTheDefault: a check that fails on a
// part the file leaves out (and so takes from the default) names the
// default's line, never the file's 1:1, and says why the part is there.
func TestLoadPolicyInheritedPartsPointAtTheDefault(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{
			name: "kinds without vendor, require left out",
			yaml: "kinds:\n  usability: {users: [uma]}\n  backend: {users: [bea]}\n",
			want: []string{
				`(embedded default policy):110:13: require rule names kind "vendor", which is not defined under kinds: (defined: usability, backend); p.yml has no require: section, so the default's applies: write your own to change it`,
				`(embedded default policy):112:13: require rule names kind "vendor", which is not defined under kinds: (defined: usability, backend); p.yml has no require: section, so the default's applies: write your own to change it`,
			},
		},
		{
			name: "a ready label that an inherited answer label uses",
			yaml: "brief:\n  labels: {ready: vendor-review}\n",
			want: []string{
				`(embedded default policy):56:49: brief answer_labels entry 5 uses the label "vendor-review", which twokey sets for readiness; p.yml has brief: without answer_labels:, so the default's apply: write your own to change them`,
				`(embedded default policy):57:52: brief answer_labels entry 6 uses the label "vendor-review", which twokey sets for readiness; p.yml has brief: without answer_labels:, so the default's apply: write your own to change them`,
			},
		},
		{
			name: "require names a kind of the inherited kinds that does not exist",
			yaml: "require:\n  - kinds: [security]\n",
			want: []string{
				`p.yml:2:13: require rule names kind "security", which is not defined under kinds: (defined: usability, backend, vendor; these are the default's, as p.yml has no kinds: section)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPolicy("p.yml", []byte(tt.yaml))
			var got []string
			for _, ce := range AsConfigErrors(err) {
				got = append(got, ce.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadPolicy(%q) errors: diff (-want +got):\n%s", tt.yaml, diff)
			}
		})
	}
}

// TestLoadPolicyKindsReplaceTheDefault: a kinds: section is the whole list of
// kinds; the default's are not merged in.
func TestLoadPolicyKindsReplaceTheDefault(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte("kinds:\n  security: {users: [sam]}\nrequire:\n  - kinds: [security]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"security"}, p.KindOrder); diff != "" {
		t.Errorf("KindOrder: diff (-want +got):\n%s", diff)
	}
	if len(p.Kinds) != 1 || p.Kinds["security"] == nil {
		t.Errorf("Kinds = %v, want only security", p.Kinds)
	}
}

// TestLoadPolicyAliasBomb: anchors that merge anchors, each doubling the
// last, are checked in linear time (a check that followed every alias would
// take 4^40 steps here and never return) and refused with a clear error.
func TestLoadPolicyAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nkinds:\n  k0: &a0 {description: d}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "  k%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	_, err := LoadPolicy("bomb.yml", []byte(b.String()))
	if err == nil {
		t.Fatal("LoadPolicy(alias bomb) = nil error, want one")
	}
	t.Logf("LoadPolicy(alias bomb): %v", err)
}

// TestLoadPolicyWarnsOfUsersAndPermission: a kind that lists users or teams
// and a permission lets everyone with the permission sign; it loads, with a
// warning at the permission line.
func TestLoadPolicyWarnsOfUsersAndPermission(t *testing.T) {
	tests := []struct {
		name, kind string
		want       []string
	}{
		{"users and permission", "{users: [uma], permission: write}", []string{
			`p.yml:3:29: kind "usability" lists users and also permission: write, so anyone with write permission may sign it too; remove the permission line`}},
		{"teams and permission", "{teams: [acme/ux], permission: admin}", []string{
			`p.yml:3:33: kind "usability" lists teams and also permission: admin`}},
		{"users only", "{users: [uma]}", nil},
		{"permission only", "{permission: maintain}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LoadPolicy("p.yml", []byte("version: 1\nkinds:\n  usability: "+tt.kind+"\nrequire: [{kinds: [usability]}]\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Warnings) != len(tt.want) {
				t.Fatalf("LoadPolicy warnings = %v, want %q", p.Warnings, tt.want)
			}
			for i, w := range p.Warnings {
				if !strings.HasPrefix(w.Error(), tt.want[i]) {
					t.Errorf("warning %d = %q, want prefix %q", i, w.Error(), tt.want[i])
				}
			}
		})
	}
}

// TestDefaultPolicyIsSafeToFillIn: someone who only writes names into the
// policy twokey init writes gets a kind only those names can sign, and no
// warning.
func TestDefaultPolicyIsSafeToFillIn(t *testing.T) {
	data := string(DefaultPolicyYAML)
	data = strings.Replace(data, "    users: []\n", "    users: [ux-lead]\n", 1)                                   // usability
	data = strings.Replace(data, "    teams: []          # e.g. [acme/platform]", "    teams: [acme/platform]", 1) // backend
	p, err := LoadPolicy(".github/twokey.yml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"usability", "backend"} {
		if k := p.Kinds[name]; k.Permission != "" || len(k.Users)+len(k.Teams) != 1 {
			t.Errorf("kind %s = %+v, want only the name filled in to sign (no permission)", name, k)
		}
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings = %v, want none", p.Warnings)
	}
	if def := DefaultPolicy(); def.Kinds["usability"].Permission != "write" || def.Kinds["backend"].Permission != "write" {
		t.Errorf("default kinds usability, backend = %+v, %+v; want any writer while no names are filled in", def.Kinds["usability"], def.Kinds["backend"])
	}
}
