package tracker

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Element types of an issue form.
const (
	TypeMarkdown   = "markdown"
	TypeInput      = "input"
	TypeTextarea   = "textarea"
	TypeDropdown   = "dropdown"
	TypeCheckboxes = "checkboxes"
)

// Form is an issue-form template (.github/ISSUE_TEMPLATE/*.yml) as GitHub
// reads it: the top-level keys and the body's elements.
type Form struct {
	File        string
	Name        string
	Description string
	Title       string
	Labels      []string
	Assignees   []string
	Projects    []string
	Type        string
	// Elements are every element of the body, markdown included, in order.
	Elements []*Field
	// Fields are the elements that are submitted (all but markdown), in order:
	// the sections of an issue body filed through the form.
	Fields []*Field
}

// Field is one element of a form's body.
type Field struct {
	// Key is how the field is named in a Brief: its id, or the slug of its
	// label when it has none (see Slug).
	Key         string
	ID          string
	Type        string
	Label       string
	Description string
	Placeholder string
	// Value is the prefilled answer (input, textarea) or the text of a
	// markdown element.
	Value  string
	Render string
	// Multiple is true for a dropdown whose answers may be several options.
	Multiple bool
	// Options are a dropdown's options. An empty option (GitHub accepts a
	// blank "- " line, dotnet/maui uses one) is kept as "" and never matches
	// an answer.
	Options []string
	// Default is the index of a dropdown's preselected option, or -1.
	Default int
	// Required is validations.required (input, textarea, dropdown).
	Required bool
	// Checkboxes are a checkboxes element's options.
	Checkboxes []CheckboxOption
	// Line and Column locate the element in the form file.
	Line, Column int
}

// CheckboxOption is one box of a checkboxes element.
type CheckboxOption struct {
	Label    string
	Required bool
}

// Field returns the field whose key is key, or nil.
func (f *Form) Field(key string) *Field {
	if f == nil {
		return nil
	}
	for _, fl := range f.Fields {
		if fl.Key == key {
			return fl
		}
	}
	return nil
}

// OptionLabels returns the labels a field's answer may be made of: a
// dropdown's non-empty options or a checkboxes element's box labels.
func (fl *Field) OptionLabels() []string {
	var out []string
	switch fl.Type {
	case TypeDropdown:
		for _, o := range fl.Options {
			if o != "" {
				out = append(out, o)
			}
		}
	case TypeCheckboxes:
		for _, c := range fl.Checkboxes {
			out = append(out, c.Label)
		}
	}
	return out
}

// BlankBody returns the issue body GitHub writes when form f is submitted
// with nothing filled in, for people to fill in by hand (twokey form
// --body): for each field in order "### <label>", a blank line, and GitHub's
// mark for no answer: _No response_ for an input, a textarea or a multiple
// dropdown, None for a single dropdown, an empty code block for a render
// textarea, every box unchecked. A prefilled value and a dropdown's default
// are written as GitHub submits them when left alone. Sections are
// separated by a blank line, and the body ends without a newline, as
// GitHub's do.
func (f *Form) BlankBody() string {
	var sb strings.Builder
	for i, fl := range f.Fields {
		if i > 0 {
			sb.WriteString("\n\n")
		}
		sb.WriteString("### " + fl.Label + "\n\n")
		value := strings.TrimRight(fl.Value, " \t\n")
		switch {
		case fl.Type == TypeCheckboxes:
			for j, c := range fl.Checkboxes {
				if j > 0 {
					sb.WriteString("\n")
				}
				sb.WriteString("- [ ] " + c.Label)
			}
		case fl.Type == TypeDropdown && fl.Default >= 0 && fl.Default < len(fl.Options):
			sb.WriteString(fl.Options[fl.Default])
		case fl.Type == TypeDropdown && !fl.Multiple:
			sb.WriteString(noneChoice)
		case fl.Render != "":
			sb.WriteString("```" + fl.Render + "\n" + value + "\n```")
		case value != "":
			sb.WriteString(value)
		default:
			sb.WriteString(noResponse)
		}
	}
	return sb.String()
}

// mustAnswer reports whether the form requires an answer: a required input,
// textarea or dropdown, or a checkboxes element with a required box.
func (fl *Field) mustAnswer() bool {
	if fl.Required {
		return true
	}
	for _, c := range fl.Checkboxes {
		if c.Required {
			return true
		}
	}
	return false
}

// DefaultForm returns the embedded default brief form. It panics only if the
// embedded file is broken, which the tests rule out.
func DefaultForm() *Form {
	f, err := LoadForm(DefaultFormFile, DefaultFormYAML)
	if err != nil {
		panic(err)
	}
	return f
}

var (
	idRe   = lazyRegexp(`^[A-Za-z0-9_-]+$`)
	slugRe = lazyRegexp(`[^a-z0-9]+`)
)

// Slug is the key of a field that has no id: its label lower-cased, every run
// of characters other than a-z and 0-9 replaced by one underscore, and
// underscores trimmed from both ends ("What does it touch?" becomes
// "what_does_it_touch"). It is the rule of github/issue-parser, so keys agree
// with that tool's for ASCII labels. Give fields ids: slugs change when a
// label is reworded.
func Slug(label string) string {
	return strings.Trim(slugRe().ReplaceAllString(strings.ToLower(label), "_"), "_")
}

// LoadForm decodes and checks an issue form the way GitHub does, and more
// strictly where twokey needs it to read bodies: unknown keys, missing labels,
// duplicate ids or labels, dropdowns without options, a None option, a default
// out of range and unquoted YAML booleans are all reported together as
// ConfigErrors naming file:line:col.
func LoadForm(file string, data []byte) (*Form, error) {
	root, err := parseYAML(file, "`twokey form`", data)
	if err != nil {
		return nil, err
	}
	l := &formLoader{file: file}
	f := l.form(nodeAt(root))
	if len(l.errs) > 0 {
		withSource(l.errs, file, data)
		return nil, l.errs
	}
	return f, nil
}

type formLoader struct {
	file string
	errs ConfigErrors
}

func (l *formLoader) errorf(n *yaml.Node, format string, args ...any) {
	e := &ConfigError{File: l.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	l.errs = append(l.errs, e)
}

// mapping returns the key/value pairs of a mapping node, reporting keys not
// in allowed and keys given twice. what names the mapping in messages.
func (l *formLoader) mapping(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s must be a mapping of keys to values", what)
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := out[k.Value]; dup {
			l.errorf(k, "%s has key %q twice", what, k.Value)
			continue
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if !known {
			l.errorf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
			continue
		}
		out[k.Value] = v
	}
	return out
}

// str reads a scalar as a string. GitHub rejects unquoted YAML booleans (yes,
// no, on, off, true, false): they must be quoted to be text.
func (l *formLoader) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		l.errorf(n, "%s must be text", what)
		return "", false
	}
	switch n.Tag {
	case "!!bool":
		l.errorf(n, "%s is the YAML boolean %s; quote it (%q) to make it text", what, n.Value, n.Value)
		return "", false
	case "!!null":
		return "", true
	}
	if isYAML11Bool(n) {
		l.errorf(n, "%s %s is read as a boolean by GitHub; quote it (%q)", what, n.Value, n.Value)
		return "", false
	}
	return n.Value, true
}

// isYAML11Bool reports an unquoted yes/no/on/off, which YAML 1.2 (this
// decoder) reads as text but GitHub's YAML 1.1 reader takes as a boolean.
func isYAML11Bool(n *yaml.Node) bool {
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return false
	}
	switch strings.ToLower(n.Value) {
	case "yes", "no", "on", "off":
		return true
	}
	return false
}

// text reads a required, non-blank string.
func (l *formLoader) text(n *yaml.Node, what string) string {
	s, ok := l.str(n, what)
	if ok && strings.TrimSpace(s) == "" {
		l.errorf(n, "%s is empty", what)
	}
	return s
}

func (l *formLoader) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(n.Value)
		if err == nil {
			return b
		}
	}
	l.errorf(n, "%s must be true or false, not %q", what, n.Value)
	return false
}

// list reads an array of strings or a comma-separated string (labels,
// assignees, projects).
func (l *formLoader) list(n *yaml.Node, what string) []string {
	var out []string
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if s := l.text(c, what+" entry"); s != "" {
				out = append(out, s)
			}
		}
	case yaml.ScalarNode:
		s, _ := l.str(n, what)
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	default:
		l.errorf(n, "%s must be a list or a comma-separated string", what)
	}
	return out
}

func (l *formLoader) form(top *yaml.Node) *Form {
	m := l.mapping(top, "the form", "name", "description", "title", "labels", "assignees", "projects", "type", "body")
	f := &Form{File: l.file}
	if m == nil {
		return f
	}
	for _, k := range []string{"name", "description", "body"} {
		if m[k] == nil {
			l.errorf(top, "the form has no %s (GitHub requires name, description and body)", k)
		}
	}
	if n := m["name"]; n != nil {
		f.Name = l.text(n, "name")
	}
	if n := m["description"]; n != nil {
		f.Description = l.text(n, "description")
	}
	if n := m["title"]; n != nil {
		f.Title, _ = l.str(n, "title")
	}
	if n := m["type"]; n != nil {
		f.Type = l.text(n, "type")
	}
	if n := m["labels"]; n != nil {
		f.Labels = l.list(n, "labels")
	}
	if n := m["assignees"]; n != nil {
		f.Assignees = l.list(n, "assignees")
	}
	if n := m["projects"]; n != nil {
		f.Projects = l.list(n, "projects")
		for i, p := range f.Projects {
			if !projectRe().MatchString(p) {
				l.errorf(n, "projects entry %d %q is not OWNER/NUMBER", i+1, p)
			}
		}
	}
	body := m["body"]
	if body == nil {
		return f
	}
	if body.Kind != yaml.SequenceNode || len(body.Content) == 0 {
		l.errorf(body, "body must be a non-empty list of elements")
		return f
	}
	for i, en := range body.Content {
		fl := l.element(i+1, en)
		if fl == nil {
			continue
		}
		f.Elements = append(f.Elements, fl)
		if fl.Type != TypeMarkdown {
			f.Fields = append(f.Fields, fl)
		}
	}
	if len(f.Fields) == 0 && len(f.Elements) == len(body.Content) {
		l.errorf(body, "body has no input, textarea, dropdown or checkboxes element: a form needs at least one")
	}
	l.unique(f)
	return f
}

var projectRe = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9-]*/[0-9]+$`)

// allowedAttributes lists the attributes of each element type.
var allowedAttributes = map[string][]string{
	TypeMarkdown:   {"value"},
	TypeInput:      {"label", "description", "placeholder", "value"},
	TypeTextarea:   {"label", "description", "placeholder", "value", "render"},
	TypeDropdown:   {"label", "description", "multiple", "options", "default"},
	TypeCheckboxes: {"label", "description", "options"},
}

func (l *formLoader) element(pos int, n *yaml.Node) *Field {
	what := fmt.Sprintf("body element %d", pos)
	m := l.mapping(n, what, "type", "id", "attributes", "validations")
	if m == nil {
		return nil
	}
	fl := &Field{Default: -1, Line: n.Line, Column: n.Column}
	tn := m["type"]
	if tn == nil {
		l.errorf(n, "%s has no type (one of markdown, input, textarea, dropdown, checkboxes)", what)
		return nil
	}
	fl.Type, _ = l.str(tn, what+" type")
	allowed, ok := allowedAttributes[fl.Type]
	if !ok {
		hint := "one of markdown, input, textarea, dropdown, checkboxes"
		if fl.Type == "upload" {
			hint = "twokey cannot read upload fields yet; use a textarea and ask for a link"
		}
		l.errorf(tn, "%s has unknown type %q (%s)", what, fl.Type, hint)
		return nil
	}
	what = fmt.Sprintf("%s (%s)", what, fl.Type)
	if idn := m["id"]; idn != nil {
		if fl.Type == TypeMarkdown {
			l.errorf(idn, "%s cannot have an id: markdown elements are not submitted", what)
		}
		fl.ID = l.text(idn, what+" id")
		if fl.ID != "" && !idRe().MatchString(fl.ID) {
			l.errorf(idn, "%s id %q may only contain letters, digits, - and _", what, fl.ID)
		}
	}
	an := m["attributes"]
	if an == nil {
		l.errorf(n, "%s has no attributes", what)
		return fl
	}
	attrs := l.mapping(an, what+" attributes", allowed...)
	if attrs == nil {
		return fl
	}
	if v := attrs["value"]; v != nil {
		fl.Value, _ = l.str(v, what+" value")
	}
	if fl.Type == TypeMarkdown {
		if attrs["value"] == nil || strings.TrimSpace(fl.Value) == "" {
			l.errorf(an, "%s needs a non-empty value", what)
		}
		if vn := m["validations"]; vn != nil {
			l.errorf(vn, "%s cannot have validations: markdown elements are not submitted", what)
		}
		return fl
	}
	if ln := attrs["label"]; ln != nil {
		fl.Label = strings.TrimSpace(l.text(ln, what+" label"))
		if fl.Label != "" && strings.Contains(fl.Label, "\n") {
			l.errorf(ln, "%s label spans several lines; GitHub writes it as one heading line", what)
		}
	} else {
		l.errorf(an, "%s has no label (the label is the heading of its answer in the issue)", what)
	}
	if fl.Label != "" {
		what = fmt.Sprintf("%s %q", what, fl.Label)
	}
	if d := attrs["description"]; d != nil {
		fl.Description, _ = l.str(d, what+" description")
	}
	if p := attrs["placeholder"]; p != nil {
		fl.Placeholder, _ = l.str(p, what+" placeholder")
	}
	if r := attrs["render"]; r != nil {
		fl.Render = l.text(r, what+" render")
	}
	if mn := attrs["multiple"]; mn != nil {
		fl.Multiple = l.boolean(mn, what+" multiple")
	}
	switch fl.Type {
	case TypeDropdown:
		l.dropdown(fl, what, an, attrs)
	case TypeCheckboxes:
		l.checkboxes(fl, what, an, attrs)
	}
	if vn := m["validations"]; vn != nil {
		v := l.mapping(vn, what+" validations", "required")
		if rn := v["required"]; rn != nil {
			req := l.boolean(rn, what+" validations.required")
			if fl.Type == TypeCheckboxes && req {
				l.errorf(rn, "%s: validations.required has no effect on checkboxes; set required: true on each option that must be checked", what)
			}
			fl.Required = req && fl.Type != TypeCheckboxes
		}
	}
	fl.Key = fl.ID
	if fl.Key == "" {
		fl.Key = Slug(fl.Label)
		if fl.Key == "" && fl.Label != "" {
			l.errorf(n, "%s has no id and its label has no letters or digits to make a key from; give it an id", what)
		}
	}
	return fl
}

func (l *formLoader) dropdown(fl *Field, what string, an *yaml.Node, attrs map[string]*yaml.Node) {
	on := attrs["options"]
	if on == nil || on.Kind != yaml.SequenceNode || len(on.Content) == 0 {
		at := an
		if on != nil {
			at = on
		}
		l.errorf(at, "%s needs options: a non-empty list of choices", what)
		return
	}
	seen := map[string]bool{}
	for _, c := range on.Content {
		s, ok := l.str(c, what+" option")
		if !ok {
			continue
		}
		s = strings.TrimSpace(s)
		switch {
		case strings.EqualFold(s, "None"):
			l.errorf(c, "%s has option %q: GitHub reserves None for a dropdown left unanswered; rename it", what, s)
		case seen[s]:
			l.errorf(c, "%s has option %q twice", what, s)
		case fl.Multiple && strings.Contains(s, ", "):
			// Allowed (dotnet/maui does it) and matched longest first; an
			// answer stays readable as long as options do not overlap.
		}
		seen[s] = true
		fl.Options = append(fl.Options, s)
	}
	if dn := attrs["default"]; dn != nil {
		d, err := strconv.Atoi(dn.Value)
		switch {
		case dn.Kind != yaml.ScalarNode || dn.Tag != "!!int" || err != nil:
			l.errorf(dn, "%s default must be the index of an option (0 for the first), not %q", what, dn.Value)
		case d < 0 || d >= len(fl.Options):
			l.errorf(dn, "%s default %d is out of range: the dropdown has %d options, numbered from 0", what, d, len(fl.Options))
		default:
			fl.Default = d
		}
	}
}

func (l *formLoader) checkboxes(fl *Field, what string, an *yaml.Node, attrs map[string]*yaml.Node) {
	on := attrs["options"]
	if on == nil || on.Kind != yaml.SequenceNode || len(on.Content) == 0 {
		at := an
		if on != nil {
			at = on
		}
		l.errorf(at, "%s needs options: a non-empty list of {label, required}", what)
		return
	}
	seen := map[string]bool{}
	for i, c := range on.Content {
		ow := fmt.Sprintf("%s option %d", what, i+1)
		m := l.mapping(c, ow, "label", "required")
		if m == nil {
			continue
		}
		var opt CheckboxOption
		if ln := m["label"]; ln != nil {
			opt.Label = strings.TrimSpace(l.text(ln, ow+" label"))
			if seen[opt.Label] && opt.Label != "" {
				l.errorf(ln, "%s has the box %q twice", what, opt.Label)
			}
			seen[opt.Label] = true
		} else {
			l.errorf(c, "%s has no label", ow)
		}
		if rn := m["required"]; rn != nil {
			opt.Required = l.boolean(rn, ow+" required")
		}
		fl.Checkboxes = append(fl.Checkboxes, opt)
	}
}

// unique checks what must be unique across the form: ids, labels (twokey
// finds answers by their heading, so even GitHub's "same label, different id"
// is refused) and keys.
func (l *formLoader) unique(f *Form) {
	ids := map[string]*Field{}
	labels := map[string]*Field{}
	keys := map[string]*Field{}
	for _, fl := range f.Fields {
		if fl.ID != "" {
			if prev := ids[fl.ID]; prev != nil {
				l.errorf(&yaml.Node{Line: fl.Line, Column: fl.Column}, "id %q is used twice (first at line %d); ids must be unique", fl.ID, prev.Line)
			}
			ids[fl.ID] = fl
		}
		if fl.Label != "" {
			if prev := labels[fl.Label]; prev != nil {
				l.errorf(&yaml.Node{Line: fl.Line, Column: fl.Column}, "label %q is used twice (first at line %d); each answer is found by its label, so labels must be unique", fl.Label, prev.Line)
			}
			labels[fl.Label] = fl
		}
		if fl.Key == "" {
			continue
		}
		if prev := keys[fl.Key]; prev != nil && (prev.ID == "" || fl.ID == "") {
			l.errorf(&yaml.Node{Line: fl.Line, Column: fl.Column}, "field key %q (the id, or the slug of the label, of %q) clashes with the field at line %d; give them distinct ids", fl.Key, fl.Label, prev.Line)
		}
		keys[fl.Key] = fl
	}
}
