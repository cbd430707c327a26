package tracker

import "strings"

// Brief is an issue body parsed against a form: one Value per form element,
// keyed by the element's id (or the slug of its label when it has none).
type Brief struct {
	// Fields holds every element of the form that has an answer section in
	// the body; an element whose section is missing is absent here (and a
	// finding says so).
	Fields map[string]*Value
	// Order lists the field keys in form order.
	Order []string
	// Form is the form the body was parsed against.
	Form *Form
	// Preamble is the text before the first section, which belongs to no
	// answer (people add notes there).
	Preamble string
}

// Value is one answer, typed by the element it answers.
type Value struct {
	// Text is the answer with GitHub's placeholders removed: "" for
	// _No response_, for None in an optional dropdown and for an empty render
	// fence; the fenced content for a render textarea; the option for a
	// single dropdown. When text was typed next to a placeholder, Text is that
	// text without the placeholder, and a placeholder finding says so.
	Text string
	// Choices are the selected options of a dropdown (one for a single
	// dropdown), matched against the form's options.
	Choices []string
	// Checked and Unchecked are the options of a checkboxes element.
	Checked   []string
	Unchecked []string
	// Raw is the answer exactly as written in the body (CRLF normalised,
	// blank lines around it removed).
	Raw string
	// Copies are the later sections with this field's heading, each read as
	// an answer of its own (Raw is its text). They never change Text,
	// Choices or Checked, and a duplicate_section finding reports them; but
	// since either copy may be the one typed to fake the answer, Is and
	// Condition.Holds count every copy, so that a copy can add a label or a
	// requirement and never take one away.
	Copies []*Value
}

// Answer returns the value of field id, or nil when the body has no section
// for it.
func (b *Brief) Answer(id string) *Value {
	if b == nil {
		return nil
	}
	return b.Fields[id]
}

// Empty reports whether the answer says nothing.
func (v *Value) Empty() bool {
	return v == nil || (strings.TrimSpace(v.Text) == "" && len(v.Choices) == 0 && len(v.Checked) == 0)
}

// Is reports whether the answer is s or, for multi-choice answers and
// checkboxes, includes s; or whether any copy of the section (see Copies)
// does. Comparison ignores case and surrounding space.
func (v *Value) Is(s string) bool {
	if v == nil {
		return false
	}
	for _, r := range v.readings() {
		if r.is(s) {
			return true
		}
	}
	return false
}

// readings returns the answer and each copy of its section.
func (v *Value) readings() []*Value {
	return append([]*Value{v}, v.Copies...)
}

// is is Is for this reading alone, copies left out.
func (v *Value) is(s string) bool {
	s = strings.TrimSpace(s)
	for _, c := range v.Choices {
		if strings.EqualFold(strings.TrimSpace(c), s) {
			return true
		}
	}
	for _, c := range v.Checked {
		if strings.EqualFold(strings.TrimSpace(c), s) {
			return true
		}
	}
	return len(v.Choices) == 0 && len(v.Checked) == 0 && strings.EqualFold(strings.TrimSpace(v.Text), s)
}

// Holds reports whether the condition holds for brief b. A condition on a
// field that b does not answer does not hold for Is, and holds for IsNot.
// When the body repeats the field's section, the condition holds when it
// holds for the answer or for any copy (see Value.Copies): a rule or a
// requirement that one copy switches on stays on whatever the other says.
func (c *Condition) Holds(b *Brief) bool {
	if c == nil {
		return true
	}
	v := b.Answer(c.Field)
	if v == nil {
		return c.Is == ""
	}
	for _, r := range v.readings() {
		if (c.Is == "" || r.is(c.Is)) && (c.IsNot == "" || !r.is(c.IsNot)) {
			return true
		}
	}
	return false
}
