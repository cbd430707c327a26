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
// the writes that change something. The brief is judged at GitHub's clock
// (the Date of the policy's read), so that a deadline that has passed shows.
// It reports whether the issue is a brief.
func (r *runner) handleIssue(ctx context.Context, is *github.Issue) (brief bool, err error) {
	if is.IsPullRequest() {
		r.pub.notice("issue event on pull request #%d: nothing to do", is.GetNumber())
		return false, nil
	}
	f, err := r.loadForm(ctx)
	if err != nil {
		return false, err
	}
	p := r.policy // read by loadForm and fitted to the form
	if r.rerun() {
		if is, err = r.api.issue(ctx, is.GetNumber()); err != nil {
			return false, err
		}
	}
	n := is.GetNumber()
	labels := labelNames(is.Labels)
	if !containsFold(labels, p.Brief.Label) && !tracker.LooksLikeBrief(f, is.GetBody()) {
		r.pub.notice("issue #%d has no %q label and does not follow the brief form: not a brief, nothing to do", n, p.Brief.Label)
		return false, nil
	}
	res := tracker.CheckBriefAt(f, p, is.GetBody(), is.GetCreatedAt().Time, r.api.configDate)
	verdict := "needs-info"
	if res.Valid {
		verdict = "ready"
	}
	fields, _ := json.Marshal(res.Brief.FieldValues())
	findings := res.Findings
	if findings == nil {
		findings = []tracker.Finding{}
	}
	fj, _ := json.Marshal(findings)
	if err := r.pub.outputs(Output{"verdict", verdict}, Output{"brief", string(fields)}, Output{"findings", string(fj)}); err != nil {
		return true, err
	}
	if err := r.pub.summary(fmt.Sprintf("## twokey: brief #%d is %s\n\n%s", n, verdict, tracker.BriefComment(res))); err != nil {
		return true, err
	}
	return true, r.writeBrief(ctx, n, labels, res)
}

// writeBrief puts a checked brief's labels and comment on issue n, whose
// labels are now labels: it reads the issue's comments for twokey's own, and
// writes only what changes.
func (r *runner) writeBrief(ctx context.Context, n int, labels []string, res *tracker.BriefResult) error {
	p := r.policy
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
	body := renderSticky(briefMarker, tracker.BriefComment(res), stickyState{L: want})
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
	read   *pullRead
	pr     *tracker.PullRequest
	briefs []tracker.LinkedBrief
	sticky *github.IssueComment
	state  stickyState
	dir    *directory
	// status is twokey's own status on the head for this pull request (nil:
	// none yet), and seen since when twokey has known the head.
	status *gqlStatus
	seen   time.Time
	// now is GitHub's clock when it answered the read (its Date): the time
	// rules judge at it, never at the runner's clock.
	now time.Time
	// requiredSince is when each required kind became required (zero:
	// since ready), as the time rules were applied; the status records it.
	requiredSince map[string]time.Time
	// facts are what the time rules were applied with (nil: they were not),
	// for the due times a merge record keeps.
	facts *tracker.TimeFacts
	// mentioned holds the overdue notices twokey already posted here
	// (tracker.OverdueMarker of kind and due time), found in the comments
	// of the token's own account only.
	mentioned map[string]bool
}

// linkHint is what the event says of the pull request before twokey reads
// it: the briefs it links are read in the same request.
type linkHint struct{ title, body, branch string }

// gather reads a pull request, the policy and form on the default branch and
// the briefs the event's text links in one GraphQL request (more only for
// lists past 100 entries, briefs the event did not show, teams, and the
// previous names of renamed files), and prepares what the gate judges.
// Nothing any comment says, twokey's own included, decides which head a
// key was given on: see tracker.PullRequest.
func (r *runner) gather(ctx context.Context, number int, hint linkHint) (*gathered, error) {
	if r.defBranch == "" {
		// The payload always carries it; an API call would cost a request.
		return nil, errors.New("the event payload has no repository.default_branch: cannot tell where the policy lives")
	}
	policyPath, formPath := r.configPaths()
	var prefetch []int
	for _, l := range tracker.FindLinks(r.api.full(), hint.title, hint.body, hint.branch) {
		if strings.EqualFold(l.Repo, r.api.full()) && len(prefetch) < maxLinkedBriefs && !slices.Contains(prefetch, l.Number) {
			prefetch = append(prefetch, l.Number)
		}
	}
	rd, err := r.api.readPull(ctx, number, r.defBranch, policyPath, formPath, prefetch, nil)
	if err != nil {
		return nil, err
	}
	if r.asStatusCreator {
		rd.viewer = rd.statusCreator()
	}
	r.selfLogin = &rd.viewer
	if err := r.useConfig(ctx, rd.policy, rd.form, policyPath, formPath); err != nil {
		return nil, err
	}
	if _, err := r.loadForm(ctx); err != nil {
		return nil, err
	}
	p := r.policy // fitted to the form
	if err := r.api.morePages(ctx, number, rd, needsFiles(p)); err != nil {
		return nil, err
	}
	pr := rd.trackerPull(r.api.full())
	shared, ok := rd.sharedHead()
	if !ok {
		// The head ref GitHub keeps lags the push, or many pull requests
		// hold the commit: the REST listing names the head of each.
		prs, err := r.api.commitPulls(ctx, rd.pr.HeadRefOID)
		if err != nil {
			return nil, err
		}
		for _, o := range prs {
			if o.GetNumber() != number && o.GetState() == "open" && strings.EqualFold(o.GetHead().GetSHA(), rd.pr.HeadRefOID) {
				shared = append(shared, o.GetNumber())
			}
		}
	}
	pr.SharedHead = shared
	if needsFiles(p) && rd.renamed() {
		// GraphQL does not give a renamed file's previous name; the compare
		// API names the head, so the files are the head's.
		files, complete, err := r.api.compareFiles(ctx, rd.pr.BaseRefOID, rd.pr.HeadRefOID)
		if err != nil {
			return nil, err
		}
		pr.Files, pr.FilesIncomplete = files, !complete || pr.FilesIncomplete
	}
	g := &gathered{read: rd, pr: pr, dir: newDirectory(r.api, rd), now: rd.readAt, mentioned: map[string]bool{}}
	for _, k := range p.Kinds {
		g.dir.teams = append(g.dir.teams, k.Teams...)
	}
	g.status, g.seen = rd.headStatus()

	// twokey's own comment: the first with the marker written by the token's
	// own account (never "a bot with the marker": under an App token other
	// workflows' bots are not twokey).
	kept := pr.Comments[:0]
	for i, c := range rd.pr.Comments.Nodes {
		own := isViewer(c.Author, rd.viewer)
		if own && strings.HasPrefix(c.Body, overdueMarkerPrefix) {
			first, _, _ := strings.Cut(c.Body, "\n")
			g.mentioned[first] = true
			continue
		}
		if own && (strings.HasPrefix(c.Body, gateMarker) || strings.HasPrefix(c.Body, briefMarker)) {
			if g.sticky == nil && strings.HasPrefix(c.Body, gateMarker) {
				g.sticky = &github.IssueComment{ID: github.Int64(pr.Comments[i].ID), Body: github.String(c.Body)}
				g.state = parseState(c.Body)
			}
			continue
		}
		kept = append(kept, pr.Comments[i])
	}
	pr.Comments = kept

	// The briefs the pull request links now (its text may have changed since
	// the event): those not read with it are read now.
	links := tracker.FindLinks(r.api.full(), pr.Title, pr.Body, pr.Branch)
	var missing []int
	for i, l := range links {
		if i < maxLinkedBriefs && strings.EqualFold(l.Repo, r.api.full()) {
			if _, ok := rd.briefs[l.Number]; !ok && !slices.Contains(missing, l.Number) {
				missing = append(missing, l.Number)
			}
		}
	}
	if err := r.api.readExtra(ctx, rd, missing, nil); err != nil {
		return nil, err
	}
	for i, l := range links {
		lb := tracker.LinkedBrief{Repo: l.Repo, Number: l.Number}
		is := rd.briefs[l.Number]
		if i >= maxLinkedBriefs || !strings.EqualFold(l.Repo, r.api.full()) || is == nil {
			// Briefs live in this repository; other repositories' issues are
			// not read (the token may not reach them).
			g.briefs = append(g.briefs, lb)
			continue
		}
		for _, n := range is.Labels.Nodes {
			lb.Labels = append(lb.Labels, n.Name)
		}
		lb.Found = containsFold(lb.Labels, p.Brief.Label)
		if lb.Found || tracker.LooksLikeBrief(r.form, is.Body) {
			// The labels twokey owns (ready, needs-info, answer labels) are
			// recomputed from the brief itself: anyone who can label the
			// issue could otherwise mark a brief ready or drop a label that
			// adds a kind. Other labels are taken as they are.
			res := tracker.CheckBriefAt(r.form, p, is.Body, is.CreatedAt, rd.readAt)
			owned := p.Brief.OwnedLabels()
			labels := slices.DeleteFunc(slices.Clone(lb.Labels), func(l string) bool { return containsFold(owned, l) })
			lb.Found, lb.Brief, lb.Labels = true, res.Brief, append(labels, res.Labels...)
		}
		g.briefs = append(g.briefs, lb)
	}
	return g, nil
}

// evaluate judges a gathered pull request against the policy, then applies
// its time rules (freeze windows, due times) at g.now, GitHub's clock.
func (r *runner) evaluate(ctx context.Context, g *gathered) (*tracker.Verdict, error) {
	v, err := tracker.Evaluate(ctx, r.policy, g.pr, g.briefs, g.dir)
	if err != nil {
		return nil, err
	}
	if g.now.IsZero() {
		// Never the runner's clock: without GitHub's, no freeze holds and
		// no key falls due on this run.
		r.warn("pull request #%d: GitHub's answer carried no Date, so freeze windows and due times were not applied on this run", g.pr.Number)
		return v, nil
	}
	f := r.timeFacts(g)
	g.requiredSince, g.facts = f.RequiredSince, &f
	if err := tracker.ApplyTime(v, r.policy, f, g.now); err != nil {
		return nil, err
	}
	return v, nil
}

// overdueMarkerPrefix starts twokey's overdue notices (tracker.OverdueMarker).
const overdueMarkerPrefix = "<!-- twokey:overdue "

// timeFacts is what the read says of when the pull request became ready:
// the latest of when it was opened, when it was last marked ready for
// review, and when each ready brief it links was filed or last edited (a
// brief is judged ready from its text, so its last edit is when it became
// so at the latest); and of when each kind it requires became required
// (see requiredHistory). GitHub's timestamps, and twokey's own statuses.
func (r *runner) timeFacts(g *gathered) tracker.TimeFacts {
	pr := g.read.pr
	f := tracker.TimeFacts{PR: g.pr, Briefs: g.briefs, Draft: pr.IsDraft, ReadyAt: pr.CreatedAt}
	later := func(t time.Time) {
		if t.After(f.ReadyAt) {
			f.ReadyAt = t
		}
	}
	for _, e := range pr.Timeline.Nodes {
		if e.Typename == "ReadyForReviewEvent" {
			later(e.CreatedAt)
		}
	}
	for _, b := range g.briefs {
		is := g.read.briefs[b.Number]
		if !b.Found || is == nil || !strings.EqualFold(b.Repo, r.api.full()) {
			continue
		}
		later(is.CreatedAt)
		if is.LastEditedAt != nil {
			later(*is.LastEditedAt)
		}
	}
	f.RequiredSince = tracker.RequiredSince(r.policy, g.pr, g.briefs, r.requiredHistory(g))
	return f
}

// requiredHistory gathers what GitHub and twokey recorded of when the
// required kinds became required: when each label was last added (the
// timeline's labeled events), the kinds twokey's latest own status on any
// head of this pull request lists (its mark), and when twokey first saw
// the head (its status's mark, or this read).
func (r *runner) requiredHistory(g *gathered) tracker.RequiredHistory {
	rd := g.read
	h := tracker.RequiredHistory{LabeledAt: map[string]time.Time{}, HeadSeenAt: g.seen}
	if h.HeadSeenAt.IsZero() {
		h.HeadSeenAt = rd.readAt
	}
	var latest *gqlStatus
	consider := func(c *gqlCommit) {
		if c == nil {
			return
		}
		st, _ := ownStatus(c, rd.viewer, rd.pr.Number)
		if st == nil {
			return
		}
		if latest != nil {
			head := strings.EqualFold(c.OID, rd.pr.HeadRefOID)
			if st.CreatedAt.Before(latest.CreatedAt) || st.CreatedAt.Equal(latest.CreatedAt) && !head {
				return // in the same second, the head's own status is the later
			}
		}
		if m, ok := parseMark(st.TargetURL); ok && m.req != nil {
			latest = st
			h.Before = &tracker.RequiredBefore{Head: strings.ToLower(c.OID), Since: parseReq(*m.req, r.policy.KindOrder)}
		}
	}
	for i := range rd.pr.Commits.Nodes {
		consider(&rd.pr.Commits.Nodes[i].Commit)
	}
	for _, e := range rd.pr.Timeline.Nodes {
		switch e.Typename {
		case "HeadRefForcePushedEvent":
			consider(e.BeforeCommit)
			consider(e.AfterCommit)
		case "LabeledEvent":
			if e.Label != nil {
				l := strings.ToLower(e.Label.Name)
				if e.CreatedAt.After(h.LabeledAt[l]) {
					h.LabeledAt[l] = e.CreatedAt
				}
			}
		}
	}
	return h
}

// mentionOverdue tells the signers of each overdue kind, once per kind and
// due time: twokey knows it told them by its own comments (the token's
// account) that start with the kind's marker. Only a re-check run tells
// them (r.notify): runs on a pull request's events leave the notices owed
// (see owedNotices), so that a re-check and an event's run judging the same
// pull request at once cannot both post one.
func (r *runner) mentionOverdue(ctx context.Context, g *gathered, v *tracker.Verdict) error {
	if !r.notify {
		return nil
	}
	for _, d := range r.owedNotices(g, v) {
		if _, err := r.api.createComment(ctx, g.pr.Number, v.OverdueNotice(d)); err != nil {
			return err
		}
		g.mentioned[tracker.OverdueMarker(d.Kind, d.At)] = true
	}
	return nil
}

// owedNotices are the overdue kinds whose signers twokey has not told yet
// about this due time.
func (r *runner) owedNotices(g *gathered, v *tracker.Verdict) []tracker.Due {
	var out []tracker.Due
	for _, d := range v.Time.Overdue() {
		if !g.mentioned[tracker.OverdueMarker(d.Kind, d.At)] {
			out = append(out, d)
		}
	}
	return out
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
// twokey/gate status on the head, the pull request's labels and one sticky
// comment (each only when it changes), the verdict output and summary.
func (r *runner) handlePull(ctx context.Context, number int, hint linkHint) error {
	_, err := r.judgePull(ctx, number, hint, func(v *tracker.Verdict, text string) error {
		if err := r.pub.outputs(Output{"verdict", v.State}); err != nil {
			return err
		}
		return r.pub.summary(fmt.Sprintf("## twokey: pull request #%d\n\n%s", number, text))
	})
	return err
}

// judgePull reads and judges pull request number and writes what changed:
// its status, labels, comment and overdue notices. publish (nil: nothing)
// gets the verdict before any write, so that a read-only run still shows it.
// It returns nil and no error when the head moved during the read.
func (r *runner) judgePull(ctx context.Context, number int, hint linkHint, publish func(v *tracker.Verdict, text string) error) (*tracker.Verdict, error) {
	g, err := r.gather(ctx, number, hint)
	var ce *configError
	switch {
	case errors.As(err, &ce):
		return nil, r.reportConfigError(ctx, number, g, ce)
	case errors.Is(err, errHeadMoved):
		r.notice("pull request #%d: the head moved while twokey read it; the run for that push judges the new head, nothing was changed", number)
		return nil, nil
	case err != nil:
		return nil, r.reportFailure(ctx, number, g, err)
	}
	v, err := r.evaluate(ctx, g)
	if err != nil {
		return nil, r.reportFailure(ctx, number, g, fmt.Errorf("evaluate the gate of pull request #%d: %w", number, err))
	}
	if v.State == tracker.StatePending {
		for _, k := range v.Kinds {
			if k.Problem != "" {
				r.warn("pull request #%d, %s: %s", number, k.Kind, k.Problem)
			}
		}
	}
	text := v.Comment()
	if publish != nil {
		if err := publish(v, text); err != nil {
			return nil, err
		}
	}
	wrote, err := r.writePull(ctx, number, g, v, text)
	if !wrote || v.State != tracker.StateSuccess {
		return v, err
	}
	// A success that was set is confirmed even when a later write failed
	// (a label, the comment, which anyone with write access can delete
	// under the run): the run stops, the success would stand unconfirmed
	// (TestAttackStaleSuccessWhenALaterWriteFails).
	return v, errors.Join(err, r.confirmSuccess(ctx, number, hint, g))
}

// confirmSuccess reads pull request number again after this run set its
// status to success, and writes the verdict it finds now unless it is still
// a pass. Runs for one pull request can overlap (a re-check, or a brief's
// edit judging the pull requests that link it, runs beside the pull
// request's own run), and a run's read can last long (a thread of
// thousands of comments is read 100 at a time): without this, a run that
// read both keys before one was withdrawn could set its success after the
// run for the withdrawal set pending, and the gate would pass without the
// key. After this read, a withdrawal has its own run, which reads after it;
// so the last success standing was confirmed by a read after it was set
// (TestAttackStaleSuccessAfterWithdrawal). set is what the success was
// judged from.
func (r *runner) confirmSuccess(ctx context.Context, number int, hint linkHint, set *gathered) error {
	g, err := r.gather(ctx, number, hint)
	var ce *configError
	switch {
	case errors.As(err, &ce):
		return r.reportConfigError(ctx, number, g, ce)
	case errors.Is(err, errHeadMoved):
		// The run for the push judges the new head, but the success
		// stays on the one it was set on, unconfirmed, and the author can
		// push that head back: it is replaced by an error
		// (TestAttackStaleSuccessWhenTheHeadMovesDuringItsConfirmation).
		r.notice("pull request #%d: the head moved while twokey confirmed its pass on %.7s; that head's status no longer says it passes, the run for the push judges the new head", number, set.pr.HeadSHA)
		return r.failStatus(ctx, number, set, nil, "twokey could not confirm this head's pass: the head moved while it read the pull request again", true)
	case err != nil:
		return r.reportFailure(ctx, number, g, err)
	}
	v, err := r.evaluate(ctx, g)
	if err != nil {
		return r.reportFailure(ctx, number, g, fmt.Errorf("evaluate the gate of pull request #%d: %w", number, err))
	}
	if v.State == tracker.StateSuccess {
		return nil
	}
	r.notice("pull request #%d: the gate changed while twokey judged it (%s now); the status says so", number, v.State)
	_, err = r.writePull(ctx, number, g, v, v.Comment())
	return err
}

// writePull writes a judged pull request's status, labels, comment and
// overdue notices, each only when it changes. wrote says whether it set the
// status.
func (r *runner) writePull(ctx context.Context, number int, g *gathered, v *tracker.Verdict, text string) (wrote bool, err error) {
	// A re-check tells the signers first: its status then says nothing is
	// owed, and if telling fails the status still says so, and the next
	// re-check tries again.
	if err := r.write(r.mentionOverdue(ctx, g, v)); err != nil {
		return false, err
	}
	// A closed or merged pull request's verdict gates nothing, and its head
	// may be an open one's: the status there is the open one's to set
	// (TestAttackSecondPullRequestOnTheSameHead).
	if g.read.pr.State == "OPEN" || g.read.pr.State == "" {
		w, err := r.setStatus(ctx, g, v)
		if err := r.write(err); err != nil {
			// A write that failed may have been carried out (its answer
			// lost): a success it may have set is confirmed all the same
			// (TestAttackStaleSuccessWhoseAnswerWasLost).
			return w, err
		}
		wrote = w
		if err := r.write(r.demoteEarlierHeads(ctx, g)); err != nil {
			return wrote, err
		}
	}
	want, owned := v.Labels()
	if _, err := r.api.setLabels(ctx, number, g.pr.Labels, want, owned); err != nil {
		return wrote, r.write(err)
	}
	return wrote, r.write(r.upsertSticky(ctx, number, g.sticky, renderSticky(gateMarker, text, g.state)))
}

// setStatus sets twokey/gate on the head, unless twokey's own status there
// already says the same. The status's target URL ends in a mark naming the
// pull request and since when twokey has known the head (GitHub's clock of
// the read that first saw it, carried from status to status): the gate
// reads it back as GitHub's record that the head was the head then, which
// binds later /signoff comments to it (tracker.PullRequest.HeadSeen). Only
// the token's own statuses count, so no one else can write that record.
func (r *runner) setStatus(ctx context.Context, g *gathered, v *tracker.Verdict) (bool, error) {
	state, desc := v.State, v.Description()
	seen := g.seen
	if seen.IsZero() {
		seen = g.read.readAt
	}
	target := r.markBase(g.read.pr.URL)
	jm := judgedMark{cfg: r.cfgID}
	if v.Time != nil {
		jm.next = v.Time.Next
		if owed := r.owedNotices(g, v); len(owed) > 0 && !r.notify {
			// Notices this run may not post: the mark says their time
			// has come, so the next re-check judges the pull request
			// and tells the signers.
			jm.next = owed[0].At
		}
		if req := reqMark(g.requiredSince); len(target)+len(statusMark(g.pr.Number, seen, jm))+len("-req"+req) <= maxTargetURL {
			jm.req = &req
		}
	}
	if st := g.status; st != nil && strings.EqualFold(st.State, state) && st.Description == desc {
		if have, ok := parseMark(st.TargetURL); ok && have.equal(jm) {
			return false, nil // the same status is there: a re-run writes nothing
		}
	}
	if seen.IsZero() {
		// No clock from GitHub: a status without the mark still gates, it
		// just binds nothing.
		return true, r.api.createStatus(ctx, g.pr.HeadSHA, &github.RepoStatus{
			State: github.String(state), Context: github.String(StatusContext),
			Description: github.String(desc), TargetURL: nonEmpty(r.runURL),
		})
	}
	return true, r.api.createStatus(ctx, g.pr.HeadSHA, &github.RepoStatus{
		State: github.String(state), Context: github.String(StatusContext),
		Description: github.String(desc), TargetURL: github.String(target + statusMark(g.pr.Number, seen, jm)),
	})
}

// demoteEarlierHeads sets pending on the commits the pull request has left
// that still carry twokey's success for it. A status belongs to a commit:
// pushed back (a force push, or a rewind to an earlier head), such a commit
// would pass with keys given before a withdrawal until the run for that
// push judged it (TestAttackSuccessLeftOnAnEarlierHead). The status keeps
// the commit's mark, the record of when twokey saw it as the head.
func (r *runner) demoteEarlierHeads(ctx context.Context, g *gathered) error {
	target := r.markBase(g.read.pr.URL)
	for _, e := range g.read.earlierSuccesses() {
		err := r.api.createStatus(ctx, e.sha, &github.RepoStatus{
			State: github.String(tracker.StatePending), Context: github.String(StatusContext),
			Description: github.String(fmt.Sprintf("no longer the head of #%d: judged again if it is pushed back", g.pr.Number)),
			TargetURL:   github.String(target + statusMark(g.pr.Number, e.seen, judgedMark{})),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// markBase is the URL a status's mark is appended to: the run's, or page
// (the pull request's) when the run has none.
func (r *runner) markBase(page string) string {
	if r.runURL != "" {
		return r.runURL
	}
	return page
}

// maxTargetURL is the longest target URL twokey gives a status: a mark
// that would make it longer leaves out the kinds required (their times then
// count from when the pull request was ready, or from their labels).
// GitHub documents no limit; 255 characters is the common column size.
const maxTargetURL = 255

// reportConfigError puts a broken policy or form on the pull request's head as
// an error status and returns the error (annotations, exit 1).
func (r *runner) reportConfigError(ctx context.Context, number int, g *gathered, ce *configError) error {
	msg := ce.err.Error()
	if ces := tracker.AsConfigErrors(ce.err); len(ces) > 0 {
		msg = ces[0].Error()
	}
	return r.failStatus(ctx, number, g, ce, "twokey configuration error: "+msg, true)
}

// reportFailure puts an error status on the pull request's head when a run
// could not judge it, and returns err. A run that cannot judge must not
// leave an earlier verdict standing: a pass from before a revoke would
// otherwise outlive it for as long as runs keep failing (and a pull
// request's author can make them fail, see TestAttackRunThatCannotJudgeKeepsSuccess).
func (r *runner) reportFailure(ctx context.Context, number int, g *gathered, err error) error {
	if ctx.Err() != nil {
		return err
	}
	return r.failStatus(ctx, number, g, err, "twokey could not judge this head: "+err.Error(), false)
}

// failStatus writes twokey/gate "error" with desc on the head of pull
// request number (the gathered one, else the head read now) and returns
// err, joined with the write's failure if there is one. Unless always, a
// head that was not gathered gets it only when a success is there to undo
// (see headVerdict).
func (r *runner) failStatus(ctx context.Context, number int, g *gathered, err error, desc string, always bool) error {
	var head, page string
	var seen time.Time
	if g != nil {
		head, seen, page = g.pr.HeadSHA, g.seen, g.read.pr.URL
	} else if raw, perr := r.api.pull(ctx, number); perr == nil {
		head, page = raw.GetHead().GetSHA(), raw.GetHTMLURL()
		var undo bool
		if seen, undo = r.headVerdict(ctx, number, head); !undo && !always {
			return err
		}
	}
	if head == "" {
		return err
	}
	// The status replaces twokey's own on the head: it carries the head's
	// mark on, so that the record of when twokey first saw the head (which
	// binds /signoff comments, see setStatus) outlives the failure.
	target := nonEmpty(r.runURL)
	if !seen.IsZero() {
		target = github.String(r.markBase(page) + statusMark(number, seen, judgedMark{}))
	}
	desc = truncate(strings.ReplaceAll(desc, "\n", " "), 140)
	if werr := r.write(r.api.createStatus(ctx, head, &github.RepoStatus{
		State: github.String("error"), Context: github.String(StatusContext),
		Description: github.String(desc), TargetURL: target,
	})); werr != nil && !errors.Is(werr, errReadOnly) {
		return errors.Join(err, werr)
	}
	return err
}

// headVerdict says, when the read of pull request number failed, whether
// a twokey/gate status on head must be undone (the latest there is a
// success) and since when twokey has known head as the head (from its own
// status there, zero when it is another account's). A status that is not a
// success has nothing to undo and keeps its mark. When the token's own
// login cannot be read either (GitHub's GraphQL API is down, which no one
// on the pull request can cause), nothing is undone: the next run judges.
func (r *runner) headVerdict(ctx context.Context, number int, head string) (seen time.Time, undo bool) {
	sts, err := r.api.statuses(ctx, head)
	if err != nil {
		return time.Time{}, false
	}
	for _, st := range sts {
		if st.GetContext() != StatusContext {
			continue
		}
		// The latest twokey/gate status decides, as it does for branch
		// protection.
		if st.GetState() != tracker.StateSuccess {
			return time.Time{}, false
		}
		self, err := r.self(ctx)
		if err != nil {
			return time.Time{}, false
		}
		c := &gqlCommit{}
		c.Status = &struct {
			Context *gqlStatus `json:"context"`
		}{&gqlStatus{TargetURL: st.GetTargetURL(), CreatedAt: st.GetCreatedAt().Time, Creator: &gqlActor{Typename: st.GetCreator().GetType(), Login: st.GetCreator().GetLogin()}}}
		_, seen = ownStatus(c, self, number)
		return seen, true
	}
	return time.Time{}, false
}

// handleMerged records a merged pull request: the gate as it stood at merge
// time decides pass or bypassed.
func (r *runner) handleMerged(ctx context.Context, raw *github.PullRequest) error {
	commit := raw.GetMergeCommitSHA()
	if commit == "" {
		return fmt.Errorf("pull request #%d is merged but the event has no merge_commit_sha", raw.GetNumber())
	}
	g, err := r.gather(ctx, raw.GetNumber(), hintOf(raw))
	if err != nil {
		return err
	}
	// The gate as it stood at merge time: reviews, comments and events after
	// the merge (a late approval, a revoke, a deletion) do not change the
	// record, so a re-run of this job writes the same record again (and the
	// note keeps one copy of it).
	var mergedAt time.Time
	if m := g.read.pr.MergedAt; m != nil {
		mergedAt = *m // the API's, fresher than a re-run's payload
	}
	if mergedAt.IsZero() {
		mergedAt = raw.GetMergedAt().Time
	}
	if !mergedAt.IsZero() {
		// The time rules judge at the merge too: a merge made in a freeze
		// is recorded with the window and whoever lifted it.
		g.now = mergedAt
		atMerge(g.pr, mergedAt)
	}
	v, err := r.evaluate(ctx, g)
	if err != nil {
		return fmt.Errorf("evaluate the gate of pull request #%d at merge: %w", raw.GetNumber(), err)
	}
	// The payload's count of commits may be stale: the read's is GitHub's now.
	counted := *raw
	counted.Commits = github.Int(g.read.pr.Commits.TotalCount)
	method, others, err := r.landed(ctx, &counted, commit)
	if err != nil {
		// The record matters more than its method: write it without.
		r.warn("could not tell how pull request #%d was merged (%v): the record has no method, and the audit lists other commits of a rebase merge as no_record", raw.GetNumber(), err)
	}
	var due []tracker.Due
	if g.facts != nil {
		// Every required kind's due time at the merge, turned or not: the
		// report counts the keys turned after theirs.
		due = tracker.DueTimes(v, r.policy, *g.facts, g.now)
	}
	rec := tracker.NewRecord(r.policy, g.pr, v, tracker.MergeInfo{
		Commit: commit, MergedBy: raw.GetMergedBy().GetLogin(), MergedAt: mergedAt, Method: method, Landed: others,
		OpenedAt: g.read.pr.CreatedAt, // for twokey report's lead times
		Due:      due,
	})
	if err := r.pub.outputs(Output{"verdict", rec.Verdict}); err != nil {
		return err
	}
	if err := r.records().AppendRecord(ctx, commit, rec); err != nil {
		return r.write(fmt.Errorf("record the merge of pull request #%d on %s%s: %w", raw.GetNumber(), shortSHA(commit), recordHint(err), err))
	}
	return r.pub.summary(fmt.Sprintf("## twokey: recorded the merge of #%d\n\n`%s` — verdict **%s**%s\n", raw.GetNumber(), commit, rec.Verdict, reasonSuffix(rec.Reason)))
}

// atMerge leaves pr as the gate could judge it at the merge (GitHub's whole
// seconds), never kinder to it than the truth:
//   - reviews and comments made after the merge's second are left out, and
//     so are timeline events, except deletions of comments by others: the
//     deleted comment may have been a revoke made before the merge, so its
//     author's keys stay withdrawn whenever it was deleted;
//   - a review or comment made in the merge's second is not known to be
//     before it, and one edited in or after that second no longer says what
//     it said at the merge (GitHub keeps no old text twokey reads): each
//     carries nothing and withdraws its author's earlier keys.
//
// Otherwise an edit after the merge would count as of the comment's
// creation (TestAttackMergeRecordLaundered).
func atMerge(pr *tracker.PullRequest, mergedAt time.Time) {
	merged := mergedAt.Unix()
	pr.Reviews = slices.DeleteFunc(pr.Reviews, func(rv tracker.Review) bool { return rv.SubmittedAt.Unix() > merged })
	pr.Comments = slices.DeleteFunc(pr.Comments, func(c tracker.Comment) bool { return c.CreatedAt.Unix() > merged })
	pr.Timeline = slices.DeleteFunc(pr.Timeline, func(e tracker.TimelineEvent) bool {
		return e.At.Unix() > merged && e.Type != tracker.EventCommentDeleted
	})
	why := func(made time.Time, edits []tracker.Edit) string {
		if made.Unix() == merged {
			return "was made in the second of the merge, so it is not known to be before it"
		}
		for _, e := range edits {
			if e.At.Unix() >= merged {
				return "was edited at or after the merge, so what it said at the merge is unknown"
			}
		}
		return ""
	}
	for i := range pr.Comments {
		c := &pr.Comments[i]
		c.Voided = why(c.CreatedAt, c.Edits)
	}
	for i := range pr.Reviews {
		rv := &pr.Reviews[i]
		rv.Voided = why(rv.SubmittedAt, rv.Edits)
	}
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
		g, err := r.gather(ctx, n, linkHint{})
		var v *tracker.Verdict
		if err == nil {
			v, err = r.evaluate(ctx, g)
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

// hintOf is what an event's pull request says of its links.
func hintOf(pr *github.PullRequest) linkHint {
	return linkHint{title: pr.GetTitle(), body: pr.GetBody(), branch: pr.GetHead().GetRef()}
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
