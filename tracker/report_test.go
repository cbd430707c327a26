package tracker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// at is a time in 2026, UTC: at(1, 5, 9, 0) is 5 January 09:00.
func at(month, day, hour, min int) time.Time {
	return time.Date(2026, time.Month(month), day, hour, min, 0, 0, time.UTC)
}

func leadRecord(pr int, opened time.Time, merged time.Time, briefs []int, signoffs ...RecordSignoff) Record {
	return Record{V: 1, Type: RecordMerge, Repo: "acme/site", PR: pr, Briefs: briefs, Base: "main", Head: headA,
		MergedBy: "lead", MergedAt: merged, OpenedAt: opened, Required: []string{"usability", "backend"},
		Signoffs: signoffs, Verdict: VerdictPass}
}

func key(kind string, t time.Time) RecordSignoff {
	return RecordSignoff{Kind: kind, Login: kind + "-lead", SHA: headA, Via: "review", At: t}
}

// due sets the due times of r: kind, time, kind, time…
func due(r Record, kindTimes ...any) Record {
	r.Due = map[string]time.Time{}
	for i := 0; i < len(kindTimes); i += 2 {
		r.Due[kindTimes[i].(string)] = kindTimes[i+1].(time.Time)
	}
	return r
}

// leadRecords is a quarter of merges whose lead times are worked out by hand
// in TestLeadTimes, oldest first. Due times (hand-counted there too):
//
//	#1 Jan  usability due 6 Jan 09:00, turned 5 Jan 13:00: in time
//	        backend   due 6 Jan 09:00, turned 6 Jan 09:00: late (at it)
//	#2 Jan  backend   due 11 Jan 12:00, turned 12 Jan 08:00: late
//	#3 Jan  no due times
//	#4 Mar  usability due 2 Mar 09:00, turned 2 Mar 10:00: late (no opened_at: counted all the same)
//	#5 Mar  usability due 4 Mar 00:00, turned 3 Mar 11:00: in time
//	        backend   due 3 Mar 12:00, never turned (bypassed): not counted
//	#6 Mar  no due times
//	#7 Mar  backend   due 21 Mar 00:00, turned 20 Mar 14:00: in time
func leadRecords() []Record {
	bypassed := leadRecord(5, at(3, 3, 9, 0), at(3, 4, 9, 0), []int{104}, key("usability", at(3, 3, 11, 0)))
	bypassed.Verdict, bypassed.Reason = VerdictBypassed, "launch"
	bypassed = due(bypassed, "usability", at(3, 4, 0, 0), "backend", at(3, 3, 12, 0))
	return []Record{
		// January.
		due(leadRecord(1, at(1, 5, 9, 0), at(1, 6, 11, 0), []int{101},
			key("usability", at(1, 5, 13, 0)), key("backend", at(1, 6, 9, 0))), "usability", at(1, 6, 9, 0), "backend", at(1, 6, 9, 0)),
		// Two usability sign-offs: the key turned with the first.
		due(leadRecord(2, at(1, 10, 8, 0), at(1, 12, 8, 30), []int{102},
			key("usability", at(1, 10, 18, 0)), key("usability", at(1, 10, 9, 0)), key("backend", at(1, 12, 8, 0))), "backend", at(1, 11, 12, 0)),
		// Brief #101 again: it counts once, with #1. A security key that is
		// not required has its own lead time and is not the last key.
		leadRecord(3, at(1, 20, 12, 0), at(1, 22, 0, 0), []int{101},
			key("usability", at(1, 20, 18, 0)), key("backend", at(1, 21, 0, 0)), key("security", at(1, 20, 13, 0))),
		// February: nothing merged.
		// March. #4 was recorded before opened_at existed.
		due(leadRecord(4, time.Time{}, at(3, 2, 13, 0), []int{103},
			key("usability", at(3, 2, 10, 0)), key("backend", at(3, 2, 12, 0))), "usability", at(3, 2, 9, 0)),
		bypassed,
		leadRecord(6, at(3, 10, 0, 0), at(3, 11, 6, 0), nil,
			key("usability", at(3, 10, 10, 0)), key("backend", at(3, 11, 0, 0))),
		// A hand-written usability key before the pull request opened.
		due(leadRecord(7, at(3, 20, 12, 0), at(3, 20, 15, 0), nil,
			key("usability", at(3, 20, 11, 0)), key("backend", at(3, 20, 14, 0))), "backend", at(3, 21, 0, 0)),
		{V: 1, Type: RecordPush, MergedBy: "ops", MergedAt: at(3, 21, 0, 0), Verdict: VerdictDirectPush},
	}
}

var leadBriefs = map[int]BriefTimeline{
	101: {Filed: at(1, 1, 0, 0), Ready: at(1, 3, 0, 0)},    // 48h, January (#1)
	102: {Filed: at(1, 8, 0, 0), Ready: at(1, 8, 6, 0)},    // 6h, January (#2)
	103: {Filed: at(2, 20, 0, 0), Ready: at(2, 21, 12, 0)}, // 36h, March (#4 merged then)
	104: {Filed: at(3, 1, 0, 0)},                           // never ready
}

// stats is LeadStats in hours.
func stats(month string, count int, median, p90 float64) LeadStats {
	return LeadStats{Month: month, Count: count, Median: time.Duration(median * float64(time.Hour)), P90: time.Duration(p90 * float64(time.Hour))}
}

// lateKeys is LateKeys of January, February and March, each month as
// {due, late}.
func lateKeys(jan, feb, mar [2]int) *LateKeys {
	l := &LateKeys{}
	for i, c := range [][2]int{jan, feb, mar} {
		l.Months = append(l.Months, LateCount{Month: []string{"2026-01", "2026-02", "2026-03"}[i], Due: c[0], Late: c[1]})
		l.All.Due += c[0]
		l.All.Late += c[1]
	}
	return l
}

func TestLeadTimes(t *testing.T) {
	months := []string{"2026-01", "2026-02", "2026-03"}
	keys := []LeadMetric{
		// Usability: Jan 4h, 1h, 6h; Mar 2h (#5), 10h (#6); #7's is before it opened.
		{Metric: MetricKey, Kind: "usability", Title: "pull request opened → usability key", All: stats("", 5, 4, 10),
			Months: []LeadStats{stats("2026-01", 3, 4, 6), stats("2026-02", 0, 0, 0), stats("2026-03", 2, 6, 10)},
			// Late: Jan #1 in time; Mar #4 late, #5 in time.
			Late: lateKeys([2]int{1, 0}, [2]int{}, [2]int{2, 1})},
		// Backend: Jan 24h, 48h, 12h; Mar 24h (#6), 2h (#7).
		{Metric: MetricKey, Kind: "backend", Title: "pull request opened → backend key", All: stats("", 5, 24, 48),
			Months: []LeadStats{stats("2026-01", 3, 24, 48), stats("2026-02", 0, 0, 0), stats("2026-03", 2, 13, 24)},
			// Late: Jan #1 (at its due time) and #2; Mar #7 in time, #5 never turned.
			Late: lateKeys([2]int{2, 2}, [2]int{}, [2]int{1, 0})},
		{Metric: MetricKey, Kind: "security", Title: "pull request opened → security key", All: stats("", 1, 1, 1),
			Months: []LeadStats{stats("2026-01", 1, 1, 1), stats("2026-02", 0, 0, 0), stats("2026-03", 0, 0, 0)},
			Late:   lateKeys([2]int{}, [2]int{}, [2]int{})},
		// Last key → merge: Jan 2h, 0.5h, 24h; Mar 1h (#4), 6h (#6), 1h (#7); #5 has no backend key.
		{Metric: MetricLastKey, Title: "last key → merge", All: stats("", 6, 1.5, 24),
			Months: []LeadStats{stats("2026-01", 3, 2, 24), stats("2026-02", 0, 0, 0), stats("2026-03", 3, 1, 6)}},
	}
	warnings := []string{"pull request #7: usability key at 2026-03-20T11:00:00Z, before the pull request opened at 2026-03-20T12:00:00Z; left out"}
	notes := []string{
		"1 of 7 merge records have no opened_at (written before twokey recorded it): left out of pull request opened → key; run with --online to read them from GitHub",
		"1 of 7 merges lack a sign-off of a required kind (bypassed): left out of last key → merge",
		"2 of 7 merge records carry no due times (no kind had one, or written before twokey recorded them): their keys count as without a deadline, neither late nor in time",
	}

	t.Run("offline", func(t *testing.T) {
		got := LeadTimes(leadRecords(), LeadOptions{Ref: "main"})
		want := &LeadReport{Ref: "main", Merges: 7, Months: months, Metrics: keys,
			Notes:    append([]string{"brief filed → ready is read from GitHub: run with --online to report it"}, notes...),
			Warnings: warnings}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(LeadMetric{})); diff != "" {
			t.Errorf("LeadTimes(offline) diff (-want +got):\n%s", diff)
		}
	})

	t.Run("online", func(t *testing.T) {
		got := LeadTimes(leadRecords(), LeadOptions{Ref: "main", Online: true, Briefs: leadBriefs})
		// Briefs: Jan 48h, 6h; Mar 36h; #104 never ready.
		briefs := LeadMetric{Metric: MetricBriefReady, Title: "brief filed → ready", All: stats("", 3, 36, 48),
			Months: []LeadStats{stats("2026-01", 2, 27, 48), stats("2026-02", 0, 0, 0), stats("2026-03", 1, 36, 36)}}
		on := append([]string{}, notes...)
		on[0] = strings.Replace(on[0], "run with --online to read them from GitHub", "GitHub did not give them", 1)
		want := &LeadReport{Ref: "main", Online: true, Merges: 7, Months: months, Metrics: append([]LeadMetric{briefs}, keys...),
			Notes:    append([]string{"brief #104 was never labelled ready (linked through a waiver, or the ready label was renamed since): left out of brief filed → ready"}, on...),
			Warnings: warnings}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(LeadMetric{})); diff != "" {
			t.Errorf("LeadTimes(online) diff (-want +got):\n%s", diff)
		}
	})

	t.Run("range", func(t *testing.T) {
		rng := ReportOptions{Since: at(3, 1, 0, 0), Until: at(5, 1, 0, 0)}
		got := LeadTimes(leadRecords(), LeadOptions{Ref: "main", Range: rng})
		if diff := cmp.Diff([]string{"2026-03", "2026-04"}, got.Months); diff != "" {
			t.Errorf("months of [March, May) diff (-want +got):\n%s", diff)
		}
		if got.Merges != 4 || got.Range != (LeadRange{Since: "2026-03-01T00:00:00Z", Until: "2026-05-01T00:00:00Z"}) {
			t.Errorf("merges = %d, range = %+v; want 4 and the range as given", got.Merges, got.Range)
		}
		if m := got.Metric(MetricLastKey, ""); m == nil || m.All != stats("", 3, 1, 6) {
			t.Errorf("last key → merge in March = %+v, want 3 measured, median 1h, p90 6h", m)
		}
	})

	t.Run("nothing", func(t *testing.T) {
		got := LeadTimes(nil, LeadOptions{Ref: "main"})
		if got.Merges != 0 || len(got.Months) != 0 {
			t.Errorf("LeadTimes(nil) = %+v, want no merges and no months", got)
		}
	})
}

func TestLeadStats(t *testing.T) {
	h := func(hs ...float64) []time.Duration {
		var out []time.Duration
		for _, x := range hs {
			out = append(out, time.Duration(x*float64(time.Hour)))
		}
		return out
	}
	tests := []struct {
		in          []time.Duration
		median, p90 float64 // hours
	}{
		{h(5), 5, 5},
		{h(3, 1), 2, 3},
		{h(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 5.5, 9},     // rank ceil(9) = 9
		{h(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 6, 10},  // rank ceil(9.9) = 10
		{h(10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 100), 6, 10}, // order does not matter
		{h(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50), 0, 0}, // rank ceil(10.8) = 11: a 0, not the outlier
		{h(0, 0, 0, 0, 0, 0, 0, 0, 0, 50), 0, 0},       // rank ceil(9) = 9
		{h(0, 0, 0, 0, 0, 0, 0, 0, 50, 50), 0, 50},     // rank 9 of 10
	}
	for _, tt := range tests {
		got := leadStats(append([]time.Duration(nil), tt.in...))
		want := LeadStats{Count: len(tt.in), Median: time.Duration(tt.median * float64(time.Hour)), P90: time.Duration(tt.p90 * float64(time.Hour))}
		if got != want {
			t.Errorf("leadStats(%v) = %+v, want %+v", tt.in, got, want)
		}
	}
	if got := leadStats(nil); got != (LeadStats{}) {
		t.Errorf("leadStats(nil) = %+v, want zero", got)
	}
}

func TestLeadStatsJSON(t *testing.T) {
	for _, tt := range []struct {
		s    LeadStats
		want string
	}{
		{LeadStats{Month: "2026-03", Count: 2, Median: 90 * time.Minute, P90: 2*time.Hour + 500*time.Millisecond}, `{"month":"2026-03","count":2,"median_seconds":5400,"p90_seconds":7200.5}`},
		{LeadStats{Month: "2026-02"}, `{"month":"2026-02","count":0}`},
		{LeadStats{Count: 1}, `{"count":1,"median_seconds":0,"p90_seconds":0}`},
	} {
		b, err := json.Marshal(tt.s)
		if err != nil || string(b) != tt.want {
			t.Errorf("json.Marshal(%+v) = %s, %v; want %s", tt.s, b, err, tt.want)
		}
	}
}

// reportHistory and reportNotes are a branch and its notes in memory.
type reportHistory []Commit

func (h reportHistory) FirstParent(ctx context.Context, ref string, fn func(Commit) error) error {
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

type reportNotes map[string]string

func (n reportNotes) Note(ctx context.Context, commit string) ([]byte, error) {
	if commit == "broken" {
		return nil, errors.New("disk on fire")
	}
	if s, ok := n[commit]; ok {
		return []byte(s), nil
	}
	return nil, nil
}

func TestReportRecords(t *testing.T) {
	line := func(r Record) string {
		b, err := r.MarshalLine()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	c := func(n int) string { return strings.Repeat(string(rune('0'+n)), 40) }
	rec := func(pr int, commit string, merged time.Time) Record {
		r := leadRecord(pr, at(1, 1, 0, 0), merged, nil)
		r.Commit = commit
		return r
	}
	old := rec(5, c(5), at(2, 1, 0, 0))
	old.OpenedAt = time.Time{}
	// Newest first, as git log. Committer dates say nothing: a commit
	// backdated to 2020 still counts by its record's merged_at.
	h := reportHistory{
		{Hash: c(7), Time: at(3, 2, 0, 0)},
		{Hash: c(6), Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Hash: c(5), Time: at(2, 1, 0, 0)},
		{Hash: c(4), Time: at(1, 20, 0, 0)},
		{Hash: c(3), Time: at(1, 15, 0, 0)},
		{Hash: c(2), Time: at(1, 10, 0, 0)},
		{Hash: c(1), Time: at(1, 5, 0, 0)},
	}
	n := reportNotes{
		c(7): line(Record{V: 1, Type: RecordPush, Commit: c(7), MergedAt: at(3, 2, 0, 0), Verdict: VerdictDirectPush}),
		c(6): line(rec(6, c(6), at(3, 1, 0, 0))),
		// An old record and the re-run's with opened_at, same merged_at.
		c(5): line(old) + line(rec(5, c(5), at(2, 1, 0, 0))),
		c(4): "looked fine to me\n",
		// A record copied from another commit does not count.
		c(3): line(rec(9, c(9), at(1, 15, 0, 0))),
		// A merge record beats the push record of the same commit.
		c(2): line(Record{V: 1, Type: RecordPush, Commit: c(2), MergedAt: at(1, 10, 0, 0), Verdict: VerdictDirectPush}) + line(rec(2, c(2), at(1, 10, 0, 0))),
		c(1): line(due(rec(1, c(1), at(1, 5, 0, 0)), "backend", at(1, 4, 0, 0))),
	}
	prs := func(recs []Record) []int {
		var out []int
		for _, r := range recs {
			out = append(out, r.PR)
		}
		return out
	}
	recs, warnings, err := ReportRecords(context.Background(), h, n, "main", ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 2, 5, 6}, prs(recs)); diff != "" {
		t.Errorf("ReportRecords: pull requests diff (-want +got):\n%s", diff)
	}
	if len(recs) == 4 {
		if diff := cmp.Diff(map[string]time.Time{"backend": at(1, 4, 0, 0)}, recs[0].Due); diff != "" {
			t.Errorf("#1 due diff (-want +got):\n%s", diff)
		}
	}
	if len(recs) == 4 && !recs[2].OpenedAt.Equal(at(1, 1, 0, 0)) {
		t.Errorf("#5 opened_at = %v, want the re-run record's %v", recs[2].OpenedAt, at(1, 1, 0, 0))
	}
	if diff := cmp.Diff([]string{"commit " + c(4)[:12] + ": 1 line(s) in the note are not twokey records; skipped"}, warnings); diff != "" {
		t.Errorf("ReportRecords: warnings diff (-want +got):\n%s", diff)
	}

	recs, _, err = ReportRecords(context.Background(), h, n, "main", ReportOptions{Since: at(1, 10, 0, 0), Until: at(3, 1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 5}, prs(recs)); diff != "" {
		t.Errorf("ReportRecords [10 Jan, 1 Mar): pull requests diff (-want +got):\n%s", diff)
	}

	if _, _, err := ReportRecords(context.Background(), append(h, Commit{Hash: "broken"}), n, "main", ReportOptions{}); err == nil || !strings.Contains(err.Error(), "note for commit broken: disk on fire") {
		t.Errorf("ReportRecords with a failing note = %v, want the error with the commit", err)
	}
}
