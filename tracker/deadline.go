package tracker

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DeadlinePolicy ties sign-off deadlines to a brief's own deadline: every
// pending key is due no later than Margin (business time) before the date
// the brief's BriefField answers, read as YYYY-MM-DD at the start of that
// day in the calendar's zone. An empty BriefField turns this off.
//
// Passed says what an open brief whose deadline has passed gets: a warning
// finding in its comment (PassedWarning, the default), an error finding that
// labels it needs-info (PassedNeedsInfo), or nothing (PassedOff).
type DeadlinePolicy struct {
	BriefField string `yaml:"brief_field"`
	Margin     string `yaml:"margin"`
	Passed     string `yaml:"passed"`

	margin workSpan
	pos    srcPos // of brief_field, for FitPolicyToForm
}

// defaultMargin is deadlines.margin when a deadlines: section leaves it out.
const defaultMargin = "0 working days"

// Values of deadlines.passed.
const (
	PassedWarning   = "warning"    // a warning finding: the brief stays ready
	PassedNeedsInfo = "needs_info" // an error finding: the brief needs info
	PassedOff       = "off"        // nothing
)

// checkTime validates the calendar, deadlines and freeze sections and the
// kinds' due: keys (see checkGate for how sections that did not decode are
// skipped).
func (p *Policy) checkTime(s *policySource) ConfigErrors {
	var errs ConfigErrors
	if !s.bad["calendar"] {
		errs = append(errs, p.Calendar.check(s)...)
	}
	if !s.bad["kinds"] {
		for _, name := range p.KindOrder {
			k := p.Kinds[name]
			if k == nil || k.Due == "" {
				continue
			}
			w, ok := parseSpan(k.Due)
			if !ok {
				errs = append(errs, s.errAt(fmt.Sprintf("kind %q: due %q must be written N working days or N working hours, e.g. \"2 working days\"", name, k.Due), "kinds", name, "due"))
				continue
			}
			k.due = &w
		}
	}
	if !s.bad["deadlines"] {
		d := &p.Deadlines
		d.BriefField = strings.TrimSpace(d.BriefField)
		d.pos = s.pos("deadlines", "brief_field")
		if d.Margin == "" {
			d.Margin = defaultMargin
		}
		w, ok := parseSpan(d.Margin)
		if !ok {
			errs = append(errs, s.errAt(fmt.Sprintf("deadlines.margin %q must be written N working days or N working hours, e.g. \"1 working day\"", d.Margin), "deadlines", "margin"))
		}
		d.margin = w
		switch d.Passed = strings.TrimSpace(d.Passed); d.Passed {
		case "":
			d.Passed = PassedWarning
		case PassedWarning, PassedNeedsInfo, PassedOff:
		default:
			errs = append(errs, s.errAt(fmt.Sprintf("deadlines.passed %q must be %s (a warning in the brief's comment), %s (the brief is labelled needs-info until its deadline is moved) or %s", d.Passed, PassedWarning, PassedNeedsInfo, PassedOff), "deadlines", "passed"))
		}
	}
	if !s.bad["freeze"] {
		errs = append(errs, p.checkFreeze(s)...)
	}
	return errs
}

// TimeFacts is what the caller knows about a pull request's timeline that
// the gate's time rules need, all in GitHub's times.
type TimeFacts struct {
	PR     *PullRequest
	Briefs []LinkedBrief
	// Draft says the pull request is a draft: no key is due yet.
	Draft bool
	// ReadyAt is when the pull request became ready: the later of when it
	// was opened (or last marked ready for review) and when its brief was
	// linked and ready. Zero when it is not ready, or not known: no key is
	// due then.
	ReadyAt time.Time
	// RequiredSince is, for a kind that became required after ReadyAt (a
	// label added later), when it did; its clock starts then.
	RequiredSince map[string]time.Time
}

// TimeVerdict is what the time rules add to a verdict: the freeze the pull
// request is in, and when each pending key is due.
type TimeVerdict struct {
	// Now is the time judged at: GitHub's clock, never the runner's.
	Now time.Time
	// Freeze is the freeze window that holds, or was lifted, at Now; nil
	// when none does.
	Freeze *Freeze
	// ReadyAt is TimeFacts.ReadyAt, kept for the merge record.
	ReadyAt time.Time
	// Due lists the pending kinds that have a due time, in Required order.
	Due []Due
	// Next is the first time after Now at which these rules can judge the
	// pull request differently, as it stands: a freeze window in its scope
	// begins or ends, a key falls due, or (under deadlines.passed:
	// needs_info) a linked brief's deadline passes. Zero when none will. A caller
	// that re-checks on a schedule need not judge it again before then
	// unless something else changed.
	Next time.Time
}

// Due is when a pending kind's key is due, and whether that has passed.
type Due struct {
	Kind string
	At   time.Time
	Zone *time.Location
	// Since is when the kind's clock started: when the pull request became
	// ready for it.
	Since time.Time
	// Why says what set the time: "2 working days after it was ready" or
	// "1 working day before the deadline of brief #12 (2026-03-31)".
	Why string
	// Overdue is true when Now is at or after At.
	Overdue bool
	// Mentions are who to tell when it is overdue: the kind's listed users
	// and teams, as @login and @org/slug. Empty for a kind given by
	// permission alone.
	Mentions []string
}

// ApplyTime applies the policy's time rules to verdict v of the pull
// request in facts, at now (GitHub's clock): it finds the freeze window that
// holds (turning a passing verdict pending, unless the window's override
// kind is signed off on the head or a bypass is declared), and the due time
// of each pending key. It sets v.Time; call it once per verdict, after
// Evaluate.
//
// Nothing here changes which keys count or what merges once the freeze is
// over: deadlines only make waiting visible.
func ApplyTime(v *Verdict, p *Policy, f TimeFacts, now time.Time) error {
	if v == nil || p == nil || f.PR == nil {
		return errors.New("apply time: verdict, policy and pull request are required")
	}
	if now.IsZero() {
		return fmt.Errorf("pull request %s#%d: apply time: no time given (the Date of GitHub's answers)", v.Repo, v.Number)
	}
	if v.Time != nil {
		return fmt.Errorf("pull request %s#%d: time rules are already applied to this verdict", v.Repo, v.Number)
	}
	t := &TimeVerdict{Now: now, ReadyAt: f.ReadyAt}
	v.Time = t
	t.Freeze = freezeAt(p, f.PR, f.Briefs, v, now)
	if t.Freeze != nil && t.Freeze.Override == nil && v.State == StateSuccess {
		v.State = StatePending
	}

	defer func() { t.Next = t.next(p, f) }()
	satisfied := map[string]bool{}
	for _, r := range v.Kinds {
		if r.Status == KindSatisfied {
			satisfied[r.Kind] = true
		}
	}
	for _, d := range DueTimes(v, p, f, now) {
		if !satisfied[d.Kind] {
			t.Due = append(t.Due, d)
		}
	}
	return nil
}

// DueTimes computes when the key of each kind v requires is due, by the
// rules ApplyTime uses for pending keys (the kind's due: after the pull
// request became ready for it, the linked briefs' deadline less the margin,
// whichever is sooner), whether or not the kind is satisfied: the merge
// record keeps them, so that a report can tell a key turned late. Overdue
// is set against now. None is due while the pull request is a draft, not
// ready, or not linked to a ready brief; a kind with neither rule has no
// due time and is left out. The result is in v.Kinds order.
func DueTimes(v *Verdict, p *Policy, f TimeFacts, now time.Time) []Due {
	if v == nil || p == nil || f.PR == nil {
		return nil
	}
	linked := v.Link.Status == LinkSatisfied || v.Link.Status == LinkWaived || v.Link.Status == LinkNotRequired
	if f.Draft || f.ReadyAt.IsZero() || !linked {
		return nil
	}
	var out []Due
	cal := &p.Calendar
	deadline, brief := briefDeadline(p, f.Briefs, f.PR.Repo)
	for _, r := range v.Kinds {
		k := p.Kinds[r.Kind]
		since := f.ReadyAt
		if at, ok := f.RequiredSince[r.Kind]; ok && at.After(since) {
			since = at
		}
		d := Due{Kind: r.Kind, Since: since, Zone: cal.Location()}
		if k != nil && k.due != nil {
			d.At = cal.add(since, *k.due)
			d.Why = fmt.Sprintf("%s after it was ready for %s", k.due, r.Kind)
		}
		if !deadline.IsZero() {
			if at := cal.sub(deadline, p.Deadlines.margin); d.At.IsZero() || at.Before(d.At) {
				d.At = at
				d.Why = fmt.Sprintf("%s before the deadline of brief %s (%s)", p.Deadlines.margin, brief, deadline.Format("2006-01-02"))
				if p.Deadlines.margin.n == 0 {
					d.Why = fmt.Sprintf("the deadline of brief %s (%s)", brief, deadline.Format("2006-01-02"))
				}
			}
		}
		if d.At.IsZero() {
			continue
		}
		d.Overdue = !now.Before(d.At)
		if k != nil {
			for _, u := range k.Users {
				d.Mentions = append(d.Mentions, "@"+u)
			}
			for _, tm := range k.Teams {
				d.Mentions = append(d.Mentions, "@"+tm)
			}
		}
		out = append(out, d)
	}
	return out
}

// briefDeadline is the earliest deadline the linked briefs answer (at the
// start of that day in the calendar's zone), and which brief it is, or zero.
func briefDeadline(p *Policy, briefs []LinkedBrief, repo string) (time.Time, string) {
	field := p.Deadlines.BriefField
	if field == "" {
		return time.Time{}, ""
	}
	var best time.Time
	var which string
	for _, b := range briefs {
		if !b.Found || b.Brief == nil {
			continue
		}
		d, ok := parseDate(b.Brief.Answer(field).textOrEmpty())
		if !ok {
			continue
		}
		if at := d.at(0, p.Calendar.Location()); best.IsZero() || at.Before(best) {
			best, which = at, briefRef(repo, b.Repo, b.Number)
		}
	}
	return best, which
}

// DeadlinePassesAt is when the deadline brief b answers in
// deadlines.brief_field has passed: the start of the day after it, in the
// calendar's zone (the deadline day itself is still in time), and the date as
// written. ok is false when the policy reads no deadline from briefs or b's
// answer is not a YYYY-MM-DD date.
func (p *Policy) DeadlinePassesAt(b *Brief) (at time.Time, date string, ok bool) {
	if p == nil || b == nil || p.Deadlines.BriefField == "" {
		return time.Time{}, "", false
	}
	d, ok := parseDate(b.Answer(p.Deadlines.BriefField).textOrEmpty())
	if !ok {
		return time.Time{}, "", false
	}
	return d.addDays(1).at(0, p.Calendar.Location()), d.String(), true
}

// deadlinePassedFinding is the finding of a brief whose deadline has passed
// at now, as deadlines.passed says; nil when it has not, or the policy says
// off.
func deadlinePassedFinding(p *Policy, b *Brief, now time.Time) *Finding {
	if p == nil || now.IsZero() || p.Deadlines.Passed == PassedOff {
		return nil
	}
	at, date, ok := p.DeadlinePassesAt(b)
	if !ok || now.Before(at) {
		return nil
	}
	sev := SeverityWarning
	if p.Deadlines.Passed == PassedNeedsInfo {
		sev = SeverityError
	}
	return &Finding{
		Field: p.Deadlines.BriefField, Rule: RuleDeadlinePassed, Severity: sev,
		Message: fmt.Sprintf("the deadline %s has passed: update it or close the brief", date),
		Why:     "A brief past its deadline is either still wanted, and needs a date that can be planned for (the sign-offs of its pull requests fall due by it), or done with, and can be closed.",
	}
}

func (v *Value) textOrEmpty() string {
	if v == nil {
		return ""
	}
	return v.Text
}

// Overdue returns the pending kinds whose keys are past due.
func (t *TimeVerdict) Overdue() []Due {
	if t == nil {
		return nil
	}
	var out []Due
	for _, d := range t.Due {
		if d.Overdue {
			out = append(out, d)
		}
	}
	return out
}

// When formats t for people in zone loc: "Mon 9 Mar 2026 09:00 CET
// (Europe/Berlin)".
func When(t time.Time, loc *time.Location) string {
	return whenAs(t, loc, "Mon 2 Jan 2006 15:04 MST")
}

// whenAs formats t in zone loc with layout, naming the zone when its
// abbreviation does not.
func whenAs(t time.Time, loc *time.Location, layout string) string {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	s := lt.Format(layout)
	if name := loc.String(); name != lt.Format("MST") {
		s += " (" + name + ")"
	}
	return s
}

// OverdueMarker is the hidden line twokey puts in the comment that tells
// a kind's signers their key is overdue; it names the kind and the due time,
// so that the action, reading only its own comments, tells the same people
// once per due time.
func OverdueMarker(kind string, due time.Time) string {
	return fmt.Sprintf("<!-- twokey:overdue kind=%s due=%s -->", kind, due.UTC().Format(time.RFC3339))
}

// OverdueNotice is the comment that tells d's signers their key is overdue
// on v's pull request: who, what is waiting and since when, and how to sign.
// It starts with OverdueMarker.
func (v *Verdict) OverdueNotice(d Due) string {
	var b strings.Builder
	b.WriteString(OverdueMarker(d.Kind, d.At) + "\n")
	who := "Signers of " + d.Kind
	if len(d.Mentions) > 0 {
		who = strings.Join(d.Mentions, " ")
	}
	how := "approve the pull request or comment `/signoff " + d.Kind + "`"
	for _, r := range v.Kinds {
		if r.Kind == d.Kind && r.How != "" {
			how = r.How
		}
	}
	fmt.Fprintf(&b, "%s: the **%s** sign-off on `%s` was due %s (%s) and is still waiting; the pull request has been ready for it since %s. To give it, %s.\n",
		who, d.Kind, short(v.Head), When(d.At, d.Zone), d.Why, When(d.Since, d.Zone), how)
	return b.String()
}

// overdueLabels are the "overdue: {kind}" labels: wanted for each overdue
// kind, owned for every kind.
func (v *Verdict) overdueLabels() (want, owned []string) {
	l := v.labels.Overdue
	if l == "" {
		return nil, nil
	}
	overdue := map[string]bool{}
	for _, d := range v.Time.Overdue() {
		overdue[d.Kind] = true
	}
	for _, k := range v.allKinds {
		name := strings.ReplaceAll(l, "{kind}", k)
		owned = append(owned, name)
		if overdue[k] {
			want = append(want, name)
		}
	}
	return want, owned
}

// frozen returns the freeze that holds v, nil when none does or it is
// lifted.
func (v *Verdict) frozen() *Freeze {
	if v.Time == nil || v.Time.Freeze == nil || v.Time.Freeze.Override != nil {
		return nil
	}
	return v.Time.Freeze
}

// whenShort is When without the year, for the 140 characters of a status.
func whenShort(t time.Time, loc *time.Location) string {
	return whenAs(t, loc, "Mon 2 Jan 15:04 MST")
}

// next computes TimeVerdict.Next.
func (t *TimeVerdict) next(p *Policy, f TimeFacts) time.Time {
	var next time.Time
	consider := func(at time.Time) {
		if at.After(t.Now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	if t.Freeze != nil {
		consider(t.Freeze.Until)
	}
	for _, w := range scopedWindows(p, f.PR, f.Briefs) {
		consider(w.nextStart(t.Now))
		if end, ok := w.holdsAt(t.Now); ok {
			consider(end) // a window that follows on may show another reason
		}
	}
	for _, d := range t.Due {
		consider(d.At)
	}
	if p.Deadlines.Passed == PassedNeedsInfo {
		// A linked brief whose deadline passes needs info from then on,
		// and the pull request waits for it.
		for _, b := range f.Briefs {
			if b.Found && b.Brief != nil {
				if at, _, ok := p.DeadlinePassesAt(b.Brief); ok {
					consider(at)
				}
			}
		}
	}
	return next
}
