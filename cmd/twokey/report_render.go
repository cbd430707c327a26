package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/twokey/twokey/tracker"
)

// leadDuration writes d for people: 45m, 5h 30m, 3d 4h (rounded to the
// minute).
func leadDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	default:
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd %dh", days, h)
	}
}

// statCells returns the count, median and 90th percentile of s as text, a
// dash for what was not measured.
func statCells(s tracker.LeadStats) (n, median, p90 string) {
	if s.Count == 0 {
		return "0", "–", "–"
	}
	return strconv.Itoa(s.Count), leadDuration(s.Median), leadDuration(s.P90)
}

// lateCell writes the keys turned late of those with a due time, "1 of 3",
// or a dash when no key had one.
func lateCell(c tracker.LateCount) string {
	if c.Due == 0 {
		return "–"
	}
	return fmt.Sprintf("%d of %d", c.Late, c.Due)
}

// safeKind keeps what a record names as a kind printable in a table, a
// chart title and a file name: letters, digits, '-', '_' and '.'; anything
// else (a record is data anyone with push access can write) becomes '_'.
func safeKind(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// metricTitle is m's title with its kind made safe.
func metricTitle(m tracker.LeadMetric) string {
	if m.Metric == tracker.MetricKey {
		return "pull request opened → " + safeKind(m.Kind) + " key"
	}
	return m.Title
}

func leadRangeText(rep *tracker.LeadReport) string {
	switch {
	case rep.Range.Since == "" && rep.Range.Until == "":
		return "all merges"
	case rep.Range.Until == "":
		return "merges from " + rep.Range.Since
	case rep.Range.Since == "":
		return "merges before " + rep.Range.Until
	}
	return "merges from " + rep.Range.Since + " until " + rep.Range.Until
}

func monthsText(rep *tracker.LeadReport) string {
	if len(rep.Months) == 0 {
		return "no months"
	}
	return rep.Months[0] + " to " + rep.Months[len(rep.Months)-1]
}

func writeReportText(w io.Writer, rep *tracker.LeadReport) {
	mode := "offline"
	if rep.Online {
		mode = "online"
	}
	fmt.Fprintf(w, "Lead times on %s: %d merges, %s (%s; %s)\n", rep.Ref, rep.Merges, monthsText(rep), leadRangeText(rep), mode)
	for _, m := range rep.Metrics {
		n, med, p90 := statCells(m.All)
		fmt.Fprintf(w, "\n%s: %s measured, median %s, 90th percentile %s", metricTitle(m), n, med, p90)
		if m.Late != nil {
			fmt.Fprintf(w, "; late against the due time: %s", lateCell(m.Late.All))
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  "+strings.Join(monthColumns(m, "MONTH", "N", "MEDIAN", "P90", "LATE"), "\t"))
		for _, row := range monthRows(m) {
			fmt.Fprintln(tw, "  "+strings.Join(row, "\t"))
		}
		tw.Flush()
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, wa := range rep.Warnings {
			fmt.Fprintf(w, "  - %s\n", wa)
		}
	}
}

func writeReportMarkdown(w io.Writer, rep *tracker.LeadReport, now time.Time) {
	fmt.Fprintf(w, "# twokey lead times on `%s`\n\n", rep.Ref)
	fmt.Fprintf(w, "- Scope: %s (by the record's `merged_at`) on the first-parent history of `%s`, records from `%s`\n", leadRangeText(rep), rep.Ref, tracker.NotesRef)
	fmt.Fprintf(w, "- Merges measured: %d, %s; each time is counted in the month its pull request merged\n", rep.Merges, monthsText(rep))
	if rep.Online {
		fmt.Fprintf(w, "- GitHub: read (briefs' timelines, opening times missing from records)\n")
	} else {
		fmt.Fprintf(w, "- GitHub: not read (offline)\n")
	}
	fmt.Fprintf(w, "- Generated: %s\n", now.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "\n| Lead time | Measured | Median | 90th percentile | Late against the due time |\n|---|---:|---:|---:|---:|\n")
	for _, m := range rep.Metrics {
		n, med, p90 := statCells(m.All)
		late := ""
		if m.Late != nil {
			late = lateCell(m.Late.All)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", metricTitle(m), n, med, p90, late)
	}
	for _, m := range rep.Metrics {
		fmt.Fprintf(w, "\n## %s\n\n", metricTitle(m))
		if len(rep.Months) > 0 && m.All.Count > 0 {
			writeMermaid(w, rep, m)
			fmt.Fprintf(w, "\nBars: the monthly median; line: the 90th percentile. A month without a measurement shows 0.\n\n")
		}
		cols := monthColumns(m, "Month", "Measured", "Median", "90th percentile", "Late against the due time")
		fmt.Fprintf(w, "| %s |\n|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)-1))
		for _, row := range monthRows(m) {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintf(w, "\n## Notes\n\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "- %s\n", mdCell(n))
		}
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(w, "\n## Warnings\n\n")
		for _, wa := range rep.Warnings {
			fmt.Fprintf(w, "- %s\n", mdCell(wa))
		}
	}
}

// chartUnit picks hours, or days when the 90th percentile of some month
// reaches three days.
func chartUnit(m tracker.LeadMetric) (string, time.Duration) {
	for _, s := range m.Months {
		if s.Count > 0 && s.P90 >= 72*time.Hour {
			return "days", 24 * time.Hour
		}
	}
	return "hours", time.Hour
}

// chartValue is d in unit, to one decimal.
func chartValue(d, unit time.Duration) float64 {
	return math.Round(float64(d)/float64(unit)*10) / 10
}

// writeMermaid writes m as a Mermaid xychart that GitHub renders: the
// monthly median as bars, the 90th percentile as a line.
func writeMermaid(w io.Writer, rep *tracker.LeadReport, m tracker.LeadMetric) {
	unitName, unit := chartUnit(m)
	months := make([]string, len(rep.Months))
	medians := make([]string, len(m.Months))
	p90s := make([]string, len(m.Months))
	for i, month := range rep.Months {
		months[i] = strconv.Quote(month)
	}
	for i, s := range m.Months {
		medians[i] = strconv.FormatFloat(chartValue(s.Median, unit), 'f', -1, 64)
		p90s[i] = strconv.FormatFloat(chartValue(s.P90, unit), 'f', -1, 64)
	}
	fmt.Fprintf(w, "```mermaid\nxychart-beta\n")
	fmt.Fprintf(w, "    title \"%s (%s)\"\n", metricTitle(m), unitName)
	fmt.Fprintf(w, "    x-axis [%s]\n", strings.Join(months, ", "))
	fmt.Fprintf(w, "    y-axis \"%s\"\n", unitName)
	fmt.Fprintf(w, "    bar [%s]\n", strings.Join(medians, ", "))
	fmt.Fprintf(w, "    line [%s]\n", strings.Join(p90s, ", "))
	fmt.Fprintf(w, "```\n")
}

// chartFileName names m's chart file: report-key-usability, for one.
func chartFileName(m tracker.LeadMetric) string {
	name := "report-" + strings.ReplaceAll(m.Metric, "_", "-")
	if m.Kind != "" {
		name += "-" + strings.Trim(safeKind(m.Kind), ".")
	}
	return name
}

// Chart colours and size: 1280×720 pixels (16:9) in PNG.
var (
	medianColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	p90Color    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
)

const chartWidth, chartHeight = 13.333 * vg.Inch, 7.5 * vg.Inch // at 96 dpi

// drawChart draws m for slides with gonum.org/v1/plot: the monthly median as
// bars, the 90th percentile as points joined across consecutive measured
// months, a legend, months on the x axis and hours or days on the y axis.
func drawChart(w io.Writer, rep *tracker.LeadReport, m tracker.LeadMetric, format string) error {
	unitName, unit := chartUnit(m)
	p := plot.New()
	sans := func(f *plot.Plot) {
		for _, s := range []*draw.TextStyle{&f.Title.TextStyle, &f.X.Label.TextStyle, &f.Y.Label.TextStyle, &f.X.Tick.Label, &f.Y.Tick.Label, &f.Legend.TextStyle} {
			s.Font.Variant = "Sans"
		}
		f.Title.TextStyle.Font.Size = vg.Points(20)
		f.Legend.TextStyle.Font.Size = vg.Points(14)
		for _, s := range []*draw.TextStyle{&f.X.Label.TextStyle, &f.Y.Label.TextStyle, &f.X.Tick.Label, &f.Y.Tick.Label} {
			s.Font.Size = vg.Points(14)
		}
	}
	sans(p)
	p.Title.Text = fmt.Sprintf("%s on %s", metricTitle(m), rep.Ref)
	p.Y.Label.Text = unitName
	p.Y.Min = 0
	p.Add(plotter.NewGrid()) // first, under the data

	medians := make(plotter.Values, len(m.Months))
	for i, s := range m.Months {
		medians[i] = chartValue(s.Median, unit)
	}
	bars, err := plotter.NewBarChart(medians, vg.Length(math.Max(8, 600/float64(len(m.Months)+1))))
	if err != nil {
		return err
	}
	bars.Color = medianColor
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.Legend.Add("median", bars)

	// The 90th percentile: one line per run of measured months.
	legend := false
	var run plotter.XYs
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		l, pts, err := plotter.NewLinePoints(run)
		if err != nil {
			return err
		}
		l.Color, l.Width = p90Color, vg.Points(2)
		pts.Color, pts.Shape, pts.Radius = p90Color, draw.CircleGlyph{}, vg.Points(4)
		p.Add(l, pts)
		if !legend {
			legend = true
			p.Legend.Add("90th percentile", l, pts)
		}
		run = nil
		return nil
	}
	for i, s := range m.Months {
		if s.Count == 0 {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		run = append(run, plotter.XY{X: float64(i), Y: chartValue(s.P90, unit)})
	}
	if err := flush(); err != nil {
		return err
	}
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(8)
	p.NominalX(rep.Months...)
	// Room for the outer bars, and above the highest point for the legend.
	p.X.Min, p.X.Max = -0.6, float64(len(rep.Months))-0.4
	top := 0.0
	for _, s := range m.Months {
		top = math.Max(top, chartValue(s.P90, unit))
	}
	p.Y.Max = math.Max(1, top*1.2)

	c, err := draw.NewFormattedCanvas(chartWidth, chartHeight, format)
	if err != nil {
		return err
	}
	margin := vg.Points(12)
	p.Draw(draw.Crop(draw.New(c), margin, -margin, margin, -margin))
	_, err = c.WriteTo(w)
	return err
}

// monthColumns are the headers of a metric's table of months: the month, the
// count, the median and the 90th percentile, and the late keys when the
// metric counts them.
func monthColumns(m tracker.LeadMetric, month, n, median, p90, late string) []string {
	cols := []string{month, n, median, p90}
	if m.Late != nil {
		cols = append(cols, late)
	}
	return cols
}

// monthRows are the cells of a metric's table of months, as monthColumns
// heads them.
func monthRows(m tracker.LeadMetric) [][]string {
	rows := make([][]string, 0, len(m.Months))
	for i, s := range m.Months {
		n, med, p90 := statCells(s)
		row := []string{s.Month, n, med, p90}
		if m.Late != nil {
			row = append(row, lateCell(m.Late.Months[i]))
		}
		rows = append(rows, row)
	}
	return rows
}
