package tracker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewRecord(t *testing.T) {
	p := gatePolicy(t)
	merged := MergeInfo{Commit: "dddddddddddddddddddddddddddddddddddddddd", MergedBy: "bob", Method: "squash",
		MergedAt: time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("CET", 3600))}
	tests := []struct {
		name   string
		pr     func(pr *PullRequest)
		opened time.Time // MergeInfo.OpenedAt; zero leaves opened_at out, as records before it
		want   string
	}{
		{
			name: "pass",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)}
				pr.Comments = []Comment{gComment(2, "bob", "/signoff backend", gHead, 2)}
			},
			want: `{"v":1,"type":"merge","repo":"acme/site","pr":12,"briefs":[7],"title":"New checkout page","base":"main",` +
				`"head":"` + gHead + `","commit":"dddddddddddddddddddddddddddddddddddddddd","merged_by":"bob","merged_at":"2026-03-02T09:30:00Z","method":"squash",` +
				`"required":["usability","backend"],"signoffs":[` +
				`{"kind":"usability","login":"alice","id":` + itoa(gActor("alice").ID) + `,"sha":"` + gHead + `","via":"review","url":"https://github.com/acme/site/pull/12#pullrequestreview-1","at":"2026-03-01T09:01:00Z"},` +
				`{"kind":"backend","login":"bob","id":` + itoa(gActor("bob").ID) + `,"sha":"` + gHead + `","via":"comment","url":"https://github.com/acme/site/pull/12#issuecomment-2","at":"2026-03-01T09:02:00Z"}],` +
				`"verdict":"pass","policy":"` + p.SHA + `"}` + "\n",
		},
		{
			name: "the pull request's opening time, in UTC",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)}
				pr.Comments = []Comment{gComment(2, "bob", "/signoff backend", gHead, 2)}
			},
			opened: time.Date(2026, 2, 27, 17, 15, 0, 0, time.FixedZone("CET", 3600)),
			want: `{"v":1,"type":"merge","repo":"acme/site","pr":12,"briefs":[7],"title":"New checkout page","base":"main",` +
				`"head":"` + gHead + `","commit":"dddddddddddddddddddddddddddddddddddddddd","merged_by":"bob","merged_at":"2026-03-02T09:30:00Z","method":"squash",` +
				`"opened_at":"2026-02-27T16:15:00Z","required":["usability","backend"],"signoffs":[` +
				`{"kind":"usability","login":"alice","id":` + itoa(gActor("alice").ID) + `,"sha":"` + gHead + `","via":"review","url":"https://github.com/acme/site/pull/12#pullrequestreview-1","at":"2026-03-01T09:01:00Z"},` +
				`{"kind":"backend","login":"bob","id":` + itoa(gActor("bob").ID) + `,"sha":"` + gHead + `","via":"comment","url":"https://github.com/acme/site/pull/12#issuecomment-2","at":"2026-03-01T09:02:00Z"}],` +
				`"verdict":"pass","policy":"` + p.SHA + `"}` + "\n",
		},
		{
			name: "declared bypass keeps the reason",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{gComment(1, "root", "/bypass checkout is down", gHead, 1)}
			},
			want: `{"v":1,"type":"merge","repo":"acme/site","pr":12,"briefs":[7],"title":"New checkout page","base":"main",` +
				`"head":"` + gHead + `","commit":"dddddddddddddddddddddddddddddddddddddddd","merged_by":"bob","merged_at":"2026-03-02T09:30:00Z","method":"squash",` +
				`"required":["usability","backend"],"signoffs":[],"verdict":"bypassed","reason":"@root: checkout is down","policy":"` + p.SHA + `"}` + "\n",
		},
		{
			name: "merged while pending is bypassed and says what was missing",
			pr:   func(pr *PullRequest) { pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)} },
			want: `{"v":1,"type":"merge","repo":"acme/site","pr":12,"briefs":[7],"title":"New checkout page","base":"main",` +
				`"head":"` + gHead + `","commit":"dddddddddddddddddddddddddddddddddddddddd","merged_by":"bob","merged_at":"2026-03-02T09:30:00Z","method":"squash",` +
				`"required":["usability","backend"],"signoffs":[` +
				`{"kind":"usability","login":"alice","id":` + itoa(gActor("alice").ID) + `,"sha":"` + gHead + `","via":"review","url":"https://github.com/acme/site/pull/12#pullrequestreview-1","at":"2026-03-01T09:01:00Z"}],` +
				`"verdict":"bypassed","reason":"merged while the gate was pending: waiting for backend","policy":"` + p.SHA + `"}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := gatePR()
			tt.pr(pr)
			v, err := Evaluate(context.Background(), p, pr, gateBriefs, newGateDir())
			if err != nil {
				t.Fatal(err)
			}
			m := merged
			m.OpenedAt = tt.opened
			line, err := NewRecord(p, pr, v, m).MarshalLine()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(line)); diff != "" {
				t.Errorf("NewRecord(...).MarshalLine() diff (-want +got):\n%s", diff)
			}
			recs, skipped := ParseRecords(line)
			if skipped != 0 || len(recs) != 1 || recs[0].Verdict != NewRecord(p, pr, v, m).Verdict || !recs[0].OpenedAt.Equal(tt.opened) {
				t.Errorf("ParseRecords(%s) = %+v, %d skipped, want the record back", line, recs, skipped)
			}
		})
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }

// A sign-off kept because its commit has the head's tree is recorded as such,
// and the audit classes the merge ok, not stale_signoff.
func TestRecordSameTreeAuditsOK(t *testing.T) {
	p := gatePolicy(t)
	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gOld, 1), gApprove(2, "bob", gHead, 2)}
	sameChangeAs(pr)
	dir := newGateDir()
	v, err := Evaluate(context.Background(), p, pr, gateBriefs, dir)
	if err != nil || v.State != StateSuccess {
		t.Fatalf("Evaluate = %v, %v; want success", v, err)
	}
	rec := NewRecord(p, pr, v, MergeInfo{Commit: "dddddddddddddddddddddddddddddddddddddddd", MergedBy: "bob", MergedAt: time.Now()})
	var kept *RecordSignoff
	for i := range rec.Signoffs {
		if rec.Signoffs[i].SHA == gOld {
			kept = &rec.Signoffs[i]
		}
	}
	if kept == nil || !kept.SameTree {
		t.Fatalf("record sign-offs = %+v, want alice's on %s marked same_tree", rec.Signoffs, gOld[:7])
	}
	line, err := rec.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	recs, skipped := ParseRecords(line)
	if skipped != 0 || len(recs) != 1 {
		t.Fatalf("ParseRecords = %v, skipped %d", recs, skipped)
	}
	if e := ClassifyRecords(rec.Commit, recs); e.Class != ClassOK {
		t.Errorf("audit class = %s (%v), want ok", e.Class, e.Details)
	}
}

// TestNewRecordDue: the due times a merge is recorded with are kept by kind
// in UTC, and a record carrying them audits as any other.
func TestNewRecordDue(t *testing.T) {
	p := gatePolicy(t)
	pr := signedPR()
	v, err := Evaluate(context.Background(), p, pr, gateBriefs, newGateDir())
	if err != nil || v.State != StateSuccess {
		t.Fatalf("Evaluate = %v, %v; want success", v, err)
	}
	berlin := mustZone(t, "Europe/Berlin")
	commit := "dddddddddddddddddddddddddddddddddddddddd"
	rec := NewRecord(p, pr, v, MergeInfo{Commit: commit, MergedBy: "bob", MergedAt: time.Date(2026, 3, 11, 12, 0, 0, 0, time.UTC),
		Due: []Due{{Kind: "backend", At: time.Date(2026, 3, 10, 16, 0, 0, 0, berlin), Zone: berlin}}})
	want := map[string]time.Time{"backend": time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, rec.Due); diff != "" || rec.Due["backend"].Location() != time.UTC {
		t.Errorf("NewRecord due diff (-want +got):\n%s(location %v, want UTC)", diff, rec.Due["backend"].Location())
	}
	if rec := NewRecord(p, pr, v, MergeInfo{Commit: commit}); rec.Due != nil {
		t.Errorf("NewRecord without due times: due = %v, want none", rec.Due)
	}
	line, err := rec.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := ParseRecords(line)
	if e := ClassifyRecords(commit, recs); e.Class != ClassOK {
		t.Errorf("audit of a record with due times: %s %v, want ok", e.Class, e.Details)
	}
}
