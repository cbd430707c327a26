package tracker

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseBrief feeds arbitrary bodies to the parser against three forms
// (the default, OpenHands: checkboxes without id and optional dropdowns, maui:
// options with commas) and checks that it never panics and that its result is
// consistent with the form whatever the body says.
func FuzzParseBrief(f *testing.F) {
	forms := []*Form{DefaultForm(), loadTestForm(f, "OpenHands__OpenHands__bug_template.yml"), loadTestForm(f, "dotnet__maui__bug-report.yml")}
	mds, _ := filepath.Glob(filepath.Join("testdata", "forms", "*.md"))
	for _, md := range mds {
		data, err := os.ReadFile(md)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Add(renderBody(forms[0], completeAnswers()))
	f.Add(renderBody(forms[0], nil))
	f.Add("### Objective\n\n```\n### Audience\n```\n### Audience\n\n### Audience\n\nx\r\n### What does it touch?\n\nPayments, Payments, None of these")
	f.Add("### Working agreement\n\n- [X] I will answer questions about this brief within two working days.\n- [ ] nope\n* [x] I will test the usability of the change before it ships.")
	// Placeholders next to typed text, a byte order mark, copied sections,
	// a repeated choice, ### in the middle of a line.
	f.Add(renderBody(forms[0], with(completeAnswers(), "new_vendor", "Yes", "vendor", "_No response_\n\nNote from Bob: please hurry.")))
	f.Add(renderBody(forms[0], with(completeAnswers(), "audience", "Note.\n\n_No response_\n\n```\n_No response_\n```")))
	f.Add("\uFEFF" + renderBody(forms[0], completeAnswers()))
	f.Add("### Operating System\n\nNone\n\nLinux\n\n### Relevant log output\n\n```shell\n\n```\n\nsee the attached log\n\n### Relevant log output\n\n~~~\n~~~")
	f.Add(renderBody(forms[0], with(completeAnswers(), "touches", "None of these\n\n### What does it touch?\n\nPayments, Personal data, Payments")))
	f.Add(renderBody(forms[0], with(completeAnswers(), "objective", "C### Audience\nsee ### Size\n\n### Working agreement\n\n- [x] I will answer questions about this brief within two working days.")))
	policy := DefaultPolicy()
	f.Fuzz(func(t *testing.T, body string) {
		rules := []string{RuleRequired, RuleOption, RuleCheckbox, RuleMissingSection, RuleDuplicateSection, RuleOrder, RulePlaceholder, RuleMinWords, RulePattern, RuleLink, RuleDate}
		bodyRules := []string{RuleNotABrief, RuleEncoding, RuleTooLong}
		for _, form := range forms {
			b, fs := ParseBrief(form, body)
			if len(b.Order) != len(b.Fields) {
				t.Fatalf("Order %v and Fields (%d) disagree", b.Order, len(b.Fields))
			}
			last := -1
			for _, k := range b.Order {
				i := slices.IndexFunc(form.Fields, func(fl *Field) bool { return fl.Key == k })
				if i <= last {
					t.Fatalf("Order %v is not in form order (or has unknown keys)", b.Order)
				}
				last = i
				fl := form.Fields[i]
				for _, v := range b.Fields[k].readings() {
					for j, c := range v.Choices {
						if !slices.Contains(fl.OptionLabels(), c) || slices.Contains(v.Choices[:j], c) {
							t.Fatalf("field %s choice %q is not an option, or is there twice (%q)", k, c, v.Choices)
						}
					}
					if fl.Type == TypeCheckboxes {
						all := append(append([]string(nil), v.Checked...), v.Unchecked...)
						if len(all) != len(fl.Checkboxes) {
							t.Fatalf("field %s: checked %v + unchecked %v are not the form's %d boxes", k, v.Checked, v.Unchecked, len(fl.Checkboxes))
						}
					}
				}
			}
			for _, fd := range fs {
				onField := form.Field(fd.Field) != nil && slices.Contains(rules, fd.Rule)
				onBody := fd.Field == "" && slices.Contains(bodyRules, fd.Rule)
				if !(onField || onBody) || fd.Message == "" || fd.Why == "" ||
					(fd.Severity != SeverityError && fd.Severity != SeverityWarning) {
					t.Fatalf("malformed finding %+v", fd)
				}
				// A body with none of the form's headings gets that one
				// finding, and nothing per field.
				if fd.Rule == RuleNotABrief && (len(b.Fields) > 0 || slices.ContainsFunc(fs, func(o Finding) bool { return o.Field != "" })) {
					t.Fatalf("not_a_brief with fields %v and findings %v", b.Order, fs)
				}
			}
			if len(b.Fields) == 0 && !slices.ContainsFunc(fs, func(fd Finding) bool { return fd.Rule == RuleNotABrief }) {
				t.Fatalf("no field read and no not_a_brief finding: %v", fs)
			}
			b2, fs2 := ParseBrief(form, strings.ReplaceAll(body, "\n", "\r\n"))
			if !strings.Contains(body, "\r") && !reflect.DeepEqual(toGolden(b, fs), toGolden(b2, fs2)) {
				t.Fatalf("CRLF body parses differently: diff (-LF +CRLF):\n%s", cmp.Diff(toGolden(b, fs), toGolden(b2, fs2)))
			}
			b3, fs3 := ParseBrief(form, "\uFEFF"+body)
			if !strings.HasPrefix(body, "\uFEFF") && !reflect.DeepEqual(toGolden(b, fs), toGolden(b3, fs3)) {
				t.Fatalf("body after a byte order mark parses differently: diff (-without +with):\n%s", cmp.Diff(toGolden(b, fs), toGolden(b3, fs3)))
			}
			res := CheckBrief(form, policy, body, filed)
			errs := slices.ContainsFunc(res.Findings, func(fd Finding) bool { return fd.Severity == SeverityError })
			if res.Valid == errs || len(res.Labels) == 0 {
				t.Fatalf("CheckBrief Valid = %v with error findings %v, labels %v", res.Valid, errs, res.Labels)
			}
			_ = BriefComment(res)
		}
	})
}
