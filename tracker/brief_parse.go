package tracker

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Placeholders GitHub writes for an unanswered field.
const (
	noResponse = "_No response_"
	noneChoice = "None"
)

// section is one "### <label>" heading of the body that names a form field,
// and the lines that follow it up to the next such heading.
type section struct {
	line  int // 0-based line of the heading
	field int // index in Form.Fields
	body  string
}

// ParseBrief reads an issue body filed through form f. It follows GitHub's
// rendering rules (DESIGN.md, "Rendering rules for issue forms") and never
// guesses: what it cannot match is returned as a finding.
//
// Sections are found against the form. A line is a section boundary only when
// it is exactly "### <label>" for a field of f; every other line (other
// headings, #### typed in an answer) belongs to the answer above it. Headings
// inside a closed code fence are content too, unless the field has no heading
// outside fences (a fence left open in one answer must not swallow the rest
// of the body). Of the boundaries, the longest run in form order is taken as
// the real sections (earliest first); a later heading for a field that already
// has a section is a duplicate_section finding and its text is kept apart in
// Value.Duplicates, never merged, so a heading typed inside an answer cannot
// change another answer or tick a box. A section out of form order is still
// read, with an order warning. A field without a section is missing_section.
func ParseBrief(f *Form, body string) (*Brief, []Finding) {
	b := &Brief{Fields: map[string]*Value{}, Form: f}
	if f == nil {
		return b, nil
	}
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	lines := strings.Split(body, "\n")
	secs := findSections(f, lines)

	first := len(lines)
	if len(secs) > 0 {
		first = secs[0].line
	}
	b.Preamble = trimBlankLines(strings.Join(lines[:first], "\n"))

	chosen := inOrder(secs)
	primary := make([]*section, len(f.Fields))
	var findings []Finding
	for i := range secs {
		if chosen[i] {
			primary[secs[i].field] = &secs[i]
		}
	}
	var dups [][]*section = make([][]*section, len(f.Fields))
	for i := range secs {
		s := &secs[i]
		if chosen[i] {
			continue
		}
		if primary[s.field] == nil {
			primary[s.field] = s
			fl := f.Fields[s.field]
			findings = append(findings, Finding{
				Field: fl.Key, Rule: RuleOrder, Severity: SeverityWarning,
				Message: fmt.Sprintf("the %q section (line %d) is out of the form's order; it was read, but check that the answers are under the right headings", fl.Label, s.line+1),
				Why:     defaultWhy[RuleOrder],
			})
			continue
		}
		dups[s.field] = append(dups[s.field], s)
	}
	for i, fl := range f.Fields {
		p := primary[i]
		if p == nil {
			sev := SeverityWarning
			if fl.mustAnswer() {
				sev = SeverityError
			}
			findings = append(findings, Finding{
				Field: fl.Key, Rule: RuleMissingSection, Severity: sev,
				Message: fmt.Sprintf("the body has no %q section; put the heading \"### %s\" back, followed by the answer", fl.Label, fl.Label),
				Why:     defaultWhy[RuleMissingSection],
			})
			continue
		}
		v, fs := parseValue(fl, p.body)
		findings = append(findings, fs...)
		if ds := dups[i]; len(ds) > 0 {
			lines := make([]string, len(ds))
			for k, d := range ds {
				v.Duplicates = append(v.Duplicates, d.body)
				lines[k] = fmt.Sprint(ds[k].line + 1)
			}
			if len(lines) > 5 {
				lines = append(lines[:5], "…")
			}
			what := "a second"
			if len(ds) > 1 {
				what = fmt.Sprintf("%d more", len(ds))
			}
			findings = append(findings, Finding{
				Field: fl.Key, Rule: RuleDuplicateSection, Severity: SeverityError,
				Message: fmt.Sprintf("the body has %s %q %s (line %s; the first is at line %d) and only the first counts: delete the copy, or turn a heading you typed inside an answer into ####",
					what, fl.Label, plural(len(ds), "section", "sections"), strings.Join(lines, ", "), p.line+1),
				Why: defaultWhy[RuleDuplicateSection],
			})
		}
		b.Fields[fl.Key] = v
		b.Order = append(b.Order, fl.Key)
	}
	findings = append(findings, formFindings(f, b)...)
	sortFindings(f, findings)
	return b, findings
}

// findSections returns the heading lines of the body that name a field of f,
// with the text under each, in body order.
func findSections(f *Form, lines []string) []section {
	byLabel := make(map[string]int, len(f.Fields))
	for i, fl := range f.Fields {
		byLabel[fl.Label] = i
	}
	fenced := fenceMask(lines)
	type cand struct {
		line, field int
		fenced      bool
	}
	var cands []cand
	outside := make([]bool, len(f.Fields))
	for i, ln := range lines {
		label, ok := headingText(ln)
		if !ok {
			continue
		}
		fi, ok := byLabel[label]
		if !ok {
			continue
		}
		cands = append(cands, cand{i, fi, fenced[i]})
		if !fenced[i] {
			outside[fi] = true
		}
	}
	var secs []section
	for _, c := range cands {
		if c.fenced && outside[c.field] {
			continue
		}
		secs = append(secs, section{line: c.line, field: c.field})
	}
	for i := range secs {
		end := len(lines)
		if i+1 < len(secs) {
			end = secs[i+1].line
		}
		secs[i].body = trimBlankLines(strings.Join(lines[secs[i].line+1:end], "\n"))
	}
	return secs
}

// headingText returns the text of a "### text" line: exactly three hashes,
// at least one space, trailing space ignored.
func headingText(line string) (string, bool) {
	if !strings.HasPrefix(line, "###") || len(line) < 5 || (line[3] != ' ' && line[3] != '\t') {
		return "", false
	}
	t := strings.TrimSpace(line[3:])
	return t, t != ""
}

// inOrder marks the longest subsequence of secs whose fields are in strictly
// increasing form order, preferring the earliest sections on ties. It runs in
// O(len(secs) × fields).
func inOrder(secs []section) []bool {
	n := len(secs)
	chosen := make([]bool, n)
	if n == 0 {
		return chosen
	}
	nf := 0
	for _, s := range secs {
		nf = max(nf, s.field+1)
	}
	length := make([]int, n)
	prev := make([]int, n)
	// best[f] is the earliest section with field f ending the longest chain.
	best := make([]int, nf)
	for i := range best {
		best[i] = -1
	}
	for i, s := range secs {
		length[i], prev[i] = 1, -1
		for f := 0; f < s.field; f++ {
			if j := best[f]; j >= 0 && (length[j]+1 > length[i] || (length[j]+1 == length[i] && prev[i] >= 0 && j < prev[i])) {
				length[i], prev[i] = length[j]+1, j
			}
		}
		if b := best[s.field]; b < 0 || length[i] > length[b] {
			best[s.field] = i
		}
	}
	end := 0
	for i := range secs {
		if length[i] > length[end] {
			end = i
		}
	}
	for i := end; i >= 0; i = prev[i] {
		chosen[i] = true
	}
	return chosen
}

// fenceMask marks the lines inside closed code fences (``` or ~~~), fence
// lines included. An opening fence that is never closed marks nothing.
func fenceMask(lines []string) []bool {
	mask := make([]bool, len(lines))
	type closer struct {
		line int
		n    int
	}
	closers := map[byte][]closer{}
	for i, ln := range lines {
		if c, n, info := fenceLine(ln); n > 0 && strings.TrimSpace(info) == "" {
			closers[c] = append(closers[c], closer{i, n})
		}
	}
	for i := 0; i < len(lines); i++ {
		c, n, info := fenceLine(lines[i])
		if n == 0 || (c == '`' && strings.Contains(info, "`")) {
			continue
		}
		cs := closers[c]
		k := sort.Search(len(cs), func(k int) bool { return cs[k].line > i })
		end := -1
		for ; k < len(cs); k++ {
			if cs[k].n >= n {
				end = cs[k].line
				break
			}
		}
		if end < 0 {
			continue
		}
		for j := i; j <= end; j++ {
			mask[j] = true
		}
		i = end
	}
	return mask
}

// fenceLine reports whether ln is a code fence line (up to three spaces, then
// three or more backticks or tildes): the fence character, its length and
// the info string after it.
func fenceLine(ln string) (byte, int, string) {
	s := ln
	for k := 0; k < 3 && strings.HasPrefix(s, " "); k++ {
		s = s[1:]
	}
	if s == "" || (s[0] != '`' && s[0] != '~') {
		return 0, 0, ""
	}
	c := s[0]
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	if n < 3 {
		return 0, 0, ""
	}
	return c, n, s[n:]
}

// trimBlankLines removes blank lines before and after s and trailing space,
// keeping the first line's indentation.
func trimBlankLines(s string) string {
	s = strings.TrimRight(s, " \t\n")
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 || strings.TrimSpace(s[:i]) != "" {
			if strings.TrimSpace(s) == "" {
				return ""
			}
			return s
		}
		s = s[i+1:]
	}
}

var checkboxRe = regexp.MustCompile(`^\s*[-*] \[([ xX])\] ?(.*)$`)

// parseValue reads one section's text as the answer to fl.
func parseValue(fl *Field, raw string) (*Value, []Finding) {
	v := &Value{Raw: raw}
	var fs []Finding
	const maxOptionFindings = 5
	extra := 0
	optionFinding := func(msg string) {
		if len(fs) == maxOptionFindings {
			extra++
			return
		}
		fs = append(fs, Finding{Field: fl.Key, Rule: RuleOption, Severity: SeverityError, Message: msg, Why: defaultWhy[RuleOption]})
	}

	switch fl.Type {
	case TypeInput, TypeTextarea:
		switch {
		case raw == noResponse:
		case fl.Render != "":
			if inner, ok := unfence(raw); ok {
				v.Text = inner
			} else {
				v.Text = raw
			}
		default:
			v.Text = raw
		}
	case TypeDropdown:
		s := strings.TrimSpace(raw)
		switch {
		case s == "" || s == noResponse:
		case s == noneChoice && !fl.Multiple && !fl.Required:
		case !fl.Multiple:
			v.Text = s
			if o := matchOption(fl.Options, s); o != "" {
				v.Choices = []string{o}
			} else {
				optionFinding(fmt.Sprintf("%q is not one of the options (%s); pick one of them", clip(s), optionList(fl)))
			}
		default:
			v.Text = s
			if cs, ok := splitChoices(s, fl.OptionLabels()); ok {
				v.Choices = cs
			} else {
				optionFinding(fmt.Sprintf("%q is not a list of the options (%s) joined by \", \"; pick from them", clip(s), optionList(fl)))
			}
		}
	case TypeCheckboxes:
		state := make([]int, len(fl.Checkboxes)) // 0 absent, 1 unchecked, 2 checked
		for _, ln := range strings.Split(raw, "\n") {
			if strings.TrimSpace(ln) == "" {
				continue
			}
			m := checkboxRe.FindStringSubmatch(ln)
			if m == nil {
				optionFinding(fmt.Sprintf("the line %q is not a checkbox (- [x] label); only the form's boxes belong here", clip(strings.TrimSpace(ln))))
				continue
			}
			label := strings.TrimSpace(m[2])
			k := -1
			for i, c := range fl.Checkboxes {
				if c.Label == label {
					k = i
				}
			}
			switch {
			case k < 0:
				optionFinding(fmt.Sprintf("the box %q is not one of the form's boxes; boxes must keep the form's wording", clip(label)))
			case state[k] != 0:
				optionFinding(fmt.Sprintf("the box %q is listed twice; keep one", clip(label)))
			case m[1] == " ":
				state[k] = 1
			default:
				state[k] = 2
			}
		}
		for i, c := range fl.Checkboxes {
			if state[i] == 2 {
				v.Checked = append(v.Checked, c.Label)
			} else {
				v.Unchecked = append(v.Unchecked, c.Label)
			}
		}
	}
	if extra > 0 {
		fs = append(fs, Finding{Field: fl.Key, Rule: RuleOption, Severity: SeverityError, Why: defaultWhy[RuleOption],
			Message: fmt.Sprintf("%d more %s do not match the form's options", extra, plural(extra, "line", "lines"))})
	}
	return v, fs
}

// unfence returns the content of a section that is one fenced code block.
func unfence(raw string) (string, bool) {
	lines := strings.Split(raw, "\n")
	if len(lines) < 2 {
		return "", false
	}
	c, n, info := fenceLine(lines[0])
	if n == 0 || (c == '`' && strings.Contains(info, "`")) {
		return "", false
	}
	lc, ln, linfo := fenceLine(lines[len(lines)-1])
	if lc != c || ln < n || strings.TrimSpace(linfo) != "" {
		return "", false
	}
	return trimBlankLines(strings.Join(lines[1:len(lines)-1], "\n")), true
}

// matchOption returns the option that is s, compared verbatim.
func matchOption(options []string, s string) string {
	for _, o := range options {
		if o != "" && o == s {
			return o
		}
	}
	return ""
}

// splitChoices reads a multi-select answer: options joined by ", ". Options
// may contain ", " themselves, so s is matched against the option list,
// longest option first, backtracking when a choice leaves a remainder that is
// not a list of options. It never splits on commas.
func splitChoices(s string, options []string) ([]string, bool) {
	opts := append([]string(nil), options...)
	sort.SliceStable(opts, func(i, j int) bool { return len(opts[i]) > len(opts[j]) })
	failed := map[int]bool{}
	var out []string
	var walk func(p int) bool
	walk = func(p int) bool {
		if failed[p] {
			return false
		}
		for _, o := range opts {
			if !strings.HasPrefix(s[p:], o) {
				continue
			}
			q := p + len(o)
			if q == len(s) {
				out = append(out, o)
				return true
			}
			if strings.HasPrefix(s[q:], ", ") && walk(q+2) {
				out = append(out, o)
				return true
			}
		}
		failed[p] = true
		return false
	}
	if !walk(0) {
		return nil, false
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, true
}

func optionList(fl *Field) string {
	opts := fl.OptionLabels()
	q := make([]string, len(opts))
	for i, o := range opts {
		q[i] = fmt.Sprintf("%q", o)
	}
	if len(q) > 8 {
		q = append(q[:8], fmt.Sprintf("and %d more", len(opts)-8))
	}
	return strings.Join(q, ", ")
}

// clip shortens s for a message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
