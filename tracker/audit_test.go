package tracker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	headA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	headB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func passRecord() Record {
	return Record{
		V: 1, Type: RecordMerge, Repo: "acme/site", PR: 7, Briefs: []int{3}, Base: "main", Head: headA,
		MergedBy: "alice", MergedAt: t0, Method: "squash", Required: []string{"usability", "backend"},
		Signoffs: []RecordSignoff{
			{Kind: "usability", Login: "ux", SHA: headA, Via: "review"},
			{Kind: "backend", Login: "be", SHA: headA, Via: "comment"},
		},
		Verdict: VerdictPass,
	}
}

func TestClassifyRecords(t *testing.T) {
	with := func(f func(*Record)) Record { r := passRecord(); f(&r); return r }
	tests := []struct {
		name    string
		recs    []Record
		class   AuditClass
		details []string
	}{
		{"none", nil, ClassNoRecord, []string{"no twokey record in refs/notes/twokey"}},
		{"pass", []Record{passRecord()}, ClassOK, []string{}},
		{"missing", []Record{with(func(r *Record) { r.Signoffs = r.Signoffs[:1] })}, ClassMissingSignoff, []string{"no backend sign-off"}},
		{"stale", []Record{with(func(r *Record) { r.Signoffs[1].SHA = headB })}, ClassStaleSignoff,
			[]string{"backend sign-off by be covers bbbbbbbbbbbb, not the merged head aaaaaaaaaaaa"}},
		{"missing beats stale", []Record{with(func(r *Record) { r.Signoffs = []RecordSignoff{{Kind: "usability", Login: "ux", SHA: headB}} })},
			ClassMissingSignoff, []string{"no backend sign-off", "usability sign-off by ux covers bbbbbbbbbbbb, not the merged head aaaaaaaaaaaa"}},
		{"bypassed", []Record{with(func(r *Record) { r.Verdict = VerdictBypassed; r.Signoffs = nil; r.Reason = "outage" })}, ClassBypassed,
			[]string{"merged without a passing gate by alice: outage", "no usability sign-off", "no backend sign-off"}},
		{"unknown verdict", []Record{with(func(r *Record) { r.Verdict = "maybe" })}, ClassBypassed, []string{`verdict "maybe" is not one twokey writes`}},
		{"direct push", []Record{{V: 1, Type: RecordPush, MergedBy: "bob", Verdict: VerdictDirectPush}}, ClassDirectPush,
			[]string{"pushed without a pull request by bob"}},
		{"merge beats push", []Record{{V: 1, Type: RecordPush, MergedBy: "bob", Verdict: VerdictDirectPush, MergedAt: t0.Add(time.Hour)}, passRecord()}, ClassOK,
			[]string{"2 records on this commit; the merge record of 2026-03-01T12:00:00Z decides"}},
		{"latest merge wins", []Record{with(func(r *Record) { r.Verdict = VerdictBypassed }), with(func(r *Record) { r.MergedAt = t0.Add(time.Minute) })}, ClassOK,
			[]string{"2 records on this commit; the merge record of 2026-03-01T12:01:00Z decides"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClassifyRecords(tt.recs)
			if got.Class != tt.class {
				t.Errorf("ClassifyRecords(%s).Class = %q, want %q", tt.name, got.Class, tt.class)
			}
			if diff := cmp.Diff(tt.details, got.Details); diff != "" {
				t.Errorf("ClassifyRecords(%s).Details diff (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

type fakeHistory []Commit

func (h fakeHistory) FirstParent(ctx context.Context, ref string, fn func(Commit) error) error {
	if ref != "main" {
		return errors.New("unknown ref " + ref)
	}
	for _, c := range h {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

type fakeNotes map[string]string

func (n fakeNotes) Note(ctx context.Context, commit string) ([]byte, error) {
	if s, ok := n[commit]; ok {
		return []byte(s), nil
	}
	return nil, nil
}

func TestAudit(t *testing.T) {
	line, err := passRecord().MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{
		{Hash: "c3", Time: t0.Add(48 * time.Hour), Subject: "three"},
		{Hash: "c2", Time: t0.Add(24 * time.Hour), Subject: "two"},
		{Hash: "c1", Time: t0, Subject: "one"},
	}
	n := fakeNotes{"c2": "free text from a person\n" + string(line), "c1": string(line)}
	rep, err := Audit(context.Background(), h, n, "main", AuditOptions{Since: t0.Add(time.Hour)})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	want := AuditSummary{OK: 1, NoRecord: 1, Total: 2}
	if diff := cmp.Diff(want, rep.Summary); diff != "" {
		t.Errorf("Audit summary diff (-want +got):\n%s", diff)
	}
	if got := []string{rep.Entries[0].Commit, rep.Entries[1].Commit}; !cmp.Equal(got, []string{"c3", "c2"}) {
		t.Errorf("Audit entries = %v, want [c3 c2]", got)
	}
	if diff := cmp.Diff([]string{"commit c2: 1 line(s) in the note are not twokey records; skipped"}, rep.Warnings); diff != "" {
		t.Errorf("Audit warnings diff (-want +got):\n%s", diff)
	}
	if rep.OK() {
		t.Errorf("Audit.OK() = true with a no_record commit")
	}
	if _, err := Audit(context.Background(), h, n, "nope", AuditOptions{}); err == nil {
		t.Errorf("Audit(unknown ref) = nil error, want one")
	}
}

func TestParseNoteMatchesParseRecords(t *testing.T) {
	line, err := passRecord().MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	for _, note := range []string{
		"", "\n\n", "free text", string(line), string(line) + string(line),
		"text\r\n" + string(line) + "  \n{\"v\":0,\"type\":\"merge\"}\n{\"v\":1}\n{broken\n" + strings.TrimSpace(string(line)),
		"\t" + strings.TrimSpace(string(line)) + "\t",
	} {
		wantRecs, wantSkipped := ParseRecords([]byte(note))
		gotRecs, gotSkipped := parseNote([]byte(note))
		if diff := cmp.Diff(wantRecs, gotRecs); diff != "" || gotSkipped != wantSkipped {
			t.Errorf("parseNote(%q) skipped %d, ParseRecords skipped %d; records diff (-ParseRecords +parseNote):\n%s", note, gotSkipped, wantSkipped, diff)
		}
	}
}
