package tracker

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// messages returns the message of each finding with rule, in order.
func messages(fs []Finding, rule string) []string {
	var out []string
	for _, fd := range fs {
		if fd.Rule == rule {
			out = append(out, fd.Message)
		}
	}
	return out
}

// TestNotABrief: a body with none of the form's headings (empty, binary, or
// filed through another form) gets one finding on the whole body, not one
// missing section per question, and the rules say nothing more.
func TestNotABrief(t *testing.T) {
	f, p := DefaultForm(), DefaultPolicy()
	openhands := loadTestForm(t, "OpenHands__OpenHands__bug_template.yml")
	tests := []struct {
		name string
		form *Form
		body string
		want []string // in the one message
	}{
		{"empty", f, "", []string{`the body is empty: none of the form's headings ("### Objective", "### Audience", "### Minimum viable product", …) are here: is this a brief for this form?`, "twokey form --body"}},
		{"blank lines", f, "\r\n  \n\n", []string{"the body is empty: none of the form's headings"}},
		{"another form's real body", f, readTestBody(t, "kubernetes__kubernetes__bug-report__issue-116960.md"), []string{"none of the form's headings", "is this a brief for this form?"}},
		{"the default form's body against another form", openhands, renderBody(f, completeAnswers()), []string{`none of the form's headings ("### Is there an existing issue for the same bug?"`}},
		{"a PNG", f, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", []string{"the body is not text (it has the byte 0x89, which is not UTF-8, at line 1, column 1) and none of the form's headings"}},
		{"UTF-16", f, "\xff\xfe#\x00#\x00#\x00 \x00O\x00", []string{"the body is not text (it has the byte 0xFF, which is not UTF-8, at line 1, column 1)"}},
		{"NUL bytes", f, "abc\n\x00\x00", []string{"the body is not text (it has a NUL byte, as binary files have, at line 2, column 1)"}},
		{"every heading one level up", f, strings.ReplaceAll(renderBody(f, completeAnswers()), "### ", "## "), []string{`Line 1, "## Objective", looks like the heading "### Objective": write each question's heading exactly as the form does`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, fs := ParseBrief(tt.form, tt.body)
			if len(fs) != 1 || fs[0].Rule != RuleNotABrief || fs[0].Field != "" || fs[0].Severity != SeverityError || fs[0].Why == "" {
				t.Fatalf("ParseBrief(%q) findings = %+v, want one not_a_brief error on the body", tt.body, fs)
			}
			for _, w := range tt.want {
				if !strings.Contains(fs[0].Message, w) {
					t.Errorf("message %q lacks %q", fs[0].Message, w)
				}
			}
			if len(b.Fields) != 0 {
				t.Errorf("fields %v read from a body that is not a brief", b.Order)
			}
			if res := CheckBrief(tt.form, p, tt.body, filed); len(res.Findings) != 1 || res.Valid {
				t.Errorf("CheckBrief: valid %v, findings %+v; want invalid with the one finding", res.Valid, res.Findings)
			}
		})
	}
	// The comment on GitHub names the body as what is wrong.
	if c := BriefComment(CheckBrief(f, p, "", filed)); !strings.Contains(c, "One thing is missing or unclear:\n\n- **The body**: the body is empty: none of the form") {
		t.Errorf("BriefComment of an empty body:\n%s\nwant one finding on the body", c)
	}
	// One heading of the form is enough to read the body as a brief.
	_, fs := ParseBrief(f, "### Objective\n\nLet returning customers reorder a past purchase in two clicks.")
	if slices.ContainsFunc(fs, func(fd Finding) bool { return fd.Rule == RuleNotABrief }) || len(messages(fs, RuleMissingSection)) != 10 {
		t.Errorf("a body with one section: findings %v, want 10 missing sections and no not_a_brief", findingRules(fs))
	}
}

// TestNearMissHeading: a heading of the wrong level, in another case or a
// few letters off is not a section, and the missing section names it.
func TestNearMissHeading(t *testing.T) {
	f := DefaultForm()
	full := renderBody(f, completeAnswers())
	tests := []struct {
		name, from, to string
		field          string
		want           string
	}{
		{"one level up", "### Objective\n", "## Objective\n", "objective", `the body has no "Objective" section; did you mean line 1, "## Objective"? Write the heading exactly as "### Objective"`},
		{"plural", "### Objective\n", "### Objectives\n", "objective", `did you mean line 1, "### Objectives"?`},
		{"lower case", "### Audience\n", "### audience\n", "audience", `did you mean line 5, "### audience"?`},
		{"no space, a colon", "### Size\n", "###Size:\n", "size", `did you mean line 37, "###Size:"?`},
		{"deleted", "### Size\n\nSmall (a day or less)\n\n", "", "size", `the body has no "Size" section; put the heading "### Size" back, followed by the answer`},
		{"another word", "### Audience\n", "### Customers\n", "audience", `the body has no "Audience" section; put the heading "### Audience" back`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(full, tt.from, tt.to, 1)
			if body == full {
				t.Fatalf("%q is not in the body", tt.from)
			}
			_, fs := ParseBrief(f, body)
			var got []string
			for _, fd := range fs {
				if fd.Rule == RuleMissingSection && fd.Field == tt.field {
					got = append(got, fd.Message)
				}
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Errorf("missing_section of %s = %q, want one containing %q (all: %v)", tt.field, got, tt.want, findingRules(fs))
			}
		})
	}
}

// TestOptionDidYouMean: an option written in another case is not the
// option (labels and rules compare exactly), and the finding names it.
func TestOptionDidYouMean(t *testing.T) {
	f := DefaultForm()
	tests := []struct {
		name, field, answer, want string
	}{
		{"single", "size", "small (a day or less)", `"small (a day or less)" is not one of the options; did you mean "Small (a day or less)"? Options are matched exactly, case included`},
		{"multiple", "touches", "payments, personal data", `did you mean "Payments, Personal data"?`},
		{"multiple with commas in an option", "touches", "PAYMENTS, back-office systems (crm, email, billing)", `did you mean "Payments, Back-office systems (CRM, email, billing)"?`},
		{"a box", "agreement", "- [x] i will answer questions about this brief within two working days.\n- [x] I will test the usability of the change before it ships.", `did you mean "I will answer questions about this brief within two working days."?`},
		{"not a case slip", "size", "Tiny", `"Tiny" is not one of the options ("Small (a day or less)", "Medium (up to two weeks)", "Large (more than two weeks)"); pick one of them`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, fs := ParseBrief(f, renderBody(f, with(completeAnswers(), tt.field, tt.answer)))
			got := messages(fs, RuleOption)
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Errorf("option findings = %q, want one containing %q", got, tt.want)
			}
			if v := b.Answer(tt.field); len(v.Choices) > 0 || len(v.Checked) > 1 {
				t.Errorf("%s read as %+v, want no option taken from a case slip", tt.field, v)
			}
		})
	}
}

func TestBodyNotUTF8(t *testing.T) {
	f := DefaultForm()
	body := renderBody(f, with(completeAnswers(), "audience", "Logged-in UK customers on mobile, caf\xe9 owners."))
	_, fs := ParseBrief(f, body)
	want := "the body is not UTF-8 text: the byte 0xE9, which is not UTF-8, at line 7, column 38; save the file as UTF-8"
	got := messages(fs, RuleEncoding)
	if len(got) != 1 || !strings.HasPrefix(got[0], want) || fs[0].Field != "" || fs[0].Severity != SeverityError {
		t.Errorf("encoding findings = %q (first finding %+v), want one error on the body starting %q", got, fs[0], want)
	}
	if len(fs) != 1 {
		t.Errorf("findings %v, want only the encoding one: the answers are still read", findingRules(fs))
	}
	// CRLF changes no line number, and valid UTF-8 gets no finding.
	if _, fs := ParseBrief(f, strings.ReplaceAll(body, "\n", "\r\n")); len(fs) != 1 || !strings.HasPrefix(fs[0].Message, want) {
		t.Errorf("CRLF body: findings %+v, want %q", fs, want)
	}
	if _, fs := ParseBrief(f, renderBody(f, with(completeAnswers(), "audience", "Café owners in Zürich, 東京 too."))); len(fs) != 0 {
		t.Errorf("UTF-8 body: findings %+v, want none", fs)
	}
}

func TestBodyTooLong(t *testing.T) {
	f := DefaultForm()
	base := len([]rune(renderBody(f, with(completeAnswers(), "objective", ""))))
	for _, tt := range []struct {
		extra int
		want  bool
	}{{MaxBodyChars - base, false}, {MaxBodyChars - base + 1, true}} {
		// é is two bytes: GitHub counts characters.
		body := renderBody(f, with(completeAnswers(), "objective", strings.Repeat("é", tt.extra)))
		res := CheckBrief(f, DefaultPolicy(), body, filed)
		got := messages(res.Findings, RuleTooLong)
		if tt.want != (len(got) == 1) {
			t.Errorf("body of %d characters: too_long findings %q, want %v", len([]rune(body)), got, tt.want)
		}
		if tt.want && (!strings.HasPrefix(got[0], "the body has 65537 characters, more than the 65536 GitHub keeps") || res.Findings[0].Severity != SeverityWarning) {
			t.Errorf("too_long finding %+v, want a warning naming 65537 characters", res.Findings[0])
		}
	}
}

// TestNoneUnderARequiredDropdown: GitHub writes None for a dropdown left
// alone even when it is required (private repositories do not enforce it):
// that is no answer, not the answer "None".
func TestNoneUnderARequiredDropdown(t *testing.T) {
	vite := loadTestForm(t, "vitejs__vite__bug_report.yml")
	real := readTestBody(t, "vitejs__vite__bug_report__issue-21042.reconstructed.md")
	if fl := vite.Field("package-manager"); fl == nil || !fl.Required || fl.Multiple {
		t.Fatalf("vite's package-manager is %+v, want a required single dropdown", fl)
	}
	_, before := ParseBrief(vite, real)
	i := strings.Index(real, "### Used Package Manager\n\n")
	if i < 0 {
		t.Fatal("the vite body has no package manager section")
	}
	rest := real[i+len("### Used Package Manager\n\n"):]
	body := real[:i] + "### Used Package Manager\n\nNone" + rest[strings.Index(rest, "\n"):]
	b, fs := ParseBrief(vite, body)
	if v := b.Answer("package-manager"); v == nil || !v.Empty() || v.Text != "" {
		t.Errorf("package-manager = %+v, want no answer", v)
	}
	want := append(findingRules(before), "package-manager:required")
	sortWant := func(fs []string) []string { s := slices.Clone(fs); slices.Sort(s); return s }
	if diff := cmp.Diff(sortWant(want), sortWant(findingRules(fs))); diff != "" {
		t.Errorf("findings: diff (-want +got):\n%s", diff)
	}
	if got := messages(fs, RuleRequired); len(got) != 1 || !strings.HasPrefix(got[0], `no option is chosen (GitHub writes None for a dropdown left alone); the form requires one of "npm", "yarn", "pnpm", "bun"`) {
		t.Errorf("required findings = %q", got)
	}
	// None next to a choice is a placeholder with the choice read.
	b, fs = ParseBrief(vite, real[:i]+"### Used Package Manager\n\nNone\n\npnpm"+rest[strings.Index(rest, "\n"):])
	if v := b.Answer("package-manager"); !slices.Equal(v.Choices, []string{"pnpm"}) || len(messages(fs, RulePlaceholder)) != 1 {
		t.Errorf("None then pnpm: %+v, findings %v; want pnpm and a placeholder finding", v, findingRules(fs))
	}
}

// TestRulesIgnoreHTMLComments: min_words, link, pattern and date judge
// what a reader sees, not the text of HTML comments.
func TestRulesIgnoreHTMLComments(t *testing.T) {
	f, p := DefaultForm(), DefaultPolicy()
	tests := []struct {
		name     string
		answers  map[string]string
		findings []string
		msg      string
	}{
		{"a prefilled hint left alone", with(completeAnswers(), "objective", "<!-- What should change, and why now? Write it so a colleague understands. -->"),
			[]string{"objective:min_words"}, "the answer has 0 words (all of it is inside an HTML comment, <!-- … -->, which nobody sees: write the answer outside it); write at least 8"},
		{"words padded in a comment", with(completeAnswers(), "objective", "Reorder button. <!-- one two three four five six seven eight -->"),
			[]string{"objective:min_words"}, "the answer has 2 words; write at least 8"},
		{"a hidden link", with(completeAnswers(), "examples", "See the mock-up <!-- https://www.figma.com/file/abc -->"),
			[]string{"examples:link"}, "the answer has no link; add at least one http(s):// address"},
		{"a comment over lines", with(completeAnswers(), "examples", "See the mock-up\n\n<!--\nhttps://www.figma.com/file/abc\n-->"),
			[]string{"examples:link"}, ""},
		{"a hidden number", with(completeAnswers(), "success", "More reorders <!-- 15% -->"), []string{"success:pattern"}, "give a number to measure against"},
		{"a date with a hint", with(completeAnswers(), "deadline", "2026-03-31 <!-- YYYY-MM-DD -->"), nil, ""},
		{"a comment in code is shown", with(completeAnswers(), "examples", "The mock-up: `<!-- https://www.figma.com/file/abc -->`"), nil, ""},
		{"a comment in a code block is shown", with(completeAnswers(), "examples", "```html\n<!-- https://www.figma.com/file/abc -->\n```"), nil, ""},
		{"visible text around a comment", with(completeAnswers(), "examples", "<!-- hint --> https://www.figma.com/file/abc"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckBrief(f, p, renderBody(f, tt.answers), filed)
			if diff := cmp.Diff(tt.findings, findingRules(res.Findings)); diff != "" {
				t.Errorf("findings: diff (-want +got):\n%s\n%+v", diff, res.Findings)
			}
			if tt.msg != "" && (len(res.Findings) == 0 || res.Findings[0].Message != tt.msg) {
				t.Errorf("message = %+v, want %q", res.Findings, tt.msg)
			}
		})
	}

	// A real form's prefilled log field: its comments say where logs go, and
	// are no log. Left alone, it has 5 words a reader sees, not 25.
	llama := loadTestForm(t, "ggml-org__llama.cpp__011-bug-results.yml")
	lp, err := LoadPolicy("p.yml", []byte("version: 1\nbrief:\n  rules:\n    - field: logs\n      min_words: 8\n      why: logs help\n  answer_labels: []\nrequire: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	res := CheckBrief(llama, lp, llama.BlankBody(), filed)
	if got := messages(res.Findings, RuleMinWords); len(got) != 1 || got[0] != "the answer has 5 words; write at least 8" {
		t.Errorf("llama.cpp's untouched log field: min_words findings %q, want the 5 visible words", got)
	}
}

// TestFencedHeadingIsNeverASection: a "### Label" inside a closed code
// block is code, even when the real section was deleted.
func TestFencedHeadingIsNeverASection(t *testing.T) {
	f := DefaultForm()
	full := renderBody(f, completeAnswers())
	body := strings.Replace(full, "### Audience\n\nLogged-in UK customers on mobile.\n\n", "", 1)
	body = strings.Replace(body, "two clicks.\n", "two clicks.\n\n```\n### Audience\n\nEveryone\n```\n", 1)
	b, fs := ParseBrief(f, body)
	if b.Answer("audience") != nil {
		t.Errorf("audience read as %+v from inside a code block", b.Answer("audience"))
	}
	if got := b.Answer("objective").Text; !strings.Contains(got, "```\n### Audience\n\nEveryone\n```") {
		t.Errorf("objective = %q, want the code block in it", got)
	}
	got := messages(fs, RuleMissingSection)
	want := `the body has no "Audience" section: the heading on line 6 is inside a code block (lines 5 to 9), where it is code, not a heading`
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("missing_section findings %q, want one starting %q", got, want)
	}
	// Headings inside a fence that a later loose fence may have been meant
	// to close are still read where nothing else has them (an answer's
	// fence left open does not swallow the body).
	open := strings.Replace(full, "two clicks.\n", "two clicks.\n```js\nboom\n", 1)
	open = strings.Replace(open, "See https://www.figma.com/file/abc", "```\nlog\n```", 1)
	b, fs = ParseBrief(f, open)
	if len(b.Order) != len(f.Fields) || len(messages(fs, RuleMissingSection)) != 0 {
		t.Errorf("unclosed fence: fields %v, findings %v; want every section read", b.Order, findingRules(fs))
	}
}

// TestCommentAfterTheLastSection: an HTML comment that automation appends
// to the body belongs to no answer of a dropdown or checkboxes.
func TestCommentAfterTheLastSection(t *testing.T) {
	bot := "\n\n<!-- triage-bot: labelled bug; needs reproduction -->"
	multi := "\n\n<!--\n  issue-ops: linked to #12\n-->\n"
	vite := loadTestForm(t, "vitejs__vite__bug_report.yml")
	brainhack := loadTestForm(t, "brainhackorg__global2021__project-submission-template.yml")
	size := &Form{File: "f.yml"}
	size.Fields = []*Field{{Key: "objective", Type: TypeTextarea, Label: "Objective", Default: -1}, {Key: "size", Type: TypeDropdown, Label: "Size", Options: []string{"Small", "Large"}, Required: true, Default: -1}}
	optional := &Form{File: "g.yml", Fields: []*Field{{Key: "size", Type: TypeDropdown, Label: "Size", Options: []string{"Small", "Large"}, Default: -1}}}
	tests := []struct {
		name string
		form *Form
		body string
	}{
		{"vite: checkboxes last", vite, readTestBody(t, "vitejs__vite__bug_report__issue-21042.reconstructed.md")},
		{"brainhack: checkboxes last, CRLF", brainhack, readTestBody(t, "brainhackorg__global2021__project-submission-template__issue-181.md")},
		{"default form", DefaultForm(), renderBody(DefaultForm(), completeAnswers())},
		{"a dropdown last", size, "### Objective\n\nShip it.\n\n### Size\n\nSmall"},
		{"None in an optional dropdown last", optional, "### Size\n\nNone"},
	}
	for _, tt := range tests {
		for _, c := range []string{bot, multi} {
			t.Run(tt.name, func(t *testing.T) {
				b0, fs0 := ParseBrief(tt.form, tt.body)
				b1, fs1 := ParseBrief(tt.form, tt.body+c)
				g0, g1 := toGolden(b0, fs0), toGolden(b1, fs1)
				for k, v := range g0.Fields {
					if fl := tt.form.Field(k); fl.Type == TypeDropdown || fl.Type == TypeCheckboxes {
						if diff := cmp.Diff(v, g1.Fields[k]); diff != "" {
							t.Errorf("field %s with a comment appended: diff (-without +with):\n%s", k, diff)
						}
					}
				}
				if diff := cmp.Diff(findingRules(fs0), findingRules(fs1)); diff != "" {
					t.Errorf("findings with a comment appended: diff (-without +with):\n%s", diff)
				}
			})
		}
	}
}

func TestVisibleText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no comment", "no comment"},
		{"a <!-- b --> c", "a  c"},
		{"<!-- x -->\ntext", "\ntext"},
		{"a\n\n<!--\nmulti\nline\n-->\nb", "a\n\n\nb"},
		{"`<!-- code -->` x", "`<!-- code -->` x"},
		{"```\n<!-- fenced -->\n```", "```\n<!-- fenced -->\n```"},
		{"    <!-- indented code -->", "    <!-- indented code -->"},
		{"<!-- open to the end\nstill hidden", ""},
		{"> quoted <!-- hidden --> shown", "> quoted  shown"},
		{"<details>\n<!-- hint -->\n</details>", "<details>\n\n</details>"},
		{"<textarea>\n<!-- typed -->\n</textarea>", "<textarea>\n<!-- typed -->\n</textarea>"},
		{"a\r\nb <!-- c -->", "a\nb "},
	}
	for _, tt := range tests {
		if got := visibleText(tt.in); got != tt.want {
			t.Errorf("visibleText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
