package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

const auditUsage = `usage: twokey audit [--repo DIR] [--ref main] [--since DATE] [--until DATE]
                    [--format text|json|markdown] [--json] [--fetch REMOTE]

Audit walks the first-parent history of a branch in a local clone, joins each
commit with its records in refs/notes/twokey and classifies it:

  ok               merged through a passing gate, every sign-off on the merged head
  no_record        no twokey record on the commit
  missing_signoff  a required sign-off kind is absent from the record
  stale_signoff    a sign-off covers another commit than the merged head
  bypassed         merged without a passing gate (admin merge, declared bypass)
  direct_push      pushed to the branch without a pull request

When a note holds several records, a merge record beats a push record, and
among records of one type the latest merged_at decides. Lines of a note that
are not twokey records are reported as warnings on stderr and skipped.

Flags:
  --repo DIR        the clone to audit (default: the current directory)
  --ref REF         branch, remote-tracking branch, tag or commit (default: the
                    branch HEAD points to)
  --since DATE      only commits whose committer date is on or after DATE
  --until DATE      only commits before DATE (a bare day includes that day)
                    DATE is YYYY-MM-DD (UTC) or RFC 3339
  --format FORMAT   text (a table and a summary), json (one object with ref,
                    range, summary and entries) or markdown (a report for an
                    audit ticket: scope, summary, exceptions first)
  --json            shorthand for --format json
  --fetch REMOTE    first fetch refs/notes/twokey from REMOTE (a remote's name
                    or a URL) and merge it into the local notes line by line

The notes are not fetched by a plain clone; fetch them with
  git fetch origin refs/notes/twokey:refs/notes/twokey
or pass --fetch origin.

Exit status: 0 every commit in range is ok, 1 some are not, 2 error.
`

func auditCommand() *command {
	return &command{
		name:    "audit",
		summary: "audit the merged history offline",
		usage:   auditUsage,
		run:     runAudit,
	}
}

type auditOptions struct {
	repo, ref, since, until, format, fetch string
	json                                   bool
}

func runAudit(ctx context.Context, e *env, args []string) error {
	var o auditOptions
	fs := newFlagSet("audit")
	fs.StringVar(&o.repo, "repo", ".", "")
	fs.StringVar(&o.ref, "ref", "", "")
	fs.StringVar(&o.since, "since", "", "")
	fs.StringVar(&o.until, "until", "", "")
	fs.StringVar(&o.format, "format", "", "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.fetch, "fetch", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (the branch goes in --ref)", fs.Arg(0))
	}
	switch {
	case o.json && o.format != "" && o.format != "json":
		return usagef("--json and --format %s disagree; pass one", o.format)
	case o.json:
		o.format = "json"
	case o.format == "":
		o.format = "text"
	case o.format != "text" && o.format != "json" && o.format != "markdown":
		return usagef("unknown --format %q: use text, json or markdown", o.format)
	}
	var opt tracker.AuditOptions
	var err error
	if opt.Since, err = parseAuditDate(o.since, false); err != nil {
		return usagef("--since: %v", err)
	}
	if opt.Until, err = parseAuditDate(o.until, true); err != nil {
		return usagef("--until: %v", err)
	}
	if !opt.Since.IsZero() && !opt.Until.IsZero() && !opt.Since.Before(opt.Until) {
		return usagef("--since %s is not before --until %s", o.since, o.until)
	}

	if o.fetch != "" {
		moved, err := gitstore.OpenLocal(o.repo).FetchNotes(ctx, o.fetch)
		if err != nil {
			return err
		}
		if moved {
			fmt.Fprintf(e.stderr, "twokey audit: updated %s from %s\n", tracker.NotesRef, o.fetch)
		}
	}
	repo, err := gitstore.Open(o.repo)
	if err != nil {
		return err
	}
	defer repo.Close()
	// The audit allocates many short-lived records; collecting less often
	// is a third faster on 100,000 commits and costs a few MB.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	name, _, err := repo.ResolveRef(o.ref)
	if err != nil {
		return err
	}
	if n, err := repo.NoteCount(); err != nil {
		return err
	} else if n == 0 {
		fmt.Fprintf(e.stderr, "twokey audit: warning: no notes under %s; if this clone has not fetched them, run: git fetch origin %s:%s (or pass --fetch origin)\n", tracker.NotesRef, tracker.NotesRef, tracker.NotesRef)
	}
	rep, err := tracker.Audit(ctx, repo, repo, name, opt)
	if err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(e.stderr, "twokey audit: warning: %s\n", w)
	}
	w := bufio.NewWriterSize(e.stdout, 64*1024)
	switch o.format {
	case "json":
		err = rep.WriteJSON(w) // streams entries; a json.Encoder's bytes
	case "markdown":
		writeAuditMarkdown(w, rep, e.now())
	default:
		writeAuditText(w, rep)
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !rep.OK() {
		return errNotOK
	}
	return nil
}

// parseAuditDate reads YYYY-MM-DD (UTC) or RFC 3339. A bare day given as an
// upper bound means the end of that day.
func parseAuditDate(s string, upper bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if upper {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: use YYYY-MM-DD or RFC 3339 (2026-03-01T12:00:00Z)", s)
	}
	return t, nil
}

func summaryLine(rep *tracker.AuditReport) string {
	parts := make([]string, 0, len(tracker.AuditClasses))
	for _, c := range tracker.AuditClasses {
		parts = append(parts, fmt.Sprintf("%d %s", rep.Summary.Count(c), c))
	}
	return fmt.Sprintf("%d commits on %s: %s", rep.Summary.Total, rep.Ref, strings.Join(parts, ", "))
}

func prText(pr int) string {
	if pr == 0 {
		return "-"
	}
	return "#" + strconv.Itoa(pr)
}

func briefsText(briefs []int) string {
	if len(briefs) == 0 {
		return "-"
	}
	s := make([]string, len(briefs))
	for i, b := range briefs {
		s[i] = "#" + strconv.Itoa(b)
	}
	return strings.Join(s, ",")
}

func writeAuditText(w io.Writer, rep *tracker.AuditReport) {
	if len(rep.Entries) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "COMMIT\tDATE\tCLASS\tPR\tBRIEFS\tSUBJECT\tDETAILS")
		for _, en := range rep.Entries {
			subj := []rune(en.Subject)
			if len(subj) > 40 {
				subj = append(subj[:39], '…')
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", en.Commit[:min(12, len(en.Commit))], en.Date.Format(time.DateOnly),
				en.Class, prText(en.PR), briefsText(en.Briefs), string(subj), strings.Join(en.Details, "; "))
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, summaryLine(rep))
}

// mdCell makes text safe inside a markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

func writeAuditMarkdown(w io.Writer, rep *tracker.AuditReport, now time.Time) {
	fmt.Fprintf(w, "# twokey audit of `%s`\n\n", rep.Ref)
	var repos []string
	for _, en := range rep.Entries {
		if en.Repo != "" && !containsString(repos, en.Repo) {
			repos = append(repos, en.Repo)
		}
	}
	if len(repos) > 0 {
		fmt.Fprintf(w, "- Repository: %s\n", strings.Join(repos, ", "))
	}
	fmt.Fprintf(w, "- Scope: first-parent history of `%s`, records from `%s`\n", rep.Ref, tracker.NotesRef)
	switch {
	case rep.Range.Since == "" && rep.Range.Until == "":
		fmt.Fprintf(w, "- Date range: all history\n")
	default:
		fmt.Fprintf(w, "- Date range (committer date): from %s until %s\n", orAll(rep.Range.Since, "the first commit"), orAll(rep.Range.Until, "now"))
	}
	if n := len(rep.Entries); n > 0 {
		fmt.Fprintf(w, "- Commits audited: %d, from %s to %s\n", n, rep.Entries[n-1].Date.UTC().Format(time.DateOnly), rep.Entries[0].Date.UTC().Format(time.DateOnly))
	}
	fmt.Fprintf(w, "- Generated: %s\n", now.UTC().Format(time.RFC3339))
	verdict := "**Every commit is ok.**"
	if !rep.OK() {
		verdict = fmt.Sprintf("**%d of %d commits need attention.**", rep.Summary.Total-rep.Summary.OK, rep.Summary.Total)
	}
	fmt.Fprintf(w, "\n%s\n\n| Class | Commits |\n|---|---:|\n", verdict)
	for _, c := range tracker.AuditClasses {
		fmt.Fprintf(w, "| %s | %d |\n", c, rep.Summary.Count(c))
	}
	fmt.Fprintf(w, "| **total** | %d |\n", rep.Summary.Total)

	section := func(title string, keep func(tracker.AuditEntry) bool) {
		var rows []tracker.AuditEntry
		for _, en := range rep.Entries {
			if keep(en) {
				rows = append(rows, en)
			}
		}
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(w, "\n## %s (%d)\n\n| Commit | Date | Class | PR | Briefs | Subject | Details |\n|---|---|---|---|---|---|---|\n", title, len(rows))
		for _, en := range rows {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s | %s |\n", en.Commit[:min(12, len(en.Commit))], en.Date.UTC().Format(time.DateOnly),
				en.Class, mdPR(en), mdBriefs(en), mdCell(en.Subject), mdCell(strings.Join(en.Details, "; ")))
		}
	}
	section("Exceptions", func(en tracker.AuditEntry) bool { return en.Class != tracker.ClassOK })
	section("Ok", func(en tracker.AuditEntry) bool { return en.Class == tracker.ClassOK })
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(w, "\n## Warnings\n\n")
		for _, wa := range rep.Warnings {
			fmt.Fprintf(w, "- %s\n", mdCell(wa))
		}
	}
}

func mdPR(en tracker.AuditEntry) string {
	if en.PR == 0 {
		return "-"
	}
	if en.Repo == "" {
		return prText(en.PR)
	}
	return fmt.Sprintf("[%s#%d](https://github.com/%s/pull/%d)", en.Repo, en.PR, en.Repo, en.PR)
}

func mdBriefs(en tracker.AuditEntry) string {
	if len(en.Briefs) == 0 {
		return "-"
	}
	s := make([]string, len(en.Briefs))
	for i, b := range en.Briefs {
		if en.Repo == "" {
			s[i] = "#" + strconv.Itoa(b)
		} else {
			s[i] = fmt.Sprintf("[#%d](https://github.com/%s/issues/%d)", b, en.Repo, b)
		}
	}
	return strings.Join(s, ", ")
}

func orAll(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
