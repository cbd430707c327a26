package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

// maxLinkedBriefs bounds how many referenced issues a run looks up.
const maxLinkedBriefs = 10

// handleIssue checks a brief: labels, one sticky comment, outputs.
// Requests: the policy and form (one GraphQL query), comments (+ a fresh issue on a re-run), then only
// the writes that change something.
func (r *runner) handleIssue(ctx context.Context, is *github.Issue) error {
	if is.IsPullRequest() {
		r.pub.notice("issue event on pull request #%d: nothing to do", is.GetNumber())
		return nil
	}
	f, err := r.loadForm(ctx)
	if err != nil {
		return err
	}
	p := r.policy // read by loadForm and fitted to the form
	if r.rerun() {
		if is, err = r.api.issue(ctx, is.GetNumber()); err != nil {
			return err
		}
	}
	n := is.GetNumber()
	labels := labelNames(is.Labels)
	if !containsFold(labels, p.Brief.Label) && !tracker.LooksLikeBrief(f, is.GetBody()) {
		r.pub.notice("issue #%d has no %q label and does not follow the brief form: not a brief, nothing to do", n, p.Brief.Label)
		return nil
	}
	res := tracker.CheckBrief(f, p, is.GetBody(), is.GetCreatedAt().Time)
	verdict := "needs-info"
	if res.Valid {
		verdict = "ready"
	}
	text := tracker.BriefComment(res)

	fields, _ := json.Marshal(res.Brief.FieldValues())
	findings := res.Findings
	if findings == nil {
		findings = []tracker.Finding{}
	}
	fj, _ := json.Marshal(findings)
	if err := r.pub.outputs(Output{"verdict", verdict}, Output{"brief", string(fields)}, Output{"findings", string(fj)}); err != nil {
		return err
	}
	if err := r.pub.summary(fmt.Sprintf("## twokey: brief #%d is %s\n\n%s", n, verdict, text)); err != nil {
		return err
	}

	comments, err := r.api.comments(ctx, n)
	if err != nil {
		return err
	}
	self, err := r.self(ctx)
	if err != nil {
		return err
	}
	sticky, st := findSticky(comments, briefMarker, self)
	owned := p.Brief.OwnedLabels()
	have := slices.Clone(labels)
	for _, l := range st.L {
		if containsFold(owned, l) && !containsFold(have, l) {
			have = append(have, l)
		}
	}
	var want []string
	for _, l := range res.Labels {
		if containsFold(owned, l) {
			want = append(want, l)
		}
	}
	if _, err := r.api.setLabels(ctx, n, have, res.Labels, owned); err != nil {
		return r.write(err)
	}
	slices.Sort(want)
	body := renderSticky(briefMarker, text, stickyState{L: want})
	return r.write(r.upsertSticky(ctx, n, sticky, body))
}

// upsertSticky creates the sticky comment or updates it in place, only when
// its body changes.
func (r *runner) upsertSticky(ctx context.Context, n int, sticky *github.IssueComment, body string) error {
	switch {
	case sticky == nil:
		_, err := r.api.createComment(ctx, n, body)
		return err
	case sticky.GetBody() != body:
		return r.api.editComment(ctx, sticky.GetID(), body)
	}
	return nil
}

// gathered is a pull request as the gate needs it.
type gathered struct {
	raw    *github.PullRequest
	pr     *tracker.PullRequest
	briefs []tracker.LinkedBrief
	sticky *github.IssueComment
	state  stickyState
}

// gather reads a pull request, its files (only when the policy has path
// rules), reviews, comments and linked briefs. trigger is the ID of the
// comment whose event this run handles (0 for none): it is bound to the
// current head in the sticky state.
func (r *runner) gather(ctx context.Context, number int, trigger int64) (*gathered, error) {
	p, err := r.loadPolicy(ctx)
	if err != nil {
		return nil, err
	}
	raw, seen, err := r.api.pullAt(ctx, number)
	if err != nil {
		return nil, err
	}
	pr := &tracker.PullRequest{
		Repo: r.api.full(), Number: number, Title: raw.GetTitle(), Body: raw.GetBody(),
		Branch: raw.GetHead().GetRef(), Base: raw.GetBase().GetRef(), Author: actor(raw.GetUser()),
		HeadSHA: raw.GetHead().GetSHA(), Labels: labelNames(raw.Labels),
	}
	if needsFiles(p) {
		var complete bool
		if pr.Files, complete, err = r.api.files(ctx, number, raw.GetChangedFiles()); err != nil {
			return nil, err
		}
		pr.FilesIncomplete = !complete
	}
	all, err := r.api.reviews(ctx, number)
	if err != nil {
		return nil, err
	}
	// A pending review (the token's own draft, listed only to its author) is
	// not submitted: it says nothing yet.
	reviews := slices.DeleteFunc(all, func(rv *github.PullRequestReview) bool { return rv.GetState() == "PENDING" })
	comments, err := r.api.comments(ctx, number)
	if err != nil {
		return nil, err
	}
	g := &gathered{raw: raw, pr: pr}
	self, err := r.self(ctx)
	if err != nil {
		return nil, err
	}
	g.sticky, g.state = findSticky(comments, gateMarker, self)
	// Two things hang on edits GitHub's REST answers do not show, asked in
	// one GraphQL request: the state in twokey's comment decides which head
	// a /signoff was made on, so it is trusted only when nobody but twokey
	// edited the comment; and a review whose text was edited after it was
	// submitted no longer shows what was signed.
	var ask *github.IssueComment
	if g.sticky != nil && (len(g.state.C) > 0 || g.state.H != "") {
		ask = g.sticky
	}
	var signing []*github.PullRequestReview
	for _, rv := range reviews {
		if signingReview(rv, p.Link.WaiveCommand) {
			signing = append(signing, rv)
		}
	}
	ed := edits{}
	if ask != nil || len(signing) > 0 {
		ed, err = r.api.edits(ctx, ask, signing)
		switch {
		case err != nil && isRateLimit(err):
			return nil, err
		case err != nil:
			// Judging without the state could lose sign-offs, writing the
			// comment back would lose the state for good, and an edited
			// review could count: fail instead, and a re-run reads it again.
			return nil, fmt.Errorf("twokey cannot tell who last edited its comment on #%d (whose state says which head each /signoff was made on) or whether its reviews were edited; nothing was changed, re-run the job: %w", number, err)
		case ed.stickyEditor != "":
			r.warn("twokey's comment on #%d was edited by @%s: its state is not used; a /signoff without a SHA may need its SHA", number, ed.stickyEditor)
			g.state = stickyState{}
		}
	}
	for _, rv := range reviews {
		pr.Reviews = append(pr.Reviews, tracker.Review{
			ID: rv.GetID(), User: actor(rv.GetUser()), State: rv.GetState(), Body: rv.GetBody(),
			CommitID: rv.GetCommitID(), URL: rv.GetHTMLURL(), SubmittedAt: rv.GetSubmittedAt().Time,
			Edited: ed.reviews[rv.GetID()],
		})
	}
	// Since when twokey has known the head: GitHub's clock when this head
	// was first read, plus a second for the Date header's truncation. Every
	// comment created at or after that was made on this head, even when its
	// own run never came (Actions replaces a pending run of the concurrency
	// group with a newer one).
	headSince := time.Time{}
	// The comment that triggered this run was made on the head it reads,
	// unless twokey knows better: when it saw another head last, or first saw
	// this one in a second before the comment's, a push may have come between
	// the comment and this run, and the comment stays unbound (a /signoff in
	// it must name its SHA). A push landing after a comment in the same second
	// as a run's read of it is not told apart: a push takes seconds to start
	// a run.
	prevH, prevS := g.state.H, g.state.S
	triggerOnHead := func(at time.Time) bool {
		if prevH == "" {
			return true // nothing known: the head read now is the best there is
		}
		return strings.EqualFold(prevH, pr.HeadSHA) && prevS > 0 && at.Unix() >= prevS-1
	}
	if strings.EqualFold(g.state.H, pr.HeadSHA) && g.state.S > 0 {
		headSince = time.Unix(g.state.S, 0)
	} else if !seen.IsZero() {
		g.state.H, g.state.S = pr.HeadSHA, seen.Add(time.Second).Unix()
	} else {
		g.state.H, g.state.S = "", 0
	}
	bound := map[string]string{}
	for _, c := range comments {
		if isSticky(c, self) {
			continue
		}
		id := strconv.FormatInt(c.GetID(), 10)
		sha := g.state.C[id]
		kept := sha != "" // twokey kept it: it held a command when first read
		// Only comments that may carry a command whose meaning depends on the
		// head are bound: the state stays small however long the thread.
		if bindable(c.GetBody()) && sha == "" {
			if (c.GetID() == trigger && triggerOnHead(c.GetCreatedAt().Time)) || (!headSince.IsZero() && !c.GetCreatedAt().Time.Before(headSince)) {
				sha = pr.HeadSHA
			}
		}
		if sha != "" {
			bound[id] = sha
		}
		pr.Comments = append(pr.Comments, tracker.Comment{
			ID: c.GetID(), User: actor(c.GetUser()), Body: c.GetBody(), URL: c.GetHTMLURL(),
			CreatedAt: c.GetCreatedAt().Time, UpdatedAt: c.GetUpdatedAt().Time, HeadSHA: sha, HadCommand: kept,
		})
	}
	g.state.C = bound // comments that were deleted drop out

	links := tracker.FindLinks(r.api.full(), pr.Title, pr.Body, pr.Branch)
	for i, l := range links {
		lb := tracker.LinkedBrief{Repo: l.Repo, Number: l.Number}
		if i >= maxLinkedBriefs || !strings.EqualFold(l.Repo, r.api.full()) {
			// Briefs live in this repository; other repositories' issues are
			// not read (the token may not reach them).
			g.briefs = append(g.briefs, lb)
			continue
		}
		is, err := r.api.issue(ctx, l.Number)
		if isNotFound(err) || (err == nil && is.IsPullRequest()) {
			g.briefs = append(g.briefs, lb)
			continue
		}
		if err != nil {
			return nil, err
		}
		lb.Labels = labelNames(is.Labels)
		lb.Found = containsFold(lb.Labels, p.Brief.Label)
		f, err := r.loadForm(ctx)
		if err != nil {
			return nil, err
		}
		p = r.policy // fitted to the form by loadForm
		if lb.Found || tracker.LooksLikeBrief(f, is.GetBody()) {
			// The labels twokey owns (ready, needs-info, answer labels) are
			// recomputed from the brief itself: anyone who can label the
			// issue could otherwise mark a brief ready or drop a label that
			// adds a kind. Other labels are taken as they are.
			res := tracker.CheckBrief(f, p, is.GetBody(), is.GetCreatedAt().Time)
			owned := p.Brief.OwnedLabels()
			labels := slices.DeleteFunc(slices.Clone(lb.Labels), func(l string) bool { return containsFold(owned, l) })
			lb.Found, lb.Brief, lb.Labels = true, res.Brief, append(labels, res.Labels...)
		}
		g.briefs = append(g.briefs, lb)
	}
	return g, nil
}

// warn prints a warning annotation when there is a publisher (twokey check
// has none).
func (r *runner) warn(format string, args ...any) {
	switch {
	case r.pub != nil:
		r.pub.warning(format, args...)
	case r.notes != nil:
		fmt.Fprintf(r.notes, "warning: "+format+"\n", args...)
	}
}

// configWarning is warn for something in the policy worth a look: an
// annotation on its line in the action, a line on twokey check's stderr.
func (r *runner) configWarning(ce *tracker.ConfigError) {
	switch {
	case r.pub != nil:
		r.pub.configWarning(ce)
	case r.notes != nil:
		fmt.Fprintf(r.notes, "warning: %s\n", ce.Error())
	}
}

// notice says something worth knowing that changes nothing: a ::notice::
// in the action, a line on twokey check's standard error.
func (r *runner) notice(format string, args ...any) {
	switch {
	case r.pub != nil:
		r.pub.notice(format, args...)
	case r.notes != nil:
		fmt.Fprintf(r.notes, "note: "+format+"\n", args...)
	}
}

// bindable reports whether a comment may carry /signoff or /bypass, the
// commands that apply to the head they were given on.
func bindable(body string) bool {
	body = strings.ToLower(body) // commands are matched without case
	return strings.Contains(body, "/signoff") || strings.Contains(body, "/bypass")
}

// needsFiles reports whether any requirement rule looks at paths.
func needsFiles(p *tracker.Policy) bool {
	for _, rq := range p.Require {
		if len(rq.Paths) > 0 {
			return true
		}
	}
	return false
}

// handlePull evaluates the gate of pull request number and publishes it: the
// twokey/gate status on the head (always), the pull request's labels and one
// sticky comment (only when they change), the verdict output and summary.
func (r *runner) handlePull(ctx context.Context, number int, trigger int64) error {
	g, err := r.gather(ctx, number, trigger)
	var ce *configError
	if errors.As(err, &ce) {
		return r.reportConfigError(ctx, number, g, ce)
	}
	if err != nil {
		return err
	}
	v, err := tracker.Evaluate(ctx, r.policy, g.pr, g.briefs, newDirectory(r.api))
	if err != nil {
		return fmt.Errorf("evaluate the gate of pull request #%d: %w", number, err)
	}
	if v.State == tracker.StatePending {
		for _, k := range v.Kinds {
			if k.Problem != "" {
				r.warn("pull request #%d, %s: %s", number, k.Kind, k.Problem)
			}
		}
	}
	text := v.Comment()
	if err := r.pub.outputs(Output{"verdict", v.State}); err != nil {
		return err
	}
	if err := r.pub.summary(fmt.Sprintf("## twokey: pull request #%d\n\n%s", number, text)); err != nil {
		return err
	}
	if err := r.write(r.api.createStatus(ctx, g.pr.HeadSHA, &github.RepoStatus{
		State: github.String(v.State), Context: github.String(StatusContext),
		Description: github.String(v.Description()), TargetURL: nonEmpty(r.runURL),
	})); err != nil {
		return err
	}
	want, owned := v.Labels()
	if _, err := r.api.setLabels(ctx, number, g.pr.Labels, want, owned); err != nil {
		return r.write(err)
	}
	return r.write(r.upsertSticky(ctx, number, g.sticky, renderSticky(gateMarker, text, g.state)))
}

// reportConfigError puts a broken policy or form on the pull request's head as
// an error status and returns the error (annotations, exit 1).
func (r *runner) reportConfigError(ctx context.Context, number int, g *gathered, ce *configError) error {
	head := ""
	if g != nil {
		head = g.pr.HeadSHA
	} else if raw, err := r.api.pull(ctx, number); err == nil {
		head = raw.GetHead().GetSHA()
	}
	if head != "" {
		msg := ce.err.Error()
		if ces := tracker.AsConfigErrors(ce.err); len(ces) > 0 {
			msg = ces[0].Error()
		}
		desc := truncate("twokey configuration error: "+strings.ReplaceAll(msg, "\n", " "), 140)
		if err := r.write(r.api.createStatus(ctx, head, &github.RepoStatus{
			State: github.String("error"), Context: github.String(StatusContext),
			Description: github.String(desc), TargetURL: nonEmpty(r.runURL),
		})); err != nil && !errors.Is(err, errReadOnly) {
			return errors.Join(ce, err)
		}
	}
	return ce
}

// handleMerged records a merged pull request: the gate as it stood at merge
// time decides pass or bypassed.
func (r *runner) handleMerged(ctx context.Context, raw *github.PullRequest) error {
	commit := raw.GetMergeCommitSHA()
	if commit == "" {
		return fmt.Errorf("pull request #%d is merged but the event has no merge_commit_sha", raw.GetNumber())
	}
	g, err := r.gather(ctx, raw.GetNumber(), 0)
	if err != nil {
		return err
	}
	// The gate as it stood at merge time: reviews and comments made after
	// the merge (a late approval, a revoke) do not change the record, so a
	// re-run of this job writes the same record again (and the note keeps
	// one copy of it).
	mergedAt := g.raw.GetMergedAt().Time // the API's, fresher than a re-run's payload
	if mergedAt.IsZero() {
		mergedAt = raw.GetMergedAt().Time
	}
	if !mergedAt.IsZero() {
		g.pr.Reviews = slices.DeleteFunc(g.pr.Reviews, func(rv tracker.Review) bool { return rv.SubmittedAt.After(mergedAt) })
		g.pr.Comments = slices.DeleteFunc(g.pr.Comments, func(c tracker.Comment) bool { return c.CreatedAt.After(mergedAt) })
	}
	v, err := tracker.Evaluate(ctx, r.policy, g.pr, g.briefs, newDirectory(r.api))
	if err != nil {
		return fmt.Errorf("evaluate the gate of pull request #%d at merge: %w", raw.GetNumber(), err)
	}
	method, others, err := r.landed(ctx, g.raw, commit)
	if err != nil {
		// The record matters more than its method: write it without.
		r.warn("could not tell how pull request #%d was merged (%v): the record has no method, and the audit lists other commits of a rebase merge as no_record", raw.GetNumber(), err)
	}
	rec := tracker.NewRecord(r.policy, g.pr, v, tracker.MergeInfo{
		Commit: commit, MergedBy: raw.GetMergedBy().GetLogin(), MergedAt: mergedAt, Method: method, Landed: others,
	})
	if err := r.pub.outputs(Output{"verdict", rec.Verdict}); err != nil {
		return err
	}
	if err := r.records().AppendRecord(ctx, commit, rec); err != nil {
		return r.write(fmt.Errorf("record the merge of pull request #%d on %s%s: %w", raw.GetNumber(), shortSHA(commit), recordHint(err), err))
	}
	return r.pub.summary(fmt.Sprintf("## twokey: recorded the merge of #%d\n\n`%s` — verdict **%s**%s\n", raw.GetNumber(), commit, rec.Verdict, reasonSuffix(rec.Reason)))
}

// recordHint says what to do about a failed notes push: wait and re-run
// when other writers kept getting there first (a re-run adds the record
// once), otherwise check the job's permission.
func recordHint(err error) string {
	if errors.Is(err, gitstore.ErrPushRejected) {
		return " (other runs kept pushing notes at the same time; re-run the job, which adds the record once)"
	}
	return " (the job needs contents: write)"
}

func reasonSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// handlePush records commits pushed to the default branch that no pull
// request brought (direct pushes); merges are recorded by their closed event.
func (r *runner) handlePush(ctx context.Context, e *github.PushEvent) error {
	if e.GetDeleted() || e.GetRef() != "refs/heads/"+r.defBranch {
		r.pub.notice("push to %s: only pushes to the default branch (%s) are recorded", e.GetRef(), r.defBranch)
		return nil
	}
	p, err := r.loadPolicy(ctx)
	if err != nil {
		return err
	}
	// Only a pull request merged into this branch brings a commit; an open
	// one that also contains it (its branch was pushed to main directly)
	// does not.
	mergedHere := func(prs []*github.PullRequest) bool {
		return slices.ContainsFunc(prs, func(pr *github.PullRequest) bool {
			return pr.MergedAt != nil && pr.GetBase().GetRef() == r.defBranch
		})
	}
	// A push whose new head a pull request merged into this branch brought
	// is that merge, whatever commits came with it: those of a pull request
	// into another branch merged on here are GitHub's listing of that
	// pull request, not pushes of anyone's.
	asked := map[string][]*github.PullRequest{} // the head's answer, read once
	if after := e.GetAfter(); after != "" && len(e.Commits) > 1 {
		prs, err := r.api.commitPulls(ctx, after)
		if err != nil {
			return err
		}
		if mergedHere(prs) {
			return r.pub.outputs(Output{"verdict", "none"})
		}
		asked[after] = prs
	}
	var recorded []string
	for _, c := range e.Commits {
		sha := c.GetID()
		if sha == "" {
			continue
		}
		prs, ok := asked[sha]
		if !ok {
			var err error
			if prs, err = r.api.commitPulls(ctx, sha); err != nil {
				return err
			}
		}
		if mergedHere(prs) {
			continue
		}
		rec := tracker.Record{
			V: 1, Type: tracker.RecordPush, Repo: r.api.full(), Base: r.defBranch, Commit: sha,
			MergedBy: e.GetPusher().GetName(), MergedAt: c.GetTimestamp().Time.UTC(),
			Verdict: tracker.VerdictDirectPush, Policy: p.SHA,
		}
		if err := r.records().AppendRecord(ctx, sha, rec); err != nil {
			return r.write(fmt.Errorf("record the direct push of %s%s: %w", shortSHA(sha), recordHint(err), err))
		}
		recorded = append(recorded, shortSHA(sha))
	}
	if err := r.pub.outputs(Output{"verdict", map[bool]string{true: tracker.VerdictDirectPush, false: "none"}[len(recorded) > 0]}); err != nil {
		return err
	}
	if len(recorded) == 0 {
		return nil
	}
	return r.pub.summary(fmt.Sprintf("## twokey: recorded %d direct push(es) to %s\n\n%s\n", len(recorded), r.defBranch, strings.Join(recorded, ", ")))
}

func (r *runner) records() RecordWriter {
	open := r.cfg.Records
	if open == nil {
		open = defaultRecords
	}
	return open(fmt.Sprintf("%s/%s.git", r.serverURL, r.api.full()), r.token)
}

// queueRe finds the pull request numbers in a merge group's head ref:
// gh-readonly-queue/main/pr-123-<sha>.
var queueRe = regexp.MustCompile(`(?:^|/)pr-([0-9]+)-[0-9a-f]+`)

// handleMergeGroup reports twokey/gate on a merge group's head: success when
// the gate of every pull request in it passes, so the queue never waits for a
// status that would not come.
func (r *runner) handleMergeGroup(ctx context.Context, mg *github.MergeGroup) error {
	sha := mg.GetHeadSHA()
	var numbers []int
	for _, m := range queueRe.FindAllStringSubmatch(mg.GetHeadRef(), -1) {
		n, _ := strconv.Atoi(m[1])
		numbers = append(numbers, n)
	}
	state, desc := "success", ""
	if len(numbers) == 0 {
		state, desc = "failure", fmt.Sprintf("cannot tell the pull requests of merge group %s", mg.GetHeadRef())
	}
	var failing []string
	for _, n := range numbers {
		g, err := r.gather(ctx, n, 0)
		var v *tracker.Verdict
		if err == nil {
			v, err = tracker.Evaluate(ctx, r.policy, g.pr, g.briefs, newDirectory(r.api))
		}
		if err != nil {
			// Answer anyway, so the queue drops the group instead of
			// waiting for a status until it times out.
			err = fmt.Errorf("judge pull request #%d in the merge queue: %w", n, err)
			werr := r.api.createStatus(ctx, sha, &github.RepoStatus{
				State: github.String("error"), Context: github.String(StatusContext),
				Description: github.String(truncate("twokey could not judge the group: "+err.Error(), 140)), TargetURL: nonEmpty(r.runURL),
			})
			return errors.Join(err, werr)
		}
		if v.State != tracker.StateSuccess {
			failing = append(failing, fmt.Sprintf("#%d (%s)", n, v.Description()))
		}
	}
	switch {
	case len(failing) > 0:
		state, desc = "failure", "gate not passing: "+strings.Join(failing, "; ")
	case desc == "":
		desc = "every pull request in the group passes the gate"
	}
	if err := r.pub.outputs(Output{"verdict", state}); err != nil {
		return err
	}
	return r.write(r.api.createStatus(ctx, sha, &github.RepoStatus{
		State: github.String(state), Context: github.String(StatusContext),
		Description: github.String(truncate(desc, 140)), TargetURL: nonEmpty(r.runURL),
	}))
}

func actor(u *github.User) tracker.Actor {
	return tracker.Actor{Login: u.GetLogin(), ID: u.GetID(), Bot: u.GetType() == "Bot"}
}

func labelNames(ls []*github.Label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.GetName())
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// truncate cuts s to n runes, ending in "…" when it cuts.
func truncate(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}
