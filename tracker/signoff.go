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
	// SameTree is true when SHA is not the head but has the head's tree, and
	// the policy keeps sign-offs on the same tree.
	SameTree bool
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

// event is a review or a comment, for sorting them together.
type event struct {
	at      time.Time
	review  *Review
	comment *Comment
}

func (e event) id() int64 {
	if e.review != nil {
		return e.review.ID
	}
	return e.comment.ID
}

// collectSignoffs recomputes the standing sign-offs of pr from all of its
// reviews and comments, in creation order, the way prow's approve plugin
// recomputes approvals from every comment on each event. Nothing is carried
// over between evaluations, so an edited, deleted or re-ordered history is
// judged afresh. For each event, oldest first (ties by id):
//
//   - bots never count; edited comments (UpdatedAt more than a second after
//     CreatedAt) and edited reviews (Review.Edited) never sign, since the
//     text that was signed is gone;
//   - a DISMISSED review counts for nothing;
//   - a CHANGES_REQUESTED review withdraws every earlier sign-off of its author,
//     and a /signoff or waive command in its body is ignored with the reason;
//   - an APPROVED review signs, for its CommitID, each required kind its author
//     may give, or only the kinds named with /signoff <kind> lines in its body;
//   - a /signoff <kind> [sha] line (in a comment or a COMMENTED review) signs
//     that kind for the SHA named (full, or a prefix of at least 7 of a SHA
//     twokey knew of when the comment was made: its own head, earlier review
//     commits, earlier comments' heads), else for the head when the comment
//     was made (Comment.HeadSHA, or the review's CommitID);
//   - /signoff revoke <kind> (or /signoff revoke, for every kind) withdraws the
//     author's earlier sign-offs;
//   - /bypass <reason> by a bypass user declares a bypass for the head the
//     comment was made on (the latest counts; a push ends it);
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
	events := make([]event, 0, len(pr.Reviews)+len(pr.Comments))
	for i := range pr.Reviews {
		events = append(events, event{at: pr.Reviews[i].SubmittedAt, review: &pr.Reviews[i]})
	}
	for i := range pr.Comments {
		events = append(events, event{at: pr.Comments[i].CreatedAt, comment: &pr.Comments[i]})
	}
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].at.Equal(events[j].at) {
			return events[i].at.Before(events[j].at)
		}
		return events[i].id() < events[j].id()
	})
	// known grows as the history is read: a short SHA resolves only against
	// commits twokey knew of when the comment was made (the head it was made
	// on, earlier reviews' commits, earlier comments' heads), never against a
	// head pushed afterwards, which could be made to share the prefix.
	var known shaSet

	for _, e := range events {
		var (
			who      Actor
			body     string
			src, url string
			sha      string // the commit a sign-off without a sha covers
			state    string
		)
		if r := e.review; r != nil {
			who, body, src, url, sha, state = r.User, r.Body, ViaReview, r.URL, r.CommitID, r.State
		} else {
			c := e.comment
			who, body, src, url, sha = c.User, c.Body, ViaComment, c.URL, c.HeadSHA
		}
		known.add(sha)
		cmds := parseCommands(body)
		ignore := func(reason string) {
			t.ignored = append(t.ignored, Ignored{Login: who.Login, Source: src, URL: url, Reason: reason})
		}
		// A comment that held a command when twokey first read it and was
		// edited since may have been a revoke that someone edited away: what
		// it could have withdrawn is withdrawn, whatever it says now.
		if c := e.comment; c != nil && c.HadCommand && c.UpdatedAt.Sub(c.CreatedAt) > time.Second && !who.isBot() {
			reason := "the comment was edited after it was posted; edited comments do not count, post a new one"
			if t.withdraw(who.Login) > 0 {
				reason += fmt.Sprintf(" (it held a command when twokey first read it, perhaps a revoke, so @%s's earlier sign-offs are withdrawn too)", who.Login)
			}
			ignore(reason)
			continue
		}
		relevant := len(cmds) > 0 && hasOwnCommand(p, cmds)
		if e.review != nil && (state == ReviewApproved || state == ReviewChangesRequested || state == ReviewDismissed) {
			relevant = true
		}
		if !relevant || (e.review != nil && state == ReviewPending) {
			continue
		}
		if who.isBot() {
			ignore(fmt.Sprintf("@%s is a bot; bots never sign off", who.Login))
			continue
		}
		if c := e.comment; c != nil && c.UpdatedAt.Sub(c.CreatedAt) > time.Second {
			ignore("the comment was edited after it was posted; edited comments do not count, post a new one")
			continue
		}
		switch state {
		case ReviewDismissed:
			ignore("the review was dismissed")
			continue
		case ReviewChangesRequested:
			t.withdraw(who.Login)
			for _, c := range cmds {
				revoke := c.name == "/signoff" && len(c.args) > 0 && strings.EqualFold(c.args[0], "revoke")
				if (c.name == "/signoff" && !revoke) || (p.Link.WaiveCommand != "" && strings.EqualFold(c.name, p.Link.WaiveCommand)) {
					ignore(fmt.Sprintf("%s in a review that requests changes does not count: such a review signs nothing and withdraws your sign-offs; approve, or post the command as a comment, once the changes are in", strings.Join(append([]string{c.name}, c.args...), " ")))
				}
			}
			continue
		}
		if r := e.review; r != nil && r.Edited {
			ignore("the review's text was edited after it was submitted; edited reviews do not count, submit a new review")
			continue
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
						ignore(fmt.Sprintf("/signoff revoke %s: unknown kind %q; the kinds are %s", name, name, strings.Join(p.KindOrder, ", ")))
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
					ignore(fmt.Sprintf("unknown kind %q; the kinds are %s", c.args[0], strings.Join(p.KindOrder, ", ")))
					continue
				}
				target := sha
				if len(c.args) > 1 {
					s, why := resolveSHA(c.args[1], pr.HeadSHA, known.list)
					if why != "" {
						ignore(fmt.Sprintf("/signoff %s %s: %s", kind, c.args[1], why))
						continue
					}
					// A review covers the commit it was given on; its body can
					// be edited later, so a SHA in it never moves the sign-off.
					if e.review != nil && !strings.EqualFold(s, sha) {
						ignore(fmt.Sprintf("/signoff %s %s in a review: a review signs the commit it reviewed (%s); comment /signoff %s %s instead", kind, c.args[1], short(sha), kind, c.args[1]))
						continue
					}
					target = s
				}
				if len(c.args) > 2 {
					ignore(fmt.Sprintf("/signoff %s: unexpected words after the sha; write /signoff %s [sha] on its own line", kind, kind))
					continue
				}
				if target == "" {
					ignore(fmt.Sprintf("twokey does not know which commit this comment was made on; name it: /signoff %s %s", kind, short(pr.HeadSHA)))
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
					ignore("twokey does not know which commit this bypass was declared on; post /bypass again")
				case !strings.EqualFold(sha, pr.HeadSHA):
					ignore(fmt.Sprintf("the bypass was declared on %s and the head is now %s: post /bypass again if it still applies", short(sha), short(pr.HeadSHA)))
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

// resolveSHA turns the sha a person typed into a full SHA: a full SHA is taken
// as it is; a prefix of at least 7 must match exactly one known SHA (the
// commits twokey knew of when the command was given). why says what is wrong
// otherwise.
func resolveSHA(arg, head string, known []string) (sha, why string) {
	if !shaRe.MatchString(arg) {
		return "", "not a commit SHA (7 to 40 hex digits)"
	}
	arg = strings.ToLower(arg)
	if len(arg) == 40 {
		return arg, ""
	}
	// The head gets no precedence, and is a candidate only when the comment
	// was made on it: a new head made to share the prefix of an older signed
	// commit is ambiguous or no match, never the match.
	var match string
	for _, k := range known {
		if strings.HasPrefix(k, arg) {
			if match != "" && match != k {
				return "", "the short SHA is ambiguous; give the full SHA"
			}
			match = k
		}
	}
	if match == "" {
		return "", fmt.Sprintf("no commit twokey knew of when this was posted starts with %s (the head is now %s); give the full SHA", arg, short(head))
	}
	return match, ""
}

// short abbreviates a SHA to 7 characters.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
