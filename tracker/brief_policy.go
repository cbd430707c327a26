package tracker

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// BriefPolicy is the brief: section of the policy.
type BriefPolicy struct {
	Form         string        `yaml:"form"`
	Label        string        `yaml:"label"`
	Labels       BriefLabels   `yaml:"labels"`
	Rules        []BriefRule   `yaml:"rules"`
	AnswerLabels []AnswerLabel `yaml:"answer_labels"`

	// formPos is where brief.form was written; its file is "" when the
	// policy file did not write it (the default path then applies, and
	// a missing form there means the embedded one).
	formPos srcPos
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

	re  *regexp.Regexp // Pattern, compiled by check
	pos srcPos
}

// Condition compares a brief's answer with a value: Is holds when the answer
// is the value or, for multi-choice answers, includes it; IsNot the opposite.
type Condition struct {
	Field string `yaml:"field"`
	Is    string `yaml:"is"`
	IsNot string `yaml:"is_not"`

	pos srcPos
}

// AnswerLabel sets Label on a brief when Field's answer is or includes Option.
type AnswerLabel struct {
	Field  string `yaml:"field"`
	Option string `yaml:"option"`
	Label  string `yaml:"label"`

	pos srcPos
}

// srcPos is where a policy entry was written, for errors found later (when
// the policy is compared with the form).
type srcPos struct {
	file      string
	line, col int
	// fromDefault is true for an entry of the embedded default policy,
	// whether the whole policy is the default or the file left the entry's
	// part out: FitPolicyToForm leaves such an entry out when it does not
	// fit the form, where an entry of the file is an error.
	fromDefault bool
}

// Defaults of the brief section's keys.
const (
	DefaultBriefLabel     = "brief"
	DefaultReadyLabel     = "brief: ready"
	DefaultNeedsInfoLabel = "brief: needs-info"
)

// applyDefaults fills the keys left empty.
func (b *BriefPolicy) applyDefaults() {
	if b.Form == "" {
		b.Form = DefaultFormFile
	}
	if b.Label == "" {
		b.Label = DefaultBriefLabel
	}
	if b.Labels.Ready == "" {
		b.Labels.Ready = DefaultReadyLabel
	}
	if b.Labels.NeedsInfo == "" {
		b.Labels.NeedsInfo = DefaultNeedsInfoLabel
	}
}

// regexp returns the rule's compiled pattern.
func (r *BriefRule) regexp() (*regexp.Regexp, error) {
	if r.re != nil {
		return r.re, nil
	}
	return regexp.Compile(r.Pattern)
}

// check validates the brief section's values (regexps compile, each rule says
// what it checks and why, ...) and applies key-level defaults: form, label
// and labels take the defaults above. (rules and answer_labels left out were
// taken from the embedded default by loadPolicy; an empty list means none.)
// Positions come from s, so that a rule taken from the default is reported,
// and later compared with the form, at the default's line.
func (b *BriefPolicy) check(s *policySource) ConfigErrors {
	var errs ConfigErrors
	errAt := func(msg string, path ...any) {
		errs = append(errs, s.errAt(msg, append([]any{"brief"}, path...)...))
	}
	pos := func(path ...any) srcPos {
		return s.pos(append([]any{"brief"}, path...)...)
	}
	b.applyDefaults()
	sec := s.node("brief")
	if sec == nil {
		return nil // no brief: section in the embedded default itself
	}
	if sec.Kind != yaml.MappingNode {
		errAt("brief must be a mapping of keys to values")
		return errs
	}
	if s.def != nil && nodeAt(s.root, "brief", "form") != nil {
		b.formPos = pos("form")
	}
	for _, k := range []string{"form", "label"} {
		if n := nodeAt(sec, k); n != nil && strings.TrimSpace(n.Value) == "" {
			errAt(fmt.Sprintf("brief.%s is empty; leave the key out to use the default", k), k)
		}
	}
	if b.Labels.Ready == b.Labels.NeedsInfo {
		errAt(fmt.Sprintf("brief.labels.ready and needs_info are both %q; they must differ", b.Labels.Ready), "labels")
	}
	for i := range b.Rules {
		r := &b.Rules[i]
		r.pos = pos("rules", i)
		what := fmt.Sprintf("brief rule %d", i+1)
		if r.Field != "" {
			what += fmt.Sprintf(" (field %s)", r.Field)
		}
		if strings.TrimSpace(r.Field) == "" {
			errAt(what+" has no field: name the form element's id it checks", "rules", i)
		}
		var kinds []string
		if r.MinWords != 0 {
			kinds = append(kinds, "min_words")
		}
		if r.Pattern != "" {
			kinds = append(kinds, "pattern")
		}
		if r.Link {
			kinds = append(kinds, "link")
		}
		if r.Date {
			kinds = append(kinds, "date")
		}
		if r.Required {
			kinds = append(kinds, "required")
		}
		switch len(kinds) {
		case 0:
			errAt(what+" checks nothing: give it one of min_words, pattern, link: true, date: true or required: true", "rules", i)
		case 1:
		default:
			errAt(fmt.Sprintf("%s has %s: a rule checks one thing (each has its own why); split it into %d rules", what, strings.Join(kinds, " and "), len(kinds)), "rules", i)
		}
		if r.MinWords < 0 {
			errAt(fmt.Sprintf("%s min_words is %d; it must be a positive number of words", what, r.MinWords), "rules", i, "min_words")
		}
		if r.Pattern != "" {
			re, err := regexp.Compile(r.Pattern)
			if err != nil {
				errAt(fmt.Sprintf("%s pattern %q does not compile: %v (Go RE2 syntax)", what, r.Pattern, err), "rules", i, "pattern")
			}
			r.re = re
		}
		if r.Message != "" && r.Pattern == "" {
			errAt(what+" has a message but no pattern; message replaces the pattern's default message only", "rules", i, "message")
		}
		if strings.TrimSpace(r.Why) == "" {
			errAt(what+" has no why: say why the answer matters, it is shown to the person filing the brief", "rules", i)
		}
		if r.When != nil {
			r.When.pos = pos("rules", i, "when")
			if strings.TrimSpace(r.When.Field) == "" {
				errAt(what+" when has no field", "rules", i, "when")
			}
			if (r.When.Is == "") == (r.When.IsNot == "") {
				errAt(what+" when needs exactly one of is or is_not", "rules", i, "when")
			}
		}
	}
	for i := range b.AnswerLabels {
		al := &b.AnswerLabels[i]
		al.pos = pos("answer_labels", i)
		for _, kv := range [][2]string{{"field", al.Field}, {"option", al.Option}, {"label", al.Label}} {
			if strings.TrimSpace(kv[1]) == "" {
				errAt(fmt.Sprintf("brief answer_labels entry %d has no %s (it needs field, option and label)", i+1, kv[0]), "answer_labels", i)
			}
		}
		if al.Label == b.Labels.Ready || al.Label == b.Labels.NeedsInfo {
			errAt(fmt.Sprintf("brief answer_labels entry %d uses the label %q, which twokey sets for readiness", i+1, al.Label), "answer_labels", i, "label")
		}
	}
	return errs
}

// FormNamed reports whether the policy file itself names the brief form
// (brief.form). When it does, a missing form is an error (MissingForm);
// when it does not, the form at DefaultFormFile is used if the repository
// has one, else the embedded form.
func (p *Policy) FormNamed() bool { return p.Brief.formPos.file != "" }

// MissingForm is the error for a brief.form that names no file: it points at
// the brief.form line of the policy and says what to do. where says where the
// form was looked for ("on main", "in /src/site").
func (p *Policy) MissingForm(where string) *ConfigError {
	fp := p.Brief.formPos
	if fp.file == "" {
		fp.file = p.File
	}
	return &ConfigError{File: fp.file, Line: fp.line, Column: fp.col,
		Msg: fmt.Sprintf("brief.form names %s, which does not exist %s: add the form there (twokey form > %s writes the default one), "+
			"fix the path, or remove brief.form to use %s or the embedded form", p.Brief.Form, where, p.Brief.Form, DefaultFormFile)}
}
