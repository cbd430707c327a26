package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twokey/twokey/tracker"
)

// docsSample are the hours from pull request opened to the backend key of a
// half-year of merges, per month, that the sample chart in docs/report.md
// shows. Worked out by hand, median and 90th percentile:
//
//	2025-10  18 30 52 70     41    70
//	2025-11  20 26 44        26    44
//	2025-12  20 31 40 50 60  40    60
//	2026-01  16 22 30        22    30
//	2026-02  9 12 15 20      13.5  20
//	2026-03  8 10 14         10    14
var docsSample = map[string][]int{
	"2025-10": {30, 52, 18, 70},
	"2025-11": {26, 44, 20},
	"2025-12": {60, 20, 50, 31, 40},
	"2026-01": {22, 16, 30},
	"2026-02": {12, 20, 9, 15},
	"2026-03": {8, 14, 10},
}

const docsChart = "```mermaid\nxychart-beta\n" +
	"    title \"pull request opened → backend key (hours)\"\n" +
	"    x-axis [\"2025-10\", \"2025-11\", \"2025-12\", \"2026-01\", \"2026-02\", \"2026-03\"]\n" +
	"    y-axis \"hours\"\n" +
	"    bar [41, 26, 40, 22, 13.5, 10]\n" +
	"    line [70, 44, 60, 30, 20, 14]\n" +
	"```\n"

// TestDocsSampleChart: the chart docs/report.md shows is what
// twokey report writes for docsSample, and the medians are the ones worked
// out by hand.
func TestDocsSampleChart(t *testing.T) {
	var recs []tracker.Record
	pr := 0
	for month, hours := range docsSample {
		start, err := time.Parse("2006-01", month)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range hours {
			pr++
			opened := start.Add(time.Duration(24*(i+1)) * time.Hour)
			backend := opened.Add(time.Duration(h) * time.Hour)
			recs = append(recs, tracker.Record{V: 1, Type: tracker.RecordMerge, PR: pr, MergedAt: backend.Add(time.Hour), OpenedAt: opened,
				Required: []string{"usability", "backend"}, Verdict: tracker.VerdictPass, Signoffs: []tracker.RecordSignoff{
					{Kind: "usability", At: opened.Add(time.Hour)}, {Kind: "backend", At: backend}}})
		}
	}
	rep := tracker.LeadTimes(recs, tracker.LeadOptions{Ref: "main"})
	m := rep.Metric(tracker.MetricKey, "backend")
	if m == nil {
		t.Fatal("no backend key metric")
	}
	var b bytes.Buffer
	writeMermaid(&b, rep, *m)
	if b.String() != docsChart {
		t.Errorf("writeMermaid(sample) =\n%s\nwant the chart worked out by hand:\n%s", b.String(), docsChart)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), docsChart) {
		t.Errorf("docs/report.md does not show the sample chart twokey report writes:\n%s", docsChart)
	}
}
