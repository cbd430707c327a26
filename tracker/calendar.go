package tracker

import (
	_ "time/tzdata" // zones load the same on a runner without system tzdata

	"fmt"
	"strconv"
	"strings"
	"time"
)

// Calendar is the policy's calendar: the time zone, working days and hours
// and holidays that sign-off deadlines are counted in (business time), and
// the zone that freeze windows default to.
//
// Business time follows the wall clock of Zone: a working day from 09:00 to
// 17:00 is eight working hours on the days the clocks change too.
type Calendar struct {
	Zone         string    `yaml:"zone"`
	WorkingDays  []string  `yaml:"working_days"`
	WorkingHours string    `yaml:"working_hours"`
	Holidays     []Holiday `yaml:"holidays"`

	loc         *time.Location
	days        [7]bool
	open, close int // seconds after local midnight
	holiday     map[civilDate]string
}

// Holiday is a day (or the days from Date to To, both included) on which
// nobody works: deadlines skip it, and a freeze window with holidays: true
// holds through it.
type Holiday struct {
	Date string `yaml:"date"`
	To   string `yaml:"to"`
	Name string `yaml:"name"`
}

// Defaults of the calendar's keys.
const (
	defaultZone         = "UTC"
	defaultWorkingHours = "09:00-17:00"
)

var defaultWorkingDays = []string{"mon", "tue", "wed", "thu", "fri"}

// Location returns the calendar's time zone (UTC until the policy is checked).
func (c *Calendar) Location() *time.Location {
	if c == nil || c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// LoadZone loads an IANA time zone by name from the time zone database
// embedded in twokey (time/tzdata) when the system has none. "Local" is
// refused: it is whatever the runner is set to, and a gate must not depend
// on that.
func LoadZone(name string) (*time.Location, error) {
	switch strings.TrimSpace(name) {
	case "":
		return nil, fmt.Errorf("no time zone given: name one such as Europe/Berlin or UTC")
	case "Local", "local":
		return nil, fmt.Errorf("time zone %q is the runner's own setting: name one such as Europe/Berlin or UTC", name)
	}
	loc, err := time.LoadLocation(strings.TrimSpace(name))
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Berlin, America/New_York or UTC", name)
	}
	return loc, nil
}

// civilDate is a day on the calendar, without a zone.
type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

// addDays returns the date n days later (n may be negative).
func (d civilDate) addDays(n int) civilDate {
	return dateOf(time.Date(d.y, d.m, d.d+n, 12, 0, 0, 0, time.UTC))
}

func (d civilDate) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC).Weekday()
}

func (d civilDate) before(e civilDate) bool {
	if d.y != e.y {
		return d.y < e.y
	}
	if d.m != e.m {
		return d.m < e.m
	}
	return d.d < e.d
}

func (d civilDate) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d) }

// at is the instant of wall clock time sec (seconds after midnight) on d in
// loc. A wall time that the clocks skip is moved as time.Date moves it.
func (d civilDate) at(sec int, loc *time.Location) time.Time {
	return time.Date(d.y, d.m, d.d, sec/3600, sec/60%60, sec%60, 0, loc)
}

// parseDate reads YYYY-MM-DD.
func parseDate(s string) (civilDate, bool) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return civilDate{}, false
	}
	return dateOf(t), true
}

// parseClock reads HH:MM (24-hour) as seconds after midnight; 24:00 is
// allowed as the end of a day.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*3600 + mm*60, true
}

// weekdays by the names people write: mon, Monday, MON.
var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"tues": time.Tuesday, "thur": time.Thursday, "thurs": time.Thursday,
}

func parseWeekday(s string) (time.Weekday, bool) {
	d, ok := weekdayNames[strings.ToLower(strings.TrimSpace(s))]
	return d, ok
}

// workSpan is an amount of business time: N working days or hours.
type workSpan struct {
	n    int
	days bool // working days; else working hours
}

// parseSpan reads "2 working days", "1 working day", "16 working hours".
func parseSpan(s string) (workSpan, bool) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) != 3 || f[1] != "working" {
		return workSpan{}, false
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 0 || n > 10000 {
		return workSpan{}, false
	}
	switch f[2] {
	case "day", "days":
		return workSpan{n: n, days: true}, true
	case "hour", "hours":
		return workSpan{n: n}, true
	}
	return workSpan{}, false
}

func (w workSpan) String() string {
	unit := "hour"
	if w.days {
		unit = "day"
	}
	if w.n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d working %s", w.n, unit)
}

// check validates the calendar and prepares it for use; a section that the
// file leaves out keys of gets their defaults.
func (c *Calendar) check(s *policySource) ConfigErrors {
	var errs ConfigErrors
	add := func(msg string, path ...any) {
		errs = append(errs, s.errAt(msg, append([]any{"calendar"}, path...)...))
	}
	if c.Zone == "" {
		c.Zone = defaultZone
	}
	loc, err := LoadZone(c.Zone)
	if err != nil {
		add("calendar.zone: "+err.Error(), "zone")
		loc = time.UTC
	}
	c.loc = loc
	if c.WorkingDays == nil {
		c.WorkingDays = defaultWorkingDays
	}
	c.days = [7]bool{}
	for i, d := range c.WorkingDays {
		wd, ok := parseWeekday(d)
		if !ok {
			add(fmt.Sprintf("calendar.working_days: %q is not a day of the week (write mon, tue, wed, thu, fri, sat or sun)", d), "working_days", i)
			continue
		}
		if c.days[wd] {
			add(fmt.Sprintf("calendar.working_days lists %s twice", wd), "working_days", i)
		}
		c.days[wd] = true
	}
	if len(c.WorkingDays) == 0 {
		add("calendar.working_days is empty: deadlines counted in working time would never come; list the days people work, e.g. [mon, tue, wed, thu, fri]", "working_days")
	}
	if c.WorkingHours == "" {
		c.WorkingHours = defaultWorkingHours
	}
	from, to, ok := strings.Cut(c.WorkingHours, "-")
	open, ok1 := parseClock(from)
	closing, ok2 := parseClock(to)
	switch {
	case !ok || !ok1 || !ok2:
		add(fmt.Sprintf("calendar.working_hours %q must be written HH:MM-HH:MM, e.g. 09:00-17:00", c.WorkingHours), "working_hours")
	case closing < open:
		add(fmt.Sprintf("calendar.working_hours %q ends before it starts", c.WorkingHours), "working_hours")
	case closing == open:
		add(fmt.Sprintf("calendar.working_hours %q is empty: it ends when it starts", c.WorkingHours), "working_hours")
	default:
		c.open, c.close = open, closing
	}
	c.holiday = map[civilDate]string{}
	firstAt := map[civilDate]int{}
	for i, h := range c.Holidays {
		from, ok := parseDate(h.Date)
		if !ok {
			add(fmt.Sprintf("calendar holiday %d: date %q must be written YYYY-MM-DD", i+1, h.Date), "holidays", i, "date")
			continue
		}
		to := from
		if h.To != "" {
			if to, ok = parseDate(h.To); !ok {
				add(fmt.Sprintf("calendar holiday %d: to %q must be written YYYY-MM-DD", i+1, h.To), "holidays", i, "to")
				continue
			}
			if to.before(from) {
				add(fmt.Sprintf("calendar holiday %d ends (%s) before it starts (%s)", i+1, to, from), "holidays", i, "to")
				continue
			}
		}
		for d, n := from, 0; !to.before(d) && n < 400; d, n = d.addDays(1), n+1 {
			if j, dup := firstAt[d]; dup {
				add(fmt.Sprintf("calendar holiday %d overlaps holiday %d on %s: list each day once", i+1, j+1, d), "holidays", i)
				break
			}
			firstAt[d] = i
			c.holiday[d] = h.Name
		}
	}
	return errs
}

// working reports whether d is a working day.
func (c *Calendar) working(d civilDate) bool {
	return c.days[d.weekday()] && !c.isHoliday(d)
}

func (c *Calendar) isHoliday(d civilDate) bool {
	_, ok := c.holiday[d]
	return ok
}

// maxScan bounds the days business-time arithmetic walks (ten years): a
// checked calendar always has working days, so only a holiday list that
// covers years could reach it.
const maxScan = 3660

// local splits t into its date and wall clock seconds in the calendar's zone.
func (c *Calendar) local(t time.Time) (civilDate, int) {
	lt := t.In(c.Location())
	return dateOf(lt), lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
}

// nextOpen returns the first working instant at or after t.
func (c *Calendar) nextOpen(t time.Time) (civilDate, int) {
	d, sec := c.local(t)
	if c.working(d) && sec < c.close {
		return d, max(sec, c.open)
	}
	for range maxScan {
		d = d.addDays(1)
		if c.working(d) {
			return d, c.open
		}
	}
	return d, c.open
}

// prevClose returns the last working instant at or before t, a day's close
// included.
func (c *Calendar) prevClose(t time.Time) (civilDate, int) {
	d, sec := c.local(t)
	if c.working(d) && sec > c.open {
		return d, min(sec, c.close)
	}
	for range maxScan {
		d = d.addDays(-1)
		if c.working(d) {
			return d, c.close
		}
	}
	return d, c.close
}

// nextWorking returns the working day n working days after d (before, for
// negative n).
func (c *Calendar) nextWorking(d civilDate, n int) civilDate {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for i := 0; n > 0 && i < maxScan; i++ {
		d = d.addDays(step)
		if c.working(d) {
			n--
		}
	}
	return d
}

// add returns the instant span of business time after t: working hours are
// counted through working hours only; N working days later is the same
// time of the working day, N working days on. Counting starts at the first
// working instant at or after t.
func (c *Calendar) add(t time.Time, w workSpan) time.Time {
	d, sec := c.nextOpen(t)
	if w.days {
		return c.nextWorking(d, w.n).at(sec, c.Location())
	}
	left := w.n * 3600
	for range maxScan {
		avail := c.close - sec
		if left <= avail {
			return d.at(sec+left, c.Location())
		}
		left -= avail
		d, sec = c.nextWorking(d, 1), c.open
	}
	return d.at(sec, c.Location())
}

// sub is add backwards: the instant span of business time before t,
// counting from the last working instant at or before t.
func (c *Calendar) sub(t time.Time, w workSpan) time.Time {
	d, sec := c.prevClose(t)
	if w.days {
		return c.nextWorking(d, -w.n).at(sec, c.Location())
	}
	left := w.n * 3600
	for range maxScan {
		avail := sec - c.open
		if left <= avail {
			return d.at(sec-left, c.Location())
		}
		left -= avail
		d, sec = c.nextWorking(d, -1), c.close
	}
	return d.at(sec, c.Location())
}
