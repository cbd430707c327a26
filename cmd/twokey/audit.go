package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/twokey/twokey/action"
	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

const auditUsage = `usage: twokey audit [--repo DIR] [--ref main] [--since DATE] [--until DATE]
                    [--format text|json|jsonl|csv|markdown] [--json]
                    [--fetch REMOTE] [--verify [--github-repo OWNER/NAME]]

Audit walks the first-parent history of a branch in a local clone, joins each
commit with its records in refs/notes/twokey and classifies it:

  ok               merged through a passing gate, every sign-off on the merged head
  no_record        no twokey record on the commit
  invalid_record   a record that is not whole (no head, commit, required kinds
                   or sign-offs), of a schema version this twokey does not
                   read, or a note that is not twokey's ("note present but
                   unreadable")
  missing_signoff  a required sign-off kind is absent from the record
  stale_signoff    a sign-off covers another commit than the merged head
  bypassed         merged without a passing gate (admin merge, declared bypass)
  direct_push      pushed to the branch without a pull request
  unverified       GitHub contradicts the record (--verify)

When a note holds several records, a merge record beats a push record, and
among records of one type the latest merged_at decides.

Flags:
  --repo DIR        the clone to audit (default: the current directory)
  --ref REF         branch, remote-tracking branch, tag or commit (default: the
                    branch HEAD points to)
  --since DATE      only commits that landed on or after DATE
  --until DATE      only commits that landed before DATE (a bare day includes
                    that day); DATE is YYYY-MM-DD (UTC) or RFC 3339.
                    A commit landed when its merge record says it merged; a
                    commit without one, between the recorded commits around
                    it. Committer dates are never used. The walk stops at the
                    first record that landed before --since.
  --format FORMAT   text, json (one object), jsonl (one object per line: a
                    header, one per commit, a summary), csv, or markdown (a
                    report for an audit ticket: exceptions first)
  --json            shorthand for --format json
  --fetch REMOTE    first fetch refs/notes/twokey from REMOTE (a remote's name
                    or a URL) and merge it into the local notes line by line
                    (into a clone without notes, the tip alone: it holds
                    every record)
  --verify          check every merge record against GitHub (GraphQL, 50 pull
                    requests a request): the pull request exists, was merged
                    by that account into that commit from that head, and each
                    sign-off is there. The token is $GH_TOKEN, else
                    $GITHUB_TOKEN, else 'gh auth token'; $GITHUB_API_URL or
                    $GH_HOST points at GitHub Enterprise Server. A record
                    of another repository than the one audited is unverified.
  --github-repo OWNER/NAME  the repository audited, for --verify (default: the
                    clone's origin, else $GITHUB_REPOSITORY)

The notes are not fetched by a plain clone; fetch them with
  git fetch origin refs/notes/twokey:refs/notes/twokey
or pass --fetch origin. docs/audit.md describes the formats' schema.

Exit status: 0 every commit in range is ok; 1 not a pass: some commit is not
ok, or no commit landed in the range (nothing to audit); 2 error.
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
	githubRepo                             string
	json, verify                           bool
}

// auditFormats are the values of --format.
var auditFormats = []string{"text", "json", "jsonl", "csv", "markdown"}

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
	fs.BoolVar(&o.verify, "verify", false, "")
	fs.StringVar(&o.githubRepo, "github-repo", "", "")
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
	case !containsString(auditFormats, o.format):
		return usagef("unknown --format %q: use %s", o.format, strings.Join(auditFormats, ", "))
	}
	opt := tracker.AuditOptions{SinceText: o.since, UntilText: o.until, Now: e.now()}
	var err error
	if opt.Since, opt.Until, err = parseDateRange(o.since, o.until); err != nil {
		return err
	}
	head := tracker.AuditHeader{Twokey: twokeyVersion(), GeneratedAt: e.now().UTC(), NotesRef: tracker.NotesRef,
		Verification: "not verified: the records were read offline and not checked against GitHub (run with --verify)"}

	var verifier *action.Verifier
	if o.githubRepo != "" && !o.verify {
		return usagef("--github-repo names the repository --verify asks GitHub about: pass --verify too")
	}
	if o.verify {
		// The records must be of this repository: the same commit can be
		// merged, with real keys, in a repository someone else controls.
		opt.Repo = o.githubRepo
		if opt.Repo == "" {
			opt.Repo = gitstore.OriginRepo(o.repo)
		}
		if opt.Repo == "" {
			opt.Repo = e.getenv("GITHUB_REPOSITORY")
		}
		if opt.Repo == "" {
			return usagef("--verify needs the repository on GitHub the clone is of: pass --github-repo OWNER/NAME (the clone has no origin remote naming one, and $GITHUB_REPOSITORY is unset)")
		}
		if owner, name, ok := strings.Cut(opt.Repo, "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return usagef("--github-repo %q: write OWNER/NAME, e.g. acme/site", opt.Repo)
		}
		apiURL, token, err := githubAccess(ctx, e)
		if err != nil {
			return fmt.Errorf("--verify needs a token to read the repository's pull requests: %w", err)
		}
		if verifier, err = action.NewVerifier(action.VerifyConfig{APIURL: apiURL, Token: token, RetryBudget: checkRetryBudget}); err != nil {
			return err
		}
		opt.Verifier = verifier
		opt.VerifyBatch = action.VerifyBatch
		head.Verified = true
		head.Verification = fmt.Sprintf("every merge record checked against %s on GitHub at %s (GraphQL, %d pull requests a request)", opt.Repo, verifier.Endpoint(), action.VerifyBatch)
	}

	if o.fetch != "" {
		head.NotesFrom = redactURL(o.fetch)
		if err := fetchNotes(ctx, e, "audit", o.repo, o.fetch); err != nil {
			return err
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
	name, hash, err := repo.ResolveRef(o.ref)
	if err != nil {
		return err
	}
	head.Ref, head.RefSHA = name, hash.String()
	if head.NotesSHA, err = repo.NotesTip(); err != nil {
		return err
	}
	// A range reads the notes it needs by path, and the walk stops past it;
	// the whole history reads all notes at once.
	window := repo.Window()
	var notes tracker.Notes = repo
	if !opt.Since.IsZero() {
		notes = window
		window.Since = opt.Since
	}
	var warnings []string
	if head.NotesSHA == "" {
		warnings = append(warnings, fmt.Sprintf("no notes were fetched: this clone has no %s, so no commit can be ok; run: git fetch origin %s:%s (or pass --fetch origin)", tracker.NotesRef, tracker.NotesRef, tracker.NotesRef))
	}

	w := bufio.NewWriterSize(e.stdout, 64*1024)
	out, err := newAuditWriter(o.format, w, &head)
	if err != nil {
		return err
	}
	defer out.close()
	res, err := tracker.AuditStream(ctx, window, notes, name, opt, out.entry)
	if err != nil {
		return err
	}
	if res.Summary.Total == 0 {
		warnings = append(warnings, fmt.Sprintf("nothing to audit: no commit of %s landed in the range%s; this is not a pass", name, rangeText(&res.Range)))
	}
	foot := tracker.AuditFooter{Range: res.Range, Summary: res.Summary, Months: res.Months, Warnings: append(warnings, res.Warnings...)}
	if verifier != nil {
		foot.Requests = verifier.Requests()
	}
	for _, wa := range foot.Warnings {
		fmt.Fprintf(e.stderr, "twokey audit: warning: %s\n", wa)
	}
	if err := out.end(&foot); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !res.OK() {
		return errNotOK
	}
	return nil
}

func twokeyVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// redactURL returns remote without the credentials a URL may carry
// (https://user:token@host/...).
func redactURL(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil {
		return remote
	}
	u.User = nil
	return u.String()
}

// redactErr returns err with every copy of remote in its message shown as
// shown, and the URL's password nowhere.
func redactErr(err error, remote, shown string) error {
	if remote == shown {
		return err
	}
	msg := strings.ReplaceAll(err.Error(), remote, shown)
	if u, perr := url.Parse(remote); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "***")
		}
		if n := u.User.Username(); n != "" {
			msg = strings.ReplaceAll(msg, n+"@", "***@")
		}
	}
	return errors.New(msg)
}

// parseDateRange reads --since and --until: each a day or a time (see
// parseAuditDate), since before until.
func parseDateRange(since, until string) (from, to time.Time, err error) {
	if from, err = parseAuditDate(since, false); err != nil {
		return from, to, usagef("--since: %v", err)
	}
	if to, err = parseAuditDate(until, true); err != nil {
		return from, to, usagef("--until: %v", err)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, usagef("--since %s is not before --until %s", since, until)
	}
	return from, to, nil
}

// fetchNotes fetches refs/notes/twokey from remote into the repository at
// dir (--fetch of cmd), saying on standard error when the notes moved. The
// remote is never shown with its credentials.
func fetchNotes(ctx context.Context, e *env, cmd, dir, remote string) error {
	shown := redactURL(remote)
	moved, err := gitstore.OpenLocal(dir).FetchNotes(ctx, remote)
	if err != nil {
		return redactErr(err, remote, shown)
	}
	if moved {
		fmt.Fprintf(e.stderr, "twokey %s: updated %s from %s\n", cmd, tracker.NotesRef, shown)
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

// rangeText is " (since X, until Y)", or "" for all history.
func rangeText(r *tracker.AuditRange) string {
	var parts []string
	if r.Since != "" {
		parts = append(parts, "since "+r.Since)
	}
	if r.Until != "" {
		parts = append(parts, "until "+r.Until)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// auditWriter writes one format of the report as the audit runs.
type auditWriter struct {
	entry func(*tracker.AuditEntry) error
	end   func(*tracker.AuditFooter) error
	close func()
}

func newAuditWriter(format string, w io.Writer, h *tracker.AuditHeader) (*auditWriter, error) {
	nop := func() {}
	switch format {
	case "json":
		j := tracker.NewAuditJSON(w, h)
		return &auditWriter{entry: j.Entry, end: j.End, close: nop}, nil
	case "jsonl":
		j, err := tracker.NewAuditJSONL(w, h)
		if err != nil {
			return nil, err
		}
		return &auditWriter{entry: j.Entry, end: j.End, close: nop}, nil
	case "csv":
		c := &auditCSV{w: csv.NewWriter(w)}
		if err := c.begin(h); err != nil {
			return nil, err
		}
		return &auditWriter{entry: c.entry, end: c.end, close: nop}, nil
	case "markdown":
		m, err := newAuditMarkdown(w, h)
		if err != nil {
			return nil, err
		}
		return &auditWriter{entry: m.entry, end: m.end, close: m.close}, nil
	}
	t := &auditText{w: w, h: h}
	t.begin()
	return &auditWriter{entry: t.entry, end: t.end, close: nop}, nil
}

func summaryLine(ref string, s *tracker.AuditSummary) string {
	parts := make([]string, 0, len(tracker.AuditClasses))
	for _, c := range tracker.AuditClasses {
		parts = append(parts, fmt.Sprintf("%d %s", s.Count(c), c))
	}
	return fmt.Sprintf("%d commits on %s: %s", s.Total, ref, strings.Join(parts, ", "))
}

// monthLine is "2026-03: 3 ok, 1 bypassed (4)": the classes with commits.
func monthLine(m *tracker.AuditMonth) string {
	var parts []string
	for _, c := range tracker.AuditClasses {
		if n := m.Count(c); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	return fmt.Sprintf("%s: %s (%d)", m.Month, strings.Join(parts, ", "), m.Total)
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

func shortSHA(sha string) string { return sha[:min(12, len(sha))] }

func landedText(e *tracker.AuditEntry) string {
	if e.Landed == nil {
		return "-"
	}
	return e.Landed.UTC().Format(time.DateOnly)
}

// keyText is "usability by ux (review of 0123456789ab)".
func keyText(k tracker.AuditKey) string {
	s := fmt.Sprintf("%s by %s (%s of %s", k.Kind, k.Login, k.Via, shortSHA(k.SHA))
	if k.SameTree {
		s += ", same tree"
	}
	return s + ")"
}

// whoText says who turned the keys and who merged, for the text and
// markdown rows.
func whoText(e *tracker.AuditEntry) []string {
	var out []string
	for _, k := range e.Keys {
		out = append(out, keyText(k))
	}
	if e.MergedBy != "" && e.Class != tracker.ClassDirectPush {
		m := "merged by " + e.MergedBy
		if e.Landed != nil {
			m += " at " + e.Landed.UTC().Format(time.RFC3339)
		}
		out = append(out, m)
	}
	return out
}

// auditText writes the text report: a header, one line per commit as it
// comes (fixed columns, nothing buffered), then the summary.
type auditText struct {
	w io.Writer
	h *tracker.AuditHeader
	n int
}

func (t *auditText) begin() {
	h := t.h
	fmt.Fprintf(t.w, "twokey audit of %s at %s\n", h.Ref, h.RefSHA)
	notes := "none"
	if h.NotesSHA != "" {
		notes = "at " + h.NotesSHA
	}
	if h.NotesFrom != "" {
		notes += ", fetched from " + h.NotesFrom
	}
	fmt.Fprintf(t.w, "records: %s %s\n", h.NotesRef, notes)
	fmt.Fprintf(t.w, "%s\n", h.Verification)
	fmt.Fprintf(t.w, "twokey %s, %s\n\n", h.Twokey, h.GeneratedAt.Format(time.RFC3339))
}

func (t *auditText) entry(e *tracker.AuditEntry) error {
	if t.n == 0 {
		fmt.Fprintf(t.w, "%-12s  %-10s  %-15s  %-6s  %-8s  %-40s  %s\n", "COMMIT", "LANDED", "CLASS", "PR", "BRIEFS", "SUBJECT", "DETAILS")
	}
	t.n++
	subj := []rune(e.Subject)
	if len(subj) > 40 {
		subj = append(subj[:39], '…')
	}
	details := append(whoText(e), e.Details...)
	_, err := fmt.Fprintf(t.w, "%-12s  %-10s  %-15s  %-6s  %-8s  %-40s  %s\n", shortSHA(e.Commit), landedText(e), e.Class,
		prText(e.PR), briefsText(e.Briefs), string(subj), strings.Join(details, "; "))
	return err
}

func (t *auditText) end(f *tracker.AuditFooter) error {
	if t.n > 0 {
		fmt.Fprintln(t.w)
	}
	fmt.Fprintf(t.w, "range: %s\n", rangeResolved(&f.Range))
	fmt.Fprintln(t.w, summaryLine(t.h.Ref, &f.Summary))
	for i := range f.Months {
		fmt.Fprintf(t.w, "  %s\n", monthLine(&f.Months[i]))
	}
	if t.h.Verified {
		fmt.Fprintf(t.w, "verify: %d request(s) to GitHub\n", f.Requests)
	}
	for _, wa := range f.Warnings {
		fmt.Fprintf(t.w, "warning: %s\n", wa)
	}
	return nil
}

// rangeResolved says what the range was and how the commits were chosen.
func rangeResolved(r *tracker.AuditRange) string {
	if r.From == nil && r.To == nil {
		return "all first-parent history, " + walkedText(r)
	}
	var b strings.Builder
	b.WriteString("given")
	if r.Since != "" {
		fmt.Fprintf(&b, " --since %s", r.Since)
	}
	if r.Until != "" {
		fmt.Fprintf(&b, " --until %s", r.Until)
	}
	b.WriteString(", resolved to [")
	if r.From != nil {
		b.WriteString(r.From.Format(time.RFC3339))
	}
	b.WriteString(", ")
	if r.To != nil {
		b.WriteString(r.To.Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "); commits chosen %s; %s", r.Rule, walkedText(r))
	return b.String()
}

func walkedText(r *tracker.AuditRange) string {
	s := fmt.Sprintf("%d commit(s) read", r.Walked)
	if r.After > 0 {
		s += fmt.Sprintf(", %d landed after the range", r.After)
	}
	if r.StoppedAt != "" {
		s += fmt.Sprintf(", stopped at %s (landed %s, before the range", shortSHA(r.StoppedAt), r.StoppedLanded.Format(time.RFC3339))
		switch r.StopVerified {
		case tracker.VerifiedYes:
			s += "; GitHub confirms it"
		case tracker.VerifiedContradicted:
			s += "; GitHub contradicts its record"
		}
		s += ")"
	} else {
		s += ", to the first commit"
	}
	switch r.AfterVerified {
	case tracker.VerifiedYes:
		s += fmt.Sprintf("; GitHub confirms %s landed after the range", shortSHA(r.AfterAt))
	case tracker.VerifiedContradicted:
		s += fmt.Sprintf("; GitHub contradicts the record of %s, left out as landed after the range", shortSHA(r.AfterAt))
	}
	return s
}

// mdCell makes text safe inside a markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

// auditMarkdown writes the markdown report: the header and summary come
// first, so the rows are spooled to two temporary files (exceptions, ok) as
// the audit runs and copied after them.
type auditMarkdown struct {
	w        io.Writer
	h        *tracker.AuditHeader
	spool    [2]*os.File // exceptions, ok
	bufs     [2]*bufio.Writer
	rows     [2]int
	repos    []string
	old, new string // dates of the oldest and newest commits
}

func newAuditMarkdown(w io.Writer, h *tracker.AuditHeader) (*auditMarkdown, error) {
	m := &auditMarkdown{w: w, h: h}
	for i := range m.spool {
		f, err := os.CreateTemp("", "twokey-audit-*.md")
		if err != nil {
			m.close()
			return nil, fmt.Errorf("spool the markdown rows: %w", err)
		}
		m.spool[i], m.bufs[i] = f, bufio.NewWriterSize(f, 64*1024)
	}
	return m, nil
}

func (m *auditMarkdown) close() {
	for _, f := range m.spool {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}

func (m *auditMarkdown) entry(e *tracker.AuditEntry) error {
	i := 0
	if e.Class == tracker.ClassOK {
		i = 1
	}
	m.rows[i]++
	if e.Repo != "" && !containsString(m.repos, e.Repo) && len(m.repos) < 10 {
		m.repos = append(m.repos, e.Repo)
	}
	d := e.Date.UTC().Format(time.DateOnly)
	if e.Landed != nil {
		d = e.Landed.UTC().Format(time.DateOnly)
	}
	if m.new == "" {
		m.new = d
	}
	m.old = d
	keys := make([]string, 0, len(e.Keys))
	for _, k := range e.Keys {
		keys = append(keys, mdCell(fmt.Sprintf("%s: %s, %s of `%s`", k.Kind, k.Login, k.Via, shortSHA(k.SHA))))
	}
	merged := "-"
	if e.MergedBy != "" {
		merged = mdCell(e.MergedBy)
		if e.Landed != nil {
			merged += " " + e.Landed.UTC().Format(time.RFC3339)
		}
	}
	_, err := fmt.Fprintf(m.bufs[i], "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", shortSHA(e.Commit), landedText(e),
		e.Class, mdPR(e), mdBriefs(e), mdCell(e.Subject), orDash(strings.Join(keys, "<br>")), merged, mdCell(strings.Join(e.Details, "; ")))
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (m *auditMarkdown) end(f *tracker.AuditFooter) error {
	w, h := m.w, m.h
	fmt.Fprintf(w, "# twokey audit of `%s`\n\n", h.Ref)
	if len(m.repos) > 0 {
		fmt.Fprintf(w, "- Repository: %s\n", strings.Join(m.repos, ", "))
	}
	fmt.Fprintf(w, "- Audited: first-parent history of `%s` at `%s`\n", h.Ref, h.RefSHA)
	notes := "none"
	if h.NotesSHA != "" {
		notes = "`" + h.NotesSHA + "`"
	}
	if h.NotesFrom != "" {
		notes += ", fetched from " + mdCell(h.NotesFrom)
	}
	fmt.Fprintf(w, "- Records: `%s` at %s\n", h.NotesRef, notes)
	fmt.Fprintf(w, "- Range: %s\n", mdCell(rangeResolved(&f.Range)))
	if m.new != "" {
		fmt.Fprintf(w, "- Commits audited: %d, landed from %s to %s\n", f.Summary.Total, m.old, m.new)
	}
	fmt.Fprintf(w, "- Verification: %s", h.Verification)
	if h.Verified {
		fmt.Fprintf(w, "; %d request(s)", f.Requests)
	}
	fmt.Fprintf(w, "\n- Generated: %s by twokey %s\n", h.GeneratedAt.Format(time.RFC3339), h.Twokey)
	var verdict string
	switch {
	case f.Summary.Total == 0:
		verdict = "**Nothing to audit: no commit landed in the range. This is not a pass.**"
	case f.Summary.OK == f.Summary.Total:
		verdict = "**Every commit is ok.**"
	default:
		verdict = fmt.Sprintf("**%d of %d commits need attention.**", f.Summary.Total-f.Summary.OK, f.Summary.Total)
	}
	fmt.Fprintf(w, "\n%s\n\n| Class | Commits |\n|---|---:|\n", verdict)
	for _, c := range tracker.AuditClasses {
		fmt.Fprintf(w, "| %s | %d |\n", c, f.Summary.Count(c))
	}
	fmt.Fprintf(w, "| **total** | %d |\n", f.Summary.Total)
	if len(f.Months) > 0 {
		fmt.Fprintf(w, "\n## Per month\n\n| Month |")
		for _, c := range tracker.AuditClasses {
			fmt.Fprintf(w, " %s |", c)
		}
		fmt.Fprintf(w, " total |\n|---|%s---:|\n", strings.Repeat("---:|", len(tracker.AuditClasses)))
		for _, mo := range f.Months {
			fmt.Fprintf(w, "| %s |", mo.Month)
			for _, c := range tracker.AuditClasses {
				fmt.Fprintf(w, " %d |", mo.Count(c))
			}
			fmt.Fprintf(w, " %d |\n", mo.Total)
		}
	}
	for i, title := range []string{"Exceptions", "Ok"} {
		if m.rows[i] == 0 {
			continue
		}
		fmt.Fprintf(w, "\n## %s (%d)\n\n| Commit | Landed | Class | PR | Briefs | Subject | Keys | Merged | Details |\n|---|---|---|---|---|---|---|---|---|\n", title, m.rows[i])
		if err := m.bufs[i].Flush(); err != nil {
			return fmt.Errorf("spool the markdown rows: %w", err)
		}
		if _, err := m.spool[i].Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("spool the markdown rows: %w", err)
		}
		if _, err := io.Copy(w, m.spool[i]); err != nil {
			return err
		}
	}
	if len(f.Warnings) > 0 {
		fmt.Fprintf(w, "\n## Warnings\n\n")
		for _, wa := range f.Warnings {
			fmt.Fprintf(w, "- %s\n", mdCell(wa))
		}
	}
	return nil
}

func mdPR(en *tracker.AuditEntry) string {
	if en.PR == 0 {
		return "-"
	}
	if en.Repo == "" {
		return prText(en.PR)
	}
	return fmt.Sprintf("[%s#%d](https://github.com/%s/pull/%d)", en.Repo, en.PR, en.Repo, en.PR)
}

func mdBriefs(en *tracker.AuditEntry) string {
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

// auditCSVColumns is the csv report's header row; docs/audit.md documents
// each column. Rows of kind "commit" fill the commit's columns, rows of kind
// "month" and "total" the counts, "header" and "warning" rows the details.
var auditCSVColumns = []string{"row", "month", "commit", "landed", "date", "class", "repo", "pr", "briefs", "subject",
	"merged_by", "method", "head", "keys", "bypass", "verified", "details",
	"ok", "no_record", "invalid_record", "missing_signoff", "stale_signoff", "bypassed", "direct_push", "unverified", "total"}

type auditCSV struct {
	w *csv.Writer
}

func (c *auditCSV) begin(h *tracker.AuditHeader) error {
	if err := c.w.Write(auditCSVColumns); err != nil {
		return err
	}
	row := make([]string, len(auditCSVColumns))
	row[0], row[2], row[9] = "header", h.RefSHA, h.Ref
	notes := h.NotesSHA
	if notes == "" {
		notes = "none"
	}
	row[16] = fmt.Sprintf("records %s at %s; twokey %s; generated %s; %s", h.NotesRef, notes, h.Twokey, h.GeneratedAt.Format(time.RFC3339), h.Verification)
	if h.NotesFrom != "" {
		row[16] += "; notes fetched from " + h.NotesFrom
	}
	return c.w.Write(row)
}

func (c *auditCSV) entry(e *tracker.AuditEntry) error {
	landed := ""
	if e.Landed != nil {
		landed = e.Landed.UTC().Format(time.RFC3339)
	}
	pr := ""
	if e.PR != 0 {
		pr = strconv.Itoa(e.PR)
	}
	briefs := make([]string, len(e.Briefs))
	for i, b := range e.Briefs {
		briefs[i] = strconv.Itoa(b)
	}
	keys := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		keys[i] = strings.Join([]string{k.Kind, k.Login, k.Via, k.SHA}, ":")
	}
	row := []string{"commit", e.Month, e.Commit, landed, e.Date.UTC().Format(time.RFC3339), string(e.Class), e.Repo, pr,
		strings.Join(briefs, " "), e.Subject, e.MergedBy, e.Method, e.Head, strings.Join(keys, " "), e.Bypass, e.Verified,
		strings.Join(e.Details, "; ")}
	row = append(row, make([]string, len(auditCSVColumns)-len(row))...)
	return c.w.Write(row)
}

func (c *auditCSV) counts(kind, month string, s *tracker.AuditSummary) error {
	row := make([]string, 17, len(auditCSVColumns))
	row[0], row[1] = kind, month
	for _, cl := range tracker.AuditClasses {
		row = append(row, strconv.Itoa(s.Count(cl)))
	}
	return c.w.Write(append(row, strconv.Itoa(s.Total)))
}

func (c *auditCSV) end(f *tracker.AuditFooter) error {
	for i := range f.Months {
		if err := c.counts("month", f.Months[i].Month, &f.Months[i].AuditSummary); err != nil {
			return err
		}
	}
	if err := c.counts("total", "", &f.Summary); err != nil {
		return err
	}
	for _, wa := range f.Warnings {
		row := make([]string, len(auditCSVColumns))
		row[0], row[16] = "warning", wa
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
