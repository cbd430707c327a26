package tracker

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Lead times: how long briefs, pull requests and keys wait. ReportRecords
// gathers the merge records of a branch; LeadTimes measures them (and, when
// they were read from GitHub, the briefs' timelines) per month and per kind.

// Lead time metrics, in report order.
const (
	// MetricBriefReady runs from a brief being filed to its first ready
	// label (read from GitHub: records do not hold it).
	MetricBriefReady = "brief_ready"
	// MetricKey runs from a pull request being opened to the first sign-off
	// of a kind that counted at merge: when that key was turned. Its metrics
	// also count the keys turned late against their due time (LeadMetric.Late).
	MetricKey = "key"
	// MetricLastKey runs from the last required key being turned to the
	// merge.
	MetricLastKey = "last_key_to_merge"
)

// BriefTimeline is when a brief was filed and when it was first labelled
// ready, as GitHub's issue events tell.
type BriefTimeline struct {
	Filed time.Time
	Ready time.Time // zero when it never was
}

// ReportOptions selects the merges a report reads: those whose record's
// merged_at is in [Since, Until). A zero time leaves that side open.
type ReportOptions struct {
	Since time.Time
	Until time.Time
}

func (o ReportOptions) in(t time.Time) bool {
	return (o.Since.IsZero() || !t.Before(o.Since)) && (o.Until.IsZero() || t.Before(o.Until))
}

// ReportRecords walks the first-parent history of ref and returns, oldest
// first, the merge record of each commit whose merged_at is in range. The
// record of a commit is the one the audit decides by (see ClassifyRecords);
// push records, records copied from another commit and commits without a
// record are left out. Lines of a note that are not twokey records are
// reported as warnings.
//
// Where the deciding record has no opened_at (written before the field
// existed) and another record of the same pull request on the commit has
// one, that time is used.
//
// The records hold only what lead times are measured from: type, repo, pull
// request, briefs, commit, merged_at, opened_at, required kinds, due times,
// verdict and each sign-off's kind and time. The rest (titles, URLs, signers) is left
// out, so 100,000 records take a few tens of megabytes.
func ReportRecords(ctx context.Context, h History, n Notes, ref string, opt ReportOptions) (recs []Record, warnings []string, err error) {
	intern := map[string]string{} // repo names and kinds, one copy each
	err = h.FirstParent(ctx, ref, func(c Commit) error {
		note, err := n.Note(ctx, c.Hash)
		if err != nil {
			return fmt.Errorf("note for commit %s: %w", c.Hash, err)
		}
		if len(note) == 0 {
			return nil
		}
		// A record's strings share one copy of its line: slimRecord copies
		// what is kept, and the lines can go.
		all, skipped := ParseRecords(note)
		if skipped > 0 {
			warnings = append(warnings, fmt.Sprintf("commit %s: %d line(s) in the note are not twokey records; skipped", auditShort(c.Hash), skipped))
		}
		own := slices.DeleteFunc(all, func(r Record) bool { return !recordOf(r, c.Hash) })
		if len(own) == 0 {
			return nil
		}
		r := pickRecord(own)
		if r.Type != RecordMerge || !opt.in(r.MergedAt) {
			return nil
		}
		if r.OpenedAt.IsZero() {
			for _, o := range own {
				if o.Type == RecordMerge && o.PR == r.PR && !o.OpenedAt.IsZero() {
					r.OpenedAt = o.OpenedAt
					break
				}
			}
		}
		recs = append(recs, slimRecord(r, intern))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	slices.Reverse(recs)
	return recs, warnings, nil
}

// slimRecord copies the fields of r that lead times use, with strings of
// their own; intern holds one copy of each repeated string.
func slimRecord(r Record, intern map[string]string) Record {
	in := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		v := strings.Clone(s)
		intern[v] = v
		return v
	}
	out := Record{V: r.V, Type: in(r.Type), Repo: in(r.Repo), PR: r.PR, Briefs: slices.Clone(r.Briefs), Commit: strings.Clone(r.Commit),
		MergedAt: r.MergedAt, OpenedAt: r.OpenedAt, Verdict: in(r.Verdict)}
	out.Required = make([]string, len(r.Required))
	for i, k := range r.Required {
		out.Required[i] = in(k)
	}
	out.Signoffs = make([]RecordSignoff, len(r.Signoffs))
	for i, s := range r.Signoffs {
		out.Signoffs[i] = RecordSignoff{Kind: in(s.Kind), At: s.At}
	}
	if len(r.Due) > 0 {
		out.Due = make(map[string]time.Time, len(r.Due))
		for k, t := range r.Due {
			out.Due[in(k)] = t
		}
	}
	return out
}

// LeadOptions is what LeadTimes reports on besides the records.
type LeadOptions struct {
	Ref   string
	Range ReportOptions
	// Online says the records' missing opened_at were filled in and Briefs
	// read from GitHub. Offline, the time from a brief being filed to being
	// ready is not reported.
	Online bool
	// Briefs are the timelines of the briefs the records link, by number.
	Briefs map[int]BriefTimeline
}

// LeadStats are the lead times measured in one month, or in all of them.
// Median is the middle value (the mean of the two middle ones for an even
// count); P90 the 90th percentile by nearest rank: the smallest value that
// at least 90% of the values are at or below. Both are zero when Count is.
type LeadStats struct {
	Month  string // YYYY-MM (UTC); empty for the whole range
	Count  int
	Median time.Duration
	P90    time.Duration
}

// MarshalJSON writes month, count, and the median and 90th percentile in
// seconds (left out when nothing was measured).
func (s LeadStats) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	if s.Month != "" {
		b = append(b, `"month":"`...)
		b = append(b, s.Month...)
		b = append(b, `",`...)
	}
	b = append(b, `"count":`...)
	b = strconv.AppendInt(b, int64(s.Count), 10)
	if s.Count > 0 {
		b = append(b, `,"median_seconds":`...)
		b = strconv.AppendFloat(b, s.Median.Seconds(), 'f', -1, 64)
		b = append(b, `,"p90_seconds":`...)
		b = strconv.AppendFloat(b, s.P90.Seconds(), 'f', -1, 64)
	}
	return append(b, '}'), nil
}

// LeadMetric is one lead time: over the whole range and per month.
type LeadMetric struct {
	Metric string      `json:"metric"`         // MetricBriefReady, MetricKey or MetricLastKey
	Kind   string      `json:"kind,omitempty"` // the sign-off kind, for MetricKey
	Title  string      `json:"title"`          // what it measures, for people
	All    LeadStats   `json:"all"`
	Months []LeadStats `json:"months"` // one per LeadReport.Months, in order
	// Late counts, for MetricKey, the keys of the kind turned late against
	// their due time; nil for the other metrics.
	Late *LateKeys `json:"late,omitempty"`

	values [][]time.Duration // per month, before the stats
}

// LateKeys counts keys of one kind against their due times: over the whole
// range and per month (one per LeadReport.Months, in order).
type LateKeys struct {
	All    LateCount   `json:"all"`
	Months []LateCount `json:"months"`
}

// LateCount counts, in one month (or, with no month, in all of them), the
// keys of a kind whose merge record gave the kind a due time, and those of
// them turned at or after it (as the gate calls a key overdue). A key is
// turned at the first sign-off of its kind in the record; keys of records
// without a due time for the kind are in neither count.
type LateCount struct {
	Month string `json:"month,omitempty"` // YYYY-MM (UTC); empty for the whole range
	Due   int    `json:"due"`
	Late  int    `json:"late"`
}

// LeadRange is the range of a report as given, RFC 3339, empty when open.
type LeadRange struct {
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
}

// LeadReport is the result of LeadTimes.
type LeadReport struct {
	Ref    string    `json:"ref"`
	Range  LeadRange `json:"range"`
	Online bool      `json:"online"`
	// Merges counts the merge records measured.
	Merges int `json:"merges"`
	// Months are every month from the range's (or the first merge's) to the
	// range's end (or the last merge's), oldest first, YYYY-MM in UTC. Each
	// measurement is counted in the month its pull request merged.
	Months  []string     `json:"months"`
	Metrics []LeadMetric `json:"metrics"`
	// Notes say what could not be measured and why.
	Notes []string `json:"notes"`
	// Warnings name records whose times contradict each other, and lines in
	// notes that are not records (added by the caller).
	Warnings []string `json:"warnings"`
}

// Metric returns the metric of that name (and kind), or nil.
func (r *LeadReport) Metric(metric, kind string) *LeadMetric {
	for i := range r.Metrics {
		if r.Metrics[i].Metric == metric && r.Metrics[i].Kind == kind {
			return &r.Metrics[i]
		}
	}
	return nil
}

// LeadTimes measures, from merge records (oldest first, as ReportRecords
// returns them), per month and per kind:
//   - brief_ready: from a brief being filed to its first ready label, for
//     each brief the records link, once, in the month of the first merge that
//     links it (only with Online and the briefs' timelines);
//   - key, per kind: from the pull request being opened (the record's
//     opened_at) to the first sign-off of that kind in the record: the
//     sign-offs a record holds are those that counted at merge;
//   - last_key_to_merge: from the last of the required kinds' keys to the
//     merge, for records that have a sign-off of every required kind;
//   - late keys, per kind (LeadMetric.Late of the key metrics): of the keys
//     whose record holds a due time for their kind, how many were turned at
//     or after it. A record without due times (no kind had one, or written
//     before twokey recorded them) counts its keys as having no deadline,
//     neither late nor in time.
//
// Nothing is guessed: a record without opened_at gives no key times, a time
// before the one it is measured from is left out with a warning, and the
// notes count what was left out.
func LeadTimes(recs []Record, opt LeadOptions) *LeadReport {
	rep := &LeadReport{Ref: opt.Ref, Online: opt.Online, Months: []string{}, Metrics: []LeadMetric{}, Notes: []string{}, Warnings: []string{}}
	if !opt.Range.Since.IsZero() {
		rep.Range.Since = opt.Range.Since.UTC().Format(time.RFC3339)
	}
	if !opt.Range.Until.IsZero() {
		rep.Range.Until = opt.Range.Until.UTC().Format(time.RFC3339)
	}
	var merges []Record
	for _, r := range recs {
		if r.Type == RecordMerge && opt.Range.in(r.MergedAt) {
			merges = append(merges, r)
		}
	}
	rep.Merges = len(merges)
	rep.Months = leadMonths(merges, opt.Range)
	index := make(map[string]int, len(rep.Months))
	for i, m := range rep.Months {
		index[m] = i
	}
	// metric returns the index of a metric in rep.Metrics, adding it.
	metric := func(name, kind, title string) int {
		for i, m := range rep.Metrics {
			if m.Metric == name && m.Kind == kind {
				return i
			}
		}
		rep.Metrics = append(rep.Metrics, LeadMetric{Metric: name, Kind: kind, Title: title, values: make([][]time.Duration, len(rep.Months))})
		return len(rep.Metrics) - 1
	}
	add := func(metric int, month string, d time.Duration) {
		m, i := &rep.Metrics[metric], index[month]
		m.values[i] = append(m.values[i], d)
	}
	month := func(r Record) string { return r.MergedAt.UTC().Format("2006-01") }
	what := func(r Record) string {
		if r.PR != 0 {
			return fmt.Sprintf("pull request #%d", r.PR)
		}
		return "the merge of " + auditShort(r.Commit)
	}

	// Brief filed → ready.
	if opt.Online {
		ready := metric(MetricBriefReady, "", "brief filed → ready")
		seen := map[int]bool{}
		var never, unknown []int
		for _, r := range merges {
			for _, b := range r.Briefs {
				if seen[b] {
					continue
				}
				seen[b] = true
				tl, ok := opt.Briefs[b]
				switch {
				case !ok || tl.Filed.IsZero():
					unknown = append(unknown, b)
				case tl.Ready.IsZero():
					never = append(never, b)
				case tl.Ready.Before(tl.Filed):
					rep.Warnings = append(rep.Warnings, fmt.Sprintf("brief #%d: labelled ready at %s, before it was filed at %s; left out", b, stamp(tl.Ready), stamp(tl.Filed)))
				default:
					add(ready, month(r), tl.Ready.Sub(tl.Filed))
				}
			}
		}
		if len(never) > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s never labelled ready (linked through a waiver, or the ready label was renamed since): left out of brief filed → ready", briefList(never)))
		}
		if len(unknown) > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s could not be read from GitHub: left out of brief filed → ready", briefList(unknown)))
		}
	} else {
		rep.Notes = append(rep.Notes, "brief filed → ready is read from GitHub: run with --online to report it")
	}

	// Pull request opened → each key, and the last key → the merge. Kinds
	// are listed as the newest records list them (the policy's order).
	var kinds []string
	for _, r := range slices.Backward(merges) {
		for _, k := range r.Required {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	var extra []string
	for _, r := range merges {
		for _, s := range r.Signoffs {
			if !slices.Contains(kinds, s.Kind) && !slices.Contains(extra, s.Kind) {
				extra = append(extra, s.Kind)
			}
		}
	}
	sort.Strings(extra)
	kinds = append(kinds, extra...)
	late := map[string][]LateCount{} // kind → per month
	for _, k := range kinds {
		metric(MetricKey, k, "pull request opened → "+k+" key")
		late[k] = make([]LateCount, len(rep.Months))
	}
	last := metric(MetricLastKey, "", "last key → merge")
	noOpened, notAllKeys, noDue := 0, 0, 0
	for _, r := range merges {
		turned := map[string]time.Time{} // kind → its first sign-off
		for _, s := range r.Signoffs {
			if s.At.IsZero() {
				continue
			}
			if t, ok := turned[s.Kind]; !ok || s.At.Before(t) {
				turned[s.Kind] = s.At
			}
		}
		if len(r.Due) == 0 {
			noDue++
		}
		for _, k := range kinds {
			t, ok := turned[k]
			due := r.Due[k]
			if !ok || due.IsZero() {
				continue
			}
			c := &late[k][index[month(r)]]
			c.Due++
			if !t.Before(due) {
				c.Late++
			}
		}
		if r.OpenedAt.IsZero() {
			if len(turned) > 0 {
				noOpened++
			}
		} else {
			for _, k := range kinds {
				t, ok := turned[k]
				switch {
				case !ok:
				case t.Before(r.OpenedAt):
					rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %s key at %s, before the pull request opened at %s; left out", what(r), k, stamp(t), stamp(r.OpenedAt)))
				default:
					add(metric(MetricKey, k, ""), month(r), t.Sub(r.OpenedAt))
				}
			}
		}
		if len(r.Required) == 0 {
			continue
		}
		var lastKey time.Time
		all := true
		for _, k := range r.Required {
			t, ok := turned[k]
			if !ok {
				all = false
				break
			}
			if t.After(lastKey) {
				lastKey = t
			}
		}
		switch {
		case !all:
			notAllKeys++
		case r.MergedAt.Before(lastKey):
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: merged at %s, before its last key at %s; left out", what(r), stamp(r.MergedAt), stamp(lastKey)))
		default:
			add(last, month(r), r.MergedAt.Sub(lastKey))
		}
	}
	if noOpened > 0 {
		hint := "run with --online to read them from GitHub"
		if opt.Online {
			hint = "GitHub did not give them"
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d of %d merge records have no opened_at (written before twokey recorded it): left out of pull request opened → key; %s", noOpened, len(merges), hint))
	}
	if notAllKeys > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d of %d merges lack a sign-off of a required kind (bypassed): left out of last key → merge", notAllKeys, len(merges)))
	}
	if noDue > 0 && len(kinds) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d of %d merge records carry no due times (no kind had one, or written before twokey recorded them): their keys count as without a deadline, neither late nor in time", noDue, len(merges)))
	}

	for i := range rep.Metrics {
		m := &rep.Metrics[i]
		var all []time.Duration
		m.Months = make([]LeadStats, len(rep.Months))
		for j, vs := range m.values {
			m.Months[j] = leadStats(vs)
			m.Months[j].Month = rep.Months[j]
			all = append(all, vs...)
		}
		m.All = leadStats(all)
		m.values = nil
		if m.Metric == MetricKey {
			l := &LateKeys{Months: late[m.Kind]}
			for j := range l.Months {
				l.Months[j].Month = rep.Months[j]
				l.All.Due += l.Months[j].Due
				l.All.Late += l.Months[j].Late
			}
			m.Late = l
		}
	}
	return rep
}

// leadMonths lists every month from the range's start (or the first
// merge's month) to its end (or the last merge's month).
func leadMonths(merges []Record, rng ReportOptions) []string {
	var first, last time.Time
	for _, r := range merges {
		t := r.MergedAt.UTC()
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if last.IsZero() || t.After(last) {
			last = t
		}
	}
	if !rng.Since.IsZero() {
		first = rng.Since.UTC()
	}
	if !rng.Until.IsZero() {
		last = rng.Until.UTC().Add(-time.Nanosecond) // Until is exclusive
	}
	if first.IsZero() || last.IsZero() || last.Before(first) {
		return []string{}
	}
	months := []string{}
	m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	for !m.After(last) {
		months = append(months, m.Format("2006-01"))
		m = m.AddDate(0, 1, 0)
	}
	return months
}

// leadStats computes the count, median and 90th percentile (nearest rank)
// of vs, which it sorts.
func leadStats(vs []time.Duration) LeadStats {
	s := LeadStats{Count: len(vs)}
	if len(vs) == 0 {
		return s
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		s.Median = vs[n/2]
	} else {
		s.Median = vs[n/2-1] + (vs[n/2]-vs[n/2-1])/2
	}
	rank := (9*n + 9) / 10 // ceil(0.9 n)
	s.P90 = vs[rank-1]
	return s
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func briefList(ns []int) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ", "
		}
		s += "#" + strconv.Itoa(n)
	}
	if len(ns) == 1 {
		return "brief " + s + " was"
	}
	return "briefs " + s + " were"
}
