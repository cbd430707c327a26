package tracker

import (
	"context"
	"strings"
	"testing"
	"time"
)

const fridayFreeze = `calendar:
  zone: Europe/Berlin
freeze:
  - reason: No launches on Friday afternoon or over the weekend.
    from: Fri 15:00
    to: Mon 09:00
    override: release
`

// newYorkFreeze is the same window in the window's own zone, with the
// calendar left at the default (UTC).
const newYorkFreeze = `freeze:
  - reason: No launches on Friday afternoon in New York.
    from: Fri 15:00
    to: Mon 09:00
    zone: America/New_York
`

// signedPR is the gate's test pull request with both keys on the head.
func signedPR() *PullRequest {
	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
	return pr
}

// judgeAt evaluates pr under p and applies the time rules at now.
func judgeAt(t *testing.T, p *Policy, pr *PullRequest, facts TimeFacts, now time.Time) *Verdict {
	t.Helper()
	v, err := Evaluate(context.Background(), p, pr, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	facts.PR, facts.Briefs = pr, gateBriefs
	if err := ApplyTime(v, p, facts, now); err != nil {
		t.Fatal(err)
	}
	return v
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestFreezeAcrossDaylightSaving: a Friday 15:00 → Monday 09:00 window in
// Europe/Berlin and in America/New_York holds and reopens at the local wall
// clock times on the weekends the clocks change, in March and in autumn.
func TestFreezeAcrossDaylightSaving(t *testing.T) {
	berlin, newYork := timePolicy(t, fridayFreeze), timePolicy(t, newYorkFreeze)
	tests := []struct {
		name      string
		now       string
		ny        bool
		wantUntil string // "" = not frozen
	}{
		{"Berlin, Friday 14:59 CET", "2026-03-27T13:59:00Z", false, ""},
		{"Berlin, Friday 15:00 CET", "2026-03-27T14:00:00Z", false, "2026-03-30T07:00:00Z"},
		{"Berlin, Sunday after the change", "2026-03-29T02:30:00Z", false, "2026-03-30T07:00:00Z"},
		{"Berlin, Monday 08:59 CEST", "2026-03-30T06:59:00Z", false, "2026-03-30T07:00:00Z"},
		{"Berlin, Monday 09:00 CEST", "2026-03-30T07:00:00Z", false, ""},
		{"Berlin, Friday 14:59 CEST", "2026-10-23T12:59:00Z", false, ""},
		{"Berlin, Friday 15:00 CEST", "2026-10-23T13:00:00Z", false, "2026-10-26T08:00:00Z"},
		{"Berlin, Monday 08:59 CET", "2026-10-26T07:59:00Z", false, "2026-10-26T08:00:00Z"},
		{"Berlin, Monday 09:00 CET", "2026-10-26T08:00:00Z", false, ""},
		{"Berlin, a Wednesday", "2026-10-21T12:00:00Z", false, ""},
		{"New York, Friday 15:00 EST", "2026-03-06T20:00:00Z", true, "2026-03-09T13:00:00Z"},
		{"New York, Monday 08:59 EDT", "2026-03-09T12:59:00Z", true, "2026-03-09T13:00:00Z"},
		{"New York, Monday 09:00 EDT", "2026-03-09T13:00:00Z", true, ""},
		{"New York, Friday 15:00 EDT", "2026-10-30T19:00:00Z", true, "2026-11-02T14:00:00Z"},
		{"New York, Friday 14:59 EDT", "2026-10-30T18:59:00Z", true, ""},
		{"New York, Monday 08:59 EST", "2026-11-02T13:59:00Z", true, "2026-11-02T14:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := berlin
			if tt.ny {
				p = newYork
			}
			v := judgeAt(t, p, signedPR(), TimeFacts{}, utc(tt.now))
			f := v.Time.Freeze
			switch {
			case tt.wantUntil == "" && f != nil:
				t.Fatalf("at %s: frozen until %v (%s), want no freeze", tt.now, f.Until, f.Reason)
			case tt.wantUntil == "":
				if v.State != StateSuccess {
					t.Errorf("at %s: state %s, want success", tt.now, v.State)
				}
			case f == nil:
				t.Fatalf("at %s: no freeze, want one until %s", tt.now, tt.wantUntil)
			default:
				if got := f.Until.UTC().Format(time.RFC3339); got != tt.wantUntil {
					t.Errorf("at %s: until %s, want %s", tt.now, got, tt.wantUntil)
				}
				if v.State != StatePending {
					t.Errorf("at %s: state %s, want pending", tt.now, v.State)
				}
			}
		})
	}
}

func TestFreezeVerdictText(t *testing.T) {
	p := timePolicy(t, fridayFreeze)
	v := judgeAt(t, p, signedPR(), TimeFacts{}, utc("2026-03-06T15:00:00Z")) // Friday 16:00 CET
	if got, want := v.Description(), "frozen until Mon 9 Mar 09:00 CET (Europe/Berlin): No launches on Friday afternoon or over the weekend."; got != want {
		t.Errorf("Description() = %q, want %q", got, want)
	}
	c := v.Comment()
	for _, want := range []string{
		"### twokey gate: ⏳ pending",
		"**🧊 Frozen until Mon 9 Mar 2026 09:00 CET (Europe/Berlin):** No launches on Friday afternoon or over the weekend.",
		"Window: Fri 15:00 → Mon 09:00 every week (Europe/Berlin).",
		"comments `/signoff release` on the head",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("Comment() lacks %q:\n%s", want, c)
		}
	}

	// Keys missing too: both are said.
	pr := signedPR()
	pr.Reviews = pr.Reviews[:1]
	v = judgeAt(t, p, pr, TimeFacts{}, utc("2026-03-06T15:00:00Z"))
	if got, want := v.Description(), "waiting for backend; frozen until Mon 9 Mar 09:00 CET (Europe/Berlin): No launches on Friday afternoon or over the weekend."; got != want {
		t.Errorf("Description() = %q, want %q", got, want)
	}
}

// TestFreezeOverride: a /signoff release on the head lifts the window at
// once; one on an older commit, one by someone who may not give release, or
// an approval (which signs only required kinds) does not. A bypass lifts it.
func TestFreezeOverride(t *testing.T) {
	p := timePolicy(t, fridayFreeze)
	now := utc("2026-03-06T15:00:00Z")
	tests := []struct {
		name     string
		comments []Comment
		want     string // state
		by       string
	}{
		{"release on the head", []Comment{gComment(10, "rel", "/signoff release", gHead, 5)}, StateSuccess, "rel"},
		{"release on an older commit", []Comment{gComment(10, "rel", "/signoff release "+gOld, gHead, 5)}, StatePending, ""},
		{"release by someone else", []Comment{gComment(10, "alice", "/signoff release", gHead, 5)}, StatePending, ""},
		{"bypass", []Comment{gComment(10, "root", "/bypass the site is down", gHead, 5)}, StateSuccess, "root"},
		// Finding: the override kind, not being required, skipped the base
		// check; a release given for a change into one base lifted the
		// freeze after a retarget (and so did a bypass).
		{"release before the base changed", []Comment{gComment(10, "rel", "/signoff release", gHead, 5), gComment(11, "root", "/bypass the site is down", gHead, 5)}, StatePending, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := signedPR()
			pr.Comments = tt.comments
			if strings.Contains(tt.name, "base changed") {
				pr.Timeline = append(pr.Timeline, TimelineEvent{Type: EventBaseChanged, At: gAt(6), Actor: gActor("dev"), From: "experimental", To: "main"})
			}
			v := judgeAt(t, p, pr, TimeFacts{}, now)
			if v.State != tt.want {
				t.Fatalf("state %s (%s), want %s", v.State, v.Description(), tt.want)
			}
			f := v.Time.Freeze
			if f == nil {
				t.Fatal("no freeze recorded")
			}
			if tt.by == "" {
				if f.Override != nil {
					t.Errorf("override %+v, want none", f.Override)
				}
				return
			}
			if f.Override == nil || f.Override.By != tt.by {
				t.Fatalf("override %+v, want by %s", f.Override, tt.by)
			}
			rec := NewRecord(p, pr, v, MergeInfo{Commit: strings.Repeat("c", 40), MergedBy: "dev", MergedAt: now})
			if rec.Freeze == nil || rec.Freeze.By != tt.by || rec.Freeze.Reason != "No launches on Friday afternoon or over the weekend." {
				t.Errorf("record freeze %+v, want it lifted by %s", rec.Freeze, tt.by)
			}
			if !strings.Contains(v.Comment(), "**Freeze lifted** for head `aaaaaaa` by @"+tt.by) {
				t.Errorf("Comment() does not say the freeze is lifted:\n%s", v.Comment())
			}
		})
	}
}

// TestFreezeChainsAndScopes: a holiday Monday after the weekend window keeps
// the pull request frozen until Tuesday; a dated window's to: without a time
// includes its day; a window scoped to paths or a brief answer holds only
// the pull requests that match.
func TestFreezeChainsAndScopes(t *testing.T) {
	p := timePolicy(t, `calendar:
  zone: Europe/Berlin
  holidays:
    - {date: 2026-04-06, name: Easter Monday}
freeze:
  - reason: Weekend.
    from: Fri 15:00
    to: Mon 09:00
  - reason: Public holiday.
    holidays: true
  - reason: Payments year-end freeze.
    from: 2026-12-18
    to: 2026-12-31
    paths: ["payments/**"]
  - reason: Vendor freeze.
    from: 2026-12-01 12:00
    to: 2026-12-02 12:00
    zone: America/New_York
    brief: {field: new_vendor, is: "Yes"}
`)
	tests := []struct {
		name, now string
		files     []string
		wantUntil string
		reason    string
	}{
		{"weekend then holiday", "2026-04-03T14:00:00Z", nil, "2026-04-06T22:00:00Z", "Weekend."},
		{"on the holiday", "2026-04-06T10:00:00Z", nil, "2026-04-06T22:00:00Z", "Public holiday."},
		{"payments, out of scope", "2026-12-22T10:00:00Z", []string{"site/a.html"}, "", ""},
		{"payments, in scope", "2026-12-22T10:00:00Z", []string{"payments/api.go"}, "2026-12-31T23:00:00Z", "Payments year-end freeze."},
		{"payments, last day", "2026-12-31T22:59:00Z", []string{"payments/api.go"}, "2026-12-31T23:00:00Z", "Payments year-end freeze."},
		{"brief answer not given", "2026-12-01T18:00:00Z", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := signedPR()
			if tt.files != nil {
				pr.Files = tt.files
			}
			v := judgeAt(t, p, pr, TimeFacts{}, utc(tt.now))
			f := v.Time.Freeze
			if tt.wantUntil == "" {
				if f != nil {
					t.Fatalf("frozen until %v: %s; want none", f.Until, f.Reason)
				}
				return
			}
			if f == nil {
				t.Fatalf("not frozen, want until %s", tt.wantUntil)
			}
			if got := f.Until.UTC().Format(time.RFC3339); got != tt.wantUntil || f.Reason != tt.reason {
				t.Errorf("frozen until %s (%s), want %s (%s)", got, f.Reason, tt.wantUntil, tt.reason)
			}
		})
	}

	// The vendor window, for a brief that answers Yes.
	pr := signedPR()
	pr.Reviews = append(pr.Reviews, gApprove(3, "ivan", gHead, 3))
	briefs := []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"brief: ready"}, Brief: parsedBrief("### Does it bring in a new vendor, tool or third-party service?\n\nYes\n")}}
	v, err := Evaluate(context.Background(), p, pr, briefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyTime(v, p, TimeFacts{PR: pr, Briefs: briefs}, utc("2026-12-01T18:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if f := v.Time.Freeze; f == nil || f.Reason != "Vendor freeze." || f.Until.UTC().Format(time.RFC3339) != "2026-12-02T17:00:00Z" {
		t.Errorf("vendor brief: freeze %+v, want the vendor freeze until 2026-12-02T17:00:00Z", f)
	}
}

func TestApplyTimeErrors(t *testing.T) {
	p := timePolicy(t, fridayFreeze)
	v, err := Evaluate(context.Background(), p, signedPR(), gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyTime(v, p, TimeFacts{PR: signedPR()}, time.Time{}); err == nil {
		t.Error("ApplyTime with no time: nil error")
	}
	if err := ApplyTime(v, p, TimeFacts{}, utc("2026-03-06T15:00:00Z")); err == nil {
		t.Error("ApplyTime with no pull request: nil error")
	}
	if err := ApplyTime(v, p, TimeFacts{PR: signedPR()}, utc("2026-03-06T15:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if err := ApplyTime(v, p, TimeFacts{PR: signedPR()}, utc("2026-03-06T15:00:00Z")); err == nil {
		t.Error("ApplyTime twice: nil error")
	}
}

// TestFreezeRecordAudits: a merge made in a freeze records the window and
// who lifted it; the audit keeps the class the record earns (ok for an
// override by the policy's kind) and flags and explains the freeze. A merge
// that nothing lifted is bypassed. Records without the fields audit as before.
func TestFreezeRecordAudits(t *testing.T) {
	p := timePolicy(t, fridayFreeze)
	now := utc("2026-03-06T15:00:00Z")
	commit := strings.Repeat("c", 40)
	for _, tt := range []struct {
		name     string
		comments []Comment
		class    AuditClass
		detail   string
	}{
		{"lifted by release", []Comment{gComment(10, "rel", "/signoff release", gHead, 5)}, ClassOK, "merged in a freeze (Fri 15:00 → Mon 09:00 every week (Europe/Berlin): No launches on Friday afternoon or over the weekend., until 2026-03-09T08:00:00Z), lifted by rel's release sign-off"},
		{"lifted by a bypass", []Comment{gComment(10, "root", "/bypass outage", gHead, 5)}, ClassBypassed, "lifted by a bypass of root"},
		{"merged frozen", nil, ClassBypassed, "which nothing lifted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pr := signedPR()
			pr.Comments = tt.comments
			v := judgeAt(t, p, pr, TimeFacts{ReadyAt: utc("2026-03-06T09:00:00Z")}, now)
			line, err := NewRecord(p, pr, v, MergeInfo{Commit: commit, MergedBy: "dev", MergedAt: now, Method: "squash"}).MarshalLine()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(line), `"ready_at":"2026-03-06T09:00:00Z","freeze":{`) {
				t.Errorf("record line lacks ready_at and freeze: %s", line)
			}
			recs, skipped := ParseRecords(line)
			if len(recs) != 1 || skipped != 0 {
				t.Fatalf("ParseRecords(%s) = %d records, %d skipped", line, len(recs), skipped)
			}
			e := ClassifyRecords(commit, recs)
			if e.Class != tt.class || !e.Frozen || !strings.Contains(strings.Join(e.Details, "\n"), tt.detail) {
				t.Errorf("ClassifyRecords = %s frozen=%v %q; want %s, frozen, a detail with %q", e.Class, e.Frozen, e.Details, tt.class, tt.detail)
			}
		})
	}
	// Without a freeze the record has no freeze field, and no ready_at
	// when the time rules were not applied.
	v, err := Evaluate(context.Background(), p, signedPR(), gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	line, _ := NewRecord(p, signedPR(), v, MergeInfo{Commit: commit, MergedAt: now}).MarshalLine()
	if strings.Contains(string(line), "freeze") || strings.Contains(string(line), "ready_at") {
		t.Errorf("record without time rules: %s", line)
	}
	if e := ClassifyRecords(commit, mustParse(t, line)); e.Class != ClassOK || e.Frozen {
		t.Errorf("record without a freeze: %s frozen=%v", e.Class, e.Frozen)
	}
}

func mustParse(t *testing.T, line []byte) []Record {
	t.Helper()
	recs, _ := ParseRecords(line)
	if len(recs) != 1 {
		t.Fatalf("ParseRecords(%s): %d records", line, len(recs))
	}
	return recs
}

// TestTimeVerdictNext: Next is when the time rules can next judge the pull
// request differently: the end of the freeze it is in, the start of the next
// window, or a key falling due, whichever comes first.
func TestTimeVerdictNext(t *testing.T) {
	p := timePolicy(t, fridayFreeze)
	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)} // backend pending, due 2 working days after ready
	berlin := mustZone(t, "Europe/Berlin")
	for _, tt := range []struct {
		name, now string
		ready     time.Time
		want      time.Time
	}{
		{"frozen: the window's end", "2026-03-06T15:00:00Z", time.Time{}, time.Date(2026, 3, 9, 9, 0, 0, 0, berlin)},
		{"Wednesday: the next window", "2026-03-04T10:00:00Z", time.Time{}, time.Date(2026, 3, 6, 15, 0, 0, 0, berlin)},
		{"a key due before the next window", "2026-03-04T10:00:00Z", time.Date(2026, 3, 3, 10, 0, 0, 0, berlin), time.Date(2026, 3, 5, 10, 0, 0, 0, berlin)},
		{"overdue: the next window", "2026-03-05T10:00:00Z", time.Date(2026, 3, 3, 10, 0, 0, 0, berlin), time.Date(2026, 3, 6, 15, 0, 0, 0, berlin)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := judgeAt(t, p, pr, TimeFacts{ReadyAt: tt.ready}, utc(tt.now))
			if !v.Time.Next.Equal(tt.want) {
				t.Errorf("Next = %v, want %v", v.Time.Next.In(berlin), tt.want)
			}
		})
	}
	v := judgeAt(t, timePolicy(t, ""), signedPR(), TimeFacts{}, utc("2026-03-04T10:00:00Z"))
	if !v.Time.Next.IsZero() {
		t.Errorf("no windows, no keys pending: Next = %v, want zero", v.Time.Next)
	}
}
