package tracker

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTimeConfigErrors: every mistake in calendar:, freeze:, deadlines: and
// a kind's due: is a configuration error at its line and column, all in one
// pass.
func TestTimeConfigErrors(t *testing.T) {
	const y = `version: 1
kinds:
  backend:
    users: [bea]
    due: 2 days
  release:
    users: [rel]
calendar:
  zone: Europe/Berlin
  working_hours: "17:00-09:00"
  holidays:
    - {date: 2026-12-24, to: 2026-12-26}
    - {date: 2026-12-26}
    - {date: 2026-13-01}
deadlines:
  margin: soon
freeze:
  - from: Fri 15:00
    to: Mon 09:00
  - reason: Unknown zone.
    from: Fri 15:00
    to: Mon 09:00
    zone: Mars/Olympus_Mons
  - reason: Backwards.
    from: 2026-12-24
    to: 2026-12-01
  - reason: Empty.
    from: Wed 10:00
    to: wednesday 10:00
  - reason: Overlaps the first.
    from: Sun 12:00
    to: Sun 18:00
  - reason: Mixed.
    from: Fri 15:00
    to: 2026-12-01
  - reason: Unknown override.
    from: 2026-12-24 10:00
    to: 2026-12-24 12:00
    override: relaese
  - reason: Nothing.
  - reason: Bad clock.
    from: Fri 25:00
    to: Mon 09:00
require:
  - kinds: [backend]
`
	_, err := LoadPolicy("p.yml", []byte(y))
	var got []string
	for _, e := range AsConfigErrors(err) {
		got = append(got, e.Error())
	}
	want := []string{
		`p.yml:5:10: kind "backend": due "2 days" must be written N working days or N working hours, e.g. "2 working days"`,
		`p.yml:10:18: calendar.working_hours "17:00-09:00" ends before it starts`,
		`p.yml:13:7: calendar holiday 2 overlaps holiday 1 on 2026-12-26: list each day once`,
		`p.yml:14:14: calendar holiday 3: date "2026-13-01" must be written YYYY-MM-DD`,
		`p.yml:16:11: deadlines.margin "soon" must be written N working days or N working hours, e.g. "1 working day"`,
		`p.yml:18:5: freeze window 1: has no reason: write reason: (people see it on every pull request it holds, e.g. "no launches over the weekend: nobody is on call to roll back")`,
		`p.yml:23:11: freeze window 2: zone: unknown time zone "Mars/Olympus_Mons": use an IANA name such as Europe/Berlin, America/New_York or UTC`,
		`p.yml:26:9: freeze window 3: ends (2026-12-01) before it starts (2026-12-24)`,
		`p.yml:29:9: freeze window 4: from "Wed 10:00" and to "wednesday 10:00" are the same time: the window is empty`,
		`p.yml:30:5: freeze window 5: overlaps freeze window 1 (Fri 15:00 → Mon 09:00 every week (Europe/Berlin)) with the same scope: make them one window, or change one of them`,
		`p.yml:35:9: freeze window 6: from "Fri 15:00" and to "2026-12-01" mix a weekday and a date: write both as "Fri 15:00" (every week) or both as dates (once)`,
		`p.yml:39:15: freeze window 7: override "relaese" is not a kind defined under kinds: (defined: backend, release); define it there with the people who may lift a freeze`,
		`p.yml:40:5: freeze window 8: needs from: and to: ("Fri 15:00" and "Mon 09:00" every week, or dates such as 2026-12-24 and 2027-01-01 09:00), or holidays: true`,
		`p.yml:42:11: freeze window 9: from "Fri 25:00" is neither a weekday and time ("Fri 15:00") nor a date ("2026-12-24" or "2026-12-24 15:00")`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadPolicy errors: diff (-want +got):\n%s", diff)
	}
}

// TestDefaultPolicyHasNoFreeze: the embedded default freezes nothing, keeps
// the calendar's defaults and reads the default form's deadline field.
func TestDefaultPolicyHasNoFreeze(t *testing.T) {
	p := DefaultPolicy()
	if len(p.Freeze) != 0 {
		t.Errorf("default freeze = %+v, want none", p.Freeze)
	}
	if p.Calendar.Location() != time.UTC || p.Calendar.open != 9*3600 || p.Calendar.close != 17*3600 || !p.Calendar.days[time.Friday] || p.Calendar.days[time.Saturday] {
		t.Errorf("default calendar = %+v, want UTC, Monday to Friday 09:00-17:00", p.Calendar)
	}
	if p.Deadlines.BriefField != "deadline" || p.Deadlines.margin != (workSpan{1, true}) {
		t.Errorf("default deadlines = %+v", p.Deadlines)
	}
	// The commented example in the default is a working policy.
	var example []string
	in := false
	for _, line := range strings.Split(string(DefaultPolicyYAML), "\n") {
		switch {
		case strings.HasPrefix(line, "# None by default. For example"):
			in = true
		case in && strings.HasPrefix(line, "#   "):
			example = append(example, strings.TrimPrefix(line, "# "))
		case in:
			in = false
		}
	}
	doc := "kinds:\n  usability: {}\n  backend: {}\n  release: {users: [rel]}\nrequire:\n  - kinds: [usability, backend]\nfreeze:\n" + strings.Join(example, "\n") + "\n"
	q, err := LoadPolicy("example.yml", []byte(doc))
	if err != nil {
		t.Fatalf("the default's commented freeze example does not load:\n%s\n%v", doc, err)
	}
	if len(q.Freeze) != 2 {
		t.Errorf("the example has %d windows, want 2", len(q.Freeze))
	}
}

// TestDueTimes: a backend key due 2 working days after the pull request was
// ready; the brief's deadline less the margin when that is sooner; nothing
// for a draft, a pull request not ready, or a satisfied kind.
func TestDueTimes(t *testing.T) {
	p := timePolicy(t, "calendar:\n  zone: Europe/Berlin\ndeadlines:\n  brief_field: deadline\n  margin: 1 working day\n")
	berlin := mustZone(t, "Europe/Berlin")
	friday16 := time.Date(2026, 3, 6, 16, 0, 0, 0, berlin)
	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)} // usability only

	v := judgeAt(t, p, pr, TimeFacts{ReadyAt: friday16}, time.Date(2026, 3, 10, 15, 59, 0, 0, berlin))
	want := []Due{{Kind: "backend", At: time.Date(2026, 3, 10, 16, 0, 0, 0, berlin), Zone: berlin, Since: friday16,
		Why: "2 working days after it was ready for backend", Mentions: []string{"@bea", "@acme/backend"}}}
	if diff := cmp.Diff(want, v.Time.Due, cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })); diff != "" {
		t.Fatalf("Due: diff (-want +got):\n%s", diff)
	}
	if w, _ := v.Labels(); strings.Contains(strings.Join(w, ","), "overdue") {
		t.Errorf("Labels() = %v before the due time", w)
	}
	if !strings.Contains(v.Comment(), "- **backend**: due Tue 10 Mar 2026 16:00 CET (Europe/Berlin) (2 working days after it was ready for backend)\n") {
		t.Errorf("Comment() does not show the due time:\n%s", v.Comment())
	}

	// A minute later it is overdue: the label, the comment, the notice.
	v = judgeAt(t, p, pr, TimeFacts{ReadyAt: friday16}, time.Date(2026, 3, 10, 16, 0, 0, 0, berlin))
	if len(v.Time.Overdue()) != 1 || !v.Time.Due[0].Overdue {
		t.Fatalf("Overdue() = %+v, want backend", v.Time.Overdue())
	}
	if w, _ := v.Labels(); !strings.Contains(strings.Join(w, ","), "overdue: backend") {
		t.Errorf("Labels() = %v, want overdue: backend", w)
	}
	if !strings.Contains(v.Comment(), "(2 working days after it was ready for backend) ⏰ **overdue**") {
		t.Errorf("Comment() does not say overdue:\n%s", v.Comment())
	}
	n := v.OverdueNotice(v.Time.Due[0])
	for _, s := range []string{"<!-- twokey:overdue kind=backend due=2026-03-10T15:00:00Z -->\n", "@bea @acme/backend: the **backend** sign-off on `aaaaaaa` was due Tue 10 Mar 2026 16:00 CET (Europe/Berlin)", "ready for it since Fri 6 Mar 2026 16:00 CET"} {
		if !strings.Contains(n, s) {
			t.Errorf("OverdueNotice() lacks %q:\n%s", s, n)
		}
	}

	// The brief's deadline, Tuesday 10 March, less one working day is the
	// close of Friday 6 March: sooner than ready + 2 working days.
	briefs := []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"brief: ready"}, Brief: parsedBrief("### Deadline\n\n2026-03-10\n")}}
	v2, err := evaluateWith(p, pr, briefs)
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyTime(v2, p, TimeFacts{PR: pr, Briefs: briefs, ReadyAt: time.Date(2026, 3, 6, 10, 0, 0, 0, berlin)}, friday16); err != nil {
		t.Fatal(err)
	}
	if len(v2.Time.Due) != 1 || !v2.Time.Due[0].At.Equal(time.Date(2026, 3, 6, 17, 0, 0, 0, berlin)) || v2.Time.Due[0].Why != "1 working day before the deadline of brief #7 (2026-03-10)" {
		t.Errorf("Due with a brief deadline = %+v, want Fri 6 Mar 17:00 by the brief", v2.Time.Due)
	}

	// A kind required later starts its clock then.
	v = judgeAt(t, p, pr, TimeFacts{ReadyAt: friday16, RequiredSince: map[string]time.Time{"backend": friday16.Add(72 * time.Hour)}}, friday16)
	if len(v.Time.Due) != 1 || !v.Time.Due[0].At.Equal(time.Date(2026, 3, 11, 16, 0, 0, 0, berlin)) {
		t.Errorf("Due with backend required since Monday 16:00 = %+v, want Wednesday 16:00", v.Time.Due)
	}

	for name, f := range map[string]TimeFacts{"draft": {Draft: true, ReadyAt: friday16}, "not ready": {}} {
		v := judgeAt(t, p, pr, f, friday16.Add(30*24*time.Hour))
		if len(v.Time.Due) != 0 {
			t.Errorf("%s: Due = %+v, want none", name, v.Time.Due)
		}
	}
	v = judgeAt(t, p, signedPR(), TimeFacts{ReadyAt: friday16}, friday16.Add(30*24*time.Hour))
	if len(v.Time.Due) != 0 {
		t.Errorf("both keys turned: Due = %+v, want none", v.Time.Due)
	}
}

// TestDueTimesOfEveryKind: DueTimes gives the due time of every required
// kind, satisfied or not, by the rules of the pending keys' Due (what a
// merge record keeps), while ApplyTime still lists only the pending ones.
func TestDueTimesOfEveryKind(t *testing.T) {
	p := timePolicy(t, "calendar:\n  zone: Europe/Berlin\ndeadlines:\n  brief_field: deadline\n  margin: 1 working day\n")
	berlin := mustZone(t, "Europe/Berlin")
	friday16 := time.Date(2026, 3, 6, 16, 0, 0, 0, berlin)
	pr := signedPR()
	// Brief #7's deadline, Friday 20 March, less one working day (Thursday
	// 19 March) is the close of Wednesday 18 March: usability's only due
	// time; backend's
	// 2 working days from Friday 16:00 (Tuesday 10 March 16:00) are sooner.
	briefs := []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"brief: ready"}, Brief: parsedBrief("### Deadline\n\n2026-03-20\n")}}
	v, err := evaluateWith(p, pr, briefs)
	if err != nil {
		t.Fatal(err)
	}
	facts := TimeFacts{PR: pr, Briefs: briefs, ReadyAt: friday16}
	now := time.Date(2026, 3, 12, 9, 0, 0, 0, berlin)
	if err := ApplyTime(v, p, facts, now); err != nil {
		t.Fatal(err)
	}
	if v.State != StateSuccess || len(v.Time.Due) != 0 {
		t.Fatalf("both keys turned: state %s, Due = %+v; want success and no pending due times", v.State, v.Time.Due)
	}
	got := DueTimes(v, p, facts, now)
	want := []Due{
		{Kind: "usability", At: time.Date(2026, 3, 18, 17, 0, 0, 0, berlin), Zone: berlin, Since: friday16,
			Why: "1 working day before the deadline of brief #7 (2026-03-20)", Mentions: []string{"@uma", "@acme/ux"}},
		{Kind: "backend", At: time.Date(2026, 3, 10, 16, 0, 0, 0, berlin), Zone: berlin, Since: friday16,
			Why: "2 working days after it was ready for backend", Overdue: true, Mentions: []string{"@bea", "@acme/backend"}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })); diff != "" {
		t.Errorf("DueTimes: diff (-want +got):\n%s", diff)
	}
	for name, f := range map[string]TimeFacts{"draft": {PR: pr, Briefs: briefs, Draft: true, ReadyAt: friday16}, "not ready": {PR: pr, Briefs: briefs}} {
		if got := DueTimes(v, p, f, now); len(got) != 0 {
			t.Errorf("DueTimes(%s) = %+v, want none", name, got)
		}
	}
}

func evaluateWith(p *Policy, pr *PullRequest, briefs []LinkedBrief) (*Verdict, error) {
	return Evaluate(context.Background(), p, pr, briefs, newGateDir())
}

// TestFitTimeToForm: a freeze window's brief: condition and
// deadlines.brief_field are compared with the form like require rules: an
// error at the policy's line for the file's own, the default's brief_field
// dropped quietly for a form without a deadline.
func TestFitTimeToForm(t *testing.T) {
	form, err := LoadForm("form.yml", []byte("name: x\ndescription: x\nbody:\n  - type: input\n    id: objective\n    attributes: {label: Objective}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPolicy("p.yml", []byte("brief:\n  rules: []\n  answer_labels: []\nrequire:\n  - kinds: [usability]\nfreeze:\n  - reason: r\n    from: 2026-12-01\n    to: 2026-12-02\n    brief: {field: touches, is: Payments}\ndeadlines:\n  brief_field: due_date\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = FitPolicyToForm(p, form)
	var got []string
	for _, e := range AsConfigErrors(err) {
		got = append(got, e.Error())
	}
	want := []string{
		`p.yml:10:12: freeze window 1 brief names the field "touches", which the form form.yml does not have (its fields: objective)`,
		`p.yml:12:16: deadlines.brief_field names the field "due_date", which the form form.yml does not have (its fields: objective)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FitPolicyToForm errors: diff (-want +got):\n%s", diff)
	}

	q, err := LoadPolicy("p.yml", []byte("brief:\n  rules: []\n  answer_labels: []\nrequire:\n  - kinds: [usability]\n"))
	if err != nil {
		t.Fatal(err)
	}
	fit, _, err := FitPolicyToForm(q, form)
	if err != nil || fit.Deadlines.BriefField != "" || q.Deadlines.BriefField != "deadline" {
		t.Errorf("FitPolicyToForm(default deadlines) = brief_field %q, %v; want it dropped from the fitted copy only", fit.Deadlines.BriefField, err)
	}
}

// docExample returns the first yaml block after heading in docs/time.md.
func docExample(t *testing.T, heading string) string {
	t.Helper()
	data, err := os.ReadFile("../docs/time.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/time.md has no %q", heading)
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	block, _, _ := strings.Cut(rest, "```")
	return block
}

// TestDocExamples: the worked examples of docs/time.md do what it says.
func TestDocExamples(t *testing.T) {
	t.Run("no Friday launches", func(t *testing.T) {
		p, err := LoadPolicy("twokey.yml", []byte(docExample(t, "## Worked example: no Friday launches")))
		if err != nil {
			t.Fatal(err)
		}
		pr := gatePR()
		pr.Reviews = []Review{gApprove(1, "uxer", gHead, 1), gApprove(2, "plat", gHead, 2)}
		dir := newGateDir()
		dir.teams = map[string][]string{"acme/ux": {"uxer"}, "acme/platform": {"plat"}}
		judge := func(now string, comments ...Comment) *Verdict {
			pr.Comments = comments
			v, err := Evaluate(context.Background(), p, pr, gateBriefs, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := ApplyTime(v, p, TimeFacts{PR: pr, Briefs: gateBriefs}, utc(now)); err != nil {
				t.Fatal(err)
			}
			return v
		}
		v := judge("2026-03-06T15:00:00Z")
		if want := "frozen until Mon 9 Mar 09:00 CET (Europe/Berlin): No launches on Friday afternoon or over the weekend; nobody is on call to roll back."; v.State != StatePending || v.Description() != want {
			t.Errorf("Friday 16:00: %s %q, want pending %q", v.State, v.Description(), want)
		}
		if v := judge("2026-03-09T08:00:00Z"); v.State != StateSuccess {
			t.Errorf("Monday 09:00: %s %q, want success", v.State, v.Description())
		}
		v = judge("2026-03-06T15:00:00Z", gComment(9, "rita", "/signoff release", gHead, 3))
		if v.State != StateSuccess || v.Time.Freeze.Override == nil || v.Time.Freeze.Override.By != "rita" {
			t.Errorf("with rita's release: %s %+v, want success lifted by rita", v.State, v.Time.Freeze)
		}
		if v := judge("2026-04-02T14:00:00Z"); v.Time.Freeze != nil {
			t.Errorf("Thursday 2 April 16:00: frozen %+v, want not", v.Time.Freeze)
		}
		v = judge("2026-04-03T13:00:00Z")
		if f := v.Time.Freeze; f == nil || !f.Until.Equal(time.Date(2026, 4, 7, 0, 0, 0, 0, mustZone(t, "Europe/Berlin"))) {
			t.Errorf("Good Friday 15:00: %+v, want frozen until Tuesday 7 April 00:00", f)
		}
	})
	t.Run("usability signs within 2 working days", func(t *testing.T) {
		p, err := LoadPolicy("twokey.yml", []byte(docExample(t, "## Worked example: usability signs within 2 working days")))
		if err != nil {
			t.Fatal(err)
		}
		ny := mustZone(t, "America/New_York")
		ready := time.Date(2026, 3, 5, 11, 0, 0, 0, ny)
		pr := gatePR()
		dir := newGateDir()
		for _, tt := range []struct {
			deadline string
			want     time.Time
		}{
			{"", time.Date(2026, 3, 9, 11, 0, 0, 0, ny)},
			{"2026-03-09", time.Date(2026, 3, 5, 17, 30, 0, 0, ny)},
		} {
			briefs := []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"brief: ready"}, Brief: parsedBrief("### Deadline\n\n" + tt.deadline + "\n")}}
			v, err := Evaluate(context.Background(), p, pr, briefs, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := ApplyTime(v, p, TimeFacts{PR: pr, Briefs: briefs, ReadyAt: ready}, tt.want); err != nil {
				t.Fatal(err)
			}
			d := v.Time.Due
			if len(d) == 0 || d[0].Kind != "usability" || !d[0].At.Equal(tt.want) || !d[0].Overdue {
				t.Errorf("deadline %q: due %+v, want usability at %v, overdue at that time", tt.deadline, d, tt.want)
				continue
			}
			if w, _ := v.Labels(); !strings.Contains(strings.Join(w, ","), "overdue: usability") {
				t.Errorf("deadline %q: labels %v, want overdue: usability", tt.deadline, w)
			}
			if n := v.OverdueNotice(d[0]); !strings.Contains(n, "@uma @acme/ux: ") {
				t.Errorf("notice %q does not tell @uma and @acme/ux", n)
			}
		}
	})
}

// TestBriefDeadlinePassed: an open brief whose deadline answer has passed
// gets a deadline_passed finding from the day after the deadline (in the
// calendar's zone): a warning that keeps it ready by default, an error that
// labels it needs-info when deadlines.passed says needs_info, nothing when it
// says off or when the brief is judged with no clock.
func TestBriefDeadlinePassed(t *testing.T) {
	f := DefaultForm()
	body := renderBody(f, with(completeAnswers(), "deadline", "2026-03-31"))
	berlin := mustZone(t, "Europe/Berlin")
	lastMinute := time.Date(2026, 3, 31, 23, 59, 0, 0, berlin)
	dayAfter := time.Date(2026, 4, 1, 0, 0, 0, 0, berlin)
	policy := func(passed string) *Policy {
		y := "version: 1\ncalendar:\n  zone: Europe/Berlin\ndeadlines:\n  brief_field: deadline\n"
		if passed != "" {
			y += "  passed: " + passed + "\n"
		}
		p, err := LoadPolicy("twokey.yml", []byte(y))
		if err != nil {
			t.Fatalf("LoadPolicy: %v", err)
		}
		return p
	}
	tests := []struct {
		name, passed string
		now          time.Time
		findings     []string
		severity     string
		label        string
	}{
		{"the deadline day is still in time", "", lastMinute, nil, "", "brief: ready"},
		{"the day after: a warning by default", "", dayAfter, []string{"deadline:deadline_passed"}, SeverityWarning, "brief: ready"},
		{"warning written out", "warning", dayAfter, []string{"deadline:deadline_passed"}, SeverityWarning, "brief: ready"},
		{"needs_info: an error", "needs_info", dayAfter, []string{"deadline:deadline_passed"}, SeverityError, "brief: needs-info"},
		{"off", "off", dayAfter.AddDate(1, 0, 0), nil, "", "brief: ready"},
		{"no clock", "needs_info", time.Time{}, nil, "", "brief: ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckBriefAt(f, policy(tt.passed), body, filed, tt.now)
			if diff := cmp.Diff(tt.findings, findingRules(res.Findings)); diff != "" {
				t.Fatalf("CheckBriefAt findings: diff (-want +got):\n%s", diff)
			}
			if res.Labels[0] != tt.label {
				t.Errorf("CheckBriefAt labels = %v, want %s first", res.Labels, tt.label)
			}
			if len(res.Findings) == 0 {
				return
			}
			fd := res.Findings[0]
			if fd.Severity != tt.severity || fd.Message != "the deadline 2026-03-31 has passed: update it or close the brief" || fd.Why == "" {
				t.Errorf("finding = %+v, want %s saying the deadline 2026-03-31 has passed", fd, tt.severity)
			}
			if c := BriefComment(res); !strings.Contains(c, "- **Deadline**: the deadline 2026-03-31 has passed: update it or close the brief.") {
				t.Errorf("BriefComment does not show the finding:\n%s", c)
			}
		})
	}
	// A deadline before the brief was filed is the date rule's error alone.
	early := renderBody(f, with(completeAnswers(), "deadline", "2026-02-01"))
	if got := findingRules(CheckBriefAt(f, policy(""), early, filed, dayAfter).Findings); !cmp.Equal(got, []string{"deadline:date"}) {
		t.Errorf("deadline before filing: findings %v, want only deadline:date", got)
	}
	if _, err := LoadPolicy("p.yml", []byte("version: 1\ndeadlines:\n  passed: later\n")); err == nil || !strings.Contains(err.Error(), `p.yml:3:11: deadlines.passed "later" must be warning`) {
		t.Errorf("deadlines.passed: later: error %v, want one at 3:11", err)
	}
}
