package tracker

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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

// Verifier checks merge records against the forge that merged them (see
// CheckRecord for what is compared). The action package implements it over
// GitHub's GraphQL API.
type Verifier interface {
	// VerifyRecords returns, for each record, what the forge contradicts in
	// it: nothing when it agrees. An error means the records could not be
	// checked at all (network, token), never that one was wrong.
	VerifyRecords(ctx context.Context, recs []Record) ([][]string, error)
}

// AuditClass is the verdict of the audit on one commit.
type AuditClass string

// Audit classes, from fine to worst. A commit is ok only when a merge record
// says the gate passed and the record itself proves it: every required kind
// signed off, every sign-off on the head the gate judged.
const (
	ClassOK             AuditClass = "ok"              // merged through a passing gate
	ClassNoRecord       AuditClass = "no_record"       // no twokey record on the commit
	ClassInvalidRecord  AuditClass = "invalid_record"  // a record that is not whole, of an unknown version, or a note that is not twokey's
	ClassMissingSignoff AuditClass = "missing_signoff" // a required kind has no sign-off
	ClassStaleSignoff   AuditClass = "stale_signoff"   // a sign-off covers another commit than the merged head
	ClassBypassed       AuditClass = "bypassed"        // merged without a passing gate
	ClassDirectPush     AuditClass = "direct_push"     // pushed to the branch without a pull request
	ClassUnverified     AuditClass = "unverified"      // GitHub contradicts the record (--verify)
)

// AuditClasses lists every class in report order.
var AuditClasses = []AuditClass{ClassOK, ClassNoRecord, ClassInvalidRecord, ClassMissingSignoff, ClassStaleSignoff, ClassBypassed, ClassDirectPush, ClassUnverified}

// Verification states of an entry (AuditEntry.Verified).
const (
	VerifiedOffline      = "offline"        // the audit did not ask GitHub
	VerifiedYes          = "verified"       // GitHub agrees with the record
	VerifiedContradicted = "contradicted"   // GitHub contradicts it: class unverified
	VerifiedNothing      = "not_applicable" // no merge record to check
)

// RangeRule says how an audit with --since or --until chooses its commits.
const RangeRule = "by when each commit landed: the merged_at of its merge record, " +
	"and for a commit without one its place in first-parent order between recorded commits " +
	"(a commit is kept when it may have landed in the range); committer dates are never used"

// AuditOptions are the range of the audit and whether it verifies records.
// Commits are chosen by when they landed (see RangeRule), in [Since, Until);
// a zero time leaves that side open.
type AuditOptions struct {
	Since, Until time.Time
	// SinceText and UntilText are the range as the user gave it, for the
	// report.
	SinceText, UntilText string
	// Now is when the audit runs: no commit landed after it. Zero leaves
	// the newest commits' landing open.
	Now time.Time
	// Verifier, when set, checks every merge record in range (--verify).
	Verifier Verifier
	// Repo is the repository audited, owner/name, required with a
	// Verifier: a record that names another repository is contradicted
	// without asking the forge. The same commit can really have been
	// merged, with real keys, in a repository someone else controls (their
	// fork, or their own); that says nothing of how it reached this one.
	Repo string
	// VerifyBatch is how many records go to one VerifyRecords call; 50
	// when zero.
	VerifyBatch int
}

// AuditKey is one key turned, as the record says: the kind, who turned it,
// the commit it covers, and how (a review or a /signoff comment).
type AuditKey struct {
	Kind     string     `json:"kind"`
	Login    string     `json:"login"`
	SHA      string     `json:"sha"`
	Via      string     `json:"via"`
	URL      string     `json:"url"`
	At       *time.Time `json:"at"`
	SameTree bool       `json:"same_tree"`
}

// AuditEntry is one audited commit. Its JSON form is the stable schema of
// the json, jsonl and csv reports (docs/audit.md).
type AuditEntry struct {
	Commit string `json:"commit"`
	// Date is the committer date, as whoever made the commit set it: shown,
	// never used to choose.
	Date time.Time `json:"date"`
	// Landed is when the commit landed: the merged_at of the merge record
	// that decides (or of the rebase merge it came with); null without one.
	Landed *time.Time `json:"landed"`
	// Month is the month the commit counts in: Landed's, else Date's (UTC).
	Month    string     `json:"month"`
	Subject  string     `json:"subject"`
	Class    AuditClass `json:"class"`
	Repo     string     `json:"repo"`
	PR       int        `json:"pr"`
	Briefs   []int      `json:"briefs"`
	MergedBy string     `json:"merged_by"` // who merged (or pushed)
	Method   string     `json:"method"`    // merge, squash or rebase
	Head     string     `json:"head"`      // the head the gate judged
	Keys     []AuditKey `json:"keys"`      // who turned each key
	Bypass   string     `json:"bypass"`    // the recorded reason of a bypass
	Verified string     `json:"verified"`  // see the Verified constants
	Details  []string   `json:"details"`
	// Frozen is true when the record says the merge was made in a freeze
	// window (lifted by an override kind or a bypass, or not at all: the
	// verdict then says bypassed); Details say which window and who.
	Frozen bool `json:"frozen"`

	landed []string // the other commits of the rebase merge the record is of
	rec    *Record  // the merge record that decides, for the verifier
}

// AuditSummary counts entries per class. Every class is always present in
// its JSON form, so scripts can read a zero.
type AuditSummary struct {
	OK             int `json:"ok"`
	NoRecord       int `json:"no_record"`
	InvalidRecord  int `json:"invalid_record"`
	MissingSignoff int `json:"missing_signoff"`
	StaleSignoff   int `json:"stale_signoff"`
	Bypassed       int `json:"bypassed"`
	DirectPush     int `json:"direct_push"`
	Unverified     int `json:"unverified"`
	Total          int `json:"total"`
}

// Count returns the number of entries of class c.
func (s AuditSummary) Count(c AuditClass) int {
	if p := s.field(c); p != nil {
		return *p
	}
	return 0
}

func (s *AuditSummary) field(c AuditClass) *int {
	switch c {
	case ClassOK:
		return &s.OK
	case ClassNoRecord:
		return &s.NoRecord
	case ClassInvalidRecord:
		return &s.InvalidRecord
	case ClassMissingSignoff:
		return &s.MissingSignoff
	case ClassStaleSignoff:
		return &s.StaleSignoff
	case ClassBypassed:
		return &s.Bypassed
	case ClassDirectPush:
		return &s.DirectPush
	case ClassUnverified:
		return &s.Unverified
	}
	return nil
}

func (s *AuditSummary) add(c AuditClass) {
	s.Total++
	if p := s.field(c); p != nil {
		*p++
	}
}

// AuditMonth is the count per class of the commits of one month (YYYY-MM,
// see AuditEntry.Month).
type AuditMonth struct {
	Month string `json:"month"`
	AuditSummary
}

// AuditRange is the range of the audit as given and as resolved.
type AuditRange struct {
	Since string `json:"since"` // as given, "" when open
	Until string `json:"until"`
	// From and To are the instants the range resolved to; null when open.
	From *time.Time `json:"from"`
	To   *time.Time `json:"to"`
	// Rule says how commits were chosen.
	Rule string `json:"rule"`
	// Newest and Oldest are the first and last commits audited.
	Newest string `json:"newest"`
	Oldest string `json:"oldest"`
	// Walked is how many commits the walk read; After how many of them
	// landed at or after Until and were left out.
	Walked int `json:"walked"`
	After  int `json:"after"`
	// StoppedAt is the commit at which the walk stopped, its record saying
	// it landed before Since (every older commit landed before it);
	// StoppedLanded is that time. Empty when the walk read the whole
	// history.
	StoppedAt     string     `json:"stopped_at"`
	StoppedLanded *time.Time `json:"stopped_landed"`
	// StopVerified says whether GitHub confirms the record the walk stopped
	// at (--verify; see the Verified constants): a forged early merged_at
	// would hide the commits below it. "" when the walk did not stop.
	StopVerified string `json:"stop_verified"`
	// AfterAt is the oldest commit left out as landed at or after Until
	// whose own record says so (every newer commit landed after it), and
	// AfterVerified whether GitHub confirms that record (--verify): a
	// forged late merged_at would leave a commit that landed in the range
	// out of it. Empty when no record left a commit out.
	AfterAt       string `json:"after_at"`
	AfterVerified string `json:"after_verified"`
}

// AuditResult is what an audit found besides its entries.
type AuditResult struct {
	Range    AuditRange
	Summary  AuditSummary
	Months   []AuditMonth // newest first
	Warnings []string     // lines in notes that are not records, and the like
}

// OK reports whether the audit passes: at least one commit, every one ok,
// and no contradicted record where the walk stopped.
func (r *AuditResult) OK() bool { return auditOK(&r.Summary, &r.Range) }

func auditOK(s *AuditSummary, r *AuditRange) bool {
	return s.Total > 0 && s.OK == s.Total && r.StopVerified != VerifiedContradicted && r.AfterVerified != VerifiedContradicted
}

// AuditReport is the result of an audit with every commit in range, newest
// first.
type AuditReport struct {
	Ref      string       `json:"ref"`
	Range    AuditRange   `json:"range"`
	Summary  AuditSummary `json:"summary"`
	Months   []AuditMonth `json:"months"`
	Entries  []AuditEntry `json:"entries"`
	Warnings []string     `json:"warnings"`
}

// OK reports whether the audit passes (see AuditResult.OK). An empty range
// is not a pass.
func (r *AuditReport) OK() bool { return auditOK(&r.Summary, &r.Range) }

// Audit is AuditStream gathering every entry into a report.
func Audit(ctx context.Context, h History, n Notes, ref string, opt AuditOptions) (*AuditReport, error) {
	rep := &AuditReport{Ref: ref, Entries: []AuditEntry{}}
	res, err := AuditStream(ctx, h, n, ref, opt, func(e *AuditEntry) error {
		rep.Entries = append(rep.Entries, *e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Range, rep.Summary, rep.Months, rep.Warnings = res.Range, res.Summary, res.Months, res.Warnings
	return rep, nil
}

// errStopWalk ends the walk once it is past the range.
var errStopWalk = errors.New("past the range")

// AuditStream walks the first-parent history of ref, joins each commit with
// the records in its note, classifies it (see ClassifyRecords), keeps the
// commits that landed in the range (see RangeRule), verifies their records
// when opt.Verifier is set, and calls emit for each, newest first, on the
// caller's goroutine. emit must not keep the entry. Lines of a note that
// are not twokey records are reported as warnings.
//
// The walk runs on its own goroutine; batches of the commits it yields are
// joined with their notes and classified on GOMAXPROCS goroutines, and
// gathered back in history order. With a Since, the walk stops at the first
// commit whose record (or the record of a newer commit) says it landed
// before Since: every older commit landed before it.
func AuditStream(ctx context.Context, h History, n Notes, ref string, opt AuditOptions, emit func(*AuditEntry) error) (*AuditResult, error) {
	if opt.Verifier != nil && !validRepo(opt.Repo) {
		return nil, fmt.Errorf("verify records: the repository audited is %q, not owner/name: a record can only be checked against the repository it is in", opt.Repo)
	}
	g := newAuditGather(ctx, opt, emit)
	if !opt.Now.IsZero() && !opt.Since.IsZero() && opt.Now.Before(opt.Since) {
		// Nothing has landed in the future: nothing to read.
		return &g.res, g.finish()
	}
	walkCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	// With a Since the walk may stop soon: read ahead in smaller batches,
	// fewer of them, so that a stop wastes little.
	batchSize, ahead := 256, 4*workers
	if !opt.Since.IsZero() {
		batchSize, ahead = 32, 2*workers
	}
	work := make(chan *auditBatch, workers)
	queue := make(chan *auditBatch, ahead) // in history order
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range work {
				b.run(walkCtx, n, opt.Verifier != nil)
			}
		})
	}
	var stop atomic.Bool
	walked := make(chan error, 1)
	go func() { // the walk: batches to the workers and, in order, to the queue
		defer close(queue)
		defer close(work) // the workers drain work until it closes
		cur := newAuditBatch(batchSize)
		send := func() error {
			select {
			case queue <- cur:
			case <-walkCtx.Done():
				return walkCtx.Err()
			}
			work <- cur
			cur = newAuditBatch(batchSize)
			return nil
		}
		careful := false
		err := h.FirstParent(walkCtx, ref, func(c Commit) error {
			if stop.Load() {
				return errStopWalk
			}
			// Committer dates decide nothing (RangeRule), but past the
			// first one before Since the range has most likely ended: from
			// there each commit is gathered before the next is read, so
			// that the stop wastes no reads.
			if !careful && !opt.Since.IsZero() && !c.Time.IsZero() && c.Time.Before(opt.Since) {
				careful = true
				if len(cur.commits) > 0 {
					if err := send(); err != nil {
						return err
					}
				}
			}
			cur.commits = append(cur.commits, c)
			if careful {
				b := cur
				b.gathered = make(chan struct{})
				if err := send(); err != nil {
					return err
				}
				select {
				case <-b.gathered:
				case <-walkCtx.Done():
					return walkCtx.Err()
				}
				if stop.Load() {
					return errStopWalk
				}
				return nil
			}
			if len(cur.commits) < batchSize {
				return nil
			}
			return send()
		})
		if err == nil && len(cur.commits) > 0 {
			err = send()
		}
		walked <- err
	}()

	var err error
	take := func(b *auditBatch) {
		if err != nil || g.stopped {
			return // drain
		}
		if b.err != nil {
			err = b.err // the first failure in history order
			cancel()    // stop the walk and the workers
			return
		}
		g.res.Warnings = append(g.res.Warnings, b.warnings...)
		for i := range b.entries {
			if err = g.add(&b.entries[i]); err != nil || g.stopped {
				break
			}
		}
		if err != nil || g.stopped {
			stop.Store(true)
			cancel()
		}
	}
	for b := range queue {
		<-b.done
		take(b)
		if b.gathered != nil {
			close(b.gathered) // after take: the walk reads stop next
		}
	}
	wg.Wait()
	werr := <-walked
	if err != nil {
		return nil, err
	}
	if g.stopped {
		werr = nil // the walk was stopped on purpose
	}
	if errors.Is(werr, errStopWalk) {
		werr = nil
	}
	if werr != nil {
		return nil, werr
	}
	if err := g.finish(); err != nil {
		return nil, err
	}
	return &g.res, nil
}

// auditGather takes the classified commits in history order, resolves the
// claims of rebase records, chooses the commits of the range, has their
// records verified in batches and emits them.
type auditGather struct {
	ctx  context.Context
	opt  AuditOptions
	emit func(*AuditEntry) error
	res  AuditResult

	cover   *AuditEntry // the rebase record whose landed commits may follow
	covered map[string]bool

	hi      time.Time // the earliest landing recorded so far: every later commit landed at or before it
	hiSet   bool
	pending []pendingEntry // commits waiting for an older landing to decide
	stopped bool

	out      []AuditEntry // chosen, waiting for their records to be verified
	toVerify int
	stopRec  *Record // the record the walk stopped at
	afterRec *Record // the oldest record that left its commit out as after Until
	months   map[string]*AuditMonth
}

// pendingEntry is a commit without a landing of its own, and the earliest
// landing recorded above it.
type pendingEntry struct {
	e     AuditEntry
	hi    time.Time
	hiSet bool
}

func newAuditGather(ctx context.Context, opt AuditOptions, emit func(*AuditEntry) error) *auditGather {
	g := &auditGather{ctx: ctx, opt: opt, emit: emit, covered: map[string]bool{}, months: map[string]*AuditMonth{}}
	g.hi, g.hiSet = opt.Now, !opt.Now.IsZero()
	g.res.Warnings = []string{}
	g.res.Range = AuditRange{Since: opt.SinceText, Until: opt.UntilText}
	if !opt.Since.IsZero() {
		t := opt.Since.UTC()
		g.res.Range.From = &t
		if g.res.Range.Since == "" {
			g.res.Range.Since = t.Format(time.RFC3339)
		}
	}
	if !opt.Until.IsZero() {
		t := opt.Until.UTC()
		g.res.Range.To = &t
		if g.res.Range.Until == "" {
			g.res.Range.Until = t.Format(time.RFC3339)
		}
	}
	g.res.Range.Rule = "all first-parent history"
	if !opt.Since.IsZero() || !opt.Until.IsZero() {
		g.res.Range.Rule = RangeRule
	}
	if g.opt.VerifyBatch <= 0 {
		g.opt.VerifyBatch = 50
	}
	return g
}

// add takes the next commit of the walk.
func (g *auditGather) add(e *AuditEntry) error {
	g.res.Range.Walked++
	// A rebase merge puts several commits on the branch and records the
	// last; the record names the others, which come after it in the walk.
	// They sit right below it, so the first commit that is not one of them
	// ends the claim: a record cannot vouch for commits further down. One of
	// them with a record of its own (a push record written before GitHub
	// linked the commit to its pull request) keeps that record and does not
	// end the claim.
	if g.covered[e.Commit] {
		if e.Class == ClassNoRecord {
			by := g.cover
			e.Class, e.PR, e.Repo, e.Briefs = by.Class, by.PR, by.Repo, slices.Clone(by.Briefs)
			e.MergedBy, e.Method, e.Head, e.Keys, e.Bypass = by.MergedBy, by.Method, by.Head, by.Keys, by.Bypass
			e.rec, e.Landed = by.rec, by.Landed
			e.Details = append([]string{fmt.Sprintf("landed with the rebase merge of #%d, recorded on %s", by.PR, auditShort(by.Commit))}, by.Details...)
		}
	} else {
		clear(g.covered)
	}
	if len(e.landed) > 0 {
		cp := *e
		g.cover = &cp
		clear(g.covered)
		for _, c := range e.landed {
			g.covered[c] = true
		}
	}
	e.landed = nil

	if e.Landed != nil {
		at := *e.Landed
		if !g.hiSet || at.Before(g.hi) {
			g.hi, g.hiSet = at, true
		}
		if err := g.flush(at, true); err != nil {
			return err
		}
		if err := g.decide(e, g.hi, true, g.hi, true); err != nil {
			return err
		}
		if !g.opt.Since.IsZero() && g.hi.Before(g.opt.Since) {
			g.stopped = true
			g.res.Range.StoppedAt = e.Commit
			t := at.UTC()
			g.res.Range.StoppedLanded = &t
			g.res.Range.StopVerified = VerifiedOffline
			g.stopRec = e.rec
		}
		return nil
	}
	// No landing of its own: it landed at or before g.hi, and at or after
	// the next older recorded landing, not known yet. That matters only for
	// Until, and only while g.hi is not already before it.
	if len(g.pending) == 0 && (g.opt.Until.IsZero() || (g.hiSet && g.hi.Before(g.opt.Until))) {
		return g.decide(e, g.hi, g.hiSet, g.hi, g.hiSet)
	}
	g.pending = append(g.pending, pendingEntry{e: *e, hi: g.hi, hiSet: g.hiSet})
	return nil
}

// flush decides the pending commits now that the next older landing is
// known (loSet false: there is none, the walk reached the root).
func (g *auditGather) flush(lo time.Time, loSet bool) error {
	for i := range g.pending {
		p := &g.pending[i]
		l, ls := lo, loSet
		if ls && p.hiSet && p.hi.Before(l) {
			l = p.hi // the records disagree: keep the earlier
		}
		if err := g.decide(&p.e, l, ls, p.hi, p.hiSet); err != nil {
			return err
		}
	}
	g.pending = g.pending[:0]
	return nil
}

// decide keeps e when it may have landed in the range: at or before hi, at
// or after lo.
func (g *auditGather) decide(e *AuditEntry, lo time.Time, loSet bool, hi time.Time, hiSet bool) error {
	if !g.opt.Since.IsZero() && hiSet && hi.Before(g.opt.Since) {
		return nil
	}
	if !g.opt.Until.IsZero() && loSet && !lo.Before(g.opt.Until) {
		g.res.Range.After++
		if e.Landed != nil {
			// Its own record says it landed after the range (lo is at most
			// its landing): the oldest such record decides what is left out.
			g.res.Range.AfterAt, g.res.Range.AfterVerified, g.afterRec = e.Commit, VerifiedOffline, e.rec
		}
		return nil
	}
	if g.opt.Verifier == nil {
		e.Verified = VerifiedOffline
		return g.send(e)
	}
	e.Verified = VerifiedNothing
	if e.rec != nil {
		g.toVerify++
	}
	g.out = append(g.out, *e)
	if g.toVerify >= g.opt.VerifyBatch || len(g.out) >= 4096 {
		return g.verify()
	}
	return nil
}

// verify has the records of the waiting entries checked, in one call, and
// emits the entries.
func (g *auditGather) verify() error {
	var recs []Record
	var idx []int
	for i := range g.out {
		if g.out[i].rec != nil {
			recs = append(recs, *g.out[i].rec)
			idx = append(idx, i)
		}
	}
	if len(recs) > 0 {
		diffs, err := g.check(recs)
		if err != nil {
			return err
		}
		for k, i := range idx {
			e := &g.out[i]
			if len(diffs[k]) == 0 {
				e.Verified = VerifiedYes
				continue
			}
			e.Verified, e.Class = VerifiedContradicted, ClassUnverified
			e.Details = append(append([]string{}, diffs[k]...), e.Details...)
		}
	}
	for i := range g.out {
		if err := g.send(&g.out[i]); err != nil {
			return err
		}
	}
	clear(g.out)
	g.out, g.toVerify = g.out[:0], 0
	return nil
}

// check has the verifier check recs, and contradicts without asking the
// records that name another repository than the one audited.
func (g *auditGather) check(recs []Record) ([][]string, error) {
	diffs := make([][]string, len(recs))
	var ask []Record
	var idx []int
	for i, r := range recs {
		if !strings.EqualFold(r.Repo, g.opt.Repo) {
			diffs[i] = []string{fmt.Sprintf("the record names repository %s, not %s, the repository audited: a merge there says nothing of how this commit reached %s", auditOrNone(r.Repo), g.opt.Repo, g.opt.Repo)}
			continue
		}
		ask = append(ask, r)
		idx = append(idx, i)
	}
	if len(ask) == 0 {
		return diffs, nil
	}
	got, err := g.opt.Verifier.VerifyRecords(g.ctx, ask)
	if err != nil {
		return nil, fmt.Errorf("verify records: %w", err)
	}
	if len(got) != len(ask) {
		return nil, fmt.Errorf("verify records: %d answers for %d records", len(got), len(ask))
	}
	for k, i := range idx {
		diffs[i] = got[k]
	}
	return diffs, nil
}

// validRepo reports whether s reads as owner/name.
func validRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && owner != "" && name != "" && !strings.Contains(name, "/")
}

// send counts e and emits it.
func (g *auditGather) send(e *AuditEntry) error {
	e.rec = nil
	if e.Landed != nil {
		e.Month = e.Landed.UTC().Format("2006-01")
	} else {
		e.Month = e.Date.UTC().Format("2006-01")
	}
	g.res.Summary.add(e.Class)
	m := g.months[e.Month]
	if m == nil {
		m = &AuditMonth{Month: e.Month}
		g.months[e.Month] = m
	}
	m.add(e.Class)
	if g.res.Range.Newest == "" {
		g.res.Range.Newest = e.Commit
	}
	g.res.Range.Oldest = e.Commit
	return g.emit(e)
}

// finish decides what waits and sums up.
func (g *auditGather) finish() error {
	if !g.stopped {
		if err := g.flush(time.Time{}, false); err != nil {
			return err
		}
	}
	if len(g.out) > 0 {
		if err := g.verify(); err != nil {
			return err
		}
	}
	// The records that bound a range are checked too: a forged landing
	// time must not move commits out of it unseen.
	for _, b := range []struct {
		rec      *Record
		verified *string
		warning  string
	}{
		{g.stopRec, &g.res.Range.StopVerified, "the walk stopped at %s, whose record says it landed before the range, but %s: commits below it may have landed in the range; audit without --since"},
		{g.afterRec, &g.res.Range.AfterVerified, "%s was left out as landed after the range, as its record says, but %s: it and commits above it may have landed in the range; audit without --until"},
	} {
		if b.rec == nil || g.opt.Verifier == nil {
			continue
		}
		diffs, err := g.check([]Record{*b.rec})
		if err != nil {
			return err
		}
		*b.verified = VerifiedYes
		if len(diffs) == 1 && len(diffs[0]) > 0 {
			*b.verified = VerifiedContradicted
			g.res.Warnings = append(g.res.Warnings, fmt.Sprintf(b.warning, auditShort(b.rec.Commit), strings.Join(diffs[0], "; ")))
		}
	}
	g.res.Months = make([]AuditMonth, 0, len(g.months))
	for _, m := range g.months {
		g.res.Months = append(g.res.Months, *m)
	}
	sort.Slice(g.res.Months, func(i, j int) bool { return g.res.Months[i].Month > g.res.Months[j].Month })
	return nil
}

// auditBatch is a run of consecutive commits of the walk, classified by one
// worker.
type auditBatch struct {
	commits  []Commit
	entries  []AuditEntry
	warnings []string
	err      error
	done     chan struct{}
	gathered chan struct{} // when not nil, closed once the gather took the batch
}

func newAuditBatch(size int) *auditBatch {
	return &auditBatch{commits: make([]Commit, 0, size), done: make(chan struct{})}
}

// run reads the note of each commit, parses its records and classifies it,
// keeping the record that decides when keep (for the verifier).
func (b *auditBatch) run(ctx context.Context, n Notes, keep bool) {
	defer close(b.done)
	if b.err = ctx.Err(); b.err != nil {
		return
	}
	b.entries = make([]AuditEntry, 0, len(b.commits))
	var recs []Record // reused: classifyNote keeps nothing of it but the decisive record
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
		e := classifyNote(c.Hash, recs, skipped, keep)
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

// classifyNote classifies commit from the records of its note and the
// number of its lines that are not records: a note with lines but no
// record is present but unreadable, never "no record".
func classifyNote(commit string, recs []Record, skipped int, keep bool) AuditEntry {
	if len(recs) == 0 && skipped > 0 {
		return AuditEntry{Commit: commit, Class: ClassInvalidRecord, Briefs: []int{}, Keys: []AuditKey{},
			Details: []string{fmt.Sprintf("note present but unreadable: its %d line(s) are not twokey records", skipped)}}
	}
	return classify(commit, recs, keep)
}

// ClassifyRecords classifies commit from the records in its note. Date and
// Subject of the result are left for the caller.
//
// A record that names another commit (its "commit" field) does not count:
// it was copied onto this one (git notes copy, notes.rewriteRef on a rebase
// or amend) and says nothing about what this commit went through. It is
// named in Details.
//
// A record that is not whole (see RecordProblems) makes the commit
// invalid_record, whatever the others say: it is not evidence, and a record
// of a schema version this twokey does not know cannot be read as one.
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
	return classify(commit, recs, false)
}

// classify is ClassifyRecords, keeping the merge record that decides in the
// entry when keep.
func classify(commit string, recs []Record, keep bool) AuditEntry {
	e := AuditEntry{Commit: commit, Briefs: []int{}, Keys: []AuditKey{}, Details: []string{}}
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
	var invalid []string
	for _, r := range recs {
		if p := RecordProblems(r); len(p) > 0 {
			what := "a record"
			if r.Type != "" {
				what = "the " + r.Type + " record"
			}
			if r.PR != 0 {
				what += fmt.Sprintf(" of #%d", r.PR)
			}
			invalid = append(invalid, fmt.Sprintf("%s is not whole: %s", what, strings.Join(p, "; ")))
		}
	}
	if len(invalid) > 0 {
		r := recs[0]
		e.Class, e.PR, e.Repo = ClassInvalidRecord, r.PR, r.Repo
		if r.Briefs != nil {
			e.Briefs = slices.Clone(r.Briefs)
		}
		e.Details = append(invalid, e.Details...)
		return e
	}
	r := pickRecord(recs)
	if len(recs) > 1 {
		e.Details = append(e.Details, fmt.Sprintf("%d records on this commit; the %s record of %s decides", len(recs), r.Type, r.MergedAt.UTC().Format(time.RFC3339)))
	}
	e.PR, e.Repo, e.MergedBy, e.Method, e.Head = r.PR, r.Repo, r.MergedBy, r.Method, r.Head
	// The times of the keys and of the landing, in one allocation.
	times := make([]time.Time, len(r.Signoffs)+1)
	if len(r.Signoffs) > 0 {
		e.Keys = make([]AuditKey, 0, len(r.Signoffs))
	}
	for i, s := range r.Signoffs {
		k := AuditKey{Kind: s.Kind, Login: s.Login, SHA: s.SHA, Via: s.Via, URL: s.URL, SameTree: s.SameTree}
		if !s.At.IsZero() {
			times[i] = s.At.UTC()
			k.At = &times[i]
		}
		e.Keys = append(e.Keys, k)
	}
	if r.Type == RecordMerge {
		if !r.MergedAt.IsZero() {
			times[len(times)-1] = r.MergedAt.UTC()
			e.Landed = &times[len(times)-1]
		}
		if keep {
			rec := r
			e.rec = &rec
		}
		if len(r.Landed) > 0 {
			e.landed = make([]string, len(r.Landed))
			for i, c := range r.Landed {
				e.landed[i] = strings.ToLower(strings.Clone(c))
			}
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
		e.Bypass = r.Reason
		msg := "merged without a passing gate by " + auditOrNone(r.MergedBy)
		if r.Reason != "" {
			msg += ": " + r.Reason
		}
		e.Details = append([]string{msg}, e.Details...)
	}
	return e
}

// RecordProblems says what makes r not a whole record of a schema version
// this twokey reads; nil when it is one. Every record twokey has written is
// whole: version 1; a type, a commit and a verdict; and for a merge record
// the pull request, the head the gate judged, the required kinds and the
// sign-offs (each with a kind, a signer, a commit and how it was given).
// Fields twokey does not know are not problems: a later version may add
// optional ones.
func RecordProblems(r Record) []string {
	if r.V != 1 {
		return []string{fmt.Sprintf("schema version %d is not one this twokey reads (1): audit with a twokey that knows it", r.V)}
	}
	if r.Type != RecordMerge && r.Type != RecordPush {
		return []string{fmt.Sprintf("type %q is not one twokey writes (merge, push)", r.Type)}
	}
	var p []string
	if r.Commit == "" {
		p = append(p, "no commit (which commit landed)")
	}
	if r.Verdict == "" {
		p = append(p, "no verdict")
	}
	if r.Type == RecordPush {
		return p
	}
	if r.PR <= 0 {
		p = append(p, "no pull request number")
	}
	if r.Head == "" {
		p = append(p, "no head (which commit the gate judged)")
	}
	if r.Required == nil {
		p = append(p, "no required kinds")
	}
	if r.Signoffs == nil {
		p = append(p, "no sign-offs")
	}
	if len(r.Landed) > 0 && r.Method != "rebase" {
		// Only a rebase merge lands several commits; the audit classes
		// the commits a record names with it.
		p = append(p, fmt.Sprintf("it names %d other commits that landed with it, but its method is %s, not rebase", len(r.Landed), auditOrNone(r.Method)))
	}
	for i, s := range r.Signoffs {
		var miss []string
		if s.Kind == "" {
			miss = append(miss, "kind")
		}
		if s.Login == "" {
			miss = append(miss, "login")
		}
		if s.SHA == "" {
			miss = append(miss, "sha")
		}
		if s.Via != ViaReview && s.Via != ViaComment {
			miss = append(miss, "via (review or comment)")
		}
		if len(miss) > 0 {
			p = append(p, fmt.Sprintf("sign-off %d has no %s", i+1, strings.Join(miss, ", ")))
		}
	}
	return p
}

// recordOf reports whether record r was written for commit: it names it, or
// names no commit at all (a record that is not whole, see RecordProblems),
// or the caller does not know the commit.
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
