package tracker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRequiredSince: when each required kind became required, from the
// labels' times, twokey's record of its last judgement, and when it first
// saw the head.
func TestRequiredSince(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte(`version: 1
kinds:
  usability: {users: [uma]}
  backend: {users: [bea]}
  security: {users: [sam]}
require:
  - kinds: [usability]
  - labels: [payments, pci]
    kinds: [security]
  - paths: ["db/**"]
    kinds: [backend]
  - paths: ["db/**"]
    labels: [payments]
    kinds: [usability, backend]
link:
  required: false
`))
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	t2, t3 := t1.Add(time.Hour), t1.Add(2*time.Hour)
	const head, old = "bbbb", "aaaa"
	tests := []struct {
		name   string
		labels []string
		files  []string
		h      RequiredHistory
		want   map[string]time.Time
	}{
		{"no history: everything since ready", []string{"payments"}, []string{"db/x.sql"}, RequiredHistory{},
			map[string]time.Time{"usability": {}, "backend": {}, "security": {}}},
		{"a label: from when it was added", []string{"payments"}, nil, RequiredHistory{LabeledAt: map[string]time.Time{"payments": t2}},
			map[string]time.Time{"usability": {}, "security": t2}},
		{"two labels: the earlier", []string{"PCI", "payments"}, nil, RequiredHistory{LabeledAt: map[string]time.Time{"payments": t3, "pci": t2}},
			map[string]time.Time{"usability": {}, "security": t2}},
		{"a label GitHub did not time: since ready", []string{"pci", "payments"}, nil, RequiredHistory{LabeledAt: map[string]time.Time{"payments": t3}},
			map[string]time.Time{"usability": {}, "security": {}}},
		{"a path a push brought: when twokey first saw the head", nil, []string{"db/x.sql"},
			RequiredHistory{Before: &RequiredBefore{Head: old, Since: map[string]time.Time{"usability": {}}}, HeadSeenAt: t3},
			map[string]time.Time{"usability": {}, "backend": t3}},
		{"a path on the head judged before: not what changed", nil, []string{"db/x.sql"},
			RequiredHistory{Before: &RequiredBefore{Head: head, Since: map[string]time.Time{"usability": {}}}, HeadSeenAt: t3},
			map[string]time.Time{"usability": {}, "backend": {}}},
		{"a path with no record before: since ready", nil, []string{"db/x.sql"}, RequiredHistory{HeadSeenAt: t3},
			map[string]time.Time{"usability": {}, "backend": {}}},
		{"required before: the time recorded stays", []string{"payments"}, []string{"db/x.sql"},
			RequiredHistory{LabeledAt: map[string]time.Time{"payments": t3}, Before: &RequiredBefore{Head: old, Since: map[string]time.Time{"usability": {}, "security": t1, "backend": t2}}, HeadSeenAt: t3},
			map[string]time.Time{"usability": {}, "backend": t2, "security": t1}},
		{"rules that add the same kind: the earliest (an unconditional one: ready)", []string{"payments"}, []string{"db/x.sql"},
			RequiredHistory{LabeledAt: map[string]time.Time{"payments": t2}, Before: &RequiredBefore{Head: old, Since: map[string]time.Time{}}, HeadSeenAt: t3},
			map[string]time.Time{"usability": {}, "backend": t3, "security": t2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := &PullRequest{Repo: "acme/site", Number: 1, HeadSHA: head, Labels: tt.labels, Files: tt.files}
			got := RequiredSince(p, pr, nil, tt.h)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RequiredSince: diff (-want +got):\n%s", diff)
			}
		})
	}
}
