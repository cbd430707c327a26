package tracker

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultFormLoads(t *testing.T) {
	f := DefaultForm()
	var keys []string
	for _, fl := range f.Fields {
		keys = append(keys, fl.Key)
	}
	want := []string{"objective", "audience", "mvp", "success", "examples", "deadline", "touches", "new_vendor", "vendor", "size", "agreement"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("DefaultForm() field keys: diff (-want +got):\n%s", diff)
	}
	if !f.Field("touches").Multiple || f.Field("agreement").Checkboxes[0].Required != true {
		t.Errorf("DefaultForm(): touches should be multiple and the agreement boxes required")
	}
}

func TestLoadFormReadsEveryKey(t *testing.T) {
	src := `name: Brief
description: File a brief
title: "[Brief]: "
labels: brief, web
assignees: [octocat]
projects: ["octo-org/1"]
type: Task
body:
  - type: markdown
    attributes:
      value: Hello
  - type: input
    id: name
    attributes:
      label: Name
      description: Who
      placeholder: Ann
      value: prefilled
    validations:
      required: true
  - type: textarea
    attributes:
      label: Logs & output
      render: shell
  - type: dropdown
    id: pick
    attributes:
      label: Pick
      multiple: true
      options: [a, "b, c", 1.0]
      default: 2
  - type: checkboxes
    id: boxes
    attributes:
      label: Boxes
      options:
        - label: One
          required: true
        - label: Two
`
	f, err := LoadForm("f.yml", []byte(src))
	if err != nil {
		t.Fatalf("LoadForm = %v", err)
	}
	got := map[string]any{
		"name": f.Name, "desc": f.Description, "title": f.Title, "labels": f.Labels, "assignees": f.Assignees,
		"projects": f.Projects, "type": f.Type, "elements": len(f.Elements), "fields": len(f.Fields),
	}
	want := map[string]any{
		"name": "Brief", "desc": "File a brief", "title": "[Brief]: ", "labels": []string{"brief", "web"}, "assignees": []string{"octocat"},
		"projects": []string{"octo-org/1"}, "type": "Task", "elements": 5, "fields": 4,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadForm top level: diff (-want +got):\n%s", diff)
	}
	wantFields := []*Field{
		{Key: "name", ID: "name", Type: TypeInput, Label: "Name", Description: "Who", Placeholder: "Ann", Value: "prefilled", Required: true, Default: -1, Line: 12, Column: 5},
		{Key: "logs_output", Type: TypeTextarea, Label: "Logs & output", Render: "shell", Default: -1, Line: 21, Column: 5},
		{Key: "pick", ID: "pick", Type: TypeDropdown, Label: "Pick", Multiple: true, Options: []string{"a", "b, c", "1.0"}, Default: 2, Line: 25, Column: 5},
		{Key: "boxes", ID: "boxes", Type: TypeCheckboxes, Label: "Boxes", Default: -1, Checkboxes: []CheckboxOption{{"One", true}, {"Two", false}}, Line: 32, Column: 5},
	}
	if diff := cmp.Diff(wantFields, f.Fields); diff != "" {
		t.Errorf("LoadForm fields: diff (-want +got):\n%s", diff)
	}
}

func TestLoadFormErrors(t *testing.T) {
	head := "name: B\ndescription: D\nbody:\n"
	tests := []struct {
		name, yaml string
		want       []string // file:line:col: message prefixes, in order
	}{
		{"unknown top-level key", "name: B\ndescription: D\nlables: [x]\nbody:\n  - type: input\n    attributes: {label: A}\n",
			[]string{`f.yml:3:1: unknown key "lables" in the form`}},
		{"unknown element key", head + "  - type: input\n    required: true\n    attributes: {label: A}\n",
			[]string{`f.yml:5:5: unknown key "required" in body element 1`}},
		{"unknown attribute", head + "  - type: input\n    attributes:\n      label: A\n      options: [a]\n",
			[]string{`f.yml:7:7: unknown key "options" in body element 1 (input) attributes`}},
		{"unknown type", head + "  - type: date\n    attributes: {label: A}\n",
			[]string{`f.yml:4:11: body element 1 has unknown type "date"`}},
		{"missing label", head + "  - type: textarea\n    attributes:\n      description: x\n",
			[]string{`f.yml:6:7: body element 1 (textarea) has no label`}},
		{"duplicate ids", head + "  - type: input\n    id: a\n    attributes: {label: A}\n  - type: input\n    id: a\n    attributes: {label: B}\n",
			[]string{`f.yml:7:5: id "a" is used twice (first at line 4)`}},
		{"duplicate labels", head + "  - type: input\n    id: a\n    attributes: {label: A}\n  - type: textarea\n    id: b\n    attributes: {label: A}\n",
			[]string{`f.yml:7:5: label "A" is used twice (first at line 4)`}},
		{"slug clash", head + "  - type: input\n    attributes: {label: A b}\n  - type: input\n    attributes: {label: a-b}\n",
			[]string{`f.yml:6:5: field key "a_b"`}},
		{"dropdown without options", head + "  - type: dropdown\n    attributes:\n      label: A\n",
			[]string{`f.yml:6:7: body element 1 (dropdown) "A" needs options`}},
		{"None as option", head + "  - type: dropdown\n    attributes:\n      label: A\n      options: [x, None]\n",
			[]string{`f.yml:7:20: body element 1 (dropdown) "A" has option "None"`}},
		{"duplicate option", head + "  - type: dropdown\n    attributes:\n      label: A\n      options: [x, x]\n",
			[]string{`f.yml:7:20: body element 1 (dropdown) "A" has option "x" twice`}},
		{"default out of range", head + "  - type: dropdown\n    attributes:\n      label: A\n      options: [x, y]\n      default: 2\n",
			[]string{`f.yml:8:16: body element 1 (dropdown) "A" default 2 is out of range`}},
		{"unquoted boolean option", head + "  - type: dropdown\n    attributes:\n      label: A\n      options:\n        - Yes\n        - No\n",
			[]string{`f.yml:8:11: body element 1 (dropdown) "A" option Yes is read as a boolean`, `f.yml:9:11: body element 1 (dropdown) "A" option No is read`}},
		{"required on checkboxes", head + "  - type: checkboxes\n    attributes:\n      label: A\n      options: [{label: x}]\n    validations:\n      required: true\n",
			[]string{`f.yml:9:17: body element 1 (checkboxes) "A": validations.required has no effect on checkboxes`}},
		{"duplicate box", head + "  - type: checkboxes\n    attributes:\n      label: A\n      options: [{label: x}, {label: x}]\n",
			[]string{`f.yml:7:37: body element 1 (checkboxes) "A" has the box "x" twice`}},
		{"markdown only", head + "  - type: markdown\n    attributes: {value: hi}\n",
			[]string{`f.yml:4:3: body has no input, textarea, dropdown or checkboxes element`}},
		{"missing name and body", "description: D\n", []string{`f.yml:1:1: the form has no name`, `f.yml:1:1: the form has no body`}},
		{"bad id", head + "  - type: input\n    id: a b\n    attributes: {label: A}\n", []string{`f.yml:5:9: body element 1 (input) id "a b" may only contain`}},
		{"syntax error", "name: [\n", []string{"f.yml:"}},
		{"upload", head + "  - type: upload\n    attributes: {label: A}\n", []string{`f.yml:4:11: body element 1 has unknown type "upload" (twokey cannot read upload fields yet`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadForm("f.yml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("LoadForm(%q) = nil error, want %v", tt.yaml, tt.want)
			}
			ces := AsConfigErrors(err)
			if len(ces) != len(tt.want) {
				t.Fatalf("LoadForm(%q) = %d errors:\n%v\nwant %d: %q", tt.yaml, len(ces), err, len(tt.want), tt.want)
			}
			for i, ce := range ces {
				if !strings.HasPrefix(ce.Error(), tt.want[i]) {
					t.Errorf("LoadForm(%q) error %d = %q, want prefix %q", tt.yaml, i, ce.Error(), tt.want[i])
				}
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("LoadForm error %T is not a *ConfigError", err)
			}
		})
	}
}
