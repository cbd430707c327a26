package tracker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Signoff is one key turned: a kind, who gave it, the commit it covers and
// where it was given.
type Signoff struct {
	Kind   string
	Signer Actor
	SHA    string    // the commit the sign-off covers
	Via    string    // "review" or "comment"
	ID     int64     // the review's or comment's id
	URL    string    // the review's or comment's URL
	At     time.Time // when it was given
	// SameTree is true when SHA is not the head but the head is the same
	// change (same tree and same parents: an amended message), and the
	// policy keeps sign-offs across such a push (keep_on_same_tree).
	SameTree bool
	// Stale says why a sign-off does not cover the change that would merge
	// (set by Evaluate; "" when it does).
	Stale string
}

// Ignored is a review or comment that tried to sign off, revoke, waive or
// bypass and does not count, with the reason shown to people.
type Ignored struct {
	Login  string
	Source string // "review" or "comment"
	URL    string
	Reason string
}

// Bypass is a declared emergency bypass of the gate.
type Bypass struct {
	By     Actor
	Reason string
	URL    string
	At     time.Time
}

// Via values of a Signoff.
const (
	ViaReview  = "review"
	ViaComment = "comment"
)

// Review states that twokey reads.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
	ReviewDismissed        = "DISMISSED"
	ReviewPending          = "PENDING" // a draft, listed only to its author: never counts
)

// scopeHint is what a person must give the action when team membership cannot
// be read.
const scopeHint = "a token that can read org members: an App token with members:read or a PAT with read:org"

var shaRe = lazyRegexp(`^[0-9a-fA-F]{7,40}$`)

// command is one slash command on a live line of a comment or review body.
type command struct {
	name string   // lower-cased, with its slash: "/signoff"
	args []string // the words after it
}

// parseCommands returns the slash commands of a body: source lines that hold
// nothing but a "/" command, in a paragraph outside code, quotes and raw
// HTML, read the way GitHub renders Markdown (see commandLines).
func parseCommands(body string) []command {
	var out []command
	for _, line := range commandLines(body) {
		f := strings.Fields(line)
		out = append(out, command{name: strings.ToLower(f[0]), args: f[1:]})
	}
	return out
}

// isBot reports whether a is an App or a bot account.
func (a Actor) isBot() bool {
	return a.Bot || strings.HasSuffix(strings.ToLower(a.Login), "[bot]")
}

// same reports whether a and b are the same account (by id when both have
// one, by login otherwise).
func (a Actor) same(b Actor) bool {
	if a.ID != 0 && b.ID != 0 {
		return a.ID == b.ID
	}
	return strings.EqualFold(a.Login, b.Login)
}

// authority answers "may this person give this kind?" for one evaluation,
// asking the Directory at most once per question.
type authority struct {
	ctx    context.Context
	p      *Policy
	dir    Directory
	author Actor
	perm   map[string]string // login → permission
	member map[string]bool   // team + " " + login → member
	// unreadable lists, per kind, the teams whose members could not be read.
	unreadable map[string][]string
}

// verdict of authority.check.
type authz int

const (
	authzNo         authz = iota
	authzYes              // authorised
	authzAuthor           // authorised, but wrote the pull request
	authzUnreadable       // not authorised as far as twokey could read; a team could not be read
)

// check says whether login may sign kind. Errors are Directory failures other
// than ErrTeamUnreadable, and context cancellation.
func (a *authority) check(kind string, who Actor) (authz, error) {
	k := a.p.Kinds[kind]
	if k == nil {
		return authzNo, nil
	}
	ok, unreadable := false, false
	for _, u := range k.Users {
		if strings.EqualFold(u, who.Login) {
			ok = true
			break
		}
	}
	for _, t := range k.Teams {
		if ok {
			break
		}
		key := strings.ToLower(t + " " + who.Login)
		m, seen := a.member[key]
		if !seen {
			if err := a.ctx.Err(); err != nil {
				return authzNo, err
			}
			var err error
			m, err = a.dir.IsMember(a.ctx, t, who.Login)
			if errors.Is(err, ErrTeamUnreadable) {
				unreadable = true
				if !contains(a.unreadable[kind], t) {
					a.unreadable[kind] = append(a.unreadable[kind], t)
				}
				continue
			}
			if err != nil {
				return authzNo, fmt.Errorf("team @%s, member %s: %w", t, who.Login, err)
			}
			a.member[key] = m
		}
		ok = m
	}
	if !ok && k.Permission != "" {
		if can, known := a.canPush(who.Login); known && k.Permission == "write" {
			ok = can
		} else {
			key := strings.ToLower(who.Login)
			perm, seen := a.perm[key]
			if !seen {
				if err := a.ctx.Err(); err != nil {
					return authzNo, err
				}
				var err error
				perm, err = a.dir.Permission(a.ctx, who.Login)
				if err != nil {
					return authzNo, fmt.Errorf("permission of %s: %w", who.Login, err)
				}
				a.perm[key] = perm
			}
			ok = permissionRank(perm) >= permissionRank(k.Permission)
		}
	}
	switch {
	case ok && who.same(a.author) && !k.AllowAuthor:
		return authzAuthor, nil
	case ok:
		return authzYes, nil
	case unreadable:
		return authzUnreadable, nil
	}
	return authzNo, nil
}

// canPush asks the Directory whether login can push, when it knows without
// a request (see PushAccess).
func (a *authority) canPush(login string) (can, known bool) {
	if pa, ok := a.dir.(PushAccess); ok {
		return pa.CanPush(login)
	}
	return false, false
}

// refusal explains why who cannot sign kind, given check's answer.
func (a *authority) refusal(kind string, who Actor, z authz) string {
	switch z {
	case authzAuthor:
		return fmt.Sprintf("@%s wrote this pull request and cannot sign off %s (the policy does not set allow_author for it)", who.Login, kind)
	case authzUnreadable:
		return fmt.Sprintf("could not check whether @%s is in %s: twokey needs %s", who.Login, teamList(a.unreadable[kind]), scopeHint)
	}
	return fmt.Sprintf("@%s cannot sign off %s; who can: %s", who.Login, kind, whoCan(a.p.Kinds[kind]))
}

// whoCan describes the people who may give k, e.g. "a member of @acme/ux or
// @alice".
func whoCan(k *Kind) string {
	if k == nil {
		return "nobody (the kind is not defined)"
	}
	var parts []string
	if len(k.Teams) > 0 {
		parts = append(parts, "a member of "+teamList(k.Teams))
	}
	for _, u := range k.Users {
		parts = append(parts, "@"+u)
	}
	if k.Permission != "" {
		parts = append(parts, "anyone with "+k.Permission+" access")
	}
	if len(parts) == 0 {
		return "nobody"
	}
	return joinOr(parts)
}

func teamList(teams []string) string {
	at := make([]string, len(teams))
	for i, t := range teams {
		at[i] = "@" + t
	}
	return joinOr(at)
}

func joinOr(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tally is the state recomputed from every review and comment.
type tally struct {
	live    map[signerKind]Signoff // the latest standing sign-off per signer and kind
	ignored []Ignored
	bypass  *Bypass
	waiver  *Ignored // who waived the brief link, with the comment (Reason unused)
}

// withdraw drops every standing sign-off of login and says how many.
func (t *tally) withdraw(login string) int {
	n := 0
	for sk := range t.live {
		if sk.signer == strings.ToLower(login) {
			delete(t.live, sk)
			n++
		}
	}
	return n
}

type signerKind struct {
	signer string // lower-cased login
	kind   string
}

// event is a review, a comment or a deletion on the timeline, for sorting
// them together.
type event struct {
	at      time.Time
	review  *Review
	comment *Comment
	deleted *TimelineEvent // a comment deleted by someone other than its author
}

func (e event) id() int64 {
	switch {
	case e.review != nil:
		return e.review.ID
	case e.comment != nil:
		return e.comment.ID
	}
	return 0
}

// editedByOther reports whether GitHub's edit history shows an edit by
// someone other than author (or an editor it does not name, or more edits
// than were read), and who.
func editedByOther(author Actor, edits []Edit, incomplete bool) (bool, string) {
	if incomplete {
		return true, "someone twokey cannot see (more edits than GitHub listed)"
	}
	for _, ed := range edits {
		if ed.Editor.Login == "" {
			return true, "an account GitHub does not name"
		}
		if !ed.Editor.same(author) {
			return true, "@" + ed.Editor.Login
		}
	}
	return false, ""
}

// lastEdit is when the author last edited (zero when never).
func lastEdit(edits []Edit) time.Time {
	var t time.Time
	for _, ed := range edits {
		if ed.At.After(t) {
			t = ed.At
		}
	}
	return t
}

// collectSignoffs recomputes the standing sign-offs of pr from all of its
// reviews and comments and GitHub's records of its history, in time order,
// the way prow's approve plugin recomputes approvals from every comment on
// each event. Nothing is carried over between evaluations and nothing any
// comment says, twokey's own included, decides which commit a key covers.
// For each event, oldest first (ties by id):
//
//   - bots never count;
//   - a comment or review that GitHub's edit history shows edited by anyone
//     but its author carries nothing, and withdraws its author's earlier
//     sign-offs (it may have been a revoke); one edited only by its author
//     counts as of its last edit;
//   - a comment deleted by anyone but its author (the timeline says so)
//     withdraws its author's sign-offs given before the deletion;
//   - a DISMISSED or CHANGES_REQUESTED review withdraws its author's earlier
//     sign-offs whoever dismissed it: only the signer gives a key back;
//   - an APPROVED review signs, for its commit, each required kind its author
//     may give, or only the kinds named with /signoff <kind> lines in its body;
//   - a /signoff <kind> [sha] line (in a comment or a COMMENTED review) signs
//     that kind for the SHA named (full, or a prefix naming exactly one
//     commit of the pull request's history, see resolveSHA), else for the
//     head when it was written, as GitHub's records establish it (see
//     history); when they do not, it does not count and says how to sign;
//   - /signoff revoke <kind> (or /signoff revoke, for every kind) withdraws the
//     author's earlier sign-offs;
//   - /bypass <reason> by a bypass user declares a bypass for the head it was
//     written on (the latest counts; a push ends it);
//   - the link waive command by someone who may sign a required kind waives
//     the brief link.
//
// A later sign-off by the same person for the same kind replaces the earlier.
// Whatever does not count is listed in ignored with the reason. Whether a
// standing sign-off covers the head (or is stale), and separate_signers, are
// decided afterwards by Evaluate.
func collectSignoffs(a *authority, pr *PullRequest, required []string) (*tally, error) {
	c := &collector{a: a, p: a.p, pr: pr, required: required, t: &tally{live: map[signerKind]Signoff{}}, hist: newHistory(pr)}
	for _, e := range timeOrder(pr) {
		if e.deleted != nil {
			c.deleted(e.deleted)
			continue
		}
		if err := c.event(e); err != nil {
			return nil, err
		}
	}
	return c.t, nil
}

// timeOrder lists the submitted reviews, the comments (an author's own edit
// counts as of the edit) and the deletions of comments by someone other than
// their author, oldest first, ties by id.
func timeOrder(pr *PullRequest) []event {
	events := make([]event, 0, len(pr.Reviews)+len(pr.Comments))
	for i := range pr.Reviews {
		if pr.Reviews[i].State == ReviewPending {
			continue // a draft, listed only to its author: not submitted
		}
		events = append(events, event{at: pr.Reviews[i].SubmittedAt, review: &pr.Reviews[i]})
	}
	for i := range pr.Comments {
		c := &pr.Comments[i]
		at := c.CreatedAt
		if other, _ := editedByOther(c.User, c.Edits, c.EditsIncomplete); !other && c.Voided == "" && lastEdit(c.Edits).After(at) {
			at = lastEdit(c.Edits) // its author rewrote it then
		}
		events = append(events, event{at: at, comment: c})
	}
	for i := range pr.Timeline {
		e := &pr.Timeline[i]
		if e.Type == EventCommentDeleted && (e.Actor.Login == "" || !e.Actor.same(e.DeletedAuthor)) && e.DeletedAuthor.Login != "" {
			events = append(events, event{at: e.At, deleted: e})
		}
	}
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].at.Equal(events[j].at) {
			return events[i].at.Before(events[j].at)
		}
		return events[i].id() < events[j].id()
	})
	return events
}

// collector is one run of collectSignoffs: the tally it builds as it reads
// the events in time order.
type collector struct {
	a        *authority
	p        *Policy
	pr       *PullRequest
	required []string
	t        *tally
	hist     *history
}

// said is a review or comment being read: who wrote it, where, and the
// commit a command in it without a SHA covers ("" when GitHub's records do
// not establish it).
type said struct {
	e        event
	who      Actor
	src, url string
	state    string // a review's state; "" for a comment
	sha      string
}

func (c *collector) ignore(s *said, reason string) {
	c.t.ignored = append(c.t.ignored, Ignored{Login: s.who.Login, Source: s.src, URL: s.url, Reason: reason})
}

// deleted is a comment deleted by someone other than its author: it may
// have been a revoke, so its author's earlier sign-offs are withdrawn.
func (c *collector) deleted(d *TimelineEvent) {
	if c.t.withdraw(d.DeletedAuthor.Login) == 0 {
		return
	}
	by := "an account GitHub does not name"
	if d.Actor.Login != "" {
		by = "@" + d.Actor.Login
	}
	c.t.ignored = append(c.t.ignored, Ignored{Login: d.DeletedAuthor.Login, Source: "timeline", Reason: fmt.Sprintf(
		"%s deleted a comment of @%s at %s; it may have been a revoke, so @%s's earlier sign-offs are withdrawn: only @%s gives them back, by approving or signing again",
		by, d.DeletedAuthor.Login, d.At.UTC().Format(time.RFC3339), d.DeletedAuthor.Login, d.DeletedAuthor.Login)})
}

// event reads one review or comment.
func (c *collector) event(e event) error {
	s := &said{e: e}
	var (
		body    string
		edits   []Edit
		partial bool
		voided  string
	)
	if r := e.review; r != nil {
		s.who, body, s.src, s.url, s.state, edits, partial, voided = r.User, r.Body, ViaReview, r.URL, r.State, r.Edits, r.EditsIncomplete, r.Voided
	} else {
		cm := e.comment
		s.who, body, s.src, s.url, edits, partial, voided = cm.User, cm.Body, ViaComment, cm.URL, cm.Edits, cm.EditsIncomplete, cm.Voided
	}
	cmds := parseCommands(body)
	relevant := len(cmds) > 0 && hasOwnCommand(c.p, cmds)
	if e.review != nil && (s.state == ReviewApproved || s.state == ReviewChangesRequested || s.state == ReviewDismissed) {
		relevant = true
	}
	// Someone else rewrote it: what it said when written is gone, and it
	// may have been a revoke, whatever it says now. It carries nothing,
	// and takes away what its author had given before it, however soon
	// after it came the edit was.
	if other, by := editedByOther(s.who, edits, partial); (other || voided != "") && !s.who.isBot() {
		n := c.t.withdraw(s.who.Login)
		if relevant || n > 0 {
			reason := fmt.Sprintf("the %s was edited by %s, not by @%s: it counts for nothing", s.src, by, s.who.Login)
			if voided != "" {
				reason = fmt.Sprintf("the %s %s: it counts for nothing", s.src, voided)
			}
			if n > 0 {
				reason += fmt.Sprintf(", and @%s's earlier sign-offs are withdrawn (it may have been a revoke); @%s signs again to give them back", s.who.Login, s.who.Login)
			}
			c.ignore(s, reason)
		}
		return nil
	}
	if !relevant {
		return nil
	}
	if s.who.isBot() {
		c.ignore(s, fmt.Sprintf("@%s is a bot; bots never sign off", s.who.Login))
		return nil
	}
	switch s.state {
	case ReviewDismissed:
		// Whoever dismissed it, a dismissal never gives a key back: a
		// dismissed request for changes still withdraws.
		c.t.withdraw(s.who.Login)
		c.ignore(s, fmt.Sprintf("the review was dismissed: it signs nothing, and @%s's sign-offs before it stay withdrawn until @%s approves or signs again", s.who.Login, s.who.Login))
		return nil
	case ReviewChangesRequested:
		c.t.withdraw(s.who.Login)
		for _, cmd := range cmds {
			revoke := cmd.name == "/signoff" && len(cmd.args) > 0 && strings.EqualFold(cmd.args[0], "revoke")
			if (cmd.name == "/signoff" && !revoke) || c.isWaive(cmd) {
				c.ignore(s, fmt.Sprintf("%s in a review that requests changes does not count: such a review signs nothing and withdraws your sign-offs; approve, or post the command as a comment, once the changes are in", quoteCmd(cmd)))
			}
		}
		return nil
	}

	// The commit a sign-off without a SHA covers: a review's own commit,
	// or the head when the comment was written, if GitHub's records say.
	if e.review != nil {
		s.sha = strings.ToLower(e.review.CommitID)
	} else {
		s.sha = c.hist.headAt(e.at)
	}
	signedByCommand := false
	for _, cmd := range cmds {
		var err error
		switch {
		case cmd.name == "/signoff" && len(cmd.args) > 0 && strings.EqualFold(cmd.args[0], "revoke"):
			c.revoke(s, cmd)
		case cmd.name == "/signoff":
			signedByCommand = true
			err = c.signoff(s, cmd)
		case cmd.name == "/bypass":
			c.bypass(s, cmd)
		case c.isWaive(cmd):
			err = c.waive(s, cmd)
		}
		if err != nil {
			return err
		}
	}
	if e.review != nil && s.state == ReviewApproved && !signedByCommand {
		return c.approve(s)
	}
	return nil
}

func (c *collector) isWaive(cmd command) bool {
	return c.p.Link.WaiveCommand != "" && strings.EqualFold(cmd.name, c.p.Link.WaiveCommand)
}

// revoke is /signoff revoke [kind...]: it withdraws its author's sign-offs
// of those kinds (of every kind without one).
func (c *collector) revoke(s *said, cmd command) {
	if len(cmd.args) == 1 {
		c.t.withdraw(s.who.Login)
		return
	}
	for _, name := range cmd.args[1:] {
		kind, ok := c.p.kindNamed(name)
		if !ok {
			c.ignore(s, fmt.Sprintf("/signoff revoke %s: unknown kind %q; the kinds are %s", name, quoted(name), strings.Join(c.p.KindOrder, ", ")))
			continue
		}
		delete(c.t.live, signerKind{strings.ToLower(s.who.Login), kind})
	}
}

// signoff is /signoff <kind> [sha]: the kind, for the SHA named or else the
// commit s covers.
func (c *collector) signoff(s *said, cmd command) error {
	p := c.p
	if len(cmd.args) == 0 {
		c.ignore(s, "/signoff needs a kind: /signoff <kind> [sha], the kinds are "+strings.Join(p.KindOrder, ", "))
		return nil
	}
	kind, ok := p.kindNamed(cmd.args[0])
	if !ok {
		c.ignore(s, fmt.Sprintf("unknown kind %q; the kinds are %s", quoted(cmd.args[0]), strings.Join(p.KindOrder, ", ")))
		return nil
	}
	target := s.sha
	if len(cmd.args) > 1 {
		sha, why := resolveSHA(cmd.args[1], c.pr)
		if why != "" {
			c.ignore(s, fmt.Sprintf("/signoff %s %s: %s", kind, quoted(cmd.args[1]), why))
			return nil
		}
		// A review covers the commit it was given on; its body can be
		// edited later, so a SHA in it never moves the sign-off.
		if s.e.review != nil && !strings.EqualFold(sha, s.sha) {
			c.ignore(s, fmt.Sprintf("/signoff %s %s in a review: a review signs the commit it reviewed (%s); comment /signoff %s %s instead", kind, quoted(cmd.args[1]), short(s.sha), kind, quoted(cmd.args[1])))
			return nil
		}
		target = sha
	}
	if len(cmd.args) > 2 {
		c.ignore(s, fmt.Sprintf("/signoff %s: unexpected words after the sha; write /signoff %s [sha] on its own line", kind, kind))
		return nil
	}
	z, err := c.a.check(kind, s.who)
	if err != nil {
		return err
	}
	if z != authzYes {
		c.ignore(s, c.a.refusal(kind, s.who, z))
		return nil
	}
	// target is "" when GitHub's records do not establish the head it was
	// written on: it stands, covering no commit, and Evaluate shows it
	// stale with how to sign the head.
	c.t.live[signerKind{strings.ToLower(s.who.Login), kind}] = Signoff{Kind: kind, Signer: s.who, SHA: target, Via: s.src, ID: s.e.id(), URL: s.url, At: s.e.at}
	return nil
}

// bypass is /bypass <reason>, in a comment by a bypass user, for the head
// it was declared on and the base it was declared against.
func (c *collector) bypass(s *said, cmd command) {
	p, pr := c.p, c.pr
	if s.e.comment == nil {
		c.ignore(s, "/bypass counts only in a comment, not in a review: comment /bypass <reason>")
		return
	}
	reason := strings.TrimSpace(strings.Join(cmd.args, " "))
	switch {
	case !p.isBypassUser(s.who.Login):
		c.ignore(s, fmt.Sprintf("@%s may not bypass the gate; the bypass users are %s", s.who.Login, orNobody(p.Bypass.Users)))
	case reason == "":
		c.ignore(s, "/bypass needs a reason: /bypass <why this cannot wait>")
	case s.sha == "":
		c.ignore(s, "GitHub's records do not establish which commit was the head when this bypass was declared; post /bypass again")
	case !strings.EqualFold(s.sha, pr.HeadSHA):
		c.ignore(s, fmt.Sprintf("the bypass was declared on %s and the head is now %s: post /bypass again if it still applies", short(s.sha), short(pr.HeadSHA)))
	case baseChangedAfter(pr, s.e.at) != nil:
		// A bypass is of a change: the base branch is part of it.
		c.ignore(s, fmt.Sprintf("the bypass was declared before the base branch %s: post /bypass again if it still applies", baseChangeText(baseChangedAfter(pr, s.e.at))))
	default:
		c.t.bypass = &Bypass{By: s.who, Reason: reason, URL: s.url, At: s.e.at}
	}
}

// waive is the link waive command, alone on its line, by someone who may
// sign a required kind.
func (c *collector) waive(s *said, cmd command) error {
	p := c.p
	if len(cmd.args) > 0 {
		// "/no-brief would be wrong here" must not waive: like /signoff,
		// the command is exactly what it says.
		c.ignore(s, fmt.Sprintf("%s takes nothing after it; write %s alone on its line", p.Link.WaiveCommand, p.Link.WaiveCommand))
		return nil
	}
	z := authzNo
	for _, kind := range c.required {
		var err error
		if z, err = c.a.check(kind, s.who); err != nil {
			return err
		}
		if z == authzYes {
			break
		}
	}
	if z != authzYes {
		c.ignore(s, fmt.Sprintf("@%s may not waive the brief link: only someone who can sign off a required kind can", s.who.Login))
		return nil
	}
	if c.t.waiver == nil {
		c.t.waiver = &Ignored{Login: s.who.Login, Source: s.src, URL: s.url}
	}
	return nil
}

// approve is an approving review without /signoff lines: it signs, for
// its commit, every required kind its author may give.
func (c *collector) approve(s *said) error {
	p := c.p
	if s.sha == "" {
		c.ignore(s, "the review names no commit")
		return nil
	}
	var signed int
	var reasons []string
	for _, kind := range c.required {
		if _, ok := p.Kinds[kind]; !ok {
			continue
		}
		z, err := c.a.check(kind, s.who)
		if err != nil {
			return err
		}
		if z != authzYes {
			if z != authzNo {
				reasons = append(reasons, c.a.refusal(kind, s.who, z))
			}
			continue
		}
		signed++
		c.t.live[signerKind{strings.ToLower(s.who.Login), kind}] = Signoff{Kind: kind, Signer: s.who, SHA: s.sha, Via: s.src, ID: s.e.id(), URL: s.url, At: s.e.at}
	}
	if signed == 0 {
		if len(reasons) == 0 {
			var who []string
			for _, kind := range c.required {
				who = append(who, kind+": "+whoCan(p.Kinds[kind]))
			}
			reasons = append(reasons, fmt.Sprintf("@%s approved but cannot sign off any required kind (%s)", s.who.Login, strings.Join(who, "; ")))
		}
		c.ignore(s, strings.Join(reasons, "; "))
	}
	return nil
}

// quoteCmd writes a command back as it was given, for messages.
func quoteCmd(c command) string {
	return quoted(strings.Join(append([]string{c.name}, c.args...), " "))
}

// quoted shows text someone typed inside a message, cut to 40 characters,
// so that a message stays short whatever they typed. Markdown in it is made
// inert where the message is rendered (see cell).
func quoted(s string) string {
	return truncate(s, 40)
}

// hasOwnCommand reports whether cmds include a command twokey acts on.
func hasOwnCommand(p *Policy, cmds []command) bool {
	for _, c := range cmds {
		if c.name == "/signoff" || c.name == "/bypass" || (p.Link.WaiveCommand != "" && strings.EqualFold(c.name, p.Link.WaiveCommand)) {
			return true
		}
	}
	return false
}

// kindNamed finds a kind by name, ignoring case.
func (p *Policy) kindNamed(name string) (string, bool) {
	if _, ok := p.Kinds[name]; ok {
		return name, true
	}
	for k := range p.Kinds {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func (p *Policy) isBypassUser(login string) bool {
	for _, u := range p.Bypass.Users {
		if strings.EqualFold(u, login) {
			return true
		}
	}
	return false
}

func orNobody(users []string) string {
	if len(users) == 0 {
		return "nobody (bypass.users is empty)"
	}
	at := make([]string, len(users))
	for i, u := range users {
		at[i] = "@" + u
	}
	return joinOr(at)
}

// shaSet is the lower-cased SHAs seen so far, in the order first seen.
type shaSet struct {
	seen map[string]bool
	list []string
}

func (k *shaSet) add(s string) {
	s = strings.ToLower(s)
	if s == "" || k.seen[s] {
		return
	}
	if k.seen == nil {
		k.seen = map[string]bool{}
	}
	k.seen[s] = true
	k.list = append(k.list, s)
}

// short abbreviates a SHA to 7 characters.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
