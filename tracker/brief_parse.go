package tracker

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
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
// headings, #### typed in an answer, a line with ### in its middle) belongs to
// the answer above it. Headings inside a closed code fence are content too,
// unless the field has no heading outside fences (a fence left open in one
// answer must not swallow the rest of the body). A field without a section is
// missing_section. Of the boundaries, the longest run in form order is taken
// as the form's order: a field none of whose sections is in that run is read
// with an order warning.
//
// A field with more than one section is a duplicate_section error, whichever
// copy is the real one. Its answer is read from the first copy in the body;
// the others are read into Value.Copies, never merged into the answer, but
// counted by Value.Is and Condition.Holds, so that a heading typed inside an
// answer can neither tick a box nor take away a label or a requirement
// that the other copy brings.
func ParseBrief(f *Form, body string) (*Brief, []Finding) {
	b := &Brief{Fields: map[string]*Value{}, Form: f}
	if f == nil {
		return b, nil
	}
	body = strings.TrimPrefix(body, "\uFEFF") // a byte order mark some editors write
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	var findings []Finding
	if n := utf8.RuneCountInString(body); n > MaxBodyChars {
		findings = append(findings, Finding{Rule: RuleTooLong, Severity: SeverityWarning, Why: defaultWhy[RuleTooLong],
			Message: fmt.Sprintf("the body has %d characters, more than the %d GitHub keeps; shorten the longest answers, or put logs in a file or a gist and link it", n, MaxBodyChars)})
	}
	notText := notTextAt(body)
	lines := strings.Split(body, "\n")
	secs, coded := findSections(f, lines)

	first := len(lines)
	if len(secs) > 0 {
		first = secs[0].line
	}
	b.Preamble = trimBlankLines(strings.Join(lines[:first], "\n"))
	if len(secs) == 0 && len(f.Fields) > 0 {
		// One finding, not one missing section per question: the body is
		// empty, binary, or another form's.
		findings = append(findings, notABrief(f, body, lines, notText))
		sortFindings(f, findings)
		return b, findings
	}
	if notText != "" {
		findings = append(findings, Finding{Rule: RuleEncoding, Severity: SeverityError, Why: defaultWhy[RuleEncoding],
			Message: "the body is not UTF-8 text: " + notText + "; save the file as UTF-8 (it may be Latin-1 or UTF-16) and check the answers"})
	}
	var near []nearHeading // found when a section is missing

	chosen := inOrder(secs)
	copies := make([][]*section, len(f.Fields)) // per field, in body order
	ordered := make([]bool, len(f.Fields))
	for i := range secs {
		s := &secs[i]
		copies[s.field] = append(copies[s.field], s)
		ordered[s.field] = ordered[s.field] || chosen[i]
	}
	for i, fl := range f.Fields {
		cs := copies[i]
		if len(cs) == 0 {
			sev := SeverityWarning
			if fl.mustAnswer() {
				sev = SeverityError
			}
			if near == nil {
				near = nearHeadings(lines, secs)
			}
			findings = append(findings, Finding{
				Field: fl.Key, Rule: RuleMissingSection, Severity: sev,
				Message: missingMessage(fl, i, near, coded),
				Why:     defaultWhy[RuleMissingSection],
			})
			continue
		}
		p := cs[0]
		if !ordered[i] {
			findings = append(findings, Finding{
				Field: fl.Key, Rule: RuleOrder, Severity: SeverityWarning,
				Message: fmt.Sprintf("the %q section (line %d) is out of the form's order; it was read, but check that the answers are under the right headings", fl.Label, p.line+1),
				Why:     defaultWhy[RuleOrder],
			})
		}
		v, fs := parseValue(fl, p.body)
		findings = append(findings, fs...)
		if len(cs) > 1 {
			at := make([]string, 0, 6)
			for k, c := range cs[1:] {
				cv, _ := parseValue(fl, c.body) // the duplicate finding covers the copy
				v.Copies = append(v.Copies, cv)
				if k < 5 {
					at = append(at, fmt.Sprint(c.line+1))
				} else if k == 5 {
					at = append(at, "…")
				}
			}
			findings = append(findings, Finding{
				Field: fl.Key, Rule: RuleDuplicateSection, Severity: SeverityError,
				Message: fmt.Sprintf("the body has %d %q sections, at line %d and %s %s; the answer is read from the first (line %d), and labels and required sign-offs count the answers of every copy: delete the copies you did not mean, or turn a heading you typed inside an answer into ####",
					len(cs), fl.Label, p.line+1, plural(len(cs)-1, "line", "lines"), strings.Join(at, ", "), p.line+1),
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
// with the text under each, in body order; and the headings of fields that
// are inside a code block, which are content.
//
// A heading inside a closed code fence is never a section, even when the
// field has no other: the fence shows it as code. Only where the fences do
// not pair up (a fence line after the block is left open) may the block's
// closing line have been meant to open a later block, and the block to be
// an answer's fence left open: there a heading of a field that has none
// outside fences is read as its section, so that one unclosed fence does
// not swallow the rest of the body.
func findSections(f *Form, lines []string) ([]section, []codedHeading) {
	byLabel := make(map[string]int, len(f.Fields))
	for i, fl := range f.Fields {
		byLabel[fl.Label] = i
	}
	blocks := fenceBlocks(lines)
	in := make([]int32, len(lines)) // 1 + the index of the block holding the line, or 0
	for k, bl := range blocks {
		for j := bl[0]; j <= bl[1]; j++ {
			in[j] = int32(k + 1)
		}
	}
	loose := -1 // the last fence line outside every block
	for i := len(lines) - 1; i >= 0 && loose < 0; i-- {
		if in[i] == 0 && isFence(lines[i]) {
			loose = i
		}
	}
	type cand struct {
		line, field int
		doubtful    bool
	}
	var cands []cand
	var coded []codedHeading
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
		if k := in[i]; k > 0 {
			bl := blocks[k-1]
			if bl[1] > loose {
				coded = append(coded, codedHeading{line: i, field: fi, from: bl[0], to: bl[1]})
				continue
			}
			cands = append(cands, cand{i, fi, true})
			continue
		}
		cands = append(cands, cand{i, fi, false})
		outside[fi] = true
	}
	var secs []section
	for _, c := range cands {
		if c.doubtful && outside[c.field] {
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
	return secs, coded
}

// codedHeading is a field's "### <label>" line inside a code block (lines
// from to to), which is code and not a section.
type codedHeading struct {
	line, field, from, to int
}

// isFence reports whether ln can open or close a code fence.
func isFence(ln string) bool {
	c, n, info := fenceLine(ln)
	return n > 0 && !(c == '`' && strings.Contains(info, "`"))
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
// increasing form order, preferring the earliest sections on ties. It decides
// only the order warnings: which copy of a repeated section is read does not
// depend on it. It runs in O(len(secs) × fields).
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

// fenceBlocks returns the closed code fences of lines, in order: the line of
// each opening fence and of its closing fence. An opening fence that is never
// closed is an ordinary line.
func fenceBlocks(lines []string) [][2]int {
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
	var blocks [][2]int
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
		blocks = append(blocks, [2]int{i, end})
		i = end
	}
	return blocks
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

// repeatedChoiceWhy is the reason for the warning on an option chosen twice.
const repeatedChoiceWhy = "GitHub lists each chosen option once; one written twice was typed by hand, and another option may have been meant."

var checkboxRe = lazyRegexp(`^\s*[-*] \[([ xX])\] ?(.*)$`)

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
		text, ph := stripPlaceholders(fl, raw)
		if ph != nil {
			fs = append(fs, *ph)
		}
		if fl.Render != "" {
			if inner, ok := unfence(text); ok {
				text = inner
			}
		}
		v.Text = text
	case TypeDropdown:
		// An HTML comment is not part of the choice: nobody sees it, and
		// automation appends them after the last section.
		s, ph := stripPlaceholders(fl, visibleText(raw))
		if ph != nil {
			fs = append(fs, *ph)
		}
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case !fl.Multiple:
			v.Text = s
			if o := matchOption(fl.Options, s); o != "" {
				v.Choices = []string{o}
			} else if o := foldOption(fl.OptionLabels(), s); o != "" {
				optionFinding(fmt.Sprintf("%q is not one of the options; did you mean %q? Options are matched exactly, case included", clip(s), o))
			} else {
				optionFinding(fmt.Sprintf("%q is not one of the options (%s); pick one of them", clip(s), optionList(fl)))
			}
		default:
			v.Text = s
			if cs, ok := splitChoices(s, fl.OptionLabels()); ok {
				var twice []string
				for _, c := range cs {
					if slices.Contains(v.Choices, c) {
						if !slices.Contains(twice, c) {
							twice = append(twice, c)
						}
						continue
					}
					v.Choices = append(v.Choices, c)
				}
				for _, c := range twice {
					fs = append(fs, Finding{Field: fl.Key, Rule: RuleOption, Severity: SeverityWarning, Why: repeatedChoiceWhy,
						Message: fmt.Sprintf("%q is chosen more than once; it counts once, so keep one", clip(c))})
				}
			} else if cs, ok := foldChoices(s, fl.OptionLabels()); ok {
				optionFinding(fmt.Sprintf("%q is not a list of the options joined by \", \"; did you mean %q? Options are matched exactly, case included", clip(s), clip(strings.Join(cs, ", "))))
			} else {
				optionFinding(fmt.Sprintf("%q is not a list of the options (%s) joined by \", \"; pick from them", clip(s), optionList(fl)))
			}
		}
	case TypeCheckboxes:
		state := make([]int, len(fl.Checkboxes)) // 0 absent, 1 unchecked, 2 checked
		for _, ln := range strings.Split(visibleText(raw), "\n") {
			if strings.TrimSpace(ln) == "" {
				continue
			}
			m := checkboxRe().FindStringSubmatch(ln)
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
				if o := foldOption(fl.OptionLabels(), label); o != "" {
					optionFinding(fmt.Sprintf("the box %q is not one of the form's boxes; did you mean %q? Boxes must keep the form's wording, case included", clip(label), clip(o)))
					break
				}
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

// stripPlaceholders removes from a text or dropdown answer the marks GitHub
// writes for no answer: a line _No response_, a line None in an optional
// single dropdown, an empty code fence in a render textarea (fences with
// content, and whatever is inside them, are kept). What is left is the answer.
// When a mark stood next to typed text, the text is not clearly an answer (it
// may be a note typed under an empty answer), so a placeholder finding is
// returned, naming the first mark.
func stripPlaceholders(fl *Field, raw string) (string, *Finding) {
	// GitHub writes None for a single dropdown left alone: for an optional
	// one, and for a required one too where required is not enforced
	// (private and internal repositories). None cannot be an option (GitHub
	// reserves it); a form that has one anyway gets it as the answer.
	noneCounts := fl.Type == TypeDropdown && !fl.Multiple && !slices.Contains(fl.Options, noneChoice)
	if !strings.Contains(raw, noResponse) && !(noneCounts && strings.Contains(raw, noneChoice)) &&
		!(fl.Render != "" && (strings.Contains(raw, "```") || strings.Contains(raw, "~~~"))) {
		return trimBlankLines(raw), nil // nothing to drop: the common case, without splitting
	}
	lines := strings.Split(raw, "\n")
	blocks := fenceBlocks(lines)
	var kept []string
	mark, leading := "", false
	typed := false // non-blank text kept so far
	drop := func(i int, m string) int {
		if mark == "" {
			mark, leading = m, !typed
		}
		for i < len(lines) && strings.TrimSpace(lines[i]) == "" && (len(kept) == 0 || strings.TrimSpace(kept[len(kept)-1]) == "") {
			i++ // no run of blank lines where the mark was
		}
		return i
	}
	for i := 0; i < len(lines); {
		if len(blocks) > 0 && blocks[0][0] == i {
			bl := blocks[0]
			blocks = blocks[1:]
			if fl.Render != "" && strings.TrimSpace(strings.Join(lines[bl[0]+1:bl[1]], "")) == "" {
				i = drop(bl[1]+1, "an empty code block")
				continue
			}
			kept = append(kept, lines[bl[0]:bl[1]+1]...)
			typed, i = true, bl[1]+1
			continue
		}
		t := strings.TrimSpace(lines[i])
		switch {
		case t == noResponse:
			i = drop(i+1, noResponse)
		case t == noneChoice && noneCounts:
			i = drop(i+1, noneChoice)
		default:
			kept = append(kept, lines[i])
			typed = typed || t != ""
			i++
		}
	}
	text := trimBlankLines(strings.Join(kept, "\n"))
	if mark == "" || text == "" {
		return text, nil
	}
	what := mark
	if mark == "an empty code block" {
		what = "the empty code block"
	}
	msg := fmt.Sprintf("the answer still starts with %s and the text under it is not clearly an answer: delete %s if the text is the answer, or move the text where it belongs", mark, what)
	if !leading {
		msg = fmt.Sprintf("the answer still has %s after the text, so the text is not clearly an answer: delete %s if the text is the answer, or move the text where it belongs", mark, what)
	}
	return text, &Finding{Field: fl.Key, Rule: RulePlaceholder, Severity: SeverityError, Message: msg, Why: defaultWhy[RulePlaceholder]}
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

// foldOption returns the option that is s in another case, or "".
func foldOption(options []string, s string) string {
	for _, o := range options {
		if strings.EqualFold(o, s) {
			return o
		}
	}
	return ""
}

// foldChoices reads a multi-select answer as splitChoices does, with case
// ignored, and returns the options it names as the form writes them.
func foldChoices(s string, options []string) ([]string, bool) {
	lower := make([]string, len(options))
	byLower := make(map[string]string, len(options))
	for i, o := range options {
		lower[i] = strings.ToLower(o)
		if _, ok := byLower[lower[i]]; !ok {
			byLower[lower[i]] = o
		}
	}
	cs, ok := splitChoices(strings.ToLower(s), lower)
	for i, c := range cs {
		cs[i] = byLower[c]
	}
	return cs, ok
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
