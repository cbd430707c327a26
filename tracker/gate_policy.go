package tracker

import "go.yaml.in/yaml/v3"

// Kind is a sign-off kind (usability, backend, ...) and who may give it.
type Kind struct {
	Description string   `yaml:"description"`
	Users       []string `yaml:"users"`
	Teams       []string `yaml:"teams"` // org/slug
	Permission  string   `yaml:"permission"`
	AllowAuthor bool     `yaml:"allow_author"`
}

// Requirement adds Kinds to what a change needs when all its conditions hold.
type Requirement struct {
	Paths  []string   `yaml:"paths"`
	Brief  *Condition `yaml:"brief"`
	Labels []string   `yaml:"labels"`
	Kinds  []string   `yaml:"kinds"`
}

// LinkPolicy says whether a pull request must link a brief and what waives it.
type LinkPolicy struct {
	Required     bool   `yaml:"required"`
	WaiveLabel   string `yaml:"waive_label"`
	WaiveCommand string `yaml:"waive_command"`
}

// SignoffPolicy says when a push makes sign-offs stale.
type SignoffPolicy struct {
	KeepOnSameTree bool `yaml:"keep_on_same_tree"`
}

// PRLabels are the labels twokey keeps on pull requests.
type PRLabels struct {
	Signed     string `yaml:"signed"` // {kind} is replaced
	NeedsBrief string `yaml:"needs_brief"`
}

// BypassPolicy says who may declare an emergency bypass of the gate.
type BypassPolicy struct {
	Users []string `yaml:"users"`
}

// checkGate validates the gate sections (kinds referenced by require exist,
// globs are valid, teams are org/slug, ...) and applies key-level defaults.
// TODO(issue 3): implement.
func (p *Policy) checkGate(file string, root *yaml.Node) ConfigErrors { return nil }
