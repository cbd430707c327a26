package tracker

import (
	"strings"
	"testing"
)

// edit returns data with the first line equal to old replaced by new, and
// that line's number; the test fails when data has no such line.
func edit(t *testing.T, data []byte, old, new string) ([]byte, int) {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if l == old {
			lines[i] = new
			return []byte(strings.Join(lines, "\n")), i + 1
		}
	}
	t.Fatalf("no line %q to edit", old)
	return nil, 0
}

// TestSyntaxErrorsPointAtTheMistake breaks the embedded policy and form the
// ways people do, and wants each error at the line and column of the mistake
// itself (not where the construct around it began), the line shown, and the
// fix in plain words.
func TestSyntaxErrorsPointAtTheMistake(t *testing.T) {
	type result struct {
		data      []byte
		line, col int
	}
	tests := []struct {
		name    string
		load    func(string, []byte) error
		make    func(t *testing.T) result
		wantMsg string
	}{
		{"policy: key indented one space too far", loadPolicyErr, func(t *testing.T) result {
			d, n := edit(t, DefaultPolicyYAML, "    users: []", "     users: [ux-lead]")
			return result{d, n, 11}
		}, "indented differently from the keys above it"},
		{"policy: key indented one space too little", loadPolicyErr, func(t *testing.T) result {
			d, n := edit(t, DefaultPolicyYAML, "    users: []", "   users: [ux-lead]")
			return result{d, n, 4}
		}, "not indented like the keys or list items above it"},
		{"policy: unclosed [", loadPolicyErr, func(t *testing.T) result {
			d, n := edit(t, DefaultPolicyYAML, "    users: []", "    users: [ux-lead")
			return result{d, n, 12}
		}, "this [ is never closed"},
		{"form: unclosed quote", loadFormErr, func(t *testing.T) result {
			return result{[]byte("name: \"Brief\ndescription: D\n"), 1, 7}
		}, "this quote is never closed"},
		{"form: tab before an element", loadFormErr, func(t *testing.T) result {
			d, n := edit(t, DefaultFormYAML, "    id: objective", "\tid: objective")
			return result{d, n, 1}
		}, "YAML indents with spaces only"},
		{"form: tab after a block of text", loadFormErr, func(t *testing.T) result {
			d, n := edit(t, DefaultFormYAML, "  - type: textarea", "\t- type: textarea")
			return result{d, n, 1}
		}, "replace the tab with spaces"},
		{"form: one line that is not YAML", loadFormErr, func(t *testing.T) result {
			return result{[]byte("@ux-lead please build the reorder page\n"), 1, 1}
		}, `YAML cannot start a value with "@"`},
		{"form: one line of JSON cut short", loadFormErr, func(t *testing.T) result {
			return result{[]byte(`{"name": "Brief", "body": [` + "\n"), 1, 27}
		}, "this [ is never closed"},
		{"form: one line of prose", loadFormErr, func(t *testing.T) result {
			return result{[]byte("Please make the checkout faster\n"), 1, 1}
		}, "expected a mapping of keys to values at the top level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.make(t)
			err := tt.load("f.yml", r.data)
			ces := AsConfigErrors(err)
			if len(ces) != 1 {
				t.Fatalf("load = %v, want one ConfigError", err)
			}
			ce := ces[0]
			if ce.Line != r.line || ce.Column != r.col {
				t.Errorf("load error at %d:%d, want %d:%d: %v", ce.Line, ce.Column, r.line, r.col, ce)
			}
			if !strings.Contains(ce.Msg, tt.wantMsg) {
				t.Errorf("load error = %q, want it to contain %q", ce.Msg, tt.wantMsg)
			}
			if want := strings.Split(string(r.data), "\n")[r.line-1]; ce.Source != want {
				t.Errorf("load error Source = %q, want line %d, %q", ce.Source, r.line, want)
			}
		})
	}
}

func loadPolicyErr(file string, data []byte) error {
	_, err := LoadPolicy(file, data)
	return err
}

func loadFormErr(file string, data []byte) error {
	_, err := LoadForm(file, data)
	return err
}

func TestConfigErrorSnippet(t *testing.T) {
	tests := []struct {
		e    ConfigError
		want string
	}{
		{ConfigError{File: "p.yml", Line: 77, Column: 11, Source: "     users: [ux-lead]"},
			"  77 |      users: [ux-lead]\n     |           ^"},
		{ConfigError{File: "f.yml", Line: 9, Column: 3, Source: "\t\tid: x"},
			"  9 | \t\tid: x\n    | \t\t^"},
		{ConfigError{File: "f.yml", Line: 9, Source: "id: x"}, "  9 | id: x"},
		{ConfigError{File: "f.yml", Msg: "the file is empty"}, ""},
	}
	for _, tt := range tests {
		if got := tt.e.Snippet(); got != tt.want {
			t.Errorf("%v.Snippet() =\n%s\nwant\n%s", &tt.e, got, tt.want)
		}
	}
}

// TestConfigErrorsShowTheirLine: not only syntax errors, every error in a
// file carries the line it points at.
func TestConfigErrorsShowTheirLine(t *testing.T) {
	_, err := LoadPolicy("p.yml", []byte("version: 1\nlink:\n  requird: true\n"))
	ces := AsConfigErrors(err)
	if len(ces) != 1 || ces[0].Source != "  requird: true" {
		t.Fatalf("LoadPolicy error = %#v, want one with Source %q", ces, "  requird: true")
	}
	_, err = LoadForm("f.yml", []byte("name: B\ndescription: D\nlables: [x]\nbody:\n  - type: input\n    attributes: {label: A}\n"))
	ces = AsConfigErrors(err)
	if len(ces) != 1 || ces[0].Source != "lables: [x]" {
		t.Fatalf("LoadForm error = %#v, want one with Source %q", ces, "lables: [x]")
	}
}
