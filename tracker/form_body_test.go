package tracker

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBlankBody parses the blank body of every saved real form, and of the
// default form, against its form: every question has its section, in order,
// once, and no answer is read from GitHub's marks for no answer.
func TestBlankBody(t *testing.T) {
	forms := []*Form{DefaultForm()}
	paths, _ := filepath.Glob(filepath.Join("testdata", "forms", "*.yml"))
	for _, p := range paths {
		forms = append(forms, loadTestForm(t, filepath.Base(p)))
	}
	if len(forms) < 10 {
		t.Fatalf("found %d forms, want the default and the 9 saved ones", len(forms))
	}
	for _, f := range forms {
		t.Run(f.File, func(t *testing.T) {
			body := f.BlankBody()
			if strings.HasSuffix(body, "\n") || !strings.HasPrefix(body, "### ") {
				t.Errorf("BlankBody() = %q, want it to start with ### and end without a newline, as GitHub's bodies do", body)
			}
			b, fs := ParseBrief(f, body)
			if len(b.Order) != len(f.Fields) {
				t.Errorf("BlankBody() parses into %d fields, want the form's %d", len(b.Order), len(f.Fields))
			}
			for _, fd := range fs {
				if !slices.Contains([]string{RuleRequired, RuleCheckbox}, fd.Rule) {
					t.Errorf("BlankBody() parses with finding %+v; want only unanswered questions and unchecked boxes\nbody:\n%s", fd, body)
				}
			}
			for _, fl := range f.Fields {
				v := b.Answer(fl.Key)
				if v == nil || len(v.Checked) > 0 {
					t.Errorf("field %s: %+v, want a section with no box checked", fl.Key, v)
					continue
				}
				prefilled := strings.TrimSpace(fl.Value) != "" || fl.Default >= 0
				if v.Empty() == prefilled {
					t.Errorf("field %s: Empty() = %v, want %v (prefilled: %v): %+v", fl.Key, v.Empty(), !prefilled, prefilled, v)
				}
			}
		})
	}
}

func TestBlankBodyRendering(t *testing.T) {
	f := loadTestForm(t, "ollama__ollama__10_bug_report.yml")
	body := f.BlankBody()
	for _, want := range []string{"### What is the issue?\n\n_No response_", "### Relevant log output\n\n```shell\n\n```", "### OS\n\n_No response_"} {
		if !strings.Contains(body, want) {
			t.Errorf("ollama's BlankBody() lacks %q:\n%s", want, body)
		}
	}
	oh := loadTestForm(t, "OpenHands__OpenHands__bug_template.yml")
	body = oh.BlankBody()
	for _, want := range []string{"- [ ] I have checked the existing issues.", "### Operating System\n\nNone"} {
		if !strings.Contains(body, want) {
			t.Errorf("OpenHands' BlankBody() lacks %q:\n%s", want, body)
		}
	}
}
