package tracker

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRulesThatHold checks which require rules hold for a change, and that
// their kinds are exactly what the gate requires.
func TestRulesThatHold(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte(`version: 1
kinds: {usability: {}, backend: {}, vendor: {}}
require:
  - kinds: [usability]
  - paths: ["api/**", "**/*.sql"]
    kinds: [backend]
  - brief: {field: new_vendor, is: "Yes"}
    kinds: [vendor]
  - labels: [vendor-review]
    paths: ["vendors/**"]
    kinds: [vendor, backend]
`))
	if err != nil {
		t.Fatal(err)
	}
	f := DefaultForm()
	yes, _ := ParseBrief(f, renderBody(f, with(completeAnswers(), "new_vendor", "Yes")))
	no, _ := ParseBrief(f, renderBody(f, completeAnswers()))
	tests := []struct {
		name   string
		pr     PullRequest
		briefs []LinkedBrief
		want   []int
	}{
		{"no files", PullRequest{}, nil, []int{0}},
		{"a path rule", PullRequest{Files: []string{"web/a.ts", "db/x.sql"}}, nil, []int{0, 1}},
		{"files GitHub could not list: every path rule holds", PullRequest{Files: []string{"web/a.ts"}, FilesIncomplete: true}, nil, []int{0, 1}},
		{"a brief answer", PullRequest{}, []LinkedBrief{{Found: true, Brief: yes}}, []int{0, 2}},
		{"a brief answering no", PullRequest{}, []LinkedBrief{{Found: true, Brief: no}}, []int{0}},
		{"a brief that was not found counts for nothing", PullRequest{}, []LinkedBrief{{Found: false, Brief: yes}}, []int{0}},
		{"label without the path: all conditions must hold", PullRequest{Labels: []string{"vendor-review"}}, nil, []int{0}},
		{"label on the brief and the path", PullRequest{Files: []string{"vendors/acme.go"}}, []LinkedBrief{{Found: true, Labels: []string{"vendor-review"}}}, []int{0, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RulesThatHold(p, &tt.pr, tt.briefs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RulesThatHold: diff (-want +got):\n%s", diff)
			}
			// The kinds of the rules that hold are what the gate requires.
			var kinds []string
			for _, k := range p.KindOrder {
				for _, i := range got {
					if slices.Contains(p.Require[i].Kinds, k) && !slices.Contains(kinds, k) {
						kinds = append(kinds, k)
					}
				}
			}
			if diff := cmp.Diff(requiredKinds(p, &tt.pr, tt.briefs), kinds); diff != "" {
				t.Errorf("kinds of the rules that hold differ from requiredKinds: diff (-requiredKinds +rules):\n%s", diff)
			}
		})
	}
}
