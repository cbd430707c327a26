package tracker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var filed = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// completeAnswers answer every question of the default form well.
func completeAnswers() map[string]string {
	return map[string]string{
		"objective":  "Let returning customers reorder a past purchase in two clicks.",
		"audience":   "Logged-in UK customers on mobile.",
		"mvp":        "A reorder button on each past order.",
		"success":    "Reorder rate from 12% to 15% in six weeks.",
		"examples":   "See https://www.figma.com/file/abc",
		"deadline":   "2026-03-31",
		"touches":    "None of these",
		"new_vendor": "No",
		"size":       "Small (a day or less)",
		"agreement":  "- [x] I will answer questions about this brief within two working days.\n- [X] I will test the usability of the change before it ships.",
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestCheckBriefRules(t *testing.T) {
	f, p := DefaultForm(), DefaultPolicy()
	tests := []struct {
		name     string
		answers  map[string]string
		findings []string
		labels   []string
	}{
		{"complete", completeAnswers(), nil, []string{"brief: ready"}},
		{"min_words", with(completeAnswers(), "objective", "Reorder in two clicks."), []string{"objective:min_words"}, []string{"brief: needs-info"}},
		{"required by the form, why from the policy", with(completeAnswers(), "audience", "_No response_"), []string{"audience:required"}, []string{"brief: needs-info"}},
		{"pattern", with(completeAnswers(), "success", "More reorders."), []string{"success:pattern"}, []string{"brief: needs-info"}},
		{"link", with(completeAnswers(), "examples", "Like www.example.com"), []string{"examples:link"}, []string{"brief: needs-info"}},
		{"date format", with(completeAnswers(), "deadline", "31/03/2026"), []string{"deadline:date"}, []string{"brief: needs-info"}},
		{"date in the past", with(completeAnswers(), "deadline", "2026-02-28"), []string{"deadline:date"}, []string{"brief: needs-info"}},
		{"date on the filing day", with(completeAnswers(), "deadline", "2026-03-01"), nil, []string{"brief: ready"}},
		{"no deadline is fine", with(completeAnswers(), "deadline", "_No response_"), nil, []string{"brief: ready"}},
		{"required when vendor is Yes", with(completeAnswers(), "new_vendor", "Yes"), []string{"vendor:required"}, []string{"brief: needs-info", "vendor-review"}},
		{"vendor named", with(completeAnswers(), "new_vendor", "Yes", "vendor", "Stripe https://stripe.com"), nil, []string{"brief: ready", "vendor-review"}},
		{"when does not hold", with(completeAnswers(), "new_vendor", "No"), nil, []string{"brief: ready"}},
		{"answer labels from a multi-select", with(completeAnswers(), "touches", "Payments, Back-office systems (CRM, email, billing)"), nil,
			[]string{"brief: ready", "touches: payments", "touches: back-office"}},
		{"unchecked agreement", with(completeAnswers(), "agreement", "- [x] I will answer questions about this brief within two working days.\n- [ ] I will test the usability of the change before it ships."),
			[]string{"agreement:checkbox"}, []string{"brief: needs-info"}},
		{"option not in the form", with(completeAnswers(), "size", "Huge"), []string{"size:option"}, []string{"brief: needs-info"}},
		{"a note under _No response_ is not the vendor", with(completeAnswers(), "new_vendor", "Yes", "vendor", "_No response_\n\nNote from Bob: please hurry."),
			[]string{"vendor:placeholder"}, []string{"brief: needs-info", "vendor-review"}},
		{"a note under _No response_ is not the audience", with(completeAnswers(), "audience", "_No response_\n\n(added later: see the thread)"),
			[]string{"audience:placeholder"}, []string{"brief: needs-info"}},
		{"a repeated choice is a warning and counts once", with(completeAnswers(), "touches", "Payments, Payments"), []string{"touches:option"},
			[]string{"brief: ready", "touches: payments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := renderBody(f, tt.answers)
			res := CheckBrief(f, p, body, filed)
			if diff := cmp.Diff(tt.findings, findingRules(res.Findings)); diff != "" {
				t.Errorf("CheckBrief findings: diff (-want +got):\n%s\n%+v", diff, res.Findings)
			}
			if diff := cmp.Diff(tt.labels, res.Labels); diff != "" {
				t.Errorf("CheckBrief labels: diff (-want +got):\n%s", diff)
			}
			if want := tt.labels[0] == "brief: ready"; res.Valid != want {
				t.Errorf("CheckBrief Valid = %v with findings %+v, want %v", res.Valid, res.Findings, want)
			}
			for _, fd := range res.Findings {
				if fd.Why == "" || fd.Message == "" {
					t.Errorf("finding %+v has no why or message", fd)
				}
			}
		})
	}
}

// copySection returns the default form's complete body with a copy of field
// key's section, answered with answer, typed just before the real section
// (before true) or just after it.
func copySection(t *testing.T, answers map[string]string, key, answer string, before bool) string {
	t.Helper()
	f := DefaultForm()
	body := renderBody(f, answers)
	fl := f.Field(key)
	heading := "### " + fl.Label + "\n\n"
	i := strings.Index(body, heading)
	if i < 0 {
		t.Fatalf("no %q in the rendered body", heading)
	}
	if !before {
		i += len(heading) + len(answers[key])
		return body[:i] + "\n\n" + heading + answer + body[i:]
	}
	return body[:i] + heading + answer + "\n\n" + body[i:]
}

// TestCheckBriefCopiedSections checks that a section typed twice is an
// error whichever copy comes first, and that no copy can take away a label
// or a requirement that the other brings.
func TestCheckBriefCopiedSections(t *testing.T) {
	f, p := DefaultForm(), DefaultPolicy()
	unticked := "- [x] I will answer questions about this brief within two working days.\n- [ ] I will test the usability of the change before it ships."
	tests := []struct {
		name     string
		body     string
		findings []string
		labels   []string
		read     string // Text of the read answer of the copied field
	}{
		{"None of these typed before the real answer",
			copySection(t, with(completeAnswers(), "touches", "Payments, Personal data"), "touches", "None of these", true),
			[]string{"touches:duplicate_section"}, []string{"brief: needs-info", "touches: payments", "touches: personal-data"}, "None of these"},
		{"None of these typed after the real answer",
			copySection(t, with(completeAnswers(), "touches", "Payments, Personal data"), "touches", "None of these", false),
			[]string{"touches:duplicate_section"}, []string{"brief: needs-info", "touches: payments", "touches: personal-data"}, "Payments, Personal data"},
		{"No typed before Yes keeps the vendor review and the vendor rule",
			copySection(t, with(completeAnswers(), "new_vendor", "Yes"), "new_vendor", "No", true),
			[]string{"new_vendor:duplicate_section", "vendor:required"}, []string{"brief: needs-info", "vendor-review"}, "No"},
		{"No typed after Yes",
			copySection(t, with(completeAnswers(), "new_vendor", "Yes"), "new_vendor", "No", false),
			[]string{"new_vendor:duplicate_section", "vendor:required"}, []string{"brief: needs-info", "vendor-review"}, "Yes"},
		{"ticked boxes typed before the unticked ones do not tick them",
			copySection(t, with(completeAnswers(), "agreement", unticked), "agreement", completeAnswers()["agreement"], true),
			[]string{"agreement:duplicate_section", "agreement:checkbox"}, []string{"brief: needs-info"}, ""},
		{"ticked boxes typed after the unticked ones",
			copySection(t, with(completeAnswers(), "agreement", unticked), "agreement", completeAnswers()["agreement"], false),
			[]string{"agreement:duplicate_section", "agreement:checkbox"}, []string{"brief: needs-info"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckBrief(f, p, tt.body, filed)
			if diff := cmp.Diff(tt.findings, findingRules(res.Findings)); diff != "" {
				t.Errorf("CheckBrief(%q) findings: diff (-want +got):\n%s\n%+v", tt.body, diff, res.Findings)
			}
			if diff := cmp.Diff(tt.labels, res.Labels); diff != "" {
				t.Errorf("CheckBrief(%q) labels: diff (-want +got):\n%s", tt.body, diff)
			}
			if res.Valid {
				t.Errorf("CheckBrief(%q).Valid = true, want false: a duplicated section is an error", tt.body)
			}
			key, _, _ := strings.Cut(tt.findings[0], ":")
			if got := res.Brief.Answer(key).Text; got != tt.read {
				t.Errorf("CheckBrief(%q) read %s = %q, want the first copy %q", tt.body, key, got, tt.read)
			}
		})
	}
}

// TestDuplicateSectionMessage checks that the message names the copy whose
// lines were read: the first in the body, even when it is out of order.
func TestDuplicateSectionMessage(t *testing.T) {
	f := DefaultForm()
	agreement := "### Working agreement\n\n" + completeAnswers()["agreement"] + "\n\n"
	body := renderBody(f, completeAnswers())
	tests := []struct {
		name string
		body string
		want string // %d are the heading lines, in body order
	}{
		{"copy out of order, before the real one",
			strings.Replace(body, "### Audience", agreement+"### Audience", 1),
			`the body has 2 "Working agreement" sections, at line %[1]d and line %[2]d; the answer is read from the first (line %[1]d)`},
		{"copy after the real one",
			body + "\n\n" + agreement,
			`the body has 2 "Working agreement" sections, at line %[1]d and line %[2]d; the answer is read from the first (line %[1]d)`},
		{"three copies",
			strings.Replace(body, "### Audience", agreement+agreement+"### Audience", 1),
			`the body has 3 "Working agreement" sections, at line %[1]d and lines %[2]d, %[3]d; the answer is read from the first (line %[1]d)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var at []any
			for i, ln := range strings.Split(tt.body, "\n") {
				if ln == "### Working agreement" {
					at = append(at, i+1)
				}
			}
			want := fmt.Sprintf(tt.want, at...)
			_, fs := ParseBrief(f, tt.body)
			var got []string
			for _, fd := range fs {
				if fd.Rule == RuleDuplicateSection {
					if fd.Severity != SeverityError {
						t.Errorf("ParseBrief(%q) duplicate_section severity = %s, want error", tt.body, fd.Severity)
					}
					got = append(got, fd.Message)
				}
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], want) {
				t.Errorf("ParseBrief(%q) duplicate_section messages = %q, want one starting %q", tt.body, got, want)
			}
		})
	}
}

// TestConditionHoldsCountsEveryCopy checks is and is_not against an answer
// whose section was typed twice.
func TestConditionHoldsCountsEveryCopy(t *testing.T) {
	f := DefaultForm()
	tests := []struct {
		name string
		body string
		cond Condition
		want bool
	}{
		{"is, held by the copy", copySection(t, completeAnswers(), "new_vendor", "Yes", false), Condition{Field: "new_vendor", Is: "Yes"}, true},
		{"is, held by the first", copySection(t, completeAnswers(), "new_vendor", "Yes", true), Condition{Field: "new_vendor", Is: "Yes"}, true},
		{"is, held by neither", copySection(t, completeAnswers(), "new_vendor", "Not sure", false), Condition{Field: "new_vendor", Is: "Yes"}, false},
		{"is_not, held by the copy", copySection(t, completeAnswers(), "new_vendor", "Yes", false), Condition{Field: "new_vendor", IsNot: "No"}, true},
		{"is_not, held by the first", copySection(t, completeAnswers(), "new_vendor", "No", false), Condition{Field: "new_vendor", IsNot: "Yes"}, true},
		{"is_not, held by neither", copySection(t, completeAnswers(), "new_vendor", "No", false), Condition{Field: "new_vendor", IsNot: "No"}, false},
		{"is on a multi-select copy", copySection(t, completeAnswers(), "touches", "Payments", true), Condition{Field: "touches", Is: "Payments"}, true},
		{"is_not on a field with no section", strings.Replace(renderBody(f, completeAnswers()), "### Size", "Size", 1), Condition{Field: "size", IsNot: "Large (more than two weeks)"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := ParseBrief(f, tt.body)
			if got := tt.cond.Holds(b); got != tt.want {
				t.Errorf("%+v.Holds(ParseBrief(%q)) = %v, want %v", tt.cond, tt.body, got, tt.want)
			}
		})
	}
}

func TestCheckBriefWhyComesFromPolicy(t *testing.T) {
	f, p := DefaultForm(), DefaultPolicy()
	res := CheckBrief(f, p, renderBody(f, with(completeAnswers(), "audience", "_No response_")), filed)
	if len(res.Findings) != 1 || res.Findings[0].Why != p.Brief.Rules[1].Why {
		t.Errorf("CheckBrief findings = %+v, want one whose why is the audience rule's %q", res.Findings, p.Brief.Rules[1].Why)
	}
}

func TestExamplesAgreeWithTheREADME(t *testing.T) {
	f, p := DefaultForm(), DefaultPolicy()
	for _, tt := range []struct {
		file  string
		valid bool
	}{{"brief-complete.md", true}, {"brief-incomplete.md", false}} {
		data, err := os.ReadFile(filepath.Join("..", "examples", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		res := CheckBrief(f, p, string(data), time.Now())
		if res.Valid != tt.valid {
			t.Errorf("CheckBrief(examples/%s).Valid = %v, want %v; findings %+v", tt.file, res.Valid, tt.valid, res.Findings)
		}
		if !tt.valid && len(res.Findings) < 8 {
			t.Errorf("CheckBrief(examples/%s) = %d findings, want every kind of missing piece (8+)", tt.file, len(res.Findings))
		}
	}
}

func TestBriefComment(t *testing.T) {
	f, p := DefaultForm(), DefaultPolicy()
	tests := []struct{ name, body string }{
		{"needs-info", readExample(t, "brief-incomplete.md")},
		{"ready", renderBody(f, completeAnswers())},
		{"ready-with-warning", "### Audience\n\nLogged-in UK customers on mobile.\n\n" + strings.Replace(renderBody(f, completeAnswers()), "### Audience\n\nLogged-in UK customers on mobile.\n\n", "", 1)},
		{"one-problem", renderBody(f, with(completeAnswers(), "objective", "Make *reorder* <b>easy</b> @team #12"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckBrief(f, p, tt.body, filed)
			checkGolden(t, filepath.Join("testdata", "comments", tt.name+".md"), []byte(BriefComment(res)))
		})
	}
}

func readExample(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestOwnedLabels(t *testing.T) {
	got := DefaultPolicy().Brief.OwnedLabels()
	want := []string{"brief: ready", "brief: needs-info", "touches: payments", "touches: personal-data", "touches: sign-up", "touches: back-office", "vendor-review"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OwnedLabels(): diff (-want +got):\n%s", diff)
	}
	var empty BriefPolicy
	if diff := cmp.Diff([]string{"brief: ready", "brief: needs-info"}, empty.OwnedLabels()); diff != "" {
		t.Errorf("BriefPolicy{}.OwnedLabels(): diff (-want +got):\n%s", diff)
	}
}

func TestLooksLikeBrief(t *testing.T) {
	f := DefaultForm()
	full := renderBody(f, completeAnswers())
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"rendered from the form", full, true},
		{"CRLF", strings.ReplaceAll(full, "\n", "\r\n"), true},
		{"half the headings deleted", strings.Join(strings.Split(full, "### ")[:6], "### "), false},
		{"most headings", strings.Join(strings.Split(full, "### ")[:8], "### "), true},
		{"plain issue", "The checkout is broken.\n\n### Steps\n\n1. click", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LooksLikeBrief(f, tt.body); got != tt.want {
				t.Errorf("LooksLikeBrief(%q) = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

func TestDefaultPolicyAgreesWithDefaultForm(t *testing.T) {
	p := DefaultPolicy()
	q, left, err := FitPolicyToForm(p, DefaultForm())
	if err != nil || left != nil {
		t.Fatalf("FitPolicyToForm(default policy, default form) = %v, %v; want nothing left out", left, err)
	}
	if len(q.Brief.Rules) != len(p.Brief.Rules) || len(q.Brief.AnswerLabels) != len(p.Brief.AnswerLabels) || len(q.Require) != len(p.Require) {
		t.Errorf("FitPolicyToForm(default policy, default form) dropped parts: %d/%d rules, %d/%d answer labels, %d/%d require rules",
			len(q.Brief.Rules), len(p.Brief.Rules), len(q.Brief.AnswerLabels), len(p.Brief.AnswerLabels), len(q.Require), len(p.Require))
	}
}

func TestFitPolicyToFormErrors(t *testing.T) {
	src := `version: 1
brief:
  rules:
    - field: objectve
      min_words: 3
      why: because
    - field: vendor
      required: true
      when: {field: new_vendor, is: Maybe}
      why: because
  answer_labels:
    - {field: touches, option: Payments, label: pay}
    - {field: size, option: Tiny, label: tiny}
require:
  - kinds: [backend]
    brief: {field: touchez, is: Payments}
  - kinds: [backend]
    brief: {field: touches, is: Payment}
`
	p, err := LoadPolicy("p.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = FitPolicyToForm(p, DefaultForm())
	want := []string{
		`p.yml:4:7: brief rule 1 names the field "objectve", which the form .github/ISSUE_TEMPLATE/brief.yml does not have`,
		`p.yml:9:13: brief rule 2 when compares "new_vendor" with "Maybe", which is not one of its options`,
		`p.yml:13:7: brief answer_labels entry 2 compares "size" with "Tiny"`,
		`p.yml:16:12: require rule 1 brief names the field "touchez"`,
		`p.yml:18:12: require rule 2 brief compares "touches" with "Payment"`,
	}
	ces := AsConfigErrors(err)
	if len(ces) != len(want) {
		t.Fatalf("FitPolicyToForm = %v, want %d errors", err, len(want))
	}
	for i, ce := range ces {
		if !strings.HasPrefix(ce.Error(), want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, ce.Error(), want[i])
		}
	}
}

func TestLoadPolicyBriefErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"no check", "version: 1\nbrief:\n  rules:\n    - field: a\n      why: x\n", []string{"p.yml:4:7: brief rule 1 (field a) checks nothing"}},
		{"two checks", "version: 1\nbrief:\n  rules:\n    - field: a\n      min_words: 2\n      link: true\n      why: x\n", []string{"p.yml:4:7: brief rule 1 (field a) has min_words and link"}},
		{"bad regexp", "version: 1\nbrief:\n  rules:\n    - field: a\n      pattern: '[a'\n      why: x\n", []string{"p.yml:5:16: brief rule 1 (field a) pattern \"[a\" does not compile"}},
		{"no why", "version: 1\nbrief:\n  rules:\n    - field: a\n      link: true\n", []string{"p.yml:4:7: brief rule 1 (field a) has no why"}},
		{"no field", "version: 1\nbrief:\n  rules:\n    - link: true\n      why: x\n", []string{"p.yml:4:7: brief rule 1 has no field"}},
		{"date not a boolean", "version: 1\nbrief:\n  rules:\n    - field: a\n      date: YYYY-MM-DD\n      why: x\n", []string{`p.yml:5:13: brief.rules[].date: expected true or false, got "YYYY-MM-DD"`}},
		{"when with both", "version: 1\nbrief:\n  rules:\n    - field: a\n      required: true\n      when: {field: b, is: x, is_not: y}\n      why: x\n", []string{"p.yml:6:13: brief rule 1 (field a) when needs exactly one of is or is_not"}},
		{"when without field", "version: 1\nbrief:\n  rules:\n    - field: a\n      required: true\n      when: {is: x}\n      why: x\n", []string{"p.yml:6:13: brief rule 1 (field a) when has no field"}},
		{"message without pattern", "version: 1\nbrief:\n  rules:\n    - field: a\n      link: true\n      message: m\n      why: x\n", []string{"p.yml:6:16: brief rule 1 (field a) has a message but no pattern"}},
		{"negative min_words", "version: 1\nbrief:\n  rules:\n    - field: a\n      min_words: -2\n      why: x\n", []string{"p.yml:5:18: brief rule 1 (field a) min_words is -2"}},
		{"same labels", "version: 1\nbrief:\n  labels: {ready: x, needs_info: x}\n", []string{"p.yml:3:11: brief.labels.ready and needs_info are both \"x\""}},
		{"answer label incomplete", "version: 1\nbrief:\n  answer_labels:\n    - {field: a, option: b}\n", []string{"p.yml:4:7: brief answer_labels entry 1 has no label"}},
		{"unknown key", "version: 1\nbrief:\n  lables: {}\n", []string{`p.yml:3:3: unknown key "lables" in brief (allowed: form, label, labels, rules, answer_labels;`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPolicy("p.yml", []byte(tt.yaml))
			ces := AsConfigErrors(err)
			if len(ces) != len(tt.want) {
				t.Fatalf("LoadPolicy(%q) = %v, want %d errors %q", tt.yaml, err, len(tt.want), tt.want)
			}
			for i, ce := range ces {
				if !strings.HasPrefix(ce.Error(), tt.want[i]) {
					t.Errorf("LoadPolicy(%q) error %d = %q, want prefix %q", tt.yaml, i, ce.Error(), tt.want[i])
				}
			}
		})
	}
}

func TestLoadPolicyBriefDefaults(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte("version: 1\nbrief:\n  label: request\n  labels: {ready: ok}\n"))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultPolicy().Brief
	got := []string{p.Brief.Form, p.Brief.Label, p.Brief.Labels.Ready, p.Brief.Labels.NeedsInfo}
	want := []string{".github/ISSUE_TEMPLATE/brief.yml", "request", "ok", "brief: needs-info"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("brief keys: diff (-want +got):\n%s", diff)
	}
	if len(p.Brief.Rules) != len(def.Rules) || len(p.Brief.AnswerLabels) != len(def.AnswerLabels) {
		t.Errorf("rules/answer_labels left out = %d/%d, want the default's %d/%d", len(p.Brief.Rules), len(p.Brief.AnswerLabels), len(def.Rules), len(def.AnswerLabels))
	}
	p, err = LoadPolicy("p.yml", []byte("version: 1\nbrief:\n  rules: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Brief.Rules) != 0 {
		t.Errorf("rules: [] gave %d rules, want none", len(p.Brief.Rules))
	}
}

// TestFitPolicyToForm: with a form of the repository's own, the parts of the
// embedded default that name fields or options the form lacks are left out
// and said so; what fits stays, and so does the gate.
func TestFitPolicyToForm(t *testing.T) {
	bug := loadTestForm(t, "ollama__ollama__10_bug_report.yml")
	mini, err := LoadForm("mini.yml", []byte(`name: Mini
description: D
body:
  - type: textarea
    id: objective
    attributes: {label: Objective}
  - type: dropdown
    id: new_vendor
    attributes: {label: "New vendor?", options: ["No", "Yes"]}
  - type: dropdown
    id: touches
    attributes: {label: Touches, multiple: true, options: [Payments]}
`))
	if err != nil {
		t.Fatal(err)
	}
	type kept struct {
		Rules, AnswerLabels []string
		Require             [][]string
	}
	gate := [][]string{{"usability", "backend"}, {"vendor"}, {"vendor"}}
	tests := []struct {
		name   string
		policy string // "" for the embedded default
		form   *Form
		left   *LeftOut
		kept   kept
	}{
		{
			name: "the default policy, the default form",
			form: DefaultForm(),
			kept: kept{
				Rules: []string{"objective", "audience", "mvp", "success", "examples", "deadline", "vendor"},
				AnswerLabels: []string{"touches/Payments", "touches/Personal data", "touches/Sign-up or login",
					"touches/Back-office systems (CRM, email, billing)", "new_vendor/Yes", "new_vendor/Not sure"},
				Require: gate,
			},
		},
		{
			name: "the default policy, a bug-report form",
			form: bug,
			left: &LeftOut{
				Form:   "ollama__ollama__10_bug_report.yml",
				Fields: []string{"objective", "audience", "mvp", "success", "examples", "deadline", "vendor", "new_vendor", "touches"},
				Rules:  7, AnswerLabels: 6, Require: 1,
			},
			kept: kept{Require: [][]string{{"usability", "backend"}, {"vendor"}}},
		},
		{
			name:   "a policy that leaves require out",
			policy: "brief: {rules: [], answer_labels: []}\n",
			form:   bug,
			left:   &LeftOut{Form: "ollama__ollama__10_bug_report.yml", Fields: []string{"new_vendor"}, Require: 1},
			kept:   kept{Require: [][]string{{"usability", "backend"}, {"vendor"}}},
		},
		{
			name:   "inherited rules that fit the form stay",
			policy: "brief: {form: mini.yml}\n",
			form:   mini,
			left: &LeftOut{
				Form:   "mini.yml",
				Fields: []string{"audience", "mvp", "success", "examples", "deadline", "vendor"},
				Options: []string{`touches "Personal data"`, `touches "Sign-up or login"`,
					`touches "Back-office systems (CRM, email, billing)"`, `new_vendor "Not sure"`},
				Rules: 6, AnswerLabels: 4,
			},
			kept: kept{Rules: []string{"objective"}, AnswerLabels: []string{"touches/Payments", "new_vendor/Yes"}, Require: gate},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tt.policy != "" {
				var err error
				if p, err = LoadPolicy("p.yml", []byte(tt.policy)); err != nil {
					t.Fatal(err)
				}
			}
			before := len(p.Brief.Rules)
			q, left, err := FitPolicyToForm(p, tt.form)
			if err != nil {
				t.Fatalf("FitPolicyToForm = %v, want no error", err)
			}
			if diff := cmp.Diff(tt.left, left); diff != "" {
				t.Errorf("FitPolicyToForm left out: diff (-want +got):\n%s", diff)
			}
			var got kept
			for _, r := range q.Brief.Rules {
				got.Rules = append(got.Rules, r.Field)
			}
			for _, al := range q.Brief.AnswerLabels {
				got.AnswerLabels = append(got.AnswerLabels, al.Field+"/"+al.Option)
			}
			for _, rq := range q.Require {
				got.Require = append(got.Require, rq.Kinds)
			}
			if diff := cmp.Diff(tt.kept, got); diff != "" {
				t.Errorf("FitPolicyToForm kept: diff (-want +got):\n%s", diff)
			}
			if len(p.Brief.Rules) != before {
				t.Errorf("FitPolicyToForm changed its argument: %d rules, had %d", len(p.Brief.Rules), before)
			}
		})
	}
}

func TestLeftOutString(t *testing.T) {
	tests := []struct {
		left LeftOut
		want string
	}{
		{
			LeftOut{Form: "bug.yml", Fields: []string{"objective", "new_vendor"}, Rules: 2, AnswerLabels: 1, Require: 1},
			"the default policy's rules for the default form's fields objective, new_vendor do not apply to bug.yml and are left out (2 brief rules, 1 answer label, 1 require rule); to check its answers, write your own brief.rules, brief.answer_labels and require in the policy",
		},
		{
			LeftOut{Form: "f.yml", Fields: []string{"vendor"}, Options: []string{`touches "Payments"`}, Rules: 1, AnswerLabels: 2},
			`the default policy's rules for the default form's fields vendor and options touches "Payments" do not apply to f.yml and are left out (1 brief rule, 2 answer labels); to check its answers, write your own brief.rules and brief.answer_labels in the policy`,
		},
	}
	for _, tt := range tests {
		if got := tt.left.String(); got != tt.want {
			t.Errorf("%+v.String() =\n%q, want\n%q", tt.left, got, tt.want)
		}
	}
}

// TestFitPolicyToFormOwnRulesStayErrors: what a policy file writes itself
// must fit the form; only what it inherits is left out.
func TestFitPolicyToFormOwnRulesStayErrors(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte("brief:\n  rules:\n    - {field: objective, min_words: 3, why: x}\nrequire:\n  - kinds: [vendor]\n    brief: {field: new_vendor, is: \"Yes\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, left, err := FitPolicyToForm(p, loadTestForm(t, "ollama__ollama__10_bug_report.yml"))
	var got []string
	for _, ce := range AsConfigErrors(err) {
		got = append(got, ce.Error())
	}
	fields := "(its fields: description, logs, os, gpu, cpu, version)"
	want := []string{
		`p.yml:3:7: brief rule 1 names the field "objective", which the form ollama__ollama__10_bug_report.yml does not have ` + fields,
		`p.yml:6:12: require rule 1 brief names the field "new_vendor", which the form ollama__ollama__10_bug_report.yml does not have ` + fields,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FitPolicyToForm errors: diff (-want +got):\n%s", diff)
	}
	if left != nil {
		t.Errorf("FitPolicyToForm left out %v with an error, want nil", left)
	}
}
