package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

// rat is a time in 2026, UTC: rat(1, 5, 9, 0) is 5 January 09:00.
func rat(month, day, hour, min int) time.Time {
	return time.Date(2026, time.Month(month), day, hour, min, 0, 0, time.UTC)
}

// reportClock is the time the report runs at.
var reportClock = rat(4, 1, 8, 0)

// reportGit is a clone made with the real git binary, hermetic (own HOME, no
// system config, fixed identity, each command one minute after the last).
type reportGit struct {
	t         *testing.T
	dir, home string
	tick      int
}

func (g *reportGit) git(args ...string) string {
	g.t.Helper()
	g.tick++
	date := rat(1, 1, 0, 0).Add(time.Duration(g.tick) * time.Minute).Format(time.RFC3339)
	cmd := exec.Command("git", append([]string{"-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), "HOME="+g.home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(g.home, "gitconfig"),
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date, "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// land commits file on main and records rec on the commit.
func (g *reportGit) land(file string, rec *tracker.Record) string {
	g.t.Helper()
	if err := os.WriteFile(filepath.Join(g.dir, file), []byte(file+"\n"), 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.git("add", file)
	g.git("commit", "-q", "-m", "add "+file)
	sha := g.git("rev-parse", "HEAD")
	if rec != nil {
		rec.Commit = sha
		l := gitstore.OpenLocal(g.dir)
		l.Now = func() time.Time { return reportClock }
		if err := l.AppendRecord(context.Background(), sha, *rec); err != nil {
			g.t.Fatalf("AppendRecord(%s): %v", sha, err)
		}
	}
	return sha
}

func reportRec(pr int, opened, merged time.Time, brief int, usability, backend time.Time) *tracker.Record {
	return &tracker.Record{
		V: 1, Type: tracker.RecordMerge, Repo: "acme/site", PR: pr, Briefs: []int{brief}, Base: "main", Head: "h",
		MergedBy: "lead", MergedAt: merged, OpenedAt: opened, Required: []string{"usability", "backend"},
		Signoffs: []tracker.RecordSignoff{
			{Kind: "usability", Login: "ux", ID: 1, SHA: "h", Via: "review", At: usability},
			{Kind: "backend", Login: "be", ID: 2, SHA: "h", Via: "comment", At: backend},
		},
		Verdict: tracker.VerdictPass,
	}
}

// withDue sets the due times of rec: kind, time, kind, time…
func withDue(rec *tracker.Record, kindTimes ...any) *tracker.Record {
	rec.Due = map[string]time.Time{}
	for i := 0; i < len(kindTimes); i += 2 {
		rec.Due[kindTimes[i].(string)] = kindTimes[i+1].(time.Time)
	}
	return rec
}

// reportHistory builds main with four recorded merges, a direct push and a
// commit without a record. The lead times, worked out by hand:
//
//	#1  Jan  usability 4h   backend 24h  last key → merge 2h     brief #11
//	#2  Jan  usability 1h   backend 48h  last key → merge 30m    brief #12
//	#4  Mar  no opened_at (online: opened 1 Mar 12:00, so 22h and 24h)
//	                                     last key → merge 1h     brief #13
//	#3  Mar  usability 10h  backend 24h  last key → merge 6h     brief #11 again
//
// and the keys against their due times:
//
//	#1  usability due 5 Jan 17:00, turned 13:00: in time
//	    backend   due 6 Jan 08:00, turned 09:00: late
//	#2  backend   due 13 Jan 00:00, turned 12 Jan 08:00: in time (usability: no due time)
//	#4  no due times (a record from before twokey kept them)
//	#3  usability due 10 Mar 10:00, turned 10:00: late (at its due time)
//	    backend   due 12 Mar 00:00, turned 11 Mar 00:00: in time
//
// so usability: January 0 of 1, March 1 of 1; backend: January 1 of 2,
// March 0 of 1.
func reportHistory(t *testing.T) *reportGit {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not found")
	}
	g := &reportGit{t: t, dir: t.TempDir(), home: t.TempDir()}
	g.git("init", "-q", "-b", "main", ".")
	g.land("index.html", nil)
	g.land("a.html", withDue(reportRec(1, rat(1, 5, 9, 0), rat(1, 6, 11, 0), 11, rat(1, 5, 13, 0), rat(1, 6, 9, 0)), "usability", rat(1, 5, 17, 0), "backend", rat(1, 6, 8, 0)))
	g.land("b.html", withDue(reportRec(2, rat(1, 10, 8, 0), rat(1, 12, 8, 30), 12, rat(1, 10, 9, 0), rat(1, 12, 8, 0)), "backend", rat(1, 13, 0, 0)))
	g.land("c.html", reportRec(4, time.Time{}, rat(3, 2, 13, 0), 13, rat(3, 2, 10, 0), rat(3, 2, 12, 0)))
	g.land("d.html", withDue(reportRec(3, rat(3, 10, 0, 0), rat(3, 11, 6, 0), 11, rat(3, 10, 10, 0), rat(3, 11, 0, 0)), "usability", rat(3, 10, 10, 0), "backend", rat(3, 12, 0, 0)))
	g.land("hotfix.html", &tracker.Record{V: 1, Type: tracker.RecordPush, Repo: "acme/site", Base: "main", MergedBy: "ops", MergedAt: rat(3, 12, 0, 0), Verdict: tracker.VerdictDirectPush})
	return g
}

func runReportCmd(t *testing.T, getenv map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return getenv[k] }, now: func() time.Time { return reportClock }}
	code = runEnv(context.Background(), e, append([]string{"report"}, args...))
	return code, out.String(), errb.String()
}

// reportJSON is the part of twokey report --json the tests read, in hours.
type reportJSON struct {
	Ref     string   `json:"ref"`
	Online  bool     `json:"online"`
	Merges  int      `json:"merges"`
	Months  []string `json:"months"`
	Metrics []struct {
		Metric string      `json:"metric"`
		Kind   string      `json:"kind"`
		All    jsonStats   `json:"all"`
		Months []jsonStats `json:"months"`
		Late   *struct {
			All    jsonLate   `json:"all"`
			Months []jsonLate `json:"months"`
		} `json:"late"`
	} `json:"metrics"`
	Notes    []string `json:"notes"`
	Warnings []string `json:"warnings"`
}

// jsonLate is a count of late keys as the JSON has it.
type jsonLate struct {
	Month string `json:"month"`
	Due   *int   `json:"due"`
	Late  *int   `json:"late"`
}

func (l jsonLate) String() string {
	if l.Due == nil || l.Late == nil {
		return "missing"
	}
	return strconv.Itoa(*l.Late) + " of " + strconv.Itoa(*l.Due)
}

// lateTable turns the key metrics' late counts into kind → [all, months...].
func (r reportJSON) lateTable() map[string][]string {
	out := map[string][]string{}
	for _, m := range r.Metrics {
		if m.Late == nil {
			continue
		}
		row := []string{m.Late.All.String()}
		for i, l := range m.Late.Months {
			if l.Month != r.Months[i] {
				row = append(row, "month "+l.Month)
				continue
			}
			row = append(row, l.String())
		}
		out[m.Metric+" "+m.Kind] = row
	}
	return out
}

type jsonStats struct {
	Month  string   `json:"month"`
	Count  int      `json:"count"`
	Median *float64 `json:"median_seconds"`
	P90    *float64 `json:"p90_seconds"`
}

// hours renders stats as "count median p90" with times like 2h30m, 36h or
// 30m; "0" when nothing was measured.
func (s jsonStats) hours() string {
	if s.Count == 0 {
		if s.Median != nil || s.P90 != nil {
			return "0 with times"
		}
		return "0"
	}
	f := func(p *float64) string {
		if p == nil {
			return "null"
		}
		d := time.Duration(*p * float64(time.Second))
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		switch {
		case h == 0:
			return strconv.Itoa(m) + "m"
		case m == 0:
			return strconv.Itoa(h) + "h"
		}
		return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
	}
	return strconv.Itoa(s.Count) + " " + f(s.Median) + " " + f(s.P90)
}

// table turns the metrics into metric/kind → [all, months...].
func (r reportJSON) table() map[string][]string {
	out := map[string][]string{}
	for _, m := range r.Metrics {
		name := m.Metric
		if m.Kind != "" {
			name += " " + m.Kind
		}
		row := []string{m.All.hours()}
		for _, s := range m.Months {
			row = append(row, s.hours())
		}
		out[name] = row
	}
	return out
}

func TestReportCommand(t *testing.T) {
	g := reportHistory(t)

	t.Run("json offline", func(t *testing.T) {
		code, out, stderr := runReportCmd(t, nil, "--repo", g.dir, "--format", "json")
		if code != exitOK {
			t.Fatalf("report --format json = exit %d\n%s", code, stderr)
		}
		var got reportJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("report --format json is not JSON: %v\n%s", err, out)
		}
		if got.Ref != "main" || got.Online || got.Merges != 4 {
			t.Errorf("ref %q, online %v, merges %d; want main, offline, 4 (the push record is not a merge)", got.Ref, got.Online, got.Merges)
		}
		if diff := cmp.Diff([]string{"2026-01", "2026-02", "2026-03"}, got.Months); diff != "" {
			t.Errorf("months diff (-want +got):\n%s", diff)
		}
		// [all, January, February, March]: count, median, 90th percentile.
		want := map[string][]string{
			"key usability":     {"3 4h 10h", "2 2h30m 4h", "0", "1 10h 10h"},
			"key backend":       {"3 24h 48h", "2 36h 48h", "0", "1 24h 24h"},
			"last_key_to_merge": {"4 1h30m 6h", "2 1h15m 2h", "0", "2 3h30m 6h"},
		}
		if diff := cmp.Diff(want, got.table()); diff != "" {
			t.Errorf("lead times diff (-want +got):\n%s", diff)
		}
		// [all, January, February, March]: late of those with a due time;
		// the other metrics have none.
		wantLate := map[string][]string{
			"key usability": {"1 of 2", "0 of 1", "0 of 0", "1 of 1"},
			"key backend":   {"1 of 3", "1 of 2", "0 of 0", "0 of 1"},
		}
		if diff := cmp.Diff(wantLate, got.lateTable()); diff != "" {
			t.Errorf("late keys diff (-want +got):\n%s", diff)
		}
		for _, note := range []string{"run with --online to report it", "1 of 4 merge records have no opened_at", "1 of 4 merge records carry no due times"} {
			if !strings.Contains(strings.Join(got.Notes, "\n"), note) {
				t.Errorf("notes = %q, want one saying %q", got.Notes, note)
			}
		}
	})

	t.Run("json online", func(t *testing.T) {
		gh := fakegithub.New(t)
		gh.Repo("acme/site")
		clock := rat(1, 1, 0, 0)
		gh.SetNow(func() time.Time { return clock })
		bot, ann := fakegithub.User("github-actions[bot]", 41898282), fakegithub.User("ann", 1)
		gh.AddIssue("acme/site", 11, "Pricing", "body", ann, "brief") // filed 1 Jan 00:00
		clock = rat(1, 2, 0, 0)
		gh.LabelIssue("acme/site", 11, "brief: needs-info", bot)
		clock = rat(1, 3, 0, 0)
		gh.LabelIssue("acme/site", 11, "brief: ready", bot) // 48h
		clock = rat(1, 9, 0, 0)
		gh.AddIssue("acme/site", 12, "Banner", "body", ann, "brief")
		clock = rat(1, 9, 2, 0)
		gh.LabelIssue("acme/site", 12, "brief: ready", bot) // 2h
		clock = rat(2, 27, 0, 0)
		gh.AddIssue("acme/site", 13, "Footer", "body", ann, "brief") // never ready
		clock = rat(3, 1, 12, 0)
		gh.AddPull("acme/site", fakegithub.Pull{Number: 4, User: ann, Head: "h"}) // opened 1 Mar 12:00
		gh.ResetRequests()

		code, out, stderr := runReportCmd(t, map[string]string{"GITHUB_API_URL": gh.URL, "GH_TOKEN": "t"}, "--repo", g.dir, "--format", "json", "--online")
		if code != exitOK {
			t.Fatalf("report --online = exit %d\n%s", code, stderr)
		}
		var got reportJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("report --format json is not JSON: %v\n%s", err, out)
		}
		want := map[string][]string{
			"brief_ready":       {"2 25h 48h", "2 25h 48h", "0", "0"},
			"key usability":     {"4 7h 22h", "2 2h30m 4h", "0", "2 16h 22h"},
			"key backend":       {"4 24h 48h", "2 36h 48h", "0", "2 24h 24h"},
			"last_key_to_merge": {"4 1h30m 6h", "2 1h15m 2h", "0", "2 3h30m 6h"},
		}
		if diff := cmp.Diff(want, got.table()); diff != "" {
			t.Errorf("lead times diff (-want +got):\n%s", diff)
		}
		notes := strings.Join(got.Notes, "\n")
		// Repository, policy, pull request #4, and an issue and a page of
		// events for each of briefs #11, #12 and #13.
		for _, note := range []string{"read from GitHub (acme/site) in 9 requests", "brief #13 was never labelled ready"} {
			if !strings.Contains(notes, note) {
				t.Errorf("notes = %q, want one saying %q", got.Notes, note)
			}
		}
		if n := len(gh.Requests()); n != 9 {
			t.Errorf("requests to GitHub = %d, want 9", n)
		}
		if !got.Online {
			t.Errorf("online = false, want true")
		}
	})

	for _, format := range []string{"text", "markdown"} {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := runReportCmd(t, nil, "--repo", g.dir, "--format", format, "--since", "2026-01-01", "--until", "2026-03-31")
			if code != exitOK {
				t.Fatalf("report --format %s = exit %d\n%s", format, code, stderr)
			}
			golden := filepath.Join("testdata", "report."+format+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestReportCommand -update)", err)
			}
			if diff := cmp.Diff(string(want), out); diff != "" {
				t.Errorf("report --format %s diff (-want +got):\n%s", format, diff)
			}
		})
	}

	t.Run("range by merged_at", func(t *testing.T) {
		// Every commit's date is 1 January: the range reads the records.
		code, out, _ := runReportCmd(t, nil, "--repo", g.dir, "--format", "json", "--since", "2026-03-01")
		var got reportJSON
		if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil {
			t.Fatalf("report --since 2026-03-01 = exit %d, %v", code, err)
		}
		if got.Merges != 2 || !cmp.Equal(got.Months, []string{"2026-03"}) {
			t.Errorf("report --since 2026-03-01: merges %d, months %v; want 2 in 2026-03", got.Merges, got.Months)
		}
	})
}

// svgNode is an element of an SVG document, for the test to walk.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []svgNode  `xml:",any"`
}

func (n svgNode) walk(fn func(svgNode)) {
	fn(n)
	for _, c := range n.Nodes {
		c.walk(fn)
	}
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestReportCharts(t *testing.T) {
	g := reportHistory(t)
	out := filepath.Join(t.TempDir(), "slides")
	files := []string{"report-key-usability", "report-key-backend", "report-last-key-to-merge"}

	t.Run("svg", func(t *testing.T) {
		code, stdout, stderr := runReportCmd(t, nil, "--repo", g.dir, "--format", "svg", "--out", out)
		if code != exitOK {
			t.Fatalf("report --format svg = exit %d\n%s", code, stderr)
		}
		var want []string
		for _, f := range files {
			want = append(want, filepath.Join(out, f+".svg"))
		}
		if diff := cmp.Diff(want, strings.Fields(stdout)); diff != "" {
			t.Errorf("files listed diff (-want +got):\n%s", diff)
		}
		data, err := os.ReadFile(filepath.Join(out, "report-key-usability.svg"))
		if err != nil {
			t.Fatal(err)
		}
		var doc svgNode
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("report-key-usability.svg is not XML: %v", err)
		}
		if doc.XMLName.Local != "svg" || doc.XMLName.Space != "http://www.w3.org/2000/svg" {
			t.Fatalf("root element = %v, want svg in the SVG namespace", doc.XMLName)
		}
		var texts []string
		bars, p90 := 0, 0
		doc.walk(func(n svgNode) {
			switch n.XMLName.Local {
			case "text":
				texts = append(texts, strings.TrimSpace(n.Text))
			case "path":
				style := strings.ToUpper(n.attr("style"))
				if strings.Contains(style, "FILL:#1F77B4") {
					bars++
				}
				if strings.Contains(style, "STROKE:#D62728") {
					p90++
				}
			}
		})
		for _, want := range []string{"pull request opened → usability key on main", "hours", "median", "90th percentile", "2026-01", "2026-02", "2026-03"} {
			if !strings.Contains(strings.Join(texts, "\n"), want) {
				t.Errorf("SVG texts = %q, want %q", texts, want)
			}
		}
		// A bar per month (February's is empty) and the legend's swatch; the
		// 90th percentile in January and March: two runs of points.
		if bars != 3+1 {
			t.Errorf("SVG has %d paths filled in the median's colour, want 4 (3 months and the legend)", bars)
		}
		if p90 == 0 {
			t.Errorf("SVG has no path stroked in the 90th percentile's colour")
		}
	})

	t.Run("nothing measured, no chart", func(t *testing.T) {
		// Before 10 March only #4 merged in March, without opened_at: no
		// key was measured, only last key → merge.
		dir := t.TempDir()
		code, stdout, stderr := runReportCmd(t, nil, "--repo", g.dir, "--format", "svg", "--out", dir, "--since", "2026-03-01", "--until", "2026-03-09")
		if code != exitOK || strings.TrimSpace(stdout) != filepath.Join(dir, "report-last-key-to-merge.svg") {
			t.Errorf("report --format svg of #4 alone = exit %d, files %q; want only report-last-key-to-merge.svg\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stderr, "no chart of pull request opened → usability key: nothing measured") {
			t.Errorf("stderr = %q, want it to say which charts were not drawn and why", stderr)
		}
	})

	t.Run("png", func(t *testing.T) {
		code, stdout, stderr := runReportCmd(t, nil, "--repo", g.dir, "--format", "png", "--out", out)
		if code != exitOK || len(strings.Fields(stdout)) != len(files) {
			t.Fatalf("report --format png = exit %d, files %q\n%s", code, stdout, stderr)
		}
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(out, f+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
				t.Fatalf("%s.png does not start with the PNG signature", f)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s.png: %v", f, err)
			}
			if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 720 {
				t.Errorf("%s.png is %dx%d, want 1280x720", f, b.Dx(), b.Dy())
			}
			median, p90 := 0, 0
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					switch [3]uint32{r >> 8, g >> 8, bl >> 8} {
					case [3]uint32{0x1f, 0x77, 0xb4}:
						median++
					case [3]uint32{0xd6, 0x27, 0x28}:
						p90++
					}
				}
			}
			if median < 1000 || p90 < 50 {
				t.Errorf("%s.png has %d pixels of the median's colour and %d of the 90th percentile's; want bars and a line", f, median, p90)
			}
		}
	})
}

func TestReportErrors(t *testing.T) {
	g := reportHistory(t)
	empty := &reportGit{t: t, dir: t.TempDir(), home: t.TempDir()}
	empty.git("init", "-q", "-b", "main", ".")
	empty.land("index.html", nil)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"not a repo", nil, []string{"--repo", t.TempDir()}, "not a git repository"},
		{"bad format", nil, []string{"--repo", g.dir, "--format", "pdf"}, "unknown --format"},
		{"out without a chart", nil, []string{"--repo", g.dir, "--out", "x"}, "--out is for --format svg or png"},
		{"github offline", nil, []string{"--repo", g.dir, "--github", "acme/site"}, "are for --online"},
		{"bad date", nil, []string{"--repo", g.dir, "--since", "last week"}, "YYYY-MM-DD"},
		{"backwards range", nil, []string{"--repo", g.dir, "--since", "2026-03-02", "--until", "2026-03-01"}, "not before"},
		{"online without a token", nil, []string{"--repo", g.dir, "--online"}, "no token"},
		{"nothing to chart", nil, []string{"--repo", empty.dir, "--format", "svg", "--out", t.TempDir()}, "nothing to chart"},
	}
	defer func(f func(context.Context, string) string) { ghAuthToken = f }(ghAuthToken)
	ghAuthToken = func(context.Context, string) string { return "" }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runReportCmd(t, tt.env, tt.args...)
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("report %v = exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
			}
		})
	}
	// A clone without notes says how to fetch them, in the report too.
	code, out, stderr := runReportCmd(t, nil, "--repo", empty.dir)
	if code != exitOK || !strings.Contains(out, "git fetch origin refs/notes/twokey:refs/notes/twokey") || !strings.Contains(stderr, "no notes under") {
		t.Errorf("report without notes = exit %d\n%s\n%s\nwant 0 and the hint to fetch them in the report and on stderr", code, out, stderr)
	}
}
