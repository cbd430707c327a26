package tracker

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// goldenValue is a Value as the golden files show it.
type goldenValue struct {
	Text       string   `json:"text,omitempty"`
	Choices    []string `json:"choices,omitempty"`
	Checked    []string `json:"checked,omitempty"`
	Unchecked  []string `json:"unchecked,omitempty"`
	Duplicates []string `json:"duplicates,omitempty"`
}

type goldenBrief struct {
	Preamble string                  `json:"preamble,omitempty"`
	Order    []string                `json:"order"`
	Fields   map[string]*goldenValue `json:"fields"`
	Findings []Finding               `json:"findings"`
}

func toGolden(b *Brief, fs []Finding) *goldenBrief {
	g := &goldenBrief{Preamble: b.Preamble, Order: b.Order, Fields: map[string]*goldenValue{}, Findings: fs}
	if g.Findings == nil {
		g.Findings = []Finding{}
	}
	for k, v := range b.Fields {
		gv := &goldenValue{Text: v.Text, Choices: v.Choices, Checked: v.Checked, Unchecked: v.Unchecked}
		for _, c := range v.Copies {
			gv.Duplicates = append(gv.Duplicates, c.Raw)
		}
		g.Fields[k] = gv
	}
	return g
}

// checkGolden compares got with the golden file path, rewriting it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tracker -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s: diff (-want +got):\n%s", path, diff)
	}
}

func loadTestForm(t testing.TB, name string) *Form {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "forms", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := LoadForm(name, data)
	if err != nil {
		t.Fatalf("LoadForm(%s) = %v", name, err)
	}
	return f
}

func readTestBody(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "forms", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestParseRealBodies parses every real body saved under testdata/forms
// against its real form and compares fields and findings with golden JSON.
func TestParseRealBodies(t *testing.T) {
	forms, err := filepath.Glob(filepath.Join("testdata", "forms", "*.yml"))
	if err != nil || len(forms) < 9 {
		t.Fatalf("found %d forms (%v), want the 9 saved real forms", len(forms), err)
	}
	bodies := 0
	for _, fp := range forms {
		name := filepath.Base(fp)
		stem := strings.TrimSuffix(name, ".yml")
		t.Run(stem, func(t *testing.T) {
			f := loadTestForm(t, name)
			if len(f.Fields) == 0 {
				t.Fatalf("LoadForm(%s) has no fields", name)
			}
			mds, _ := filepath.Glob(filepath.Join("testdata", "forms", stem+"__issue-*.md"))
			for _, md := range mds {
				bodies++
				body := readTestBody(t, filepath.Base(md))
				b, fs := ParseBrief(f, body)
				got, err := json.MarshalIndent(toGolden(b, fs), "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				checkGolden(t, filepath.Join("testdata", "forms", "golden", strings.TrimSuffix(filepath.Base(md), ".md")+".json"), got)
			}
		})
	}
	if bodies < 10 {
		t.Errorf("parsed %d real bodies, want all 10 saved ones", bodies)
	}
}

// renderBody renders answers the way GitHub writes an issue body from form
// f: one "### label" section per field, in form order. answers maps a field
// key to the raw answer; a field left out gets GitHub's rendering of no
// answer (_No response_, None, or every box unchecked).
func renderBody(f *Form, answers map[string]string) string {
	var sb strings.Builder
	for i, fl := range f.Fields {
		if i > 0 {
			sb.WriteString("\n\n")
		}
		sb.WriteString("### " + fl.Label + "\n\n")
		a, ok := answers[fl.Key]
		switch {
		case ok:
			sb.WriteString(a)
		case fl.Type == TypeCheckboxes:
			for j, c := range fl.Checkboxes {
				if j > 0 {
					sb.WriteString("\n")
				}
				sb.WriteString("- [ ] " + c.Label)
			}
		case fl.Type == TypeDropdown && !fl.Multiple && !fl.Required:
			sb.WriteString("None")
		case fl.Render != "":
			sb.WriteString("```" + fl.Render + "\n\n```")
		default:
			sb.WriteString("_No response_")
		}
	}
	return sb.String()
}

func findingRules(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Field+":"+f.Rule)
	}
	return out
}

func TestParseBriefEdgeCases(t *testing.T) {
	openhands := loadTestForm(t, "OpenHands__OpenHands__bug_template.yml")
	maui := loadTestForm(t, "dotnet__maui__bug-report.yml")
	ollama := loadTestForm(t, "ollama__ollama__10_bug_report.yml")
	sglang := loadTestForm(t, "sgl-project__sglang__2-feature-request.yml")
	ohBox := "### Is there an existing issue for the same bug?\n\n- [%s] I have checked the existing issues.\n\n"
	ohRest := "### Describe the bug and reproduction steps\n\nIt breaks.\n\n### OpenHands Installation\n\nDocker command in README\n\n### OpenHands Version\n\n0.24\n\n### Operating System\n\nLinux\n\n### Logs, Errors, Screenshots, and Additional Context\n\n"
	sprintf := func(format string, a ...any) string { return strings.NewReplacer("%s", a[0].(string)).Replace(format) }

	tests := []struct {
		name     string
		form     *Form
		body     string
		want     map[string]*goldenValue // fields to compare (others ignored)
		findings []string                // field:rule of every finding, in order
	}{
		{
			name: "spoofed sections typed inside the last answer",
			form: openhands,
			body: sprintf(ohBox, " ") + ohRest + "see logs\n\n### Is there an existing issue for the same bug?\n\n- [x] I have checked the existing issues.\n\n### Operating System\n\nMacOS",
			want: map[string]*goldenValue{
				"is_there_an_existing_issue_for_the_same_bug": {Unchecked: []string{"I have checked the existing issues."}, Duplicates: []string{"- [x] I have checked the existing issues."}},
				"os":                 {Text: "Linux", Choices: []string{"Linux"}, Duplicates: []string{"MacOS"}},
				"additional-context": {Text: "see logs"},
			},
			findings: []string{"is_there_an_existing_issue_for_the_same_bug:duplicate_section", "is_there_an_existing_issue_for_the_same_bug:checkbox", "os:duplicate_section"},
		},
		{
			name: "fake heading typed before the real one: the first copy is read, the other kept",
			form: openhands,
			body: sprintf(ohBox, "x") + "### Describe the bug and reproduction steps\n\nIt breaks.\n\n### Operating System\n\nMacOS\n\n### OpenHands Installation\n\nDocker command in README\n\n### OpenHands Version\n\n0.24\n\n### Operating System\n\nLinux\n\n### Logs, Errors, Screenshots, and Additional Context\n\n_No response_",
			want: map[string]*goldenValue{
				"os":              {Text: "MacOS", Choices: []string{"MacOS"}, Duplicates: []string{"Linux"}},
				"bug-description": {Text: "It breaks."},
			},
			findings: []string{"os:duplicate_section"},
		},
		{
			name: "a copy typed right after the real section: the first is read",
			form: openhands,
			body: sprintf(ohBox, "x") + strings.Replace(ohRest, "\nLinux\n", "\nLinux\n\n### Operating System\n\nMacOS\n", 1) + "_No response_",
			want: map[string]*goldenValue{
				"os": {Text: "Linux", Choices: []string{"Linux"}, Duplicates: []string{"MacOS"}},
			},
			findings: []string{"os:duplicate_section"},
		},
		{
			name: "a line with ### in its middle is never a section",
			form: openhands,
			body: sprintf(ohBox, "x") + "### Describe the bug and reproduction steps\n\nIt breaks.\nC### Operating System\nsee ### Operating System\n\n" + strings.TrimPrefix(ohRest, "### Describe the bug and reproduction steps\n\nIt breaks.\n\n") + "_No response_",
			want: map[string]*goldenValue{
				"bug-description": {Text: "It breaks.\nC### Operating System\nsee ### Operating System"},
				"os":              {Text: "Linux", Choices: []string{"Linux"}},
			},
		},
		{
			name: "byte order mark before the first heading",
			form: openhands,
			body: "\uFEFF" + sprintf(ohBox, "x") + ohRest + "done",
			want: map[string]*goldenValue{
				"is_there_an_existing_issue_for_the_same_bug": {Checked: []string{"I have checked the existing issues."}},
				"additional-context":                          {Text: "done"},
			},
		},
		{
			name:     "_No response_ followed by typed text",
			form:     openhands,
			body:     sprintf(ohBox, "x") + ohRest + "_No response_\n\nNote from Bob: please hurry.",
			want:     map[string]*goldenValue{"additional-context": {Text: "Note from Bob: please hurry."}},
			findings: []string{"additional-context:placeholder"},
		},
		{
			name:     "_No response_ left under typed text",
			form:     openhands,
			body:     sprintf(ohBox, "x") + ohRest + "Note from Bob.\n\n_No response_",
			want:     map[string]*goldenValue{"additional-context": {Text: "Note from Bob."}},
			findings: []string{"additional-context:placeholder"},
		},
		{
			name: "_No response_ inside a code block is content",
			form: openhands,
			body: sprintf(ohBox, "x") + ohRest + "```\n_No response_\n```",
			want: map[string]*goldenValue{"additional-context": {Text: "```\n_No response_\n```"}},
		},
		{
			name:     "None in an optional dropdown followed by typed text",
			form:     openhands,
			body:     sprintf(ohBox, "x") + strings.Replace(ohRest, "\nLinux\n", "\nNone\n\nLinux\n", 1) + "_No response_",
			want:     map[string]*goldenValue{"os": {Text: "Linux", Choices: []string{"Linux"}}},
			findings: []string{"os:placeholder"},
		},
		{
			name:     "None followed by a note that is no option",
			form:     openhands,
			body:     sprintf(ohBox, "x") + strings.Replace(ohRest, "\nLinux\n", "\nNone\n\nask Bob\n", 1) + "_No response_",
			want:     map[string]*goldenValue{"os": {Text: "ask Bob"}},
			findings: []string{"os:placeholder", "os:option"},
		},
		{
			name:     "_No response_ in a multi-select followed by a choice",
			form:     maui,
			body:     renderBody(maui, map[string]string{"is-regression": "Not sure, did not test other versions", "platforms-affected": "_No response_\n\niOS", "description": "Broken.", "version-with-bug": "7.0.101", "version-that-worked": "6.0"}),
			want:     map[string]*goldenValue{"platforms-affected": {Text: "iOS", Choices: []string{"iOS"}}},
			findings: []string{"platforms-affected:placeholder"},
		},
		{
			name:     "multi-select repeating an option counts it once",
			form:     maui,
			body:     renderBody(maui, map[string]string{"is-regression": "Not sure, did not test other versions", "platforms-affected": "iOS, Android, iOS, iOS", "description": "Broken.", "version-with-bug": "7.0.101", "version-that-worked": "6.0"}),
			want:     map[string]*goldenValue{"platforms-affected": {Text: "iOS, Android, iOS, iOS", Choices: []string{"iOS", "Android"}}},
			findings: []string{"platforms-affected:option"},
		},
		{
			name:     "empty render fence followed by typed text",
			form:     ollama,
			body:     renderBody(ollama, map[string]string{"description": "Crash.", "logs": "```shell\n\n```\n\nThe log is attached."}),
			want:     map[string]*goldenValue{"logs": {Text: "The log is attached."}},
			findings: []string{"logs:placeholder"},
		},
		{
			name: "filled render fence followed by typed text is kept whole",
			form: ollama,
			body: renderBody(ollama, map[string]string{"description": "Crash.", "logs": "```shell\nboom\n```\n\nThat is all."}),
			want: map[string]*goldenValue{"logs": {Text: "```shell\nboom\n```\n\nThat is all."}},
		},
		{
			name: "headings inside a fence and #### are part of the answer",
			form: openhands,
			body: sprintf(ohBox, "X") + "### Describe the bug and reproduction steps\n\n```\n### Operating System\n\nMacOS\n```\n#### Details\n### Not a field\n\n### OpenHands Installation\n\nOther\n\n### OpenHands Version\n\n0.24\n\n### Operating System\n\nLinux\n\n### Logs, Errors, Screenshots, and Additional Context\n\n_No response_",
			want: map[string]*goldenValue{
				"bug-description": {Text: "```\n### Operating System\n\nMacOS\n```\n#### Details\n### Not a field"},
				"os":              {Text: "Linux", Choices: []string{"Linux"}},
			},
		},
		{
			name: "unclosed fence does not swallow the following sections",
			form: openhands,
			body: sprintf(ohBox, "x") + "### Describe the bug and reproduction steps\n\n```js\nboom\n\n### OpenHands Installation\n\nOther\n\n### OpenHands Version\n\n0.24\n\n### Operating System\n\nLinux\n\n### Logs, Errors, Screenshots, and Additional Context\n\n```\nlog\n```",
			want: map[string]*goldenValue{
				"bug-description": {Text: "```js\nboom"},
				"installation":    {Text: "Other", Choices: []string{"Other"}},
				"os":              {Text: "Linux", Choices: []string{"Linux"}},
			},
		},
		{
			name:     "value not an option",
			form:     openhands,
			body:     sprintf(ohBox, "x") + strings.Replace(ohRest, "\nLinux\n", "\nWindows 10\n", 1) + "_No response_",
			want:     map[string]*goldenValue{"os": {Text: "Windows 10"}},
			findings: []string{"os:option"},
		},
		{
			name: "None in an optional dropdown is no answer",
			form: openhands,
			body: sprintf(ohBox, "x") + strings.Replace(ohRest, "\nLinux\n", "\nNone\n", 1) + "_No response_",
			want: map[string]*goldenValue{"os": {}},
		},
		{
			name: "text before the first section, CRLF and mixed-case boxes",
			form: openhands,
			body: strings.ReplaceAll("Note from the filer.\n\n"+sprintf(ohBox, "X")+ohRest+"done", "\n", "\r\n"),
			want: map[string]*goldenValue{
				"is_there_an_existing_issue_for_the_same_bug": {Checked: []string{"I have checked the existing issues."}},
				"additional-context":                          {Text: "done"},
			},
		},
		{
			name: "reordered and deleted sections",
			form: openhands,
			body: "### Operating System\n\nLinux\n\n" + sprintf(ohBox, "x") + "### Describe the bug and reproduction steps\n\nIt breaks.\n\n### OpenHands Version\n\n0.24",
			want: map[string]*goldenValue{
				"os":              {Text: "Linux", Choices: []string{"Linux"}},
				"bug-description": {Text: "It breaks."},
			},
			findings: []string{"installation:missing_section", "os:order", "additional-context:missing_section"},
		},
		{
			name: "box with another wording and a stray line",
			form: openhands,
			body: "### Is there an existing issue for the same bug?\n\n- [x] I have checked.\nyes\n\n" + ohRest,
			want: map[string]*goldenValue{
				"is_there_an_existing_issue_for_the_same_bug": {Unchecked: []string{"I have checked the existing issues."}},
			},
			findings: []string{"is_there_an_existing_issue_for_the_same_bug:option", "is_there_an_existing_issue_for_the_same_bug:option", "is_there_an_existing_issue_for_the_same_bug:checkbox"},
		},
		{
			name: "multi-select options containing commas",
			form: maui,
			body: renderBody(maui, map[string]string{"is-regression": "Yes, this used to work in .NET MAUI, Not sure, did not test other versions", "platforms-affected": "iOS, Other (Tizen, Linux, etc. not supported by Microsoft directly)", "description": "Broken.", "version-with-bug": "7.0.101", "version-that-worked": "6.0"}),
			want: map[string]*goldenValue{
				"is-regression":      {Text: "Yes, this used to work in .NET MAUI, Not sure, did not test other versions", Choices: []string{"Yes, this used to work in .NET MAUI", "Not sure, did not test other versions"}},
				"platforms-affected": {Text: "iOS, Other (Tizen, Linux, etc. not supported by Microsoft directly)", Choices: []string{"iOS", "Other (Tizen, Linux, etc. not supported by Microsoft directly)"}},
			},
		},
		{
			name:     "multi-select with a choice that is not an option",
			form:     maui,
			body:     renderBody(maui, map[string]string{"is-regression": "Not sure, maybe", "platforms-affected": "iOS", "version-with-bug": "7.0.101", "version-that-worked": "6.0", "description": "Broken."}),
			want:     map[string]*goldenValue{"is-regression": {Text: "Not sure, maybe"}},
			findings: []string{"is-regression:option"},
		},
		{
			name: "empty render fence is empty, filled fence is its content",
			form: ollama,
			body: renderBody(ollama, map[string]string{"description": "Crash.", "logs": "```shell\nline 1\n### Ollama version\nline 2\n```"}),
			want: map[string]*goldenValue{"logs": {Text: "line 1\n### Ollama version\nline 2"}, "version": {}},
		},
		{
			name: "no ids: keys are slugs of the labels",
			form: sglang,
			body: renderBody(sglang, map[string]string{"motivation": "Faster."}),
			want: map[string]*goldenValue{
				"checklist":         {Unchecked: []string{sglang.Fields[0].Checkboxes[0].Label, sglang.Fields[0].Checkboxes[1].Label}},
				"motivation":        {Text: "Faster."},
				"related_resources": {},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, fs := ParseBrief(tt.form, tt.body)
			got := toGolden(b, fs)
			for k, want := range tt.want {
				if diff := cmp.Diff(want, got.Fields[k]); diff != "" {
					t.Errorf("ParseBrief(%q) field %s: diff (-want +got):\n%s", tt.body, k, diff)
				}
			}
			if diff := cmp.Diff(tt.findings, findingRules(fs)); diff != "" {
				t.Errorf("ParseBrief(%q) findings: diff (-want +got):\n%s\n%v", tt.body, diff, fs)
			}
			for _, f := range fs {
				if f.Why == "" || f.Message == "" || (f.Severity != SeverityError && f.Severity != SeverityWarning) {
					t.Errorf("finding %+v lacks a message, a why or a severity", f)
				}
			}
		})
	}
}

func TestParseBrainhackCRLF(t *testing.T) {
	f := loadTestForm(t, "brainhackorg__global2021__project-submission-template.yml")
	body := readTestBody(t, "brainhackorg__global2021__project-submission-template__issue-181.md")
	if !strings.Contains(body, "\r\n") {
		t.Fatal("the saved brainhack body lost its CRLF line endings")
	}
	b, fs := ParseBrief(f, body)
	if len(fs) != 0 {
		t.Errorf("ParseBrief(brainhack#181) findings = %v, want none", fs)
	}
	lf, _ := ParseBrief(f, strings.ReplaceAll(body, "\r\n", "\n"))
	if diff := cmp.Diff(toGolden(lf, nil), toGolden(b, nil)); diff != "" {
		t.Errorf("CRLF and LF bodies parse differently: diff (-LF +CRLF):\n%s", diff)
	}
	link := b.Answer("link_to_project_repository_sources")
	if link == nil || !strings.HasPrefix(link.Text, "#### QC image generation\n\nhttps://github.com/TIGRab/niviz") {
		t.Errorf("link answer = %+v, want it to start with the user's #### heading", link)
	}
	desc := b.Answer("project_description")
	if desc == nil || !strings.Contains(desc.Text, "### The Problem with QC") || !strings.Contains(desc.Text, "### The Solution - Niviz") {
		t.Errorf("project_description = %+v, want the user's ### headings kept inside it", desc)
	}
	if v := b.Answer("collaborators"); v == nil || v.Text != "None" {
		t.Errorf("collaborators = %+v, want the typed text None kept (it is a textarea)", v)
	}
}

func TestParsePrefilledValueCounts(t *testing.T) {
	f := loadTestForm(t, "kubernetes__kubernetes__bug-report.yml")
	res := CheckBrief(f, nil, readTestBody(t, "kubernetes__kubernetes__bug-report__issue-116960.md"), time.Date(2023, 3, 28, 0, 0, 0, 0, time.UTC))
	for _, fd := range res.Findings {
		if fd.Field == "cloudProvider" {
			t.Errorf("untouched prefilled cloudProvider got finding %+v; the prefill is the answer", fd)
		}
	}
	if v := res.Brief.Answer("cloudProvider"); v.Empty() {
		t.Errorf("cloudProvider = %+v, want the untouched <details> prefill", v)
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"What does it touch?":                   "what_does_it_touch",
		"Link to project repository/sources":    "link_to_project_repository_sources",
		"  Is this a regression? ":              "is_this_a_regression",
		"🚀 Feature":                             "feature",
		"Output of `go env` in your module:":    "output_of_go_env_in_your_module",
		"Related plugins (CNI, CSI, ...) and x": "related_plugins_cni_csi_and_x",
	}
	for in, want := range tests {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}
