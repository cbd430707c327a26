package tracker

import (
	"bytes"
	"crypto/sha1"
	"fmt"

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
}

// policySections are the top-level keys; a section the file leaves out is
// taken whole from the embedded default.
var policySections = []string{"version", "brief", "kinds", "separate_signers", "require", "link", "signoffs", "pr_labels", "bypass"}

// DefaultPolicy returns the embedded default policy. It panics only if the
// embedded file is broken, which the tests rule out.
func DefaultPolicy() *Policy {
	p, err := LoadPolicy("(embedded default policy)", DefaultPolicyYAML)
	if err != nil {
		panic(err)
	}
	p.Default = true
	return p
}

// LoadPolicy decodes and checks a policy file. Unknown keys, wrong types and
// bad values are reported together as ConfigErrors naming file:line:col. A
// top-level section that data leaves out takes the embedded default's.
func LoadPolicy(file string, data []byte) (*Policy, error) {
	root, err := decodeStrict(file, data, nil)
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	if _, err := decodeStrict(file, data, p); err != nil {
		return nil, err
	}
	if !bytes.Equal(data, DefaultPolicyYAML) {
		def, err := LoadPolicy("(embedded default policy)", DefaultPolicyYAML)
		if err != nil {
			return nil, fmt.Errorf("embedded default policy: %w", err)
		}
		for _, s := range policySections {
			if nodeAt(root, s) == nil {
				p.takeSection(def, s)
			}
		}
	}
	p.File = file
	p.SHA = GitBlobSHA(data)
	if p.KindOrder == nil {
		if n := nodeAt(root, "kinds"); n != nil && n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				p.KindOrder = append(p.KindOrder, n.Content[i].Value)
			}
		}
	}
	var errs ConfigErrors
	if p.Version != 1 {
		errs = append(errs, configErrorAt(file, root, fmt.Sprintf("version %d is not supported (this twokey reads version 1)", p.Version), "version"))
	}
	errs = append(errs, p.Brief.check(file, root)...)
	errs = append(errs, p.checkGate(file, root)...)
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
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
	}
}

// decodeStrict parses data as one YAML document and, when v is not nil,
// decodes it into v rejecting unknown keys. It returns the parsed node tree.
func decodeStrict(file string, data []byte, v any) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if root.Kind == 0 || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return nil, ConfigErrors{{File: file, Msg: "the file is empty"}}
	}
	if top := nodeAt(&root); top.Kind != yaml.MappingNode {
		return nil, ConfigErrors{{File: file, Line: top.Line, Column: top.Column, Msg: "expected a mapping of keys to values at the top level"}}
	}
	if v != nil {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(v); err != nil {
			return nil, yamlError(file, err)
		}
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
