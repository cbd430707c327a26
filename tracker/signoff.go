package tracker

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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

var shaRe = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)

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
	p := a.p
	t := &tally{live: map[signerKind]Signoff{}}
	hist := newHistory(pr)
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

	for _, e := range events {
		if d := e.deleted; d != nil {
			if t.withdraw(d.DeletedAuthor.Login) > 0 {
				by := "an account GitHub does not name"
				if d.Actor.Login != "" {
					by = "@" + d.Actor.Login
				}
				t.ignored = append(t.ignored, Ignored{Login: d.DeletedAuthor.Login, Source: "timeline", Reason: fmt.Sprintf(
					"%s deleted a comment of @%s at %s; it may have been a revoke, so @%s's earlier sign-offs are withdrawn: only @%s gives them back, by approving or signing again",
					by, d.DeletedAuthor.Login, d.At.UTC().Format(time.RFC3339), d.DeletedAuthor.Login, d.DeletedAuthor.Login)})
			}
			continue
		}
		var (
			who      Actor
			body     string
			src, url string
			state    string
			edits    []Edit
			partial  bool
			voided   string
		)
		if r := e.review; r != nil {
			who, body, src, url, state, edits, partial, voided = r.User, r.Body, ViaReview, r.URL, r.State, r.Edits, r.EditsIncomplete, r.Voided
		} else {
			c := e.comment
			who, body, src, url, edits, partial, voided = c.User, c.Body, ViaComment, c.URL, c.Edits, c.EditsIncomplete, c.Voided
		}
		cmds := parseCommands(body)
		ignore := func(reason string) {
			t.ignored = append(t.ignored, Ignored{Login: who.Login, Source: src, URL: url, Reason: reason})
		}
		relevant := len(cmds) > 0 && hasOwnCommand(p, cmds)
		if e.review != nil && (state == ReviewApproved || state == ReviewChangesRequested || state == ReviewDismissed) {
			relevant = true
		}
		// Someone else rewrote it: what it said when written is gone, and it
		// may have been a revoke, whatever it says now. It carries nothing,
		// and takes away what its author had given before it, however soon
		// after it came the edit was.
		if other, by := editedByOther(who, edits, partial); (other || voided != "") && !who.isBot() {
			n := t.withdraw(who.Login)
			if relevant || n > 0 {
				reason := fmt.Sprintf("the %s was edited by %s, not by @%s: it counts for nothing", src, by, who.Login)
				if voided != "" {
					reason = fmt.Sprintf("the %s %s: it counts for nothing", src, voided)
				}
				if n > 0 {
					reason += fmt.Sprintf(", and @%s's earlier sign-offs are withdrawn (it may have been a revoke); @%s signs again to give them back", who.Login, who.Login)
				}
				ignore(reason)
			}
			continue
		}
		if !relevant {
			continue
		}
		if who.isBot() {
			ignore(fmt.Sprintf("@%s is a bot; bots never sign off", who.Login))
			continue
		}
		switch state {
		case ReviewDismissed:
			// Whoever dismissed it, a dismissal never gives a key back: a
			// dismissed request for changes still withdraws.
			t.withdraw(who.Login)
			ignore(fmt.Sprintf("the review was dismissed: it signs nothing, and @%s's sign-offs before it stay withdrawn until @%s approves or signs again", who.Login, who.Login))
			continue
		case ReviewChangesRequested:
			t.withdraw(who.Login)
			for _, c := range cmds {
				revoke := c.name == "/signoff" && len(c.args) > 0 && strings.EqualFold(c.args[0], "revoke")
				if (c.name == "/signoff" && !revoke) || (p.Link.WaiveCommand != "" && strings.EqualFold(c.name, p.Link.WaiveCommand)) {
					ignore(fmt.Sprintf("%s in a review that requests changes does not count: such a review signs nothing and withdraws your sign-offs; approve, or post the command as a comment, once the changes are in", quoteCmd(c)))
				}
			}
			continue
		}

		// The commit a sign-off without a SHA covers: a review's own commit,
		// or the head when the comment was written, if GitHub's records say.
		sha := ""
		if e.review != nil {
			sha = strings.ToLower(e.review.CommitID)
		} else {
			sha = hist.headAt(e.at)
		}
		signedByCommand := false
		for _, c := range cmds {
			switch {
			case c.name == "/signoff" && len(c.args) > 0 && strings.EqualFold(c.args[0], "revoke"):
				if len(c.args) == 1 {
					t.withdraw(who.Login)
					continue
				}
				for _, name := range c.args[1:] {
					kind, ok := p.kindNamed(name)
					if !ok {
						ignore(fmt.Sprintf("/signoff revoke %s: unknown kind %q; the kinds are %s", name, quoted(name), strings.Join(p.KindOrder, ", ")))
						continue
					}
					delete(t.live, signerKind{strings.ToLower(who.Login), kind})
				}
			case c.name == "/signoff":
				signedByCommand = true
				if len(c.args) == 0 {
					ignore("/signoff needs a kind: /signoff <kind> [sha], the kinds are " + strings.Join(p.KindOrder, ", "))
					continue
				}
				kind, ok := p.kindNamed(c.args[0])
				if !ok {
					ignore(fmt.Sprintf("unknown kind %q; the kinds are %s", quoted(c.args[0]), strings.Join(p.KindOrder, ", ")))
					continue
				}
				target := sha
				if len(c.args) > 1 {
					s, why := resolveSHA(c.args[1], pr)
					if why != "" {
						ignore(fmt.Sprintf("/signoff %s %s: %s", kind, quoted(c.args[1]), why))
						continue
					}
					// A review covers the commit it was given on; its body can
					// be edited later, so a SHA in it never moves the sign-off.
					if e.review != nil && !strings.EqualFold(s, sha) {
						ignore(fmt.Sprintf("/signoff %s %s in a review: a review signs the commit it reviewed (%s); comment /signoff %s %s instead", kind, quoted(c.args[1]), short(sha), kind, quoted(c.args[1])))
						continue
					}
					target = s
				}
				if len(c.args) > 2 {
					ignore(fmt.Sprintf("/signoff %s: unexpected words after the sha; write /signoff %s [sha] on its own line", kind, kind))
					continue
				}
				z, err := a.check(kind, who)
				if err != nil {
					return nil, err
				}
				if z != authzYes {
					ignore(a.refusal(kind, who, z))
					continue
				}
				// target is "" when GitHub's records do not establish the
				// head it was written on: it stands, covering no commit, and
				// Evaluate shows it stale with how to sign the head.
				t.live[signerKind{strings.ToLower(who.Login), kind}] = Signoff{Kind: kind, Signer: who, SHA: target, Via: src, ID: e.id(), URL: url, At: e.at}
			case c.name == "/bypass" && e.comment == nil:
				ignore("/bypass counts only in a comment, not in a review: comment /bypass <reason>")
			case c.name == "/bypass":
				reason := strings.TrimSpace(strings.Join(c.args, " "))
				switch {
				case !p.isBypassUser(who.Login):
					ignore(fmt.Sprintf("@%s may not bypass the gate; the bypass users are %s", who.Login, orNobody(p.Bypass.Users)))
				case reason == "":
					ignore("/bypass needs a reason: /bypass <why this cannot wait>")
				case sha == "":
					ignore("GitHub's records do not establish which commit was the head when this bypass was declared; post /bypass again")
				case !strings.EqualFold(sha, pr.HeadSHA):
					ignore(fmt.Sprintf("the bypass was declared on %s and the head is now %s: post /bypass again if it still applies", short(sha), short(pr.HeadSHA)))
				case baseChangedAfter(pr, e.at) != nil:
					// A bypass is of a change: the base branch is part of it.
					ignore(fmt.Sprintf("the bypass was declared before the base branch %s: post /bypass again if it still applies", baseChangeText(baseChangedAfter(pr, e.at))))
				default:
					t.bypass = &Bypass{By: who, Reason: reason, URL: url, At: e.at}
				}
			case p.Link.WaiveCommand != "" && strings.EqualFold(c.name, p.Link.WaiveCommand) && len(c.args) > 0:
				// "/no-brief would be wrong here" must not waive: like
				// /signoff, the command is exactly what it says.
				ignore(fmt.Sprintf("%s takes nothing after it; write %s alone on its line", p.Link.WaiveCommand, p.Link.WaiveCommand))
			case p.Link.WaiveCommand != "" && strings.EqualFold(c.name, p.Link.WaiveCommand):
				z := authzNo
				for _, kind := range required {
					var err error
					if z, err = a.check(kind, who); err != nil {
						return nil, err
					}
					if z == authzYes {
						break
					}
				}
				if z != authzYes {
					ignore(fmt.Sprintf("@%s may not waive the brief link: only someone who can sign off a required kind can", who.Login))
					continue
				}
				if t.waiver == nil {
					t.waiver = &Ignored{Login: who.Login, Source: src, URL: url}
				}
			}
		}

		if e.review != nil && state == ReviewApproved && !signedByCommand {
			if sha == "" {
				ignore("the review names no commit")
				continue
			}
			var signed int
			var reasons []string
			for _, kind := range required {
				if _, ok := p.Kinds[kind]; !ok {
					continue
				}
				z, err := a.check(kind, who)
				if err != nil {
					return nil, err
				}
				if z != authzYes {
					if z != authzNo {
						reasons = append(reasons, a.refusal(kind, who, z))
					}
					continue
				}
				signed++
				t.live[signerKind{strings.ToLower(who.Login), kind}] = Signoff{Kind: kind, Signer: who, SHA: sha, Via: src, ID: e.id(), URL: url, At: e.at}
			}
			if signed == 0 {
				if len(reasons) == 0 {
					var who2 []string
					for _, kind := range required {
						who2 = append(who2, kind+": "+whoCan(p.Kinds[kind]))
					}
					reasons = append(reasons, fmt.Sprintf("@%s approved but cannot sign off any required kind (%s)", who.Login, strings.Join(who2, "; ")))
				}
				ignore(strings.Join(reasons, "; "))
			}
		}
	}
	return t, nil
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
