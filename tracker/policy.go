package tracker

import (
	"cmp"
	"crypto/sha1"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Policy is the repository's .github/twokey.yml: how briefs are checked and
// labelled, the sign-off kinds and who may give each, which kinds a change
// needs, whether a brief must be linked, and who may bypass the gate.
//
// The action reads it from the default branch through the API and hands it to
// the gate as a value: nothing in this package can load it from a pull request.
type Policy struct {
	Version         int              `yaml:"version"`
	Brief           BriefPolicy      `yaml:"brief"`
	Kinds           map[string]*Kind `yaml:"kinds"`
	SeparateSigners bool             `yaml:"separate_signers"`
	Require         []Requirement    `yaml:"require"`
	Link            LinkPolicy       `yaml:"link"`
	Signoffs        SignoffPolicy    `yaml:"signoffs"`
	PRLabels        PRLabels         `yaml:"pr_labels"`
	Bypass          BypassPolicy     `yaml:"bypass"`
	Calendar        Calendar         `yaml:"calendar"`
	Freeze          []FreezeWindow   `yaml:"freeze"`
	Deadlines       DeadlinePolicy   `yaml:"deadlines"`

	// File is the path the policy was loaded from, for messages.
	File string `yaml:"-"`
	// SHA is the git blob SHA-1 of the file's bytes (what `git hash-object`
	// prints), recorded with every merge so the audit knows which rules applied.
	SHA string `yaml:"-"`
	// KindOrder lists the kinds in the order the file declares them, which is
	// the order people read them in comments and tables.
	KindOrder []string `yaml:"-"`
	// Default is true when this is the embedded default policy.
	Default bool `yaml:"-"`
	// Warnings are what loads but is likely a mistake (a kind that lists
	// users or teams and also a permission, which lets everyone with that
	// permission sign), each at its line; shown, never refused.
	Warnings ConfigErrors `yaml:"-"`
}

// policySections are the top-level keys; a section the file leaves out is
// taken whole from the embedded default.
var policySections = []string{"version", "brief", "kinds", "separate_signers", "require", "link", "signoffs", "pr_labels", "bypass", "calendar", "freeze", "deadlines"}

// DefaultPolicyName is the file name that messages give the embedded default
// policy, e.g. "(embedded default policy):27:7: ...".
const DefaultPolicyName = "(embedded default policy)"

// DefaultPolicy returns the embedded default policy. It panics only if the
// embedded file is broken, which the tests rule out.
func DefaultPolicy() *Policy {
	p, _, err := loadPolicy(DefaultPolicyName, DefaultPolicyYAML, nil, nil)
	if err != nil {
		panic(err)
	}
	p.Default = true
	return p
}

// LoadPolicy decodes and checks a policy file. A top-level section that data
// leaves out is taken whole from the embedded default, and so are brief.rules
// and brief.answer_labels left out of a brief: section.
//
// Mistakes are reported together as ConfigErrors naming file:line:col: every
// unknown key, key written twice and value of the wrong type (a list where a
// mapping belongs, "maybe" where true or false does), then the value checks
// of every section that decoded. Only a YAML syntax error stops the reading
// at once: the file is then not YAML, and the error names its line. A check
// that fails on a part taken from the default points into the default
// (DefaultPolicyName:line:col) and says that the file left the part out.
func LoadPolicy(file string, data []byte) (*Policy, error) {
	def, defRoot, err := loadPolicy(DefaultPolicyName, DefaultPolicyYAML, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("embedded default policy: %w", err)
	}
	def.Default = true
	p, _, err := loadPolicy(file, data, def, defRoot)
	return p, err
}

// loadPolicy is LoadPolicy with the default at hand: def and defRoot are the
// loaded default and its node tree, or nil when data is the embedded default
// itself. It returns the policy and the file's node tree.
func loadPolicy(file string, data []byte, def *Policy, defRoot *yaml.Node) (*Policy, *yaml.Node, error) {
	root, err := parseYAML(file, "`twokey policy`", data)
	if err != nil {
		return nil, nil, err
	}
	s := &policySource{file: file, root: root, def: def, defRoot: defRoot, bad: map[string]bool{}}
	p := &Policy{File: file, SHA: GitBlobSHA(data)}
	errs := s.decode(p)
	if s.def != nil {
		for _, sec := range policySections {
			if nodeAt(root, sec) == nil {
				p.takeSection(s.def, sec)
			}
		}
		if nodeAt(root, "brief") != nil && !s.bad["brief"] {
			if nodeAt(root, "brief", "rules") == nil {
				p.Brief.Rules = slices.Clone(s.def.Brief.Rules)
			}
			if nodeAt(root, "brief", "answer_labels") == nil {
				p.Brief.AnswerLabels = slices.Clone(s.def.Brief.AnswerLabels)
			}
		}
	}
	p.KindOrder = nil
	if n := s.node("kinds"); n != nil && n.Kind == yaml.MappingNode && !s.bad["kinds"] {
		for i := 0; i+1 < len(n.Content); i += 2 {
			p.KindOrder = append(p.KindOrder, n.Content[i].Value)
		}
	}
	if !s.bad["version"] && p.Version != 1 {
		errs = append(errs, s.errAt(fmt.Sprintf("version %d is not supported (this twokey reads version 1)", p.Version), "version"))
	}
	if !s.bad["brief"] {
		errs = append(errs, p.Brief.check(s)...)
	}
	errs = append(errs, p.checkGate(s)...)
	errs = append(errs, p.checkTime(s)...)
	if len(errs) > 0 {
		// Top to bottom through the file, then what concerns the default.
		inDefault := func(e *ConfigError) int {
			if e.File == file {
				return 0
			}
			return 1
		}
		slices.SortStableFunc(errs, func(a, b *ConfigError) int {
			return cmp.Or(cmp.Compare(inDefault(a), inDefault(b)), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		withSource(errs, file, data)
		withSource(errs, DefaultPolicyName, DefaultPolicyYAML)
		return nil, nil, errs
	}
	withSource(p.Warnings, file, data)
	return p, root, nil
}

// policySource is where the parts of a policy being loaded were written: the
// file's node tree, and for the parts taken from the embedded default, the
// default's. Checks find positions through it, so that an error about an
// inherited part points at the default's line, not at the file's 1:1.
type policySource struct {
	file string
	root *yaml.Node
	// def and defRoot are the embedded default and its tree; nil while
	// loading the default itself.
	def     *Policy
	defRoot *yaml.Node
	// bad holds the top-level sections that did not decode; their value
	// checks, and the checks that compare other sections with them, are
	// skipped (their errors are already reported).
	bad map[string]bool
}

// decode decodes each top-level section of the file into p, one at a time:
// a section with an unknown key or a wrong type is reported (all its
// problems, see checkShape) and left out, the others decode.
func (s *policySource) decode(p *Policy) ConfigErrors {
	var errs ConfigErrors
	top := nodeAt(s.root)
	pv := reflect.ValueOf(p).Elem()
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		at := func(format string, args ...any) {
			errs = append(errs, &ConfigError{File: s.file, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf(format, args...)})
		}
		if first, dup := seen[k.Value]; dup {
			at("the top level has key %q twice (first at line %d); keep one", k.Value, first.Line)
			s.bad[k.Value] = true
			continue
		}
		seen[k.Value] = k
		fv, ok := yamlFieldValue(pv, k.Value)
		if !ok {
			at("unknown key %q at the top level (allowed: %s; check its spelling and indentation against the reference)", k.Value, strings.Join(policySections, ", "))
			continue
		}
		if es := checkShape(s.file, k.Value, v, fv.Type()); len(es) > 0 {
			errs = append(errs, es...)
			s.bad[k.Value] = true
			continue
		}
		if err := v.Decode(fv.Addr().Interface()); err != nil {
			// checkShape lets through only what decodes; say so if not.
			errs = append(errs, &ConfigError{File: s.file, Line: v.Line, Column: v.Column, Msg: fmt.Sprintf("%s: %v", k.Value, err)})
			s.bad[k.Value] = true
		}
	}
	return errs
}

// yamlFieldValue returns the field of struct v whose yaml name is key.
func yamlFieldValue(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && yamlName(f) == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// inherited reports whether path (from the top of the policy) lies in a part
// the file leaves out and the default provides: a top-level section, or
// brief.rules or brief.answer_labels inside the file's brief: section.
func (s *policySource) inherited(path ...any) bool {
	if s.def == nil || len(path) == 0 {
		return false
	}
	if nodeAt(s.root, path[0]) == nil {
		return true
	}
	if path[0] == "brief" && len(path) > 1 && (path[1] == "rules" || path[1] == "answer_labels") {
		return nodeAt(s.root, "brief", path[1]) == nil
	}
	return false
}

// tree returns the file name and node tree that path was read from.
func (s *policySource) tree(path ...any) (string, *yaml.Node) {
	if s.inherited(path...) {
		return DefaultPolicyName, s.defRoot
	}
	return s.file, s.root
}

// node returns the node at path, in the file or, for an inherited part, in
// the default.
func (s *policySource) node(path ...any) *yaml.Node {
	_, root := s.tree(path...)
	return nodeAt(root, path...)
}

// errAt is configErrorAt for the part at path, wherever it was written; an
// error in an inherited part says how to replace it.
func (s *policySource) errAt(msg string, path ...any) *ConfigError {
	file, root := s.tree(path...)
	return configErrorAt(file, root, msg+s.hint(path...), path...)
}

// keyErrAt is errAt pointing at a mapping key rather than its value.
func (s *policySource) keyErrAt(msg string, path ...any) *ConfigError {
	file, root := s.tree(path...)
	if n := keyAt(root, path...); n != nil && n.Line > 0 {
		return &ConfigError{File: file, Line: n.Line, Column: n.Column, Msg: msg + s.hint(path...)}
	}
	return s.errAt(msg, path...)
}

// pos is where the part at path was written, remembered for the checks
// against the form (FitPolicyToForm).
func (s *policySource) pos(path ...any) srcPos {
	file, root := s.tree(path...)
	e := configErrorAt(file, root, "", path...)
	return srcPos{file: file, line: e.Line, col: e.Column, fromDefault: s.def == nil || s.inherited(path...)}
}

// hint says, for an inherited part, that the file left it out.
func (s *policySource) hint(path ...any) string {
	switch {
	case !s.inherited(path...):
		return ""
	case nodeAt(s.root, path[0]) == nil:
		return fmt.Sprintf("; %s has no %s: section, so the default's applies: write your own to change it", s.file, path[0])
	default:
		return fmt.Sprintf("; %s has brief: without %s:, so the default's apply: write your own to change them", s.file, path[1])
	}
}

// takeSection copies one top-level section from def.
func (p *Policy) takeSection(def *Policy, s string) {
	switch s {
	case "version":
		p.Version = def.Version
	case "brief":
		p.Brief = def.Brief
	case "kinds":
		p.Kinds, p.KindOrder = def.Kinds, def.KindOrder
	case "separate_signers":
		p.SeparateSigners = def.SeparateSigners
	case "require":
		p.Require = def.Require
	case "link":
		p.Link = def.Link
	case "signoffs":
		p.Signoffs = def.Signoffs
	case "pr_labels":
		p.PRLabels = def.PRLabels
	case "bypass":
		p.Bypass = def.Bypass
	case "calendar":
		p.Calendar = def.Calendar
	case "freeze":
		p.Freeze = slices.Clone(def.Freeze)
	case "deadlines":
		p.Deadlines = def.Deadlines
	}
}

// parseYAML parses data as one YAML document whose top level is a mapping
// and returns its node tree. ref is the command that prints a correct file,
// which a syntax error's message says to compare with.
func parseYAML(file, ref string, data []byte) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		errs := syntaxError(file, ref, data, err)
		withSource(errs, file, data)
		return nil, errs
	}
	if root.Kind == 0 || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return nil, ConfigErrors{{File: file, Msg: "the file is empty (or holds only comments); start from " + ref}}
	}
	if top := nodeAt(&root); top.Kind != yaml.MappingNode {
		return nil, ConfigErrors{{File: file, Line: top.Line, Column: top.Column, Source: sourceLine(data, top.Line),
			Msg: fmt.Sprintf("expected a mapping of keys to values at the top level, got %s; is this the right file? compare with %s", nodeShape(top), ref)}}
	}
	return &root, nil
}

// GitBlobSHA returns the SHA-1 git gives data as a blob (git hash-object).
func GitBlobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return fmt.Sprintf("%x", h.Sum(nil))
}
