package tracker

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Finding is one problem with a brief (or a pull request): which field, which
// rule, what is wrong, why it matters, and whether it blocks ("error") or is
// only worth a look ("warning").
type Finding struct {
	Field    string `json:"field"`
	Rule     string `json:"rule"`
	Message  string `json:"message"`
	Why      string `json:"why"`
	Severity string `json:"severity"`
}

// Severities of a Finding.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Rules a brief Finding can name. The first seven come from the form and the
// body's shape; the rest from the policy's brief rules.
const (
	RuleRequired         = "required"
	RuleOption           = "option"
	RuleCheckbox         = "checkbox"
	RuleMissingSection   = "missing_section"
	RuleDuplicateSection = "duplicate_section"
	RuleOrder            = "order"
	RulePlaceholder      = "placeholder"
	RuleMinWords         = "min_words"
	RulePattern          = "pattern"
	RuleLink             = "link"
	RuleDate             = "date"
	// Findings on the body as a whole name no field (Field is ""): a body
	// with none of the form's headings, one that is not UTF-8 text, and
	// one longer than GitHub keeps.
	RuleNotABrief = "not_a_brief"
	RuleEncoding  = "encoding"
	RuleTooLong   = "too_long"
	// RuleDeadlinePassed is an open brief whose deadline answer (the
	// policy's deadlines.brief_field) has passed; a warning unless
	// deadlines.passed is needs_info.
	RuleDeadlinePassed = "deadline_passed"
)

// MaxBodyChars is the most characters GitHub keeps in an issue body.
const MaxBodyChars = 65536

// defaultWhy is the reason given for the form-level rules, which have no why
// of their own in the policy: never a bare "no".
var defaultWhy = map[string]string{
	RuleRequired:         "The form asks every brief for this: without it the change cannot be planned, built or tested, and an engineer has to come back and ask.",
	RuleOption:           "Labels, reviews and the sign-offs a change needs are decided from the form's options; an answer that is not one of them cannot be routed.",
	RuleCheckbox:         "The form asks everyone who files a brief to agree to this; the change depends on it.",
	RuleMissingSection:   "twokey finds each answer under its question's heading; without the heading it cannot tell what the answer is.",
	RuleDuplicateSection: "A question answered twice is ambiguous, and a heading typed inside another answer could otherwise change an answer or tick a box unnoticed.",
	RuleOrder:            "Answers moved around are easy to misread; twokey reads them by heading, so this is only a warning.",
	RulePlaceholder:      "GitHub writes _No response_ (None for a dropdown, an empty code block for a log field) when a question is left empty; text typed next to it may be the answer or a note meant elsewhere, and twokey does not guess which.",
	RuleNotABrief:        "twokey finds each answer under its question's \"### \" heading, as GitHub writes them when the form is submitted; a body with none of them was not filed through this form, or its headings were rewritten.",
	RuleEncoding:         "GitHub keeps issues as UTF-8 text; bytes that are not UTF-8 are shown as \ufffd or refused, so the answers cannot be read as they were written.",
	RuleTooLong:          "GitHub refuses an issue body longer than 65,536 characters, so this brief cannot be filed or saved as it is.",
}

// BriefResult is a brief checked against its form and the policy: whether it
// is ready, the parsed answers, every finding, and the labels twokey wants on
// the issue (the ready or needs-info label and the answer labels).
type BriefResult struct {
	Valid    bool
	Brief    *Brief
	Findings []Finding
	Labels   []string
}

// CheckBrief parses body against form f and checks it against the form and
// the brief rules of policy p (nil means no rules and default labels). filed
// is when the issue was filed: a deadline may not be before it. The brief is
// valid when no finding is an error.
func CheckBrief(f *Form, p *Policy, body string, filed time.Time) *BriefResult {
	return CheckBriefAt(f, p, body, filed, time.Time{})
}

// CheckBriefAt is CheckBrief judged at now (GitHub's clock): a brief whose
// deadline (deadlines.brief_field) has passed by now also gets a
// deadline_passed finding, as deadlines.passed says (a warning by default).
// A zero now checks nothing about time.
func CheckBriefAt(f *Form, p *Policy, body string, filed, now time.Time) *BriefResult {
	b, findings := ParseBrief(f, body)
	var bp BriefPolicy
	if p != nil {
		bp = p.Brief
	}
	bp.applyDefaults()
	for i := range findings {
		if findings[i].Rule == RuleRequired {
			for _, r := range bp.Rules {
				if r.Field == findings[i].Field && r.Why != "" {
					findings[i].Why = r.Why
					break
				}
			}
		}
	}
	findings = append(findings, ruleFindings(&bp, b, filed)...)
	if fd := deadlinePassedFinding(p, b, now); fd != nil && !slices.ContainsFunc(findings, func(x Finding) bool {
		return x.Field == fd.Field && x.Rule == RuleDate // a date before the filing already says it
	}) {
		findings = append(findings, *fd)
	}
	sortFindings(f, findings)
	res := &BriefResult{Valid: true, Brief: b, Findings: findings}
	for _, fd := range findings {
		if fd.Severity == SeverityError {
			res.Valid = false
		}
	}
	if res.Valid {
		res.Labels = append(res.Labels, bp.Labels.Ready)
	} else {
		res.Labels = append(res.Labels, bp.Labels.NeedsInfo)
	}
	for _, al := range bp.AnswerLabels {
		if b.Answer(al.Field).Is(al.Option) && !slices.Contains(res.Labels, al.Label) {
			res.Labels = append(res.Labels, al.Label)
		}
	}
	return res
}

// formFindings checks what the form itself requires: required answers (in
// the answer read) and required boxes (in every copy of the section).
func formFindings(f *Form, b *Brief) []Finding {
	var out []Finding
	for _, fl := range f.Fields {
		v := b.Answer(fl.Key)
		if v == nil {
			continue // missing_section already says so
		}
		if fl.Required && v.Empty() {
			msg := "the question is not answered; the form requires an answer"
			if fl.Type == TypeDropdown && !fl.Multiple && strings.TrimSpace(visibleText(v.Raw)) == noneChoice {
				// GitHub enforces required only in public repositories.
				msg = fmt.Sprintf("no option is chosen (GitHub writes None for a dropdown left alone); the form requires one of %s", optionList(fl))
			}
			out = append(out, Finding{Field: fl.Key, Rule: RuleRequired, Severity: SeverityError, Message: msg, Why: requiredWhy(fl)})
		}
		for _, c := range fl.Checkboxes {
			if !c.Required {
				continue
			}
			// A box ticked in one copy of a repeated section and not in
			// another is not checked: a copy may add a finding, never
			// remove one.
			for _, r := range v.readings() {
				if !slices.Contains(r.Checked, c.Label) {
					out = append(out, Finding{Field: fl.Key, Rule: RuleCheckbox, Severity: SeverityError,
						Message: fmt.Sprintf("the box %q is not checked; the form requires it", clip(c.Label)), Why: defaultWhy[RuleCheckbox]})
					break
				}
			}
		}
	}
	return out
}

// requiredWhy is the reason an answer is required when the policy has no rule
// on the field to take a why from: the field's description when the form
// gives one (it says what the answer is for), else the default.
func requiredWhy(fl *Field) string {
	if d := strings.TrimSpace(fl.Description); d != "" {
		return strings.Join(strings.Fields(d), " ")
	}
	return defaultWhy[RuleRequired]
}

var (
	urlRe  = lazyRegexp(`https?://[^\s<>()\[\]"'` + "`" + `]+`)
	dateRe = lazyRegexp(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// ruleFindings applies the policy's brief rules. A rule whose when does not
// hold is skipped; min_words, pattern, link and date check only answers that
// say something (an empty answer is the form's required rule, or the policy's
// required rule); a field without a section is left to missing_section.
func ruleFindings(bp *BriefPolicy, b *Brief, filed time.Time) []Finding {
	var out []Finding
	for i := range bp.Rules {
		r := &bp.Rules[i]
		if !r.When.Holds(b) {
			continue
		}
		v := b.Answer(r.Field)
		if v == nil {
			continue
		}
		fd := Finding{Field: r.Field, Severity: SeverityError, Why: r.Why}
		// The rules judge what a reader sees: not the text of HTML comments
		// (a form's prefilled <!-- hint -->, a hidden link). A render
		// field's answer is code, shown whole.
		text := strings.TrimSpace(v.Text)
		if fl := b.Form.Field(r.Field); fl == nil || fl.Render == "" {
			text = strings.TrimSpace(visibleText(v.Text))
		}
		hidden := ""
		if text == "" {
			hidden = " (all of it is inside an HTML comment, <!-- … -->, which nobody sees: write the answer outside it)"
		}
		switch {
		case r.Required:
			if v.Empty() {
				fd.Rule = RuleRequired
				fd.Message = "the question is not answered"
				if r.When != nil {
					fd.Message = fmt.Sprintf("the question must be answered when %s", r.When.describe(b.Form))
				}
			}
		case v.Empty():
		case r.MinWords > 0:
			if n := len(strings.Fields(text)); n < r.MinWords {
				fd.Rule = RuleMinWords
				fd.Message = fmt.Sprintf("the answer has %d %s%s; write at least %d", n, plural(n, "word", "words"), hidden, r.MinWords)
			}
		case r.Pattern != "":
			re, err := r.regexp()
			switch {
			case err != nil:
				fd.Rule = RulePattern
				fd.Message = fmt.Sprintf("the policy's pattern %q does not compile (%v); tell the maintainers", r.Pattern, err)
			case !re.MatchString(text):
				fd.Rule = RulePattern
				fd.Message = r.Message
				if fd.Message == "" {
					fd.Message = fmt.Sprintf("the answer does not match %s", r.Pattern)
				}
				fd.Message += hidden
			}
		case r.Link:
			if !hasLink(text) {
				fd.Rule = RuleLink
				fd.Message = "the answer has no link" + hidden + "; add at least one http(s):// address"
			}
		case r.Date:
			day := filed.Format("2006-01-02")
			if _, err := time.Parse("2006-01-02", text); err != nil || !dateRe().MatchString(text) {
				fd.Rule = RuleDate
				fd.Message = fmt.Sprintf("%q is not a date written as YYYY-MM-DD (for example %s)%s", clip(text), filed.AddDate(0, 1, 0).Format("2006-01-02"), hidden)
			} else if text < day {
				fd.Rule = RuleDate
				fd.Message = fmt.Sprintf("the date %s is before the brief was filed (%s)", text, day)
			}
		}
		if fd.Rule != "" {
			out = append(out, fd)
		}
	}
	return out
}

func hasLink(s string) bool {
	for _, m := range urlRe().FindAllString(s, -1) {
		if u, err := url.Parse(m); err == nil && u.Host != "" {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// describe says the condition in words, naming the field by its label.
func (c *Condition) describe(f *Form) string {
	name := c.Field
	if fl := f.Field(c.Field); fl != nil {
		name = fmt.Sprintf("%q", fl.Label)
	}
	if c.IsNot != "" {
		return fmt.Sprintf("the answer to %s is not %q", name, c.IsNot)
	}
	return fmt.Sprintf("the answer to %s is %q", name, c.Is)
}

// sortFindings orders findings by the form's field order (findings on the
// whole body first, unknown fields last), keeping the order of each field's
// findings.
func sortFindings(f *Form, fs []Finding) {
	pos := map[string]int{}
	for i, fl := range f.Fields {
		pos[fl.Key] = i
	}
	at := func(k string) int {
		if p, ok := pos[k]; ok {
			return p
		}
		if k == "" {
			return -1 // the body as a whole
		}
		return len(f.Fields)
	}
	sort.SliceStable(fs, func(i, j int) bool { return at(fs[i].Field) < at(fs[j].Field) })
}

// OwnedLabels returns every label twokey sets or removes on briefs: the ready
// and needs-info labels and the answer labels. The action removes stale ones
// among these and never touches any other label (the brief label itself is
// the form's, and stays).
func (b *BriefPolicy) OwnedLabels() []string {
	c := *b
	c.applyDefaults()
	out := []string{c.Labels.Ready, c.Labels.NeedsInfo}
	for _, al := range c.AnswerLabels {
		if al.Label != "" && !slices.Contains(out, al.Label) {
			out = append(out, al.Label)
		}
	}
	return out
}

// LooksLikeBrief reports whether body looks filed through form f: more than
// half of the form's questions have their "### <label>" heading in it (and at
// least one). It is how an issue that lacks the brief label is recognised.
func LooksLikeBrief(f *Form, body string) bool {
	if f == nil || len(f.Fields) == 0 {
		return false
	}
	b, _ := ParseBrief(f, body)
	return len(b.Fields) > 0 && 2*len(b.Fields) > len(f.Fields)
}

// BriefComment returns the Markdown of the one comment twokey keeps on a
// brief, addressed to the person who filed it: what is missing, field by
// field, with why it matters; or a short note that the brief is ready. The
// action adds its own hidden marker.
func BriefComment(res *BriefResult) string {
	var f *Form
	if res.Brief != nil {
		f = res.Brief.Form
	}
	var errs, warns []Finding
	for _, fd := range res.Findings {
		if fd.Severity == SeverityError {
			errs = append(errs, fd)
		} else {
			warns = append(warns, fd)
		}
	}
	var sb strings.Builder
	if res.Valid {
		sb.WriteString("**This brief is ready.** Every question is answered, so engineers can pick it up. Thank you!\n")
		if len(warns) > 0 {
			sb.WriteString("\nA few things are worth a look, though they do not hold the brief back:\n\n")
			writeFindings(&sb, f, warns)
		}
	} else {
		fmt.Fprintf(&sb, "**Thanks for the brief! It needs a little more before engineers can pick it up.** %s:\n\n",
			map[bool]string{true: "One thing is missing or unclear", false: fmt.Sprintf("%d things are missing or unclear", len(errs))}[len(errs) == 1])
		writeFindings(&sb, f, errs)
		if len(warns) > 0 {
			sb.WriteString("\nAlso worth a look:\n\n")
			writeFindings(&sb, f, warns)
		}
		sb.WriteString("\nEdit the issue to fix these; twokey checks it again on every edit and updates this comment.\n")
	}
	return sb.String()
}

func writeFindings(sb *strings.Builder, f *Form, fs []Finding) {
	for _, fd := range fs {
		name := FindingSubject(f, fd)
		fmt.Fprintf(sb, "- **%s**: %s.\n", escapeMarkdown(name), escapeMarkdown(strings.TrimSuffix(fd.Message, ".")))
		if fd.Why != "" {
			fmt.Fprintf(sb, "  _Why it matters:_ %s\n", escapeMarkdown(fd.Why))
		}
	}
}

// FindingSubject is what a finding is about, for people: the label of its
// field, "The body" for a finding on the whole body, else the field's key.
func FindingSubject(f *Form, fd Finding) string {
	if fd.Field == "" {
		return "The body"
	}
	if fl := f.Field(fd.Field); fl != nil {
		return fl.Label
	}
	return fd.Field
}

// escapeMarkdown keeps text that comes from a form or body from turning into
// markup (or a mention) in the comment.
func escapeMarkdown(s string) string {
	return markdownEscaper.Replace(s)
}

// markdownEscaper is immutable after construction and safe for concurrent use.
var markdownEscaper = strings.NewReplacer("\n", " ", "\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]", "<", "&lt;", ">", "&gt;", "@", "@\u200b", "#", "\\#")

// FieldValues returns the brief's answers as plain values for JSON: a string
// for text and single dropdowns, a list of the chosen options for multiple
// dropdowns, a list of checked labels for checkboxes. Fields without a
// section are left out.
func (b *Brief) FieldValues() map[string]any {
	out := map[string]any{}
	if b == nil {
		return out
	}
	for _, k := range b.Order {
		v := b.Fields[k]
		var fl *Field
		if b.Form != nil {
			fl = b.Form.Field(k)
		}
		switch {
		case fl != nil && fl.Type == TypeCheckboxes:
			out[k] = nonNil(v.Checked)
		case fl != nil && fl.Type == TypeDropdown && fl.Multiple:
			if v.Choices == nil && v.Text != "" {
				out[k] = []string{v.Text} // not options: shown as written
			} else {
				out[k] = nonNil(v.Choices)
			}
		default:
			out[k] = v.Text
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// FitPolicyToForm compares policy p with form f and returns the policy to
// check briefs of f with. Every place where a part of the policy file names
// a field that f does not have, or an option that the field does not offer
// (the brief rules and their when, answer_labels, the brief conditions of
// require), is an error: ConfigErrors at the policy's line.
//
// The embedded default policy is written for the embedded default form. Its
// parts (all of them when p is the default, or the sections and lists a
// policy file leaves out) that do not fit f are left out of the returned
// policy instead, and LeftOut says which, so that a repository with a form
// of its own and no policy still gets the default gate. LeftOut is nil when
// nothing was left out. p itself is not changed.
//
// Leaving out a require rule whose condition is on a field f lacks does not
// change the gate: a brief filed through f has no answer for it, so the
// default's conditions (is: VALUE) never hold.
func FitPolicyToForm(p *Policy, f *Form) (*Policy, *LeftOut, error) {
	if p == nil || f == nil {
		return p, nil, nil
	}
	ft := &fitter{p: p, f: f, left: &LeftOut{Form: f.File}}
	q := *p
	q.Brief.Rules, q.Brief.AnswerLabels, q.Require = nil, nil, nil
	for i, r := range p.Brief.Rules {
		what := fmt.Sprintf("brief rule %d", i+1)
		ft.field(r.pos, what, r.Field)
		ft.cond(r.When, what+" when")
		if ft.keep(r.pos) {
			q.Brief.Rules = append(q.Brief.Rules, r)
		} else {
			ft.left.Rules++
		}
	}
	for i, al := range p.Brief.AnswerLabels {
		what := fmt.Sprintf("brief answer_labels entry %d", i+1)
		ft.option(al.pos, what, ft.field(al.pos, what, al.Field), al.Option)
		if ft.keep(al.pos) {
			q.Brief.AnswerLabels = append(q.Brief.AnswerLabels, al)
		} else {
			ft.left.AnswerLabels++
		}
	}
	for i, rq := range p.Require {
		if rq.Brief != nil {
			ft.cond(rq.Brief, fmt.Sprintf("require rule %d brief", i+1))
			if !ft.keep(rq.Brief.pos) {
				ft.left.Require++
				continue
			}
		}
		q.Require = append(q.Require, rq)
	}
	q.Freeze = nil
	for i, w := range p.Freeze {
		if w.Brief != nil {
			ft.cond(w.Brief, fmt.Sprintf("freeze window %d brief", i+1))
			if !ft.keep(w.Brief.pos) {
				continue
			}
		}
		q.Freeze = append(q.Freeze, w)
	}
	// The default's brief_field is dropped quietly for a form without the
	// field: no brief of that form answers it, so it changes nothing.
	switch field := p.Deadlines.BriefField; {
	case field == "":
	case p.Deadlines.pos.fromDefault && f.Field(field) == nil:
		q.Deadlines.BriefField = ""
	default:
		ft.field(p.Deadlines.pos, "deadlines.brief_field", field)
		ft.keep(p.Deadlines.pos)
	}
	if len(ft.errs) > 0 {
		return nil, nil, ft.errs
	}
	if ft.left.Rules+ft.left.AnswerLabels+ft.left.Require == 0 {
		return &q, nil, nil
	}
	return &q, ft.left, nil
}

// LeftOut says which parts of the embedded default policy FitPolicyToForm
// left out because the form does not have the fields or options they name.
type LeftOut struct {
	Form string // the form's file
	// Fields are the default form's fields that Form lacks, and Options the
	// options (written field "option") that Form's fields do not offer, in
	// the order the policy names them.
	Fields, Options []string
	// Rules, AnswerLabels and Require count the brief rules, answer labels
	// and require rules left out.
	Rules, AnswerLabels, Require int
}

// String says, for a notice, what was left out and how to check the form's
// answers instead.
func (l *LeftOut) String() string {
	var names, parts, sections []string
	if len(l.Fields) > 0 {
		names = append(names, "fields "+strings.Join(l.Fields, ", "))
	}
	if len(l.Options) > 0 {
		names = append(names, "options "+strings.Join(l.Options, ", "))
	}
	for _, c := range []struct {
		n                int
		one, many, where string
	}{
		{l.Rules, "brief rule", "brief rules", "brief.rules"},
		{l.AnswerLabels, "answer label", "answer labels", "brief.answer_labels"},
		{l.Require, "require rule", "require rules", "require"},
	} {
		switch {
		case c.n == 1:
			parts = append(parts, "1 "+c.one)
		case c.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.many))
		}
		if c.n > 0 {
			sections = append(sections, c.where)
		}
	}
	if n := len(sections); n > 1 {
		sections = append(sections[:n-2], sections[n-2]+" and "+sections[n-1])
	}
	return fmt.Sprintf("the default policy's rules for the default form's %s do not apply to %s and are left out (%s); to check its answers, write your own %s in the policy",
		strings.Join(names, " and "), l.Form, strings.Join(parts, ", "), strings.Join(sections, ", "))
}

// fitter collects, entry by entry, where a policy does not fit a form.
type fitter struct {
	p    *Policy
	f    *Form
	errs ConfigErrors
	left *LeftOut
	miss []misfit // of the entry being compared
}

// misfit is one name in a policy entry that the form lacks: a field, or an
// option of a field.
type misfit struct {
	pos                srcPos
	msg, field, option string
}

// field returns the form's field key, noting a misfit when there is none.
func (ft *fitter) field(pos srcPos, what, key string) *Field {
	fl := ft.f.Field(key)
	if fl == nil {
		keys := make([]string, len(ft.f.Fields))
		for i, fl := range ft.f.Fields {
			keys[i] = fl.Key
		}
		ft.miss = append(ft.miss, misfit{
			pos:   pos,
			msg:   fmt.Sprintf("%s names the field %q, which the form %s does not have (its fields: %s)", what, key, ft.f.File, strings.Join(keys, ", ")),
			field: key,
		})
	}
	return fl
}

// option notes a misfit when fl offers options and opt is not one of them.
func (ft *fitter) option(pos srcPos, what string, fl *Field, opt string) {
	if fl == nil {
		return
	}
	opts := fl.OptionLabels()
	if len(opts) == 0 {
		return // text answers can be anything
	}
	for _, o := range opts {
		if strings.EqualFold(strings.TrimSpace(o), strings.TrimSpace(opt)) {
			return
		}
	}
	ft.miss = append(ft.miss, misfit{
		pos:    pos,
		msg:    fmt.Sprintf("%s compares %q with %q, which is not one of its options (%s)", what, fl.Key, opt, optionList(fl)),
		option: fmt.Sprintf("%s %q", fl.Key, opt),
	})
}

// cond compares a condition's field and value with the form.
func (ft *fitter) cond(c *Condition, what string) {
	if c == nil {
		return
	}
	fl := ft.field(c.pos, what, c.Field)
	if c.Is != "" {
		ft.option(c.pos, what, fl, c.Is)
	}
	if c.IsNot != "" {
		ft.option(c.pos, what, fl, c.IsNot)
	}
}

// keep settles the entry written at pos: it fits the form (true); or its
// misfits are errors, each at its own line (an entry of the policy file,
// kept: the policy is refused anyway); or it is left out (false) and noted
// in ft.left (an entry of the embedded default).
func (ft *fitter) keep(pos srcPos) bool {
	miss := ft.miss
	ft.miss = nil
	if len(miss) == 0 {
		return true
	}
	if !pos.fromDefault {
		for _, m := range miss {
			file := m.pos.file
			if file == "" {
				file = ft.p.File
			}
			ft.errs = append(ft.errs, &ConfigError{File: file, Line: m.pos.line, Column: m.pos.col, Msg: m.msg})
		}
		return true
	}
	for _, m := range miss {
		if m.field != "" && !slices.Contains(ft.left.Fields, m.field) {
			ft.left.Fields = append(ft.left.Fields, m.field)
		}
		if m.option != "" && !slices.Contains(ft.left.Options, m.option) {
			ft.left.Options = append(ft.left.Options, m.option)
		}
	}
	return false
}
