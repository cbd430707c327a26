package tracker

import "go.yaml.in/yaml/v3"

// BriefPolicy is the brief: section of the policy.
type BriefPolicy struct {
	Form         string        `yaml:"form"`
	Label        string        `yaml:"label"`
	Labels       BriefLabels   `yaml:"labels"`
	Rules        []BriefRule   `yaml:"rules"`
	AnswerLabels []AnswerLabel `yaml:"answer_labels"`
}

// BriefLabels are the labels twokey sets on a brief to say whether it is ready.
type BriefLabels struct {
	Ready     string `yaml:"ready"`
	NeedsInfo string `yaml:"needs_info"`
}

// BriefRule is a check that an issue form cannot express, on one field.
type BriefRule struct {
	Field    string     `yaml:"field"`
	MinWords int        `yaml:"min_words"`
	Pattern  string     `yaml:"pattern"`
	Message  string     `yaml:"message"`
	Link     bool       `yaml:"link"`
	Date     bool       `yaml:"date"`
	Required bool       `yaml:"required"`
	When     *Condition `yaml:"when"`
	Why      string     `yaml:"why"`
}

// Condition compares a brief's answer with a value: Is holds when the answer
// is the value or, for multi-choice answers, includes it; IsNot the opposite.
type Condition struct {
	Field string `yaml:"field"`
	Is    string `yaml:"is"`
	IsNot string `yaml:"is_not"`
}

// AnswerLabel sets Label on a brief when Field's answer is or includes Option.
type AnswerLabel struct {
	Field  string `yaml:"field"`
	Option string `yaml:"option"`
	Label  string `yaml:"label"`
}

// check validates the brief section's values (regexps compile, each rule says
// what it checks and why, ...) and applies key-level defaults.
// TODO(issue 2): implement.
func (b *BriefPolicy) check(file string, root *yaml.Node) ConfigErrors { return nil }
