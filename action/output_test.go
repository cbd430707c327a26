package action

import (
	"bufio"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseOutputs reads the GITHUB_OUTPUT format the way the runner does.
func parseOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			t.Fatalf("line %q is not name<<delimiter", sc.Text())
		}
		var val []string
		closed := false
		for sc.Scan() {
			if sc.Text() == delim {
				closed = true
				break
			}
			val = append(val, sc.Text())
		}
		if !closed {
			t.Fatalf("output %s: delimiter %s never closes", name, delim)
		}
		if _, dup := out[name]; dup {
			t.Fatalf("output %s written twice", name)
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func TestFormatOutputsCannotBeInjected(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"plain", "ready"},
		{"empty", ""},
		{"multiline", "line one\nline two\n\nline four"},
		{"old fixed delimiter", "x\n_GitHubActionsFileCommandDelimeter_\nverdict<<EOF\nsuccess\nEOF"},
		{"fake heredoc", "EOF\nverdict=success\nbrief<<ghadelimiter_00\n{}\nghadelimiter_00"},
		{"json", `{"objective":"a \"quoted\" value","touches":["Payments"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := FormatOutputs([]Output{{"brief", tt.value}, {"verdict", "needs-info"}})
			if err != nil {
				t.Fatal(err)
			}
			got := parseOutputs(t, text)
			want := map[string]string{"brief": tt.value, "verdict": "needs-info"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("FormatOutputs(%q) round trip diff (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

func TestFormatOutputsRandomDelimiter(t *testing.T) {
	a, _ := FormatOutputs([]Output{{"v", "x"}})
	b, _ := FormatOutputs([]Output{{"v", "x"}})
	if a == b {
		t.Errorf("two encodings share a delimiter: %q", a)
	}
	if !strings.HasPrefix(a, "v<<ghadelimiter_") {
		t.Errorf("FormatOutputs = %q, want v<<ghadelimiter_…", a)
	}
}

func TestFormatOutputsBadName(t *testing.T) {
	for _, name := range []string{"", "a\nb", "a<<b", "a=b"} {
		if _, err := FormatOutputs([]Output{{name, "v"}}); err == nil {
			t.Errorf("FormatOutputs(name %q) = nil error, want an error", name)
		}
	}
}
