package tracker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Commit is one commit of the audited history, as the audit needs it: no
// tree, no author, no message body.
type Commit struct {
	Hash    string    // full hex object name
	Time    time.Time // committer date
	Parents int       // number of parents (2 for a merge commit)
	Subject string    // first line of the message
}

// History walks the first-parent history of a branch. gitstore implements it
// over a repository on disk.
type History interface {
	// FirstParent calls fn for each commit on the first-parent chain that
	// starts at ref, newest first, like `git log --first-parent ref`. It stops
	// at the first error fn returns and returns it.
	FirstParent(ctx context.Context, ref string, fn func(Commit) error) error
}

// Notes gives the note that refs/notes/twokey holds for a commit. Audit
// calls Note from several goroutines at once.
type Notes interface {
	// Note returns the note's bytes, or nil when the commit has no note.
	// The bytes are read-only: they may be shared with later calls.
	Note(ctx context.Context, commit string) ([]byte, error)
}

// AuditClass is the verdict of the audit on one commit.
type AuditClass string

// Audit classes, from fine to worst. A commit is ok only when a merge record
// says the gate passed and the record itself proves it: every required kind
// signed off, every sign-off on the head the gate judged.
const (
	ClassOK             AuditClass = "ok"              // merged through a passing gate
	ClassNoRecord       AuditClass = "no_record"       // no twokey record on the commit
	ClassMissingSignoff AuditClass = "missing_signoff" // a required kind has no sign-off
	ClassStaleSignoff   AuditClass = "stale_signoff"   // a sign-off covers another commit than the merged head
	ClassBypassed       AuditClass = "bypassed"        // merged without a passing gate
	ClassDirectPush     AuditClass = "direct_push"     // pushed to the branch without a pull request
)

// AuditClasses lists every class in report order.
var AuditClasses = []AuditClass{ClassOK, ClassNoRecord, ClassMissingSignoff, ClassStaleSignoff, ClassBypassed, ClassDirectPush}

// AuditOptions limits the audit to commits whose committer date is in
// [Since, Until). A zero time leaves that side open.
type AuditOptions struct {
	Since time.Time
	Until time.Time
}

// AuditEntry is one audited commit.
type AuditEntry struct {
	Commit  string     `json:"commit"`
	Date    time.Time  `json:"date"`
	Subject string     `json:"subject"`
	Class   AuditClass `json:"class"`
	PR      int        `json:"pr"`
	Briefs  []int      `json:"briefs"`
	Details []string   `json:"details"`
	// Frozen is true when the record says the merge was made in a freeze
	// window (lifted by an override kind or a bypass, or not at all: the
	// verdict then says bypassed); Details say which window and who.
	Frozen bool   `json:"frozen,omitempty"`
	Repo   string `json:"-"` // owner/repo named by the record, for links

	landed []string // the other commits of the rebase merge the record is of
}

// AuditSummary counts entries per class. Every class is always present in
// its JSON form, so scripts can read a zero.
type AuditSummary struct {
	OK             int `json:"ok"`
	NoRecord       int `json:"no_record"`
	MissingSignoff int `json:"missing_signoff"`
	StaleSignoff   int `json:"stale_signoff"`
	Bypassed       int `json:"bypassed"`
	DirectPush     int `json:"direct_push"`
	Total          int `json:"total"`
}

// Count returns the number of entries of class c.
func (s AuditSummary) Count(c AuditClass) int {
	switch c {
	case ClassOK:
		return s.OK
	case ClassNoRecord:
		return s.NoRecord
	case ClassMissingSignoff:
		return s.MissingSignoff
	case ClassStaleSignoff:
		return s.StaleSignoff
	case ClassBypassed:
		return s.Bypassed
	case ClassDirectPush:
		return s.DirectPush
	}
	return 0
}

func (s *AuditSummary) add(c AuditClass) {
	s.Total++
	switch c {
	case ClassOK:
		s.OK++
	case ClassNoRecord:
		s.NoRecord++
	case ClassMissingSignoff:
		s.MissingSignoff++
	case ClassStaleSignoff:
		s.StaleSignoff++
	case ClassBypassed:
		s.Bypassed++
	case ClassDirectPush:
		s.DirectPush++
	}
}

// AuditRange is the date range of the audit as given, RFC 3339, empty when
// open.
type AuditRange struct {
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
}

// AuditReport is the result of an audit: every commit in range, newest first.
type AuditReport struct {
	Ref      string       `json:"ref"`
	Range    AuditRange   `json:"range"`
	Summary  AuditSummary `json:"summary"`
	Entries  []AuditEntry `json:"entries"`
	Warnings []string     `json:"warnings"` // lines in notes that are not records
}

// OK reports whether every audited commit is ok.
func (r *AuditReport) OK() bool { return r.Summary.OK == r.Summary.Total }

// WriteJSON writes r to w as one JSON object and a newline, the bytes a
// json.Encoder with SetEscapeHTML(false) writes, but entry by entry: the
// report of 100,000 commits is never held whole in memory a second time.
func (r *AuditReport) WriteJSON(w io.Writer) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	put := func(prefix string, v any) error {
		buf.WriteString(prefix)
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if buf.Len() >= 32<<10 {
			_, err := buf.WriteTo(w)
			return err
		}
		return nil
	}
	if err := put(`{"ref":`, r.Ref); err != nil {
		return err
	}
	if err := put(`,"range":`, r.Range); err != nil {
		return err
	}
	if err := put(`,"summary":`, r.Summary); err != nil {
		return err
	}
	if r.Entries == nil {
		buf.WriteString(`,"entries":null`)
	} else {
		buf.WriteString(`,"entries":[`)
		for i := range r.Entries {
			sep := ","
			if i == 0 {
				sep = ""
			}
			if err := put(sep, &r.Entries[i]); err != nil {
				return err
			}
		}
		buf.WriteString("]")
	}
	if err := put(`,"warnings":`, r.Warnings); err != nil {
		return err
	}
	buf.WriteString("}\n")
	_, err := buf.WriteTo(w)
	return err
}

// Audit walks the first-parent history of ref, joins each commit in range
// with the records in its note and classifies it (see ClassifyRecords).
// Lines of a note that are not twokey records are reported as warnings.
//
// The walk runs on the caller's goroutine; batches of the commits it yields
// are joined with their notes and classified on GOMAXPROCS goroutines, and
// gathered back in history order.
func Audit(ctx context.Context, h History, n Notes, ref string, opt AuditOptions) (*AuditReport, error) {
	rep := &AuditReport{Ref: ref, Entries: []AuditEntry{}, Warnings: []string{}}
	if !opt.Since.IsZero() {
		rep.Range.Since = opt.Since.Format(time.RFC3339)
	}
	if !opt.Until.IsZero() {
		rep.Range.Until = opt.Until.Format(time.RFC3339)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *auditBatch, workers)
	queue := make(chan *auditBatch, 4*workers) // in history order
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range work {
				b.run(ctx, n)
			}
		})
	}
	gathered := make(chan error, 1)
	var batches []*auditBatch
	go func() { // the gatherer: batches back in history order
		var err error
		for b := range queue {
			<-b.done
			if err != nil {
				continue // drain
			}
			if b.err != nil {
				err = b.err
				cancel() // stop the walk and the workers
				continue
			}
			batches = append(batches, b)
		}
		gathered <- err
	}()

	const batchSize = 256
	cur := newAuditBatch(batchSize)
	send := func() error {
		select {
		case queue <- cur:
		case <-ctx.Done():
			return ctx.Err()
		}
		work <- cur // the workers drain work until it closes
		cur = newAuditBatch(batchSize)
		return nil
	}
	err := h.FirstParent(ctx, ref, func(c Commit) error {
		if !opt.Since.IsZero() && c.Time.Before(opt.Since) {
			return nil
		}
		if !opt.Until.IsZero() && !c.Time.Before(opt.Until) {
			return nil
		}
		cur.commits = append(cur.commits, c)
		if len(cur.commits) < batchSize {
			return nil
		}
		return send()
	})
	if err == nil && len(cur.commits) > 0 {
		err = send()
	}
	close(queue)
	close(work)
	wg.Wait()
	if gerr := <-gathered; gerr != nil {
		return nil, gerr // the first failure in history order; it stopped the walk
	}
	if err != nil {
		return nil, err
	}
	total := 0
	for _, b := range batches {
		total += len(b.entries)
	}
	rep.Entries = make([]AuditEntry, 0, total)
	for _, b := range batches {
		rep.Entries = append(rep.Entries, b.entries...)
		rep.Warnings = append(rep.Warnings, b.warnings...)
	}
	// A rebase merge puts several commits on the branch and records the
	// last; the record names the others, which come after it in the walk.
	// They sit right below it, so the first commit that is not one of them
	// ends the claim: a record cannot vouch for commits further down. One of
	// them with a record of its own (a push record written before GitHub
	// linked the commit to its pull request) keeps that record and does not
	// end the claim.
	covered := map[string]int{}
	for i := range rep.Entries {
		e := &rep.Entries[i]
		j, ok := covered[e.Commit]
		if ok && e.Class == ClassNoRecord {
			by := rep.Entries[j]
			e.Class, e.PR, e.Repo, e.Briefs = by.Class, by.PR, by.Repo, slices.Clone(by.Briefs)
			e.Details = append([]string{fmt.Sprintf("landed with the rebase merge of #%d, recorded on %s", by.PR, auditShort(by.Commit))}, by.Details...)
		}
		if !ok {
			clear(covered)
		}
		for _, c := range e.landed {
			covered[c] = i
		}
		rep.Summary.add(e.Class)
	}
	return rep, nil
}

// auditBatch is a run of consecutive commits of the walk, classified by one
// worker.
type auditBatch struct {
	commits  []Commit
	entries  []AuditEntry
	warnings []string
	err      error
	done     chan struct{}
}

func newAuditBatch(size int) *auditBatch {
	return &auditBatch{commits: make([]Commit, 0, size), done: make(chan struct{})}
}

// run reads the note of each commit, parses its records and classifies it.
func (b *auditBatch) run(ctx context.Context, n Notes) {
	defer close(b.done)
	if b.err = ctx.Err(); b.err != nil {
		return
	}
	b.entries = make([]AuditEntry, 0, len(b.commits))
	var recs []Record // reused: ClassifyRecords keeps nothing of it
	for _, c := range b.commits {
		note, err := n.Note(ctx, c.Hash)
		if err != nil {
			b.err = fmt.Errorf("note for commit %s: %w", c.Hash, err)
			return
		}
		var skipped int
		recs, skipped = appendRecords(recs[:0], note)
		if skipped > 0 {
			b.warnings = append(b.warnings, fmt.Sprintf("commit %s: %d line(s) in the note are not twokey records; skipped", auditShort(c.Hash), skipped))
		}
		e := ClassifyRecords(c.Hash, recs)
		e.Date, e.Subject = c.Time, c.Subject
		// The record's strings share its whole line: keep a copy of the
		// repository's name, not 100,000 lines.
		if len(b.entries) > 0 && b.entries[len(b.entries)-1].Repo == e.Repo {
			e.Repo = b.entries[len(b.entries)-1].Repo
		} else {
			e.Repo = strings.Clone(e.Repo)
		}
		b.entries = append(b.entries, e)
	}
}

// ClassifyRecords classifies commit from the records in its note. Date and
// Subject of the result are left for the caller.
//
// A record that names another commit (its "commit" field) does not count:
// it was copied onto this one (git notes copy, notes.rewriteRef on a rebase
// or amend) and says nothing about what this commit went through. It is
// named in Details; a record without the field (hand-written) counts.
//
// When a note holds several records, one decides: a merge record beats a
// push record (the push event of a merge is recorded too, and the merge is
// what was gated); among records of the same type the latest merged_at wins
// (a re-run after a fix records again); of two of the same time, the one
// that earns the worse class on its own (direct_push, bypassed,
// missing_signoff, stale_signoff, ok, worst first). The others are named in
// Details.
//
// The record decides as follows, first match wins:
//   - type push or verdict direct_push: direct_push;
//   - verdict bypassed, or a verdict twokey does not write: bypassed;
//   - a required kind without any sign-off: missing_signoff;
//   - a sign-off whose SHA is not the record's head: stale_signoff;
//   - otherwise ok.
//
// The audit recomputes missing and stale from the record instead of trusting
// its verdict, so a hand-written "pass" without sign-offs is not ok.
func ClassifyRecords(commit string, recs []Record) AuditEntry {
	e := AuditEntry{Commit: commit, Briefs: []int{}, Details: []string{}}
	if i := slices.IndexFunc(recs, func(r Record) bool { return !recordOf(r, commit) }); i >= 0 {
		own := make([]Record, 0, len(recs))
		for _, r := range recs {
			if recordOf(r, commit) {
				own = append(own, r)
				continue
			}
			what := "a " + r.Type + " record"
			if r.PR != 0 {
				what += fmt.Sprintf(" of #%d", r.PR)
			}
			e.Details = append(e.Details, fmt.Sprintf("%s names commit %s, not this one: it was copied here (git notes copy, or a rebase or amend with notes.rewriteRef) and does not count", what, auditShort(r.Commit)))
		}
		recs = own
	}
	if len(recs) == 0 {
		e.Class = ClassNoRecord
		e.Details = append([]string{"no twokey record in refs/notes/twokey"}, e.Details...)
		return e
	}
	r := pickRecord(recs)
	if len(recs) > 1 {
		e.Details = append(e.Details, fmt.Sprintf("%d records on this commit; the %s record of %s decides", len(recs), r.Type, r.MergedAt.UTC().Format(time.RFC3339)))
	}
	e.PR, e.Repo = r.PR, r.Repo
	if r.Type == RecordMerge && len(r.Landed) > 0 {
		e.landed = make([]string, len(r.Landed))
		for i, c := range r.Landed {
			e.landed[i] = strings.ToLower(strings.Clone(c))
		}
	}
	if r.Briefs != nil {
		e.Briefs = slices.Clone(r.Briefs)
	}
	missing, stale := recordGaps(r)
	for _, k := range missing {
		e.Details = append(e.Details, fmt.Sprintf("no %s sign-off", k))
	}
	e.Details = append(e.Details, stale...)
	e.Class = recordClass(r, missing, stale)
	if f := r.Freeze; f != nil && r.Type == RecordMerge {
		e.Frozen = true
		msg := fmt.Sprintf("merged in a freeze (%s: %s, until %s)", f.Window, f.Reason, f.Until.UTC().Format(time.RFC3339))
		switch {
		case f.Override == "":
			msg += ", which nothing lifted"
		case f.Override == "bypass":
			msg += ", lifted by a bypass of " + auditOrNone(f.By)
		default:
			msg += fmt.Sprintf(", lifted by %s's %s sign-off", auditOrNone(f.By), f.Override)
		}
		e.Details = append(e.Details, msg)
	}
	switch e.Class {
	case ClassDirectPush:
		who := r.MergedBy
		if who == "" {
			who = "unknown"
		}
		e.Details = append([]string{"pushed without a pull request by " + who}, e.Details...)
	case ClassBypassed:
		if r.Verdict != VerdictBypassed {
			e.Details = append([]string{fmt.Sprintf("verdict %q is not one twokey writes", r.Verdict)}, e.Details...)
			break
		}
		msg := "merged without a passing gate by " + auditOrNone(r.MergedBy)
		if r.Reason != "" {
			msg += ": " + r.Reason
		}
		e.Details = append([]string{msg}, e.Details...)
	}
	return e
}

// recordOf reports whether record r was written for commit: it names it, or
// names no commit at all (a hand-written record), or the caller does not
// know the commit.
func recordOf(r Record, commit string) bool {
	return r.Commit == "" || commit == "" || strings.EqualFold(r.Commit, commit)
}

// recordGaps recomputes from record r the required kinds without a sign-off
// and, for each sign-off of another commit than the head (and not one with
// the same files), why it is stale.
func recordGaps(r Record) (missing, stale []string) {
	for _, kind := range r.Required {
		if !slices.ContainsFunc(r.Signoffs, func(s RecordSignoff) bool { return s.Kind == kind }) {
			missing = append(missing, kind)
		}
	}
	for _, s := range r.Signoffs {
		if r.Head != "" && s.SHA != r.Head && !s.SameTree {
			stale = append(stale, fmt.Sprintf("%s sign-off by %s covers %s, not the merged head %s", s.Kind, s.Login, auditOrNone(auditShort(s.SHA)), auditShort(r.Head)))
		}
	}
	return missing, stale
}

// recordClass is the class record r earns on its own (see ClassifyRecords).
func recordClass(r Record, missing, stale []string) AuditClass {
	switch {
	case r.Type == RecordPush || r.Verdict == VerdictDirectPush:
		return ClassDirectPush
	case r.Verdict != VerdictPass:
		return ClassBypassed
	case len(missing) > 0:
		return ClassMissingSignoff
	case len(stale) > 0:
		return ClassStaleSignoff
	}
	return ClassOK
}

// severity orders the classes a record can earn, ok first: of two records
// of the same time, the one with the higher severity decides.
func severity(r Record) int {
	missing, stale := recordGaps(r)
	switch recordClass(r, missing, stale) {
	case ClassOK:
		return 0
	case ClassStaleSignoff:
		return 1
	case ClassMissingSignoff:
		return 2
	case ClassBypassed:
		return 3
	}
	return 4
}

// pickRecord applies the precedence rule of ClassifyRecords.
func pickRecord(recs []Record) Record {
	if len(recs) == 1 {
		return recs[0]
	}
	sorted := slices.Clone(recs)
	rank := func(r Record) int {
		if r.Type == RecordMerge {
			return 1
		}
		return 0
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		if rank(sorted[i]) != rank(sorted[j]) {
			return rank(sorted[i]) > rank(sorted[j])
		}
		if !sorted[i].MergedAt.Equal(sorted[j].MergedAt) {
			return sorted[i].MergedAt.After(sorted[j].MergedAt)
		}
		// Two judgements of one merge (a re-run written before records were
		// fixed at merge time, a hand-written line): the one whose recomputed
		// class is worse decides, never the order of the note's lines.
		return severity(sorted[i]) > severity(sorted[j])
	})
	return sorted[0]
}

func auditShort(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func auditOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
