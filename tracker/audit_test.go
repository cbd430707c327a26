package tracker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
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
		{"same tree is not stale", []Record{with(func(r *Record) { r.Signoffs[1].SHA, r.Signoffs[1].SameTree = headB, true })}, ClassOK, []string{}},
		{"same merged_at: the stricter verdict decides", []Record{passRecord(), with(func(r *Record) { r.Verdict = VerdictBypassed; r.Reason = "late" })}, ClassBypassed,
			[]string{"merged without a passing gate by alice: late", "2 records on this commit; the merge record of 2026-03-01T12:00:00Z decides"}},
		// Both say pass; the second has no backend sign-off when recomputed:
		// the worse class decides, not the line order.
		{"same merged_at: the worse recomputed class decides", []Record{passRecord(), with(func(r *Record) { r.Signoffs = r.Signoffs[:1] })}, ClassMissingSignoff,
			[]string{"2 records on this commit; the merge record of 2026-03-01T12:00:00Z decides", "no backend sign-off"}},
		{"same merged_at: stale beats ok", []Record{passRecord(), with(func(r *Record) { r.Signoffs[1].SHA = headB })}, ClassStaleSignoff,
			[]string{"2 records on this commit; the merge record of 2026-03-01T12:00:00Z decides", "backend sign-off by be covers bbbbbbbbbbbb, not the merged head aaaaaaaaaaaa"}},
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
			got := ClassifyRecords(headA, tt.recs)
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

// countingNotes is fakeNotes that records which commits were asked for and
// fails for the commit named fail. Audit calls it from several goroutines.
type countingNotes struct {
	notes fakeNotes
	fail  string
	mu    sync.Mutex
	asked map[string]int
}

func (n *countingNotes) Note(ctx context.Context, commit string) ([]byte, error) {
	n.mu.Lock()
	if n.asked == nil {
		n.asked = map[string]int{}
	}
	n.asked[commit]++
	n.mu.Unlock()
	if commit == n.fail {
		return nil, errors.New("disk on fire")
	}
	return n.notes.Note(ctx, commit)
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

// TestAuditOrder: a history longer than many batches comes back in history
// order, whatever order the workers finish in, with each commit's own
// record and warnings in order too.
func TestAuditOrder(t *testing.T) {
	const n = 5000
	var h fakeHistory
	notes := fakeNotes{}
	var wantCommits, wantWarnings []string
	var wantPRs []int
	for i := n; i > 0; i-- {
		hash := fmt.Sprintf("%040x", i)
		h = append(h, Commit{Hash: hash, Time: t0.Add(time.Duration(i) * time.Minute), Parents: 2, Subject: fmt.Sprint(i)})
		wantCommits = append(wantCommits, hash)
		pr := 0
		switch {
		case i%10 == 0: // no note
		case i%7 == 0: // an empty note: no record, no warning
			notes[hash] = ""
		default:
			r := passRecord()
			r.PR = i
			line, err := r.MarshalLine()
			if err != nil {
				t.Fatal(err)
			}
			notes[hash] = string(line)
			if i%3 == 0 {
				notes[hash] += "a person's line\n"
				wantWarnings = append(wantWarnings, fmt.Sprintf("commit %s: 1 line(s) in the note are not twokey records; skipped", hash[:12]))
			}
			pr = i
		}
		wantPRs = append(wantPRs, pr)
	}
	rep, err := Audit(context.Background(), h, notes, "main", AuditOptions{})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	var gotCommits []string
	var gotPRs []int
	for _, e := range rep.Entries {
		gotCommits = append(gotCommits, e.Commit)
		gotPRs = append(gotPRs, e.PR)
		if want := map[bool]AuditClass{true: ClassOK, false: ClassNoRecord}[e.PR != 0]; e.Class != want {
			t.Errorf("Audit entry %s class = %s, want %s", e.Commit, e.Class, want)
		}
	}
	if diff := cmp.Diff(wantCommits, gotCommits); diff != "" {
		t.Errorf("Audit commits diff (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantPRs, gotPRs); diff != "" {
		t.Errorf("Audit PRs diff (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantWarnings, rep.Warnings); diff != "" {
		t.Errorf("Audit warnings diff (-want +got):\n%s", diff)
	}
	noRecord := n/10 + n/7 - n/70
	if want := (AuditSummary{OK: n - noRecord, NoRecord: noRecord, Total: n}); rep.Summary != want {
		t.Errorf("Audit summary = %+v, want %+v", rep.Summary, want)
	}
}

// TestAuditRange: notes on commits outside the date range are neither read
// nor reported.
func TestAuditRange(t *testing.T) {
	line, err := passRecord().MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{
		{Hash: "c4", Time: t0.Add(72 * time.Hour)},
		{Hash: "c3", Time: t0.Add(48 * time.Hour)},
		{Hash: "c2", Time: t0.Add(24 * time.Hour)},
		{Hash: "c1", Time: t0},
	}
	n := &countingNotes{notes: fakeNotes{"c4": "junk", "c3": string(line), "c2": string(line), "c1": "junk"}}
	rep, err := Audit(context.Background(), h, n, "main", AuditOptions{Since: t0.Add(time.Hour), Until: t0.Add(72 * time.Hour)})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if diff := cmp.Diff(map[string]int{"c3": 1, "c2": 1}, n.asked); diff != "" {
		t.Errorf("Audit read notes diff (-want +got):\n%s", diff)
	}
	if len(rep.Entries) != 2 || rep.Entries[0].Commit != "c3" || rep.Entries[1].Commit != "c2" || len(rep.Warnings) != 0 {
		t.Errorf("Audit entries = %+v, warnings %q; want c3 and c2 only, no warnings", rep.Entries, rep.Warnings)
	}
}

// TestAuditNoteError: a note that cannot be read fails the audit with the
// commit's name, and the walk stops soon after instead of reading on.
func TestAuditNoteError(t *testing.T) {
	// Audit keeps at most about 4 batches of 256 per worker in flight.
	inFlight := (4*runtime.GOMAXPROCS(0) + 2) * 256
	total := 1024 + 3*inFlight
	var h fakeHistory
	for i := total; i > 0; i-- {
		h = append(h, Commit{Hash: fmt.Sprintf("%040x", i), Time: t0})
	}
	bad := fmt.Sprintf("%040x", total-1000)
	n := &countingNotes{notes: fakeNotes{}, fail: bad}
	rep, err := Audit(context.Background(), h, n, "main", AuditOptions{})
	if err == nil || !strings.Contains(err.Error(), "note for commit "+bad+": disk on fire") {
		t.Fatalf("Audit = %v, %v; want the error of commit %s", rep, err, bad)
	}
	if len(n.asked) > 1024+inFlight {
		t.Errorf("Audit read %d of %d notes after an error at the 1,000th; want at most %d", len(n.asked), total, 1024+inFlight)
	}
}

// TestAuditCancel: a cancelled context ends the audit with its error.
func TestAuditCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := fakeHistory{{Hash: "c1", Time: t0}}
	if _, err := Audit(ctx, h, fakeNotes{}, "main", AuditOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Audit(cancelled) = %v, want context.Canceled", err)
	}
}

// TestAuditReportWriteJSON: the streamed report is byte for byte what a
// json.Encoder without HTML escaping writes, for every field (a field added
// to the report and not to WriteJSON fails here).
func TestAuditReportWriteJSON(t *testing.T) {
	line, err := passRecord().MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	var h fakeHistory
	notes := fakeNotes{}
	for i := 3000; i > 0; i-- { // several 32 KiB flushes
		hash := fmt.Sprintf("%040x", i)
		h = append(h, Commit{Hash: hash, Time: t0.Add(time.Duration(i) * time.Hour), Subject: fmt.Sprintf("Merge <b>#%d</b> & \"quotes\" é \u2028", i)})
		if i%3 != 0 {
			notes[hash] = string(line) + "free <text>\n"
		}
	}
	full, err := Audit(context.Background(), h, notes, "main", AuditOptions{Since: t0, Until: t0.Add(5000 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	full.Entries[0].Repo = "acme/site"
	for _, rep := range []*AuditReport{
		full,
		{Ref: "empty", Entries: []AuditEntry{}, Warnings: []string{}},
		{Ref: "nil slices"},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := rep.WriteJSON(&got); err != nil {
			t.Fatalf("WriteJSON(%s): %v", rep.Ref, err)
		}
		if got.String() != want.String() {
			t.Errorf("WriteJSON(%s) differs from json.Encoder:\n%s", rep.Ref, cmp.Diff(want.String(), got.String()))
		}
	}
	var fields []string
	for f := range reflect.TypeFor[AuditReport]().Fields() {
		fields = append(fields, f.Tag.Get("json"))
	}
	if want := []string{"ref", "range", "summary", "entries", "warnings"}; !cmp.Equal(fields, want) {
		t.Errorf("AuditReport JSON fields = %q, want %q: teach WriteJSON the new ones", fields, want)
	}
}

// TestAuditRebaseMerge: a rebase merge of three commits records the last
// and names the other two; the audit classes all three as the record says,
// and a commit outside the record stays no_record.
func TestAuditRebaseMerge(t *testing.T) {
	rec := passRecord()
	rec.Method, rec.Commit, rec.Landed = "rebase", "r3", []string{"r2", "r1"}
	line, err := rec.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{
		{Hash: "r3", Time: t0.Add(3 * time.Minute), Subject: "third"},
		{Hash: "r2", Time: t0.Add(2 * time.Minute), Subject: "second"},
		{Hash: "r1", Time: t0.Add(time.Minute), Subject: "first"},
		{Hash: "c0", Time: t0, Subject: "before"},
	}
	rep, err := Audit(context.Background(), h, fakeNotes{"r3": string(line)}, "main", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rep.Entries {
		got = append(got, fmt.Sprintf("%s %s #%d", e.Commit, e.Class, e.PR))
	}
	want := []string{"r3 ok #7", "r2 ok #7", "r1 ok #7", "c0 no_record #0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if d := rep.Entries[1].Details; len(d) == 0 || d[0] != "landed with the rebase merge of #7, recorded on r3" {
		t.Errorf("details of r2 = %v", d)
	}
	if want := (AuditSummary{OK: 3, NoRecord: 1, Total: 4}); rep.Summary != want {
		t.Errorf("summary = %+v, want %+v", rep.Summary, want)
	}
}

// TestAuditRecordOfAnotherCommit: a record copied onto another commit (git
// notes copy, notes.rewriteRef) does not make that commit ok, and a rebase
// record cannot vouch for commits that are not right below it.
func TestAuditRecordOfAnotherCommit(t *testing.T) {
	rec := passRecord()
	rec.Commit = "c1"
	line, err := rec.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	rebase := passRecord()
	rebase.PR, rebase.Method, rebase.Commit, rebase.Landed = 9, "rebase", "r3", []string{"r2", "r1", "c0"}
	rline, err := rebase.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	push := Record{V: 1, Type: RecordPush, Commit: "r2", MergedBy: "bot", Verdict: VerdictDirectPush}
	pline, err := push.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{
		{Hash: "c4", Subject: "copied onto"},
		{Hash: "r3", Subject: "rebase, last"},
		{Hash: "r2", Subject: "rebase, with a push record of its own"},
		{Hash: "r1", Subject: "rebase, first"},
		{Hash: "x", Subject: "unrelated"},
		{Hash: "c1", Subject: "the real one"},
		{Hash: "c0", Subject: "claimed from afar"},
	}
	notes := fakeNotes{"c4": string(line), "c1": string(line), "r3": string(rline), "r2": string(pline)}
	rep, err := Audit(context.Background(), h, notes, "main", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rep.Entries {
		got = append(got, fmt.Sprintf("%s %s #%d", e.Commit, e.Class, e.PR))
	}
	want := []string{"c4 no_record #0", "r3 ok #9", "r2 direct_push #0", "r1 ok #9", "x no_record #0", "c1 ok #7", "c0 no_record #0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	wantDetails := []string{"no twokey record in refs/notes/twokey",
		"a merge record of #7 names commit c1, not this one: it was copied here (git notes copy, or a rebase or amend with notes.rewriteRef) and does not count"}
	if diff := cmp.Diff(wantDetails, rep.Entries[0].Details); diff != "" {
		t.Errorf("details of c4 (-want +got):\n%s", diff)
	}
}
