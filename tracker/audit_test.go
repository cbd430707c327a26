package tracker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	headA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	headB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func passRecord() Record {
	return Record{
		V: 1, Type: RecordMerge, Repo: "acme/site", PR: 7, Briefs: []int{3}, Base: "main", Head: headA, Commit: headA,
		MergedBy: "alice", MergedAt: t0, Method: "squash", Required: []string{"usability", "backend"},
		Signoffs: []RecordSignoff{
			{Kind: "usability", Login: "ux", SHA: headA, Via: "review"},
			{Kind: "backend", Login: "be", SHA: headA, Via: "comment"},
		},
		Verdict: VerdictPass,
	}
}

// passLine is the line of a passing record of commit, landed at at.
func passLine(t testing.TB, commit string, at time.Time) string {
	t.Helper()
	r := passRecord()
	r.Commit, r.MergedAt = commit, at
	line, err := r.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	return string(line)
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
		{"missing beats stale", []Record{with(func(r *Record) {
			r.Signoffs = []RecordSignoff{{Kind: "usability", Login: "ux", SHA: headB, Via: ViaReview}}
		})},
			ClassMissingSignoff, []string{"no backend sign-off", "usability sign-off by ux covers bbbbbbbbbbbb, not the merged head aaaaaaaaaaaa"}},
		{"bypassed", []Record{with(func(r *Record) { r.Verdict = VerdictBypassed; r.Signoffs = []RecordSignoff{}; r.Reason = "outage" })}, ClassBypassed,
			[]string{"merged without a passing gate by alice: outage", "no usability sign-off", "no backend sign-off"}},
		{"unknown verdict", []Record{with(func(r *Record) { r.Verdict = "maybe" })}, ClassBypassed, []string{`verdict "maybe" is not one twokey writes`}},
		{"direct push", []Record{{V: 1, Type: RecordPush, Commit: headA, MergedBy: "bob", Verdict: VerdictDirectPush}}, ClassDirectPush,
			[]string{"pushed without a pull request by bob"}},
		{"merge beats push", []Record{{V: 1, Type: RecordPush, Commit: headA, MergedBy: "bob", Verdict: VerdictDirectPush, MergedAt: t0.Add(time.Hour)}, passRecord()}, ClassOK,
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
	h := fakeHistory{
		{Hash: "c3", Time: t0.Add(48 * time.Hour), Subject: "three"},
		{Hash: "c2", Time: t0.Add(24 * time.Hour), Subject: "two"},
		{Hash: "c1", Time: t0, Subject: "one"},
	}
	n := fakeNotes{"c2": "free text from a person\n" + passLine(t, "c2", t0.Add(24*time.Hour)), "c1": passLine(t, "c1", t0)}
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
			r.PR, r.Commit = i, hash
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

// day is midnight UTC of the day.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// landingHistory is a first-parent history whose committer dates lie, as a
// pusher can make them, newest first:
//
//	push2020  a direct push dated 2020, no record
//	pushrec   a direct push dated 2020 with its push record (merged_at 2020: the pusher's date)
//	m3        merged 2026-03-01 (committer date 2019)
//	x         no record: landed between m2 and m3
//	m2        merged 2025-12-15
//	m1        merged 2025-11-01
//	old...    older commits without records, older older
func landingHistory(t *testing.T, old int) (fakeHistory, fakeNotes) {
	t.Helper()
	push := Record{V: 1, Type: RecordPush, Repo: "acme/site", Commit: "pushrec", Base: "main", MergedBy: "ops",
		MergedAt: day(2020, 1, 2), Verdict: VerdictDirectPush}
	pline, err := push.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{
		{Hash: "push2020", Time: day(2020, 1, 1), Subject: "backdated push"},
		{Hash: "pushrec", Time: day(2020, 1, 2), Subject: "backdated push, recorded"},
		{Hash: "m3", Time: day(2019, 6, 1), Subject: "merge 3"},
		{Hash: "x", Time: day(2026, 2, 1), Subject: "unrecorded"},
		{Hash: "m2", Time: day(2026, 2, 2), Subject: "merge 2"},
		{Hash: "m1", Time: day(2025, 11, 1), Subject: "merge 1"},
	}
	n := fakeNotes{"pushrec": string(pline), "m3": passLine(t, "m3", day(2026, 3, 1)),
		"m2": passLine(t, "m2", day(2025, 12, 15)), "m1": passLine(t, "m1", day(2025, 11, 1))}
	for i := range old {
		h = append(h, Commit{Hash: fmt.Sprintf("%040x", i), Time: day(2030, 1, 1), Subject: "old"})
	}
	return h, n
}

// TestAuditRangeByLanding: --since and --until choose commits by when they
// landed, never by committer dates: a backdated push at the tip stays in a
// range that starts after its date, a commit between two records is kept
// when it may have landed in the range, and the walk stops once a record
// says it is past the range, reading few notes of a long history.
func TestAuditRangeByLanding(t *testing.T) {
	const old = 50000
	h, notes := landingHistory(t, old)
	now := day(2026, 3, 10)
	tests := []struct {
		name         string
		since, until time.Time
		want         []string
		stopped      string
		after        int
	}{
		{"since", day(2026, 1, 1), time.Time{}, []string{"push2020", "pushrec", "m3", "x"}, "m2", 0},
		{"since and until", day(2026, 1, 1), day(2026, 2, 1), []string{"x"}, "m2", 3},
		{"until", time.Time{}, day(2026, 1, 1), append([]string{"x", "m2", "m1"}, oldHashes(old)...), "", 3},
		{"all", time.Time{}, time.Time{}, append([]string{"push2020", "pushrec", "m3", "x", "m2", "m1"}, oldHashes(old)...), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &countingNotes{notes: notes}
			rep, err := Audit(context.Background(), h, n, "main", AuditOptions{Since: tt.since, Until: tt.until, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range rep.Entries {
				got = append(got, e.Commit)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Audit(%s) commits (-want +got):\n%s", tt.name, diff)
			}
			if rep.Range.StoppedAt != tt.stopped || rep.Range.After != tt.after {
				t.Errorf("Audit(%s) stopped at %q after %d, want %q and %d", tt.name, rep.Range.StoppedAt, rep.Range.After, tt.stopped, tt.after)
			}
			if tt.stopped != "" {
				// The walk reads ahead at most the batches in flight.
				if max := (4*runtime.GOMAXPROCS(0) + 3) * 256; len(n.asked) > max {
					t.Errorf("Audit(%s) read %d notes of %d commits, want at most %d: the walk did not stop", tt.name, len(n.asked), len(h), max)
				}
			}
			if tt.since.IsZero() && tt.until.IsZero() {
				if rep.Range.Rule != "all first-parent history" {
					t.Errorf("Range.Rule = %q", rep.Range.Rule)
				}
			} else if rep.Range.Rule != RangeRule {
				t.Errorf("Range.Rule = %q, want RangeRule", rep.Range.Rule)
			}
		})
	}
}

// TestAuditSinceReadsTheWindow: where committer dates follow the landings,
// a --since audit reads the notes of the window and of the one commit that
// ends it, not the batches the walk would read ahead: past the first
// commit dated before Since it reads a commit at a time.
func TestAuditSinceReadsTheWindow(t *testing.T) {
	const total, window = 3000, 1000
	var h fakeHistory
	notes := fakeNotes{}
	for i := range total {
		hash := fmt.Sprintf("%040x", total-i)
		at := t0.Add(-time.Duration(i) * time.Minute)
		h = append(h, Commit{Hash: hash, Time: at, Parents: 2, Subject: "merge"})
		notes[hash] = passLine(t, hash, at)
	}
	since := h[window-1].Time
	n := &countingNotes{notes: notes}
	rep, err := Audit(context.Background(), h, n, "main", AuditOptions{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Total != window || rep.Range.StoppedAt != h[window].Hash {
		t.Fatalf("Audit(--since) = %d commits, stopped at %q; want %d, %s", rep.Summary.Total, rep.Range.StoppedAt, window, h[window].Hash)
	}
	if len(n.asked) > window+1 {
		t.Errorf("Audit(--since) read %d notes, want at most %d: the window and the commit that ends it", len(n.asked), window+1)
	}
	// Committer dates decide nothing: a commit dated before Since that
	// landed in the range (its record says so) is kept, and so are the
	// commits after it, read one at a time.
	h2 := append(fakeHistory{}, h...)
	h2[window/2].Time = t0.AddDate(-1, 0, 0)
	rep, err = Audit(context.Background(), h2, notes, "main", AuditOptions{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Total != window {
		t.Errorf("Audit(--since) with an old committer date in the window = %d commits, want %d", rep.Summary.Total, window)
	}
}

func oldHashes(n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf("%040x", i)
	}
	return out
}

// TestAuditEmptyRange: a range in which nothing landed is not a pass, and a
// range that starts after the audit runs reads nothing.
func TestAuditEmptyRange(t *testing.T) {
	h, notes := landingHistory(t, 10)
	n := &countingNotes{notes: notes}
	rep, err := Audit(context.Background(), h, n, "main", AuditOptions{Since: day(2030, 1, 1), Now: day(2026, 3, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Total != 0 || rep.OK() || len(n.asked) != 0 {
		t.Errorf("Audit(--since 2030) = %d commits, OK %v, %d notes read; want 0, false, 0", rep.Summary.Total, rep.OK(), len(n.asked))
	}
	// Between two merges with nothing between them.
	rep, err = Audit(context.Background(), h, notes, "main", AuditOptions{Since: day(2025, 11, 2), Until: day(2025, 12, 14)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Total != 0 || rep.OK() {
		t.Errorf("Audit(between merges) = %+v, want nothing and not OK", rep.Summary)
	}
}

// TestAuditInvalidRecords: records that are not whole, of an unknown
// version, or notes that are not twokey's are invalid_record with the
// reason; every shape of v1 record twokey has written stays what it was,
// and fields a later twokey adds do not make a record invalid.
func TestAuditInvalidRecords(t *testing.T) {
	const c = "cccccccccccccccccccccccccccccccccccccccc"
	const head = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	tests := []struct {
		name   string
		note   string
		class  AuditClass
		detail string
	}{
		// What twokey has written (tracker/record.go since the first commit,
		// NewRecord, handlePush, scripts/genhistory).
		{"v1 pass, first release (no method)", `{"v":1,"type":"merge","repo":"acme/site","pr":7,"briefs":[3],"title":"T","base":"main","head":"` + head + `","commit":"` + c + `","merged_by":"lead","merged_at":"2026-03-01T12:00:00Z","required":["usability","backend"],"signoffs":[{"kind":"usability","login":"ux","id":1,"sha":"` + head + `","via":"review","url":"u","at":"2026-03-01T11:00:00Z"},{"kind":"backend","login":"be","id":2,"sha":"` + head + `","via":"comment","url":"u","at":"2026-03-01T11:30:00Z"}],"verdict":"pass","policy":"p"}`, ClassOK, ""},
		{"v1 pass with method, landed and same_tree", `{"v":1,"type":"merge","repo":"acme/site","pr":7,"briefs":[],"base":"main","head":"` + head + `","commit":"` + c + `","merged_by":"lead","merged_at":"2026-03-01T12:00:00Z","method":"rebase","landed":[],"required":["backend"],"signoffs":[{"kind":"backend","login":"be","id":2,"sha":"bbbb","via":"comment","url":"u","at":"2026-03-01T11:30:00Z","same_tree":true}],"verdict":"pass","policy":"p"}`, ClassOK, ""},
		{"v1 merged without a gate verdict", `{"v":1,"type":"merge","repo":"acme/site","pr":7,"briefs":[],"base":"main","head":"` + head + `","commit":"` + c + `","merged_by":"lead","merged_at":"2026-03-01T12:00:00Z","required":[],"signoffs":[],"verdict":"bypassed","reason":"merged without a gate verdict","policy":"p"}`, ClassBypassed, "merged without a passing gate by lead: merged without a gate verdict"},
		{"v1 push record", `{"v":1,"type":"push","repo":"acme/site","briefs":[],"base":"main","commit":"` + c + `","merged_by":"ops","merged_at":"2026-03-01T12:00:00Z","required":[],"signoffs":[],"verdict":"direct_push","policy":"p"}`, ClassDirectPush, "pushed without a pull request by ops"},
		{"v1 pass with fields a later twokey adds", `{"v":1,"type":"merge","repo":"acme/site","pr":7,"briefs":[3],"base":"main","head":"` + head + `","commit":"` + c + `","merged_by":"lead","merged_at":"2026-03-01T12:00:00Z","brief_ready_at":"2026-02-01T00:00:00Z","freeze_override":{"by":"cto","reason":"launch"},"required":["backend"],"signoffs":[{"kind":"backend","login":"be","id":2,"sha":"` + head + `","via":"comment","url":"u","at":"2026-03-01T11:30:00Z","turned_at":"2026-03-01T11:30:00Z"}],"verdict":"pass","policy":"p"}`, ClassOK, ""},
		// Not whole.
		{"schema version 2", `{"v":2,"type":"merge","repo":"acme/site","pr":7,"commit":"` + c + `","head":"` + head + `","required":[],"signoffs":[],"verdict":"pass"}`, ClassInvalidRecord,
			"the merge record of #7 is not whole: schema version 2 is not one this twokey reads (1): audit with a twokey that knows it"},
		{"no head", `{"v":1,"type":"merge","repo":"acme/site","pr":7,"commit":"` + c + `","required":[],"signoffs":[],"verdict":"pass"}`, ClassInvalidRecord,
			"the merge record of #7 is not whole: no head (which commit the gate judged)"},
		{"no commit", `{"v":1,"type":"merge","repo":"acme/site","pr":7,"head":"` + head + `","required":[],"signoffs":[],"verdict":"pass"}`, ClassInvalidRecord,
			"the merge record of #7 is not whole: no commit (which commit landed)"},
		{"no required kinds, no sign-offs", `{"v":1,"type":"merge","repo":"acme/site","pr":7,"commit":"` + c + `","head":"` + head + `","verdict":"pass"}`, ClassInvalidRecord,
			"the merge record of #7 is not whole: no required kinds; no sign-offs"},
		{"a sign-off without a signer", `{"v":1,"type":"merge","repo":"acme/site","pr":7,"commit":"` + c + `","head":"` + head + `","required":["backend"],"signoffs":[{"kind":"backend","sha":"` + head + `","via":"comment"}],"verdict":"pass"}`, ClassInvalidRecord,
			"the merge record of #7 is not whole: sign-off 1 has no login"},
		{"an unknown type", `{"v":1,"type":"deploy","commit":"` + c + `","verdict":"pass"}`, ClassInvalidRecord,
			`the deploy record is not whole: type "deploy" is not one twokey writes (merge, push)`},
		{"a pass next to an invalid record", passLine(t, c, t0) + `{"v":2,"type":"merge","commit":"` + c + `"}`, ClassInvalidRecord,
			"the merge record is not whole: schema version 2 is not one this twokey reads (1): audit with a twokey that knows it"},
		{"a note that is not twokey's", "LGTM, shipped\n{not json", ClassInvalidRecord, "note present but unreadable: its 2 line(s) are not twokey records"},
		{"an empty note", "", ClassNoRecord, "no twokey record in refs/notes/twokey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Audit(context.Background(), fakeHistory{{Hash: c, Time: t0}}, fakeNotes{c: tt.note}, "main", AuditOptions{})
			if err != nil {
				t.Fatal(err)
			}
			e := rep.Entries[0]
			if e.Class != tt.class {
				t.Errorf("class = %s (%q), want %s", e.Class, e.Details, tt.class)
			}
			if tt.detail == "" && len(e.Details) > 0 || tt.detail != "" && (len(e.Details) == 0 || e.Details[0] != tt.detail) {
				t.Errorf("details = %q, want first %q", e.Details, tt.detail)
			}
		})
	}
}

// TestAuditEntryFields: each row says who turned each key on which commit
// and how, who merged and when, and a bypass's reason.
func TestAuditEntryFields(t *testing.T) {
	bypass := passRecord()
	bypass.Commit, bypass.Verdict, bypass.Reason, bypass.MergedAt = "c2", VerdictBypassed, "@lead: outage", t0.Add(time.Hour)
	bline, err := bypass.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{{Hash: "c2", Time: t0, Subject: "bypass"}, {Hash: "c1", Time: t0, Subject: "pass"}}
	rep, err := Audit(context.Background(), h, fakeNotes{"c2": string(bline), "c1": passLine(t, "c1", t0)}, "main", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	landed := t0
	want := AuditEntry{Commit: "c1", Date: t0, Landed: &landed, Month: "2026-03", Subject: "pass", Class: ClassOK, Repo: "acme/site", PR: 7,
		Briefs: []int{3}, MergedBy: "alice", Method: "squash", Head: headA, Verified: VerifiedOffline, Details: []string{},
		Keys: []AuditKey{{Kind: "usability", Login: "ux", SHA: headA, Via: "review"}, {Kind: "backend", Login: "be", SHA: headA, Via: "comment"}}}
	if diff := cmp.Diff(want, rep.Entries[1], cmpopts.IgnoreUnexported(AuditEntry{})); diff != "" {
		t.Errorf("entry of c1 (-want +got):\n%s", diff)
	}
	if e := rep.Entries[0]; e.Bypass != "@lead: outage" || e.Class != ClassBypassed || !e.Landed.Equal(t0.Add(time.Hour)) {
		t.Errorf("entry of c2 = %+v, want bypassed with the reason, landed at %s", e, t0.Add(time.Hour))
	}
	if diff := cmp.Diff([]AuditMonth{{Month: "2026-03", AuditSummary: AuditSummary{OK: 1, Bypassed: 1, Total: 2}}}, rep.Months); diff != "" {
		t.Errorf("months (-want +got):\n%s", diff)
	}
}

// fakeVerifier contradicts the records of the pull requests in bad and
// records the batches it was given.
type fakeVerifier struct {
	bad     map[int]string
	batches []int
}

func (v *fakeVerifier) VerifyRecords(ctx context.Context, recs []Record) ([][]string, error) {
	v.batches = append(v.batches, len(recs))
	out := make([][]string, len(recs))
	for i, r := range recs {
		if why, ok := v.bad[r.PR]; ok {
			out[i] = []string{why}
		}
	}
	return out, nil
}

// TestAuditVerify: with a verifier, every merge record in range is checked
// in batches, in history order; a contradicted one is unverified whatever
// it said, with what differs; commits without a merge record are not sent.
func TestAuditVerify(t *testing.T) {
	var h fakeHistory
	notes := fakeNotes{}
	for i := 120; i > 0; i-- {
		hash := fmt.Sprintf("%040x", i)
		h = append(h, Commit{Hash: hash, Time: t0})
		if i%4 != 0 {
			r := passRecord()
			r.PR, r.Commit = i, hash
			line, err := r.MarshalLine()
			if err != nil {
				t.Fatal(err)
			}
			notes[hash] = string(line)
		}
	}
	v := &fakeVerifier{bad: map[int]string{7: "GitHub has no pull request #7 in acme/site", 9: "GitHub says #9 was merged by mallory, not alice"}}
	rep, err := Audit(context.Background(), h, notes, "main", AuditOptions{Verifier: v, VerifyBatch: 25, Repo: "acme/site"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{25, 25, 25, 15}, v.batches); diff != "" {
		t.Errorf("verify batches (-want +got):\n%s", diff)
	}
	if want := (AuditSummary{OK: 88, NoRecord: 30, Unverified: 2, Total: 120}); rep.Summary != want {
		t.Errorf("summary = %+v, want %+v", rep.Summary, want)
	}
	for _, e := range rep.Entries {
		want := map[bool]string{true: VerifiedYes, false: VerifiedNothing}[e.PR != 0]
		if e.PR == 7 || e.PR == 9 {
			want = VerifiedContradicted
			if e.Class != ClassUnverified || e.Details[0] != v.bad[e.PR] {
				t.Errorf("entry of #%d = %s %q, want unverified with %q", e.PR, e.Class, e.Details, v.bad[e.PR])
			}
		}
		if e.Verified != want {
			t.Errorf("entry %s (#%d) verified = %q, want %q", e.Commit[36:], e.PR, e.Verified, want)
		}
	}
	if rep.Entries[0].Commit != h[0].Hash || rep.Entries[119].Commit != h[119].Hash {
		t.Errorf("entries out of history order")
	}
}

// TestAuditJSONStreams: the json and jsonl reports, written entry by entry,
// hold every field of the entries and of the footer.
func TestAuditJSONStreams(t *testing.T) {
	var h fakeHistory
	notes := fakeNotes{}
	for i := 3000; i > 0; i-- { // several 32 KiB flushes
		hash := fmt.Sprintf("%040x", i)
		h = append(h, Commit{Hash: hash, Time: t0.Add(time.Duration(i) * time.Hour), Subject: fmt.Sprintf("Merge <b>#%d</b> & \"quotes\" é \u2028", i)})
		if i%3 != 0 {
			notes[hash] = passLine(t, hash, t0.Add(time.Duration(i)*time.Hour)) + "free <text>\n"
		}
	}
	rep, err := Audit(context.Background(), h, notes, "main", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hd := &AuditHeader{Twokey: "v9", GeneratedAt: t0, Ref: "main", RefSHA: h[0].Hash, NotesRef: NotesRef, NotesSHA: headB, Verification: "offline"}
	foot := &AuditFooter{Range: rep.Range, Summary: rep.Summary, Months: rep.Months, Warnings: rep.Warnings}
	var buf bytes.Buffer
	j := NewAuditJSON(&buf, hd)
	for i := range rep.Entries {
		if err := j.Entry(&rep.Entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.End(foot); err != nil {
		t.Fatal(err)
	}
	var got struct {
		AuditHeader
		Entries []AuditEntry `json:"entries"`
		AuditFooter
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("json report: %v", err)
	}
	opts := cmp.Options{cmpopts.IgnoreUnexported(AuditEntry{}), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })}
	if diff := cmp.Diff(*hd, got.AuditHeader, opts); diff != "" {
		t.Errorf("json header (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(rep.Entries, got.Entries, opts); diff != "" {
		t.Errorf("json entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(*foot, got.AuditFooter, opts); diff != "" {
		t.Errorf("json footer (-want +got):\n%s", diff)
	}

	buf.Reset()
	jl, err := NewAuditJSONL(&buf, hd)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Entries {
		if err := jl.Entry(&rep.Entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := jl.End(foot); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(rep.Entries)+2 {
		t.Fatalf("jsonl: %d lines, want %d", len(lines), len(rep.Entries)+2)
	}
	for i, l := range lines {
		var typ struct{ Type string }
		if err := json.Unmarshal([]byte(l), &typ); err != nil {
			t.Fatalf("jsonl line %d: %v", i+1, err)
		}
		want := map[bool]string{true: "commit"}[true]
		switch i {
		case 0:
			want = "header"
		case len(lines) - 1:
			want = "summary"
		default:
			var e AuditEntry
			if err := json.Unmarshal([]byte(l), &e); err != nil || e.Commit != rep.Entries[i-1].Commit {
				t.Errorf("jsonl line %d = %.80s, want the entry of %s", i+1, l, rep.Entries[i-1].Commit)
			}
		}
		if typ.Type != want {
			t.Errorf("jsonl line %d type = %q, want %q", i+1, typ.Type, want)
		}
	}
}

// TestAuditEntryJSON: the entries' hand-written JSON is byte for byte what
// encoding/json without HTML escaping writes, for every field and for text
// that needs escaping.
func TestAuditEntryJSON(t *testing.T) {
	at := t0.Add(90 * time.Minute).In(time.FixedZone("", 3600))
	odd := "a \"quote\", a \\ , <b>&</b>, é, \u2028, \x01, \xff bad UTF-8"
	entries := []AuditEntry{
		{},
		{Commit: headA, Date: t0, Landed: &at, Month: "2026-03", Subject: odd, Class: ClassBypassed, Repo: "acme/site", PR: 7,
			Briefs: []int{1, -2}, MergedBy: odd, Method: "squash", Head: headB, Bypass: odd, Verified: VerifiedYes, Details: []string{odd, ""},
			Keys: []AuditKey{{Kind: "usability", Login: "ux", SHA: headA, Via: "review", URL: "https://x/y?a=1&b=<2>", At: &at, SameTree: true}, {}}},
		{Briefs: []int{}, Keys: []AuditKey{}, Details: []string{}},
	}
	for i := range entries {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&entries[i]); err != nil {
			t.Fatal(err)
		}
		got := string(entries[i].appendJSON(nil)) + "\n"
		if diff := cmp.Diff(want.String(), got); diff != "" {
			t.Errorf("appendJSON(entry %d) differs from encoding/json (-want +got):\n%s", i, diff)
		}
	}
	var fields []string
	for f := range reflect.TypeFor[AuditEntry]().Fields() {
		if f.IsExported() {
			fields = append(fields, f.Tag.Get("json"))
		}
	}
	want := []string{"commit", "date", "landed", "month", "subject", "class", "repo", "pr", "briefs", "merged_by", "method", "head", "keys", "bypass", "verified", "details", "frozen"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("AuditEntry's JSON fields changed: teach appendJSON (-want +got):\n%s", diff)
	}
}

// TestAuditVerifyStop: under --verify, the record the walk stopped at is
// checked too: a forged early merged_at that hides the commits below it
// makes the audit fail with a warning.
func TestAuditVerifyStop(t *testing.T) {
	h, notes := landingHistory(t, 10)
	for _, tt := range []struct {
		bad  map[int]string
		want string
		ok   bool
	}{
		{nil, VerifiedYes, false}, // the tip's no_record commits fail it anyway
		{map[int]string{7: "GitHub says #7 was merged at 2026-03-05T00:00:00Z, not 2025-12-15T00:00:00Z"}, VerifiedContradicted, false},
	} {
		v := &fakeVerifier{bad: tt.bad}
		rep, err := Audit(context.Background(), h, notes, "main", AuditOptions{Since: day(2026, 1, 1), Until: day(2026, 2, 1), Verifier: v, Repo: "acme/site"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Range.StoppedAt != "m2" || rep.Range.StopVerified != tt.want {
			t.Errorf("stopped at %q, verified %q; want m2, %q", rep.Range.StoppedAt, rep.Range.StopVerified, tt.want)
		}
		warned := slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "the walk stopped at m2") })
		if warned != (tt.want == VerifiedContradicted) {
			t.Errorf("warnings = %q", rep.Warnings)
		}
	}
	// Only x is in range and it has no record: make it pass to see the
	// stop decide.
	rep := &AuditReport{Summary: AuditSummary{OK: 1, Total: 1}, Range: AuditRange{StopVerified: VerifiedContradicted}}
	if rep.OK() {
		t.Errorf("OK() with a contradicted stop = true")
	}
	rep.Range.StopVerified = VerifiedYes
	if !rep.OK() {
		t.Errorf("OK() with a verified stop = false")
	}
}

// TestAuditVerifyOtherRepository (attack2): a record naming another
// repository is contradicted under --verify without asking the forge. The
// same merge commit can really have been merged, with real keys, in a
// repository the attacker controls; pushed directly to this one and given
// that repository's record, the forge would agree with every field of it.
// The walk's stop record is held to the same rule, and an audit that does
// not say which repository it audits cannot verify.
func TestAuditVerifyOtherRepository(t *testing.T) {
	r := passRecord()
	r.Repo, r.Commit = "mallory/site", "c1"
	line, err := r.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{{Hash: "c1", Time: t0}, {Hash: "c0", Time: t0}}
	notes := fakeNotes{"c1": string(line), "c0": passLine(t, "c0", t0.Add(-time.Hour))}
	v := &fakeVerifier{} // the forge agrees with everything it is asked
	rep, err := Audit(context.Background(), h, notes, "main", AuditOptions{Verifier: v, Repo: "acme/site"})
	if err != nil {
		t.Fatal(err)
	}
	e := rep.Entries[0]
	if e.Class != ClassUnverified || e.Verified != VerifiedContradicted || len(e.Details) == 0 || !strings.Contains(e.Details[0], "names repository mallory/site, not acme/site") {
		t.Errorf("record of another repository: %s %s %q, want unverified naming both repositories", e.Class, e.Verified, e.Details)
	}
	if rep.OK() || rep.Entries[1].Class != ClassOK {
		t.Errorf("audit OK = %v, entries %+v; want not OK, c0 ok", rep.OK(), rep.Entries)
	}
	if diff := cmp.Diff([]int{1}, v.batches); diff != "" {
		t.Errorf("the forge was asked about the other repository's record (-want +got batch sizes):\n%s", diff)
	}

	// The stop record too: a record of another repository with an early
	// merged_at would hide every commit below it.
	stop := passRecord()
	stop.Repo, stop.Commit, stop.MergedAt = "mallory/site", "c1", day(2020, 1, 1)
	sline, _ := stop.MarshalLine()
	notes["c1"] = string(sline)
	rep, err = Audit(context.Background(), h, notes, "main", AuditOptions{Since: day(2025, 1, 1), Verifier: &fakeVerifier{}, Repo: "acme/site"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Range.StoppedAt != "c1" || rep.Range.StopVerified != VerifiedContradicted || rep.OK() {
		t.Errorf("stop at another repository's record: stopped %q verified %q OK %v; want c1, contradicted, not OK", rep.Range.StoppedAt, rep.Range.StopVerified, rep.OK())
	}

	if _, err := Audit(context.Background(), h, notes, "main", AuditOptions{Verifier: &fakeVerifier{}}); err == nil || !strings.Contains(err.Error(), "repository audited") {
		t.Errorf("verify without the repository audited: err %v, want one that asks for it", err)
	}
}

// TestAuditLandedNeedsRebase (attack2): only a rebase merge lands several
// commits; a record of another method that names landed commits (to vouch
// for a direct push below it) is not whole.
func TestAuditLandedNeedsRebase(t *testing.T) {
	rec := passRecord()
	rec.Method, rec.Commit, rec.Landed = "squash", "r3", []string{"d1"}
	line, err := rec.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{{Hash: "r3", Time: t0}, {Hash: "d1", Time: t0}}
	rep, err := Audit(context.Background(), h, fakeNotes{"r3": string(line)}, "main", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rep.Entries {
		got = append(got, fmt.Sprintf("%s %s", e.Commit, e.Class))
	}
	if diff := cmp.Diff([]string{"r3 invalid_record", "d1 no_record"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if d := rep.Entries[0].Details; len(d) == 0 || !strings.Contains(d[0], "its method is squash, not rebase") {
		t.Errorf("details = %q", d)
	}
}

// TestAuditVerifyAfterUntil (attack2): someone who can push notes moves the
// merged_at of a bad merge past --until: the commit was left out of the
// range as landed after it, and its record was never checked, so the audit
// of a range the merge landed in was green under --verify. The oldest record
// that leaves a commit out as after the range is checked, like the one the
// walk stops at.
func TestAuditVerifyAfterUntil(t *testing.T) {
	bad := passRecord()
	bad.PR, bad.Commit, bad.MergedAt = 8, "late", day(2026, 2, 10) // truly 2026-01-20, and bypassed
	line, err := bad.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	h := fakeHistory{{Hash: "late", Time: day(2026, 1, 20)}, {Hash: "m1", Time: day(2026, 1, 10)}}
	notes := fakeNotes{"late": string(line), "m1": passLine(t, "m1", day(2026, 1, 10))}
	for _, tt := range []struct {
		bad  map[int]string
		want string
		ok   bool
	}{
		{nil, VerifiedYes, true},
		{map[int]string{8: "GitHub says #8 was merged at 2026-01-20T00:00:00Z, not 2026-02-10T00:00:00Z"}, VerifiedContradicted, false},
	} {
		rep, err := Audit(context.Background(), h, notes, "main", AuditOptions{Since: day(2026, 1, 1), Until: day(2026, 2, 1), Now: day(2026, 3, 1),
			Verifier: &fakeVerifier{bad: tt.bad}, Repo: "acme/site"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Entries) != 1 || rep.Entries[0].Commit != "m1" || rep.Range.After != 1 {
			t.Fatalf("entries %+v, after %d; want m1 alone, one after", rep.Entries, rep.Range.After)
		}
		if rep.Range.AfterAt != "late" || rep.Range.AfterVerified != tt.want || rep.OK() != tt.ok {
			t.Errorf("after at %q verified %q, OK %v; want late, %q, %v", rep.Range.AfterAt, rep.Range.AfterVerified, rep.OK(), tt.want, tt.ok)
		}
		warned := slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "late was left out as landed after the range") })
		if warned != !tt.ok {
			t.Errorf("warnings = %q", rep.Warnings)
		}
	}
}
