package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/twokey/twokey/action"
	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

const reportUsage = `usage: twokey report [--repo DIR] [--ref REF] [--since DATE] [--until DATE]
                     [--format text|json|markdown|svg|png] [--out DIR]
                     [--fetch REMOTE] [--online] [--github owner/repo]
                     [--policy-path PATH]

Report measures lead times from the merge records in refs/notes/twokey on the
first-parent history of a branch, per month (of the merge) and in all:

  brief filed → ready        from a brief being filed to its first ready
                             label (read from GitHub: --online only)
  pull request opened → KIND key
                             from the pull request being opened to the first
                             sign-off of each kind that counted at merge
  last key → merge           from the last required key to the merge

each as a count, a median and a 90th percentile (nearest rank). Records
written before twokey recorded when a pull request opened (opened_at) give no
key times offline; --online reads those times from GitHub.

For each kind it also counts the keys turned late: of the keys whose merge
record holds a due time for their kind (the kind's due: and the brief's
deadline, as the gate computed them at the merge), those whose first
sign-off came at or after it. Records without due times (no kind had one, or
written before twokey recorded them) count as no deadline, not as in time.

Flags:
  --repo DIR          the clone to read (default: the current directory)
  --ref REF           branch, remote-tracking branch, tag or commit (default:
                      the branch HEAD points to)
  --since DATE        only merges whose record's merged_at is on or after DATE
  --until DATE        only merges before DATE (a bare day includes that day)
                      DATE is YYYY-MM-DD (UTC) or RFC 3339
  --format FORMAT     text (default), json, markdown (tables and Mermaid
                      charts that GitHub renders), svg or png (one chart per
                      lead time with a measurement, into --out, for slides)
  --out DIR           where svg and png charts go (default: the current
                      directory); the files written are listed on stdout
  --fetch REMOTE      first fetch refs/notes/twokey from REMOTE (a remote's
                      name or a URL) and merge it into the local notes
  --online            also read from GitHub when briefs were filed and became
                      ready, and when pull requests without opened_at opened
  --github owner/repo the repository on GitHub (default: $GH_REPO, else the
                      one the records name, else the remote "origin")
  --policy-path PATH  the policy on the default branch, for the ready label
                      (default .github/twokey.yml)

Online, the token is $GH_TOKEN, else $GITHUB_TOKEN, else what 'gh auth token'
prints; it needs read access to contents, issues and pull requests. It costs
two requests, then two per brief and one per pull request without opened_at.

Exit status: 0 the report was written, 2 error.

Examples:
  twokey report --since 2026-01-01 --format markdown >> "$GITHUB_STEP_SUMMARY"
  twokey report --online --json | jq '.metrics[] | {metric, kind, all}'
  twokey report --format png --out slides/
`

func reportCommand() *command {
	return &command{
		name:    "report",
		summary: "lead times of briefs, keys and merges, with charts",
		usage:   reportUsage,
		run:     runReport,
	}
}

type reportOptions struct {
	repo, ref, since, until, format, out, fetch, github, policyPath string
	online                                                          bool
}

func runReport(ctx context.Context, e *env, args []string) error {
	var o reportOptions
	fs := newFlagSet("report")
	fs.StringVar(&o.repo, "repo", ".", "")
	fs.StringVar(&o.ref, "ref", "", "")
	fs.StringVar(&o.since, "since", "", "")
	fs.StringVar(&o.until, "until", "", "")
	fs.StringVar(&o.format, "format", "text", "")
	fs.StringVar(&o.out, "out", "", "")
	fs.StringVar(&o.fetch, "fetch", "", "")
	fs.BoolVar(&o.online, "online", false, "")
	fs.StringVar(&o.github, "github", "", "")
	fs.StringVar(&o.policyPath, "policy-path", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (the branch goes in --ref)", fs.Arg(0))
	}
	switch o.format {
	case "text", "json", "markdown":
		if o.out != "" {
			return usagef("--out is for --format svg or png; %s goes to standard output", o.format)
		}
	case "svg", "png":
		if o.out == "" {
			o.out = "."
		}
	default:
		return usagef("unknown --format %q: use text, json, markdown, svg or png", o.format)
	}
	if !o.online && (o.github != "" || o.policyPath != "") {
		return usagef("--github and --policy-path are for --online")
	}
	var rng tracker.ReportOptions
	var err error
	if rng.Since, rng.Until, err = parseDateRange(o.since, o.until); err != nil {
		return err
	}
	if o.fetch != "" {
		if err := fetchNotes(ctx, e, "report", o.repo, o.fetch); err != nil {
			return err
		}
	}
	repo, err := gitstore.Open(o.repo)
	if err != nil {
		return err
	}
	defer repo.Close()
	name, _, err := repo.ResolveRef(o.ref)
	if err != nil {
		return err
	}
	var warnings []string
	if n, err := repo.NoteCount(); err != nil {
		return err
	} else if n == 0 {
		warnings = append(warnings, fmt.Sprintf("no notes under %s; if this clone has not fetched them, run: git fetch origin %s:%s (or pass --fetch origin)", tracker.NotesRef, tracker.NotesRef, tracker.NotesRef))
	}
	recs, skipped, err := tracker.ReportRecords(ctx, repo, repo, name, rng)
	if err != nil {
		return err
	}
	warnings = append(warnings, skipped...)

	opt := tracker.LeadOptions{Ref: name, Range: rng}
	var online string
	if o.online {
		if online, err = readOnline(ctx, e, o, recs, &opt); err != nil {
			return err
		}
	}
	rep := tracker.LeadTimes(recs, opt)
	if online != "" {
		rep.Notes = append([]string{online}, rep.Notes...)
	}
	rep.Warnings = append(warnings, rep.Warnings...)
	for _, w := range rep.Warnings {
		fmt.Fprintf(e.stderr, "twokey report: warning: %s\n", w)
	}

	switch o.format {
	case "svg", "png":
		files, err := writeReportCharts(rep, o.out, o.format, e.stderr)
		for _, f := range files {
			fmt.Fprintln(e.stdout, f)
		}
		return err
	}
	w := bufio.NewWriter(e.stdout)
	switch o.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	case "markdown":
		writeReportMarkdown(w, rep, e.now())
	default:
		writeReportText(w, rep)
	}
	return w.Flush()
}

// readOnline reads the briefs' timelines and the opening times that records
// lack from GitHub into opt and recs, and returns a note saying what it read.
func readOnline(ctx context.Context, e *env, o reportOptions, recs []tracker.Record, opt *tracker.LeadOptions) (string, error) {
	ghRepo := o.github
	if ghRepo == "" {
		ghRepo = e.getenv("GH_REPO")
	}
	if ghRepo == "" {
		var named []string
		for _, r := range recs {
			if r.Repo != "" && !slices.Contains(named, r.Repo) {
				named = append(named, r.Repo)
			}
		}
		switch len(named) {
		case 0:
		case 1:
			ghRepo = named[0]
		default:
			return "", usagef("the records name several repositories (%s): pass --github owner/repo", strings.Join(named, ", "))
		}
	}
	if ghRepo == "" {
		r, originHost, err := originRepo(o.repo)
		if err != nil {
			return "", usagef("--github owner/repo is required here: %v", err)
		}
		if err := onGitHub(originHost, e.getenv("GH_HOST"), e.getenv("GITHUB_API_URL")); err != nil {
			return "", err
		}
		ghRepo = r
	}
	apiURL, token, err := githubAccess(ctx, e)
	if err != nil {
		return "", err
	}
	var briefs, pulls []int
	for _, r := range recs {
		for _, b := range r.Briefs {
			if !slices.Contains(briefs, b) {
				briefs = append(briefs, b)
			}
		}
		if r.OpenedAt.IsZero() && r.PR != 0 && !slices.Contains(pulls, r.PR) {
			pulls = append(pulls, r.PR)
		}
	}
	tl, err := action.ReadTimelines(ctx, action.TimelineConfig{
		APIURL: apiURL, Token: token, Repo: ghRepo, PolicyPath: o.policyPath, RetryBudget: checkRetryBudget,
	}, briefs, pulls)
	if err != nil {
		return "", err
	}
	for i := range recs {
		if at, ok := tl.Opened[recs[i].PR]; ok && recs[i].OpenedAt.IsZero() {
			recs[i].OpenedAt = at
		}
	}
	opt.Online, opt.Briefs = true, tl.Briefs
	return fmt.Sprintf("read from GitHub (%s) in %d requests: when %d brief(s) were filed and first labelled %q, and when %d pull request(s) without opened_at opened",
		ghRepo, tl.Requests, len(briefs), tl.ReadyLabel, len(pulls)), nil
}

// writeReportCharts writes one chart per lead time that has a measurement
// into dir, says on stderr which have none, and returns the files written.
func writeReportCharts(rep *tracker.LeadReport, dir, format string, stderr io.Writer) ([]string, error) {
	if len(rep.Months) == 0 {
		return nil, fmt.Errorf("no merge records on %s in range: nothing to chart", rep.Ref)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for _, m := range rep.Metrics {
		if m.All.Count == 0 {
			fmt.Fprintf(stderr, "twokey report: no chart of %s: nothing measured (the report's notes say why)\n", metricTitle(m))
			continue
		}
		path := filepath.Join(dir, chartFileName(m)+"."+format)
		f, err := os.Create(path)
		if err != nil {
			return files, err
		}
		err = drawChart(f, rep, m, format)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return files, fmt.Errorf("chart %s: %w", path, err)
		}
		files = append(files, path)
	}
	return files, nil
}
