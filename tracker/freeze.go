package tracker

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// FreezeWindow is one entry of the policy's freeze: list: a time in which
// pull requests in its scope do not merge, whatever their keys.
//
// A window is one of three shapes:
//   - recurring: From and To are a weekday and a time, "Fri 15:00" and
//     "Mon 09:00", and the window holds every week from one to the other;
//   - dated: From and To are dates, "2026-12-24", or a date and a time,
//     "2026-12-24 12:00"; a To without a time includes that whole day;
//   - Holidays: true: the window holds on every holiday of the calendar.
//
// Times are wall clock times in Zone (the calendar's zone when empty). The
// scope is every pull request, or, like a require rule's conditions, those
// that change a file matching Paths, have one of Labels (on the pull request
// or a linked brief) and link a brief whose answer satisfies Brief. Override
// names a kind whose `/signoff <kind>` on the head lifts the window for that
// pull request; a declared /bypass lifts it too.
type FreezeWindow struct {
	Reason   string     `yaml:"reason"`
	From     string     `yaml:"from"`
	To       string     `yaml:"to"`
	Holidays bool       `yaml:"holidays"`
	Zone     string     `yaml:"zone"`
	Paths    []string   `yaml:"paths"`
	Labels   []string   `yaml:"labels"`
	Brief    *Condition `yaml:"brief"`
	Override string     `yaml:"override"`

	shape        windowShape
	loc          *time.Location
	fromW, toW   time.Weekday // recurring
	fromS, toS   int          // recurring: seconds after midnight
	fromT, toT   time.Time    // dated
	timed        bool         // zone, from and to read well
	calendarDays *Calendar    // for holidays: true
}

type windowShape int

const (
	shapeUnknown windowShape = iota
	shapeWeekly
	shapeDated
	shapeHolidays
)

// week is the length of a recurring window's cycle, in seconds.
const week = 7 * 24 * 3600

// parseWeekTime reads "Fri 15:00".
func parseWeekTime(s string) (time.Weekday, int, bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false
	}
	d, ok1 := parseWeekday(f[0])
	sec, ok2 := parseClock(f[1])
	return d, sec, ok1 && ok2 && sec < 24*3600
}

// parseDateTime reads "2026-12-24" (dateOnly) or "2026-12-24 12:00" in loc.
func parseDateTime(s string, loc *time.Location) (t time.Time, dateOnly, ok bool) {
	f := strings.Fields(strings.Replace(strings.TrimSpace(s), "T", " ", 1))
	if len(f) == 0 || len(f) > 2 {
		return time.Time{}, false, false
	}
	d, ok := parseDate(f[0])
	if !ok {
		return time.Time{}, false, false
	}
	if len(f) == 1 {
		return d.at(0, loc), true, true
	}
	sec, ok := parseClock(f[1])
	if !ok {
		return time.Time{}, false, false
	}
	return d.at(sec, loc), false, true
}

// checkFreeze validates the freeze windows against the calendar and kinds.
func (p *Policy) checkFreeze(s *policySource) ConfigErrors {
	var errs ConfigErrors
	for i := range p.Freeze {
		w := &p.Freeze[i]
		n := i + 1
		add := func(msg string, path ...any) {
			errs = append(errs, s.errAt(fmt.Sprintf("freeze window %d: %s", n, msg), append([]any{"freeze", i}, path...)...))
		}
		w.calendarDays = &p.Calendar
		if strings.TrimSpace(w.Reason) == "" {
			add("has no reason: write reason: (people see it on every pull request it holds, e.g. \"no launches over the weekend: nobody is on call to roll back\")")
		}
		before := len(errs) // errors from here to timingErrs are in zone, from and to
		w.loc = p.Calendar.Location()
		if w.Zone != "" {
			loc, err := LoadZone(w.Zone)
			if err != nil {
				add("zone: "+err.Error(), "zone")
			} else {
				w.loc = loc
			}
		}
		switch {
		case w.Holidays && (w.From != "" || w.To != ""):
			add("holidays: true holds on the calendar's holidays; a window with from: and to: is written as a window of its own", "holidays")
		case w.Holidays:
			w.shape = shapeHolidays
		case w.From == "" || w.To == "":
			add("needs from: and to: (\"Fri 15:00\" and \"Mon 09:00\" every week, or dates such as 2026-12-24 and 2027-01-01 09:00), or holidays: true")
		default:
			fw, fs, wOK := parseWeekTime(w.From)
			tw, ts, tOK := parseWeekTime(w.To)
			ft, _, fdOK := parseDateTime(w.From, w.loc)
			tt, toDate, tdOK := parseDateTime(w.To, w.loc)
			switch {
			case wOK && tOK:
				w.shape, w.fromW, w.fromS, w.toW, w.toS = shapeWeekly, fw, fs, tw, ts
				if fw == tw && fs == ts {
					add(fmt.Sprintf("from %q and to %q are the same time: the window is empty", w.From, w.To), "to")
				}
			case fdOK && tdOK:
				if toDate {
					tt = dateOf(tt).addDays(1).at(0, w.loc) // the whole last day
				}
				w.shape, w.fromT, w.toT = shapeDated, ft, tt
				switch {
				case tt.Before(ft):
					add(fmt.Sprintf("ends (%s) before it starts (%s)", w.To, w.From), "to")
				case tt.Equal(ft):
					add(fmt.Sprintf("from %q and to %q are the same time: the window is empty", w.From, w.To), "to")
				}
			case (wOK || fdOK) && (tOK || tdOK):
				add(fmt.Sprintf("from %q and to %q mix a weekday and a date: write both as \"Fri 15:00\" (every week) or both as dates (once)", w.From, w.To), "to")
			case !wOK && !fdOK:
				add(fmt.Sprintf("from %q is neither a weekday and time (\"Fri 15:00\") nor a date (\"2026-12-24\" or \"2026-12-24 15:00\")", w.From), "from")
			default:
				add(fmt.Sprintf("to %q is neither a weekday and time (\"Mon 09:00\") nor a date (\"2027-01-01\" or \"2027-01-01 09:00\")", w.To), "to")
			}
		}
		timingErrs := len(errs) - before
		for j, g := range w.Paths {
			if g == "" || !doublestar.ValidatePattern(g) {
				add(fmt.Sprintf("path %q is not a valid glob (doublestar syntax: docs/**, **/*.css, {a,b}/*)", g), "paths", j)
			}
		}
		for j, l := range w.Labels {
			if strings.TrimSpace(l) == "" {
				add("has an empty label", "labels", j)
			}
		}
		if w.Brief != nil {
			w.Brief.pos = s.pos("freeze", i, "brief")
			if w.Brief.Field == "" {
				add("brief: condition names no field: write {field: ID, is: VALUE}", "brief")
			}
			if w.Brief.Is == "" && w.Brief.IsNot == "" {
				add("brief: condition needs is: VALUE or is_not: VALUE", "brief")
			}
		}
		if w.Override != "" && !s.bad["kinds"] {
			if k, ok := p.kindNamed(w.Override); ok {
				w.Override = k
			} else {
				add(fmt.Sprintf("override %q is not a kind defined under kinds: (defined: %s); define it there with the people who may lift a freeze", w.Override, strings.Join(p.KindOrder, ", ")), "override")
			}
		}
		// Overlaps are looked for among windows whose times read well,
		// whatever else is wrong with them.
		w.timed = timingErrs == 0 && w.shape != shapeUnknown
		if !w.timed {
			continue
		}
		for j := range i {
			o := &p.Freeze[j]
			if o.timed && overlaps(o, w) {
				add(fmt.Sprintf("overlaps freeze window %d (%s) with the same scope: make them one window, or change one of them", j+1, o.describe()))
				break
			}
		}
	}
	return errs
}

// overlaps reports whether two windows of the same shape, zone and scope
// share any time. Windows of different scopes may overlap (a payments freeze
// during the weekend freeze); so may a dated and a recurring window (a
// holiday on a Friday), which is the point of having both.
func overlaps(a, b *FreezeWindow) bool {
	if a.shape != b.shape || a.loc.String() != b.loc.String() || !sameScope(a, b) {
		return false
	}
	switch a.shape {
	case shapeDated:
		return a.fromT.Before(b.toT) && b.fromT.Before(a.toT)
	case shapeHolidays:
		return true
	case shapeWeekly:
		for _, x := range a.weekSpans() {
			for _, y := range b.weekSpans() {
				if x[0] < y[1] && y[0] < x[1] {
					return true
				}
			}
		}
	}
	return false
}

// weekSpans is a recurring window as one or two [start, end) spans of
// seconds from Sunday 00:00 (two when it runs over the end of the week).
func (w *FreezeWindow) weekSpans() [][2]int {
	from, to := int(w.fromW)*86400+w.fromS, int(w.toW)*86400+w.toS
	if from < to {
		return [][2]int{{from, to}}
	}
	return [][2]int{{from, week}, {0, to}}
}

func sameScope(a, b *FreezeWindow) bool {
	norm := func(ss []string) []string {
		out := slices.Clone(ss)
		slices.Sort(out)
		return slices.Compact(out)
	}
	cond := func(c *Condition) Condition {
		if c == nil {
			return Condition{}
		}
		return Condition{Field: c.Field, Is: c.Is, IsNot: c.IsNot}
	}
	return slices.Equal(norm(a.Paths), norm(b.Paths)) && slices.Equal(norm(a.Labels), norm(b.Labels)) && cond(a.Brief) == cond(b.Brief)
}

// describe says how the window is written, for people: "Fri 15:00 → Mon
// 09:00 every week (Europe/Berlin)".
func (w *FreezeWindow) describe() string {
	zone := w.loc.String()
	switch w.shape {
	case shapeWeekly:
		return fmt.Sprintf("%s %s → %s %s every week (%s)", w.fromW.String()[:3], clock(w.fromS), w.toW.String()[:3], clock(w.toS), zone)
	case shapeDated:
		return fmt.Sprintf("%s → %s (%s)", w.fromT.Format("2006-01-02 15:04"), w.toT.Format("2006-01-02 15:04"), zone)
	case shapeHolidays:
		return fmt.Sprintf("the calendar's holidays (%s)", zone)
	}
	return w.From + " → " + w.To
}

func clock(sec int) string { return fmt.Sprintf("%02d:%02d", sec/3600, sec/60%60) }

// holdsAt reports whether the window holds at t and, when it does, when
// this occurrence of it ends.
func (w *FreezeWindow) holdsAt(t time.Time) (time.Time, bool) {
	lt := t.In(w.loc)
	switch w.shape {
	case shapeDated:
		if !t.Before(w.fromT) && t.Before(w.toT) {
			return w.toT, true
		}
	case shapeHolidays:
		if d := dateOf(lt); w.calendarDays != nil && w.calendarDays.isHoliday(d) {
			return d.addDays(1).at(0, w.loc), true
		}
	case shapeWeekly:
		sod := lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
		pos := int(lt.Weekday())*86400 + sod
		in := false
		for _, s := range w.weekSpans() {
			in = in || (s[0] <= pos && pos < s[1])
		}
		if !in {
			return time.Time{}, false
		}
		days := (int(w.toW) - int(lt.Weekday()) + 7) % 7
		if days == 0 && w.toS <= sod {
			days = 7
		}
		return dateOf(lt).addDays(days).at(w.toS, w.loc), true
	}
	return time.Time{}, false
}

// inScope reports whether the window applies to pr (see FreezeWindow).
func (w *FreezeWindow) inScope(pr *PullRequest, briefs []LinkedBrief) bool {
	return ruleHolds(Requirement{Paths: w.Paths, Labels: w.Labels, Brief: w.Brief}, pr, briefs)
}

// Freeze is the freeze a pull request is in: the window that holds, its
// reason, and when the pull request can merge again. Override is set when a
// sign-off of the window's override kind on the head, or a declared bypass,
// lifts it: the gate then passes and the merge record keeps the window and
// who lifted it.
type Freeze struct {
	Reason string
	// Window says how the window is written: "Fri 15:00 → Mon 09:00 every
	// week (Europe/Berlin)".
	Window string
	// Until is when the pull request can merge again: the end of this
	// window, or of the windows that follow on without a gap, in Zone.
	Until time.Time
	// Zone is the window's time zone.
	Zone *time.Location
	// OverrideKind is the kind that lifts the window ("" = only a bypass).
	OverrideKind string
	// Override is who lifted the window, nil while it holds.
	Override *FreezeOverride
}

// FreezeOverride is how a freeze was lifted for a pull request.
type FreezeOverride struct {
	Kind string // the override kind, or "bypass"
	By   string // login
	URL  string
	At   time.Time
}

// maxChain bounds how many back-to-back windows the reopening time follows.
const maxChain = 100

// freezeAt finds the freeze that holds pr's verdict v at now, nil when none
// does. Of the windows in scope that hold at now, the first that nothing
// lifts decides; when every one is lifted, the first is returned with its
// override. The reopening time follows the windows in scope that nothing
// lifts from one to the next while they join without a gap.
func freezeAt(p *Policy, pr *PullRequest, briefs []LinkedBrief, v *Verdict, now time.Time) *Freeze {
	scoped := scopedWindows(p, pr, briefs)
	lifted := func(w *FreezeWindow) *FreezeOverride {
		if w.Override != "" {
			for _, s := range append(slices.Clone(v.Signoffs), v.Extra...) {
				if s.Kind == w.Override && strings.EqualFold(s.SHA, v.Head) {
					return &FreezeOverride{Kind: s.Kind, By: s.Signer.Login, URL: s.URL, At: s.At}
				}
			}
		}
		if v.Bypass != nil {
			return &FreezeOverride{Kind: "bypass", By: v.Bypass.By.Login, URL: v.Bypass.URL, At: v.Bypass.At}
		}
		return nil
	}
	var first *Freeze
	for _, w := range scoped {
		end, ok := w.holdsAt(now)
		if !ok {
			continue
		}
		f := &Freeze{Reason: oneLine(w.Reason), Window: w.describe(), Until: end, Zone: w.loc, OverrideKind: w.Override, Override: lifted(w)}
		if f.Override == nil {
			first = f
			break
		}
		if first == nil {
			first = f
		}
	}
	if first == nil || first.Override != nil {
		return first
	}
	for range maxChain {
		next := first.Until
		for _, w := range scoped {
			if end, ok := w.holdsAt(first.Until); ok && lifted(w) == nil && end.After(next) {
				next = end
			}
		}
		if !next.After(first.Until) {
			break
		}
		first.Until = next
	}
	return first
}

// scopedWindows are the windows of p whose scope holds for pr.
func scopedWindows(p *Policy, pr *PullRequest, briefs []LinkedBrief) []*FreezeWindow {
	var scoped []*FreezeWindow
	for i := range p.Freeze {
		if w := &p.Freeze[i]; w.shape != shapeUnknown && w.inScope(pr, briefs) {
			scoped = append(scoped, w)
		}
	}
	return scoped
}

// nextStart returns the first time after t at which the window begins, or
// zero when it never does again.
func (w *FreezeWindow) nextStart(t time.Time) time.Time {
	d := dateOf(t.In(w.loc))
	switch w.shape {
	case shapeDated:
		if w.fromT.After(t) {
			return w.fromT
		}
	case shapeWeekly:
		for i := 0; i <= 7; i++ {
			if dd := d.addDays(i); dd.weekday() == w.fromW {
				if at := dd.at(w.fromS, w.loc); at.After(t) {
					return at
				}
			}
		}
	case shapeHolidays:
		for i := 1; i <= 400 && w.calendarDays != nil; i++ {
			if dd := d.addDays(i); w.calendarDays.isHoliday(dd) {
				return dd.at(0, w.loc)
			}
		}
	}
	return time.Time{}
}
