package tracker

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		g.Fields[k] = &goldenValue{Text: v.Text, Choices: v.Choices, Checked: v.Checked, Unchecked: v.Unchecked, Duplicates: v.Duplicates}
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
