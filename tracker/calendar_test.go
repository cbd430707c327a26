package tracker

import (
	"strings"
	"testing"
	"time"
)

// mustZone loads zone name or stops the test.
func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// timePolicy is the gate's test policy with a release kind (given by
// @rel), backend listing @bea and due in 2 working days, and extra sections
// appended.
func timePolicy(t testing.TB, extra string) *Policy {
	t.Helper()
	y := strings.Replace(gatePolicyYAML, "    teams: [acme/backend]\n", "    teams: [acme/backend]\n    users: [bea]\n    due: 2 working days\n", 1)
	y = strings.Replace(y, "require:", "  release:\n    users: [rel]\nrequire:", 1)
	p, err := LoadPolicy("twokey.yml", []byte(y+extra))
	if err != nil {
		t.Fatalf("LoadPolicy:\n%s\n%v", y+extra, err)
	}
	return p
}

func TestLoadZone(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"} {
		if _, err := LoadZone(name); err != nil {
			t.Errorf("LoadZone(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", "Local", "Mars/Olympus_Mons", "../etc/passwd"} {
		if _, err := LoadZone(name); err == nil {
			t.Errorf("LoadZone(%q) = nil error, want one", name)
		}
	}
}

func TestCalendarArithmetic(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	ny := mustZone(t, "America/New_York")
	cal := func(loc *time.Location, holidays ...civilDate) *Calendar {
		c := &Calendar{loc: loc, open: 9 * 3600, close: 17 * 3600, holiday: map[civilDate]string{}}
		for d := time.Monday; d <= time.Friday; d++ {
			c.days[d] = true
		}
		for _, h := range holidays {
			c.holiday[h] = "holiday"
		}
		return c
	}
	b := cal(berlin, civilDate{2026, 4, 3})
	n := cal(ny)
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	tests := []struct {
		name  string
		c     *Calendar
		from  time.Time
		span  string
		back  bool
		want  time.Time
		wantZ string // the same instant in UTC, to prove the offsets
	}{
		{"2 working days from Friday 16:00", b, at(berlin, 2026, 3, 6, 16, 0), "2 working days", false, at(berlin, 2026, 3, 10, 16, 0), "2026-03-10T15:00:00Z"},
		{"16 working hours from Friday 16:00", b, at(berlin, 2026, 3, 6, 16, 0), "16 working hours", false, at(berlin, 2026, 3, 10, 16, 0), "2026-03-10T15:00:00Z"},
		{"from Saturday, counting starts Monday 09:00", b, at(berlin, 2026, 3, 7, 11, 0), "1 working day", false, at(berlin, 2026, 3, 10, 9, 0), "2026-03-10T08:00:00Z"},
		{"after hours, counting starts the next morning", b, at(berlin, 2026, 3, 9, 18, 30), "2 working hours", false, at(berlin, 2026, 3, 10, 11, 0), "2026-03-10T10:00:00Z"},
		{"over the March change in Berlin", b, at(berlin, 2026, 3, 27, 16, 0), "2 working hours", false, at(berlin, 2026, 3, 30, 10, 0), "2026-03-30T08:00:00Z"},
		{"over the October change in Berlin", b, at(berlin, 2026, 10, 23, 16, 0), "1 working day", false, at(berlin, 2026, 10, 26, 16, 0), "2026-10-26T15:00:00Z"},
		{"over the March change in New York", n, at(ny, 2026, 3, 6, 16, 0), "2 working hours", false, at(ny, 2026, 3, 9, 10, 0), "2026-03-09T14:00:00Z"},
		{"over the November change in New York", n, at(ny, 2026, 10, 30, 16, 0), "1 working day", false, at(ny, 2026, 11, 2, 16, 0), "2026-11-02T21:00:00Z"},
		{"a holiday is skipped", b, at(berlin, 2026, 4, 2, 10, 0), "1 working day", false, at(berlin, 2026, 4, 6, 10, 0), "2026-04-06T08:00:00Z"},
		{"0 working hours on a Sunday is Monday's opening", b, at(berlin, 2026, 3, 8, 12, 0), "0 working hours", false, at(berlin, 2026, 3, 9, 9, 0), "2026-03-09T08:00:00Z"},
		{"back 1 working day from a Tuesday's midnight", b, at(berlin, 2026, 3, 31, 0, 0), "1 working day", true, at(berlin, 2026, 3, 27, 17, 0), "2026-03-27T16:00:00Z"},
		{"back 2 working hours from a Monday's midnight", b, at(berlin, 2026, 3, 30, 0, 0), "2 working hours", true, at(berlin, 2026, 3, 27, 15, 0), "2026-03-27T14:00:00Z"},
		{"back over a holiday", b, at(berlin, 2026, 4, 6, 10, 0), "1 working day", true, at(berlin, 2026, 4, 2, 10, 0), "2026-04-02T08:00:00Z"},
		{"back 10 working hours over a weekend", b, at(berlin, 2026, 3, 9, 11, 0), "10 working hours", true, at(berlin, 2026, 3, 6, 9, 0), "2026-03-06T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, ok := parseSpan(tt.span)
			if !ok {
				t.Fatalf("parseSpan(%q) failed", tt.span)
			}
			var got time.Time
			if tt.back {
				got = tt.c.sub(tt.from, w)
			} else {
				got = tt.c.add(tt.from, w)
			}
			if !got.Equal(tt.want) || got.UTC().Format(time.RFC3339) != tt.wantZ {
				t.Errorf("%s from %v = %v (%s), want %v (%s)", tt.span, tt.from, got, got.UTC().Format(time.RFC3339), tt.want, tt.wantZ)
			}
		})
	}
}

func TestParseSpan(t *testing.T) {
	for s, want := range map[string]workSpan{"2 working days": {2, true}, "1 working day": {1, true}, "16 Working Hours": {16, false}, "0 working hours": {0, false}} {
		if got, ok := parseSpan(s); !ok || got != want {
			t.Errorf("parseSpan(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "2 days", "two working days", "-1 working days", "2 working weeks", "2.5 working days", "2 working days please"} {
		if got, ok := parseSpan(s); ok {
			t.Errorf("parseSpan(%q) = %v, want an error", s, got)
		}
	}
}
