package tracker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Actor is a GitHub account.
type Actor struct {
	Login string
	ID    int64
	Bot   bool // the account's type is "Bot" (Apps, dependabot); a login ending in "[bot]" counts too
}

// Review is a pull request review.
type Review struct {
	ID          int64
	User        Actor
	State       string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
	Body        string
	CommitID    string // the commit the review was given on (GitHub writes it)
	URL         string
	SubmittedAt time.Time
	// Edits are the edits of its text, from GitHub's edit history: an edit
	// by anyone but its author voids what it carried (see collectSignoffs).
	Edits []Edit
	// EditsIncomplete says GitHub listed more edits than were read: the
	// review is then treated as edited by someone else.
	EditsIncomplete bool
	// Voided, when set, says why what the review says now is not what it
	// said when judged (it was edited after the merge being recorded): it
	// then counts as edited by someone else, carrying nothing and
	// withdrawing its author's earlier sign-offs.
	Voided string
}

// Comment is a conversation comment on a pull request.
type Comment struct {
	ID        int64
	User      Actor
	Body      string
	URL       string
	CreatedAt time.Time
	// Edits are the edits of its text, from GitHub's edit history.
	Edits           []Edit
	EditsIncomplete bool
	// Voided is as for Review.
	Voided string
}

// Edit is one entry of GitHub's edit history of a comment or review
// (userContentEdits): who edited it and when, as GitHub wrote it.
type Edit struct {
	At     time.Time
	Editor Actor // zero when GitHub does not say (a deleted account)
}

// PullRequest is what the gate judges: the pull request, its reviews and its
// comments, and GitHub's own records of its history, as the action read them
// from the API in one read.
type PullRequest struct {
	Repo    string // owner/name
	Number  int
	Title   string
	Body    string
	Branch  string // head branch name
	Base    string // base branch name
	Author  Actor
	HeadSHA string
	Labels  []string
	Files   []string // changed paths, including the previous names of renamed files
	// FilesIncomplete says Files is not every changed file (GitHub lists at
	// most 3,000): every path rule then holds, so a change is never judged
	// by the files that could not be seen.
	FilesIncomplete bool
	Reviews         []Review
	Comments        []Comment

	// ReadAt is GitHub's clock when the pull request was read (the Date of
	// its answer): HeadSHA was the head then, and every review, comment and
	// event read existed.
	ReadAt time.Time
	// Timeline holds what GitHub wrote on the pull request's timeline that
	// the gate reads: force pushes, base changes, deletions of comments,
	// reopenings.
	Timeline []TimelineEvent
	// Commits are commits GitHub described in the read: the pull request's
	// own (InPR), the commits of reviews and force pushes, with their trees
	// and parents.
	Commits []PRCommit
	// CommitsIncomplete says the pull request has more commits than were
	// read: a short SHA then names nothing for sure and is refused.
	CommitsIncomplete bool
	// SharedHead are the other open pull requests whose head is this one's.
	// A commit status belongs to the commit, so this one cannot pass while
	// they share it: one's success would stand for the other's change.
	SharedHead []int
	// HeadSeen are twokey's own statuses for this pull request (posted by the
	// token's own identity): each says twokey read SHA as the head at or
	// before At (GitHub's clock).
	HeadSeen []HeadSeen
}

// Timeline event types the gate reads.
const (
	EventForcePushed     = "head_ref_force_pushed" // Before → After, not a fast-forward
	EventHeadDeleted     = "head_ref_deleted"
	EventHeadRestored    = "head_ref_restored"
	EventReopened        = "reopened"
	EventBaseChanged     = "base_ref_changed" // From → To
	EventBaseForcePushed = "base_ref_force_pushed"
	EventCommentDeleted  = "comment_deleted" // a comment of DeletedAuthor, by Actor
)

// TimelineEvent is one event of a pull request's timeline, as GitHub wrote
// and timestamped it.
type TimelineEvent struct {
	Type          string
	At            time.Time
	Actor         Actor  // who did it (zero when GitHub does not say)
	Before, After string // force pushes: the head before and after
	From, To      string // base changes: the base branch before and after
	DeletedAuthor Actor  // comment deletions: who wrote the deleted comment
}

// PRCommit is a commit as GitHub described it.
type PRCommit struct {
	SHA     string
	Tree    string
	Parents []string // nil when not all of them were read: never the same change
	InPR    bool     // one of the pull request's commits when it was read
}

// HeadSeen is one of twokey's own commit statuses for the pull request:
// twokey read SHA as its head at or before At.
type HeadSeen struct {
	SHA string
	At  time.Time
}

// Directory answers who is who; the action implements it over the GitHub API
// with per-run caching.
type Directory interface {
	// IsMember reports whether login is an active member of team ("org/slug").
	IsMember(ctx context.Context, team, login string) (bool, error)
	// Permission returns login's permission on the repository: admin,
	// maintain, write, triage, read or none.
	Permission(ctx context.Context, login string) (string, error)
}

// PushAccess is what a Directory may also know: whether login can push to
// the repository (write access or more), without asking; known is false when
// it cannot tell. A kind whose permission is write is decided by it.
type PushAccess interface {
	CanPush(login string) (can, known bool)
}

// ErrTeamUnreadable is wrapped by a Directory when its token cannot read an
// organisation's teams (GitHub answers 404). The gate then keeps the kind
// pending and says which token scope is missing; it never passes silently.
var ErrTeamUnreadable = errors.New("team membership is not readable with this token")

// LinkedBrief is a brief a pull request links to, as the action found it.
type LinkedBrief struct {
	Repo   string
	Number int
	Found  bool     // the issue exists and is a brief
	Labels []string // the labels
	Brief  *Brief   // the parsed body, nil when it could not be parsed
}

// unboundStale is why a /signoff without a SHA covers nothing: the head it
// was written on is not established by GitHub's records (the head changed
// around then, or twokey had not yet seen it).
const unboundStale = "GitHub's records do not establish which head it was written on"

// Gate states (the commit status state).
const (
	StateSuccess = "success"
	StatePending = "pending"
	StateFailure = "failure"
)

// KindResult statuses.
const (
	KindSatisfied = "satisfied"
	KindMissing   = "missing"
	KindStale     = "stale"
)

// LinkResult statuses.
const (
	LinkSatisfied   = "satisfied"    // a linked brief is found and ready
	LinkWaived      = "waived"       // the waive label or command
	LinkMissing     = "missing"      // no brief referenced
	LinkNotFound    = "not_found"    // referenced, but no such brief
	LinkNotReady    = "not_ready"    // found, but marked as needing information
	LinkNotRequired = "not_required" // the policy does not require a link
)

// Verdict is the gate's judgement of one pull request head.
type Verdict struct {
	State    string // success, pending or failure
	Repo     string
	Number   int
	Head     string   // the head SHA judged
	Required []string // the kinds the change needs, in policy order
	Kinds    []KindResult
	Link     LinkResult
	// Signoffs are the sign-offs that count, in Required order.
	Signoffs []Signoff
	// Ignored are the reviews and comments that tried to act and do not count.
	Ignored []Ignored
	// Bypass is set when a bypass user declared one; the state is then success.
	Bypass *Bypass
	// Problems are configuration errors that make the state failure.
	Problems []string
	// Blocked says why the pull request cannot pass as it stands whatever
	// is signed (or bypassed): its head is shared with another open pull
	// request. The state is then pending at best.
	Blocked []string
	// Extra are the sign-offs on the head of kinds the change does not
	// require (a freeze's override kind, see ApplyTime).
	Extra []Signoff
	// Time is what the time rules add (freeze, due times), set by ApplyTime.
	Time *TimeVerdict

	labels   PRLabels
	allKinds []string
	author   string
}

// KindResult is the state of one required kind.
type KindResult struct {
	Kind        string
	Description string
	Status      string // satisfied, missing or stale
	// Signoffs are the sign-offs that satisfy the kind or, when stale, the
	// sign-offs on older commits.
	Signoffs []Signoff
	// Who says who can give the kind, e.g. "a member of @acme/ux or @alice".
	Who string
	// How says what they do: "approve the pull request or comment
	// `/signoff usability`".
	How string
	// Problem says why the kind cannot be satisfied as things stand (a team
	// that cannot be read, nobody allowed to give it).
	Problem string
}

// LinkResult is the state of the brief link.
type LinkResult struct {
	Status  string
	Links   []Link // every reference found
	Briefs  []int  // the linked briefs that are found and ready (same repository)
	Waiver  string // how it was waived: "label no-brief" or "@alice: /no-brief"
	Message string // what is wrong, when it is
}

// Evaluate judges pr against the policy p: which kinds the change needs, which
// are signed off on the head, whether a brief is linked and ready.
//
// Evaluate never loads a policy: p is a value the caller read from the
// default branch, so a pull request that edits .github/twokey.yml changes
// nothing about its own gate. briefs are the linked briefs the caller looked
// up (normally those of FindLinks). Every sign-off is recomputed from all
// reviews and comments (see collectSignoffs).
//
// Evaluate returns an error for a nil argument, a pull request without a head,
// context cancellation, and Directory errors other than ErrTeamUnreadable,
// which instead keeps the kind pending with a message naming the token scope.
func Evaluate(ctx context.Context, p *Policy, pr *PullRequest, briefs []LinkedBrief, dir Directory) (*Verdict, error) {
	if p == nil || pr == nil || dir == nil {
		return nil, errors.New("evaluate: policy, pull request and directory are required")
	}
	if pr.HeadSHA == "" {
		return nil, fmt.Errorf("pull request %s#%d: head SHA is unknown", pr.Repo, pr.Number)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	head := strings.ToLower(pr.HeadSHA)
	v := &Verdict{
		Repo:     pr.Repo,
		Number:   pr.Number,
		Head:     head,
		Required: requiredKinds(p, pr, briefs),
		labels:   p.PRLabels,
		allKinds: p.KindOrder,
		author:   pr.Author.Login,
	}
	a := &authority{ctx: ctx, p: p, dir: dir, author: pr.Author, perm: map[string]string{}, member: map[string]bool{}, unreadable: map[string][]string{}}
	t, err := collectSignoffs(a, pr, v.Required)
	if err != nil {
		return nil, fmt.Errorf("pull request %s#%d: %w", pr.Repo, pr.Number, err)
	}
	v.Ignored = t.ignored
	v.Bypass = t.bypass

	// Split the standing sign-offs of required kinds into current (on the
	// change that would merge) and stale: given on another head (unless the
	// policy keeps keys across an amend that provably changes nothing), or
	// before the base branch changed.
	current := map[string][]Signoff{}
	stale := map[string][]Signoff{}
	live := make([]Signoff, 0, len(t.live))
	for _, s := range t.live {
		live = append(live, s)
	}
	sort.Slice(live, func(i, j int) bool { return signoffLess(live[i], live[j]) })
	for _, s := range live {
		if !contains(v.Required, s.Kind) {
			// A freeze's override kind: on the head and the base it was
			// given for, like any key.
			if strings.EqualFold(s.SHA, head) && baseChangedAfter(pr, s.At) == nil {
				v.Extra = append(v.Extra, s)
			}
			continue
		}
		if s.SHA == "" {
			s.Stale = unboundStale
			stale[s.Kind] = append(stale[s.Kind], s)
			continue
		}
		if b := baseChangedAfter(pr, s.At); b != nil {
			s.Stale = "the base branch changed after it was given"
			if b.Type == EventBaseChanged && b.To != "" {
				s.Stale = fmt.Sprintf("the base branch changed to %s after it was given", b.To)
			}
			stale[s.Kind] = append(stale[s.Kind], s)
			continue
		}
		if strings.EqualFold(s.SHA, head) {
			current[s.Kind] = append(current[s.Kind], s)
			continue
		}
		if p.Signoffs.KeepOnSameTree && sameChange(pr, s.SHA, head) {
			s.SameTree = true
			current[s.Kind] = append(current[s.Kind], s)
			continue
		}
		s.Stale = "given on an earlier head"
		stale[s.Kind] = append(stale[s.Kind], s)
	}
	if p.SeparateSigners {
		v.Ignored = append(v.Ignored, separateSigners(v.Required, current)...)
	}

	for _, kind := range v.Required {
		k := p.Kinds[kind]
		r := KindResult{Kind: kind, Who: whoCan(k), How: "approve the pull request or comment `/signoff " + kind + "`"}
		if k != nil {
			r.Description = k.Description
		}
		switch {
		case len(current[kind]) > 0:
			r.Status = KindSatisfied
			r.Signoffs = current[kind]
			v.Signoffs = append(v.Signoffs, current[kind]...)
		case len(stale[kind]) > 0:
			r.Status = KindStale
			r.Signoffs = stale[kind]
		default:
			r.Status = KindMissing
		}
		if r.Status != KindSatisfied {
			switch {
			case k == nil:
				r.Problem = fmt.Sprintf("kind %q is required but not defined in the policy", kind)
				v.Problems = append(v.Problems, r.Problem)
			case nobodyCan(k, pr.Author):
				r.Problem = fmt.Sprintf("nobody can give %s: it lists only %s, who wrote this pull request, and allow_author is false", kind, orNobody(k.Users))
				if len(k.Users) == 0 {
					r.Problem = fmt.Sprintf("nobody can give %s: it lists no users, no teams and no permission", kind)
				}
				v.Problems = append(v.Problems, r.Problem)
			case len(a.unreadable[kind]) > 0:
				r.Problem = fmt.Sprintf("could not read the members of %s: give the action %s", teamList(a.unreadable[kind]), scopeHint)
			}
		}
		v.Kinds = append(v.Kinds, r)
	}

	v.Link = linkResult(p, pr, briefs, t.waiver)
	if len(pr.SharedHead) > 0 {
		refs := make([]string, len(pr.SharedHead))
		for i, n := range pr.SharedHead {
			refs[i] = fmt.Sprintf("#%d", n)
		}
		v.Blocked = append(v.Blocked, fmt.Sprintf("the head %s is also the head of %s: a commit status belongs to the commit, so one pull request's verdict would stand for the other's change; close the other, or push a commit of this pull request's own", short(head), strings.Join(refs, ", ")))
	}

	switch {
	case len(v.Problems) > 0:
		v.State = StateFailure
	case v.Bypass != nil:
		v.State = StateSuccess
	default:
		v.State = StateSuccess
		for _, r := range v.Kinds {
			if r.Status != KindSatisfied {
				v.State = StatePending
			}
		}
		if s := v.Link.Status; s != LinkSatisfied && s != LinkWaived && s != LinkNotRequired {
			v.State = StatePending
		}
	}
	if len(v.Blocked) > 0 && v.State == StateSuccess {
		v.State = StatePending // a bypass is of this pull request's change, not of the other's
	}
	return v, nil
}

func signoffLess(a, b Signoff) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return strings.ToLower(a.Signer.Login) < strings.ToLower(b.Signer.Login)
}

// nobodyCan reports whether no one but the author could ever give k while the
// author may not.
func nobodyCan(k *Kind, author Actor) bool {
	if len(k.Teams) > 0 || k.Permission != "" {
		return false
	}
	for _, u := range k.Users {
		if k.AllowAuthor || !strings.EqualFold(u, author.Login) {
			return false
		}
	}
	return true
}

// separateSigners enforces that one person turns at most one key. It assigns
// each required kind a distinct signer among its current sign-offs by maximum
// bipartite matching (kinds in policy order, signers earliest first), so that
// a kind is never left unsigned when some assignment would sign it. Every
// signer then keeps only the sign-offs of one kind (the matched one, or else
// their earliest); the others are dropped from current and returned as
// ignored.
func separateSigners(required []string, current map[string][]Signoff) []Ignored {
	owner := map[string]string{} // signer → kind matched
	var try func(kind string, seen map[string]bool) bool
	try = func(kind string, seen map[string]bool) bool {
		for _, s := range current[kind] {
			who := strings.ToLower(s.Signer.Login)
			if seen[who] {
				continue
			}
			seen[who] = true
			if k, taken := owner[who]; !taken || try(k, seen) {
				owner[who] = kind
				return true
			}
		}
		return false
	}
	for _, kind := range required {
		try(kind, map[string]bool{})
	}
	// Signers not matched keep their earliest kind.
	var all []Signoff
	for _, kind := range required {
		all = append(all, current[kind]...)
	}
	sort.Slice(all, func(i, j int) bool { return signoffLess(all[i], all[j]) })
	for _, s := range all {
		who := strings.ToLower(s.Signer.Login)
		if _, ok := owner[who]; !ok {
			owner[who] = s.Kind
		}
	}
	var ignored []Ignored
	for _, kind := range required {
		kept := current[kind][:0:0]
		for _, s := range current[kind] {
			if k := owner[strings.ToLower(s.Signer.Login)]; k != kind {
				ignored = append(ignored, Ignored{Login: s.Signer.Login, Source: s.Via, URL: s.URL,
					Reason: fmt.Sprintf("@%s signed off %s, and one person cannot turn two keys (separate_signers): %s needs someone else", s.Signer.Login, k, kind)})
				continue
			}
			kept = append(kept, s)
		}
		current[kind] = kept
	}
	return ignored
}

// requiredKinds applies the require rules: a rule adds its kinds when all of
// its conditions hold (any changed file matches one of paths; a linked brief's
// answer satisfies brief; the pull request or a found linked brief has one of
// labels). The result follows the policy's kind order; kinds the policy does
// not define come last (Evaluate reports them as configuration errors).
func requiredKinds(p *Policy, pr *PullRequest, briefs []LinkedBrief) []string {
	want := map[string]bool{}
	for _, r := range p.Require {
		if ruleHolds(r, pr, briefs) {
			for _, k := range r.Kinds {
				want[k] = true
			}
		}
	}
	var out []string
	for _, k := range p.KindOrder {
		if want[k] {
			out = append(out, k)
			delete(want, k)
		}
	}
	var rest []string
	for k := range want {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// RulesThatHold returns the indexes in p.Require of the require rules whose
// conditions all hold for pull request pr and its linked briefs, in policy
// order: the rules that add their kinds to what the change needs (Evaluate
// requires the kinds of these rules, and only those). twokey explain uses it
// to say which rule added each kind.
func RulesThatHold(p *Policy, pr *PullRequest, briefs []LinkedBrief) []int {
	var out []int
	for i, r := range p.Require {
		if ruleHolds(r, pr, briefs) {
			out = append(out, i)
		}
	}
	return out
}

func ruleHolds(r Requirement, pr *PullRequest, briefs []LinkedBrief) bool {
	if len(r.Paths) > 0 && !pr.FilesIncomplete && !anyPathMatches(r.Paths, pr.Files) {
		return false
	}
	if r.Brief != nil {
		ok := false
		for _, b := range briefs {
			if b.Found && b.Brief != nil && r.Brief.Holds(b.Brief) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(r.Labels) > 0 {
		ok := hasAnyLabel(pr.Labels, r.Labels)
		for _, b := range briefs {
			if !ok && b.Found {
				ok = hasAnyLabel(b.Labels, r.Labels)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// anyPathMatches reports whether a file matches a glob. Before the full
// doublestar match, a cheap filter (see globFilter) rules out nearly every
// path on a pull request with thousands of files.
func anyPathMatches(globs, files []string) bool {
	fs := make([]globFilter, 0, len(globs))
	for _, g := range globs {
		for _, e := range expandBraces(g) {
			fs = append(fs, newGlobFilter(e))
		}
	}
	for _, f := range files {
		for _, g := range fs {
			if !g.mayMatch(f) {
				continue
			}
			if ok, _ := doublestar.Match(g.pattern, f); ok {
				return true
			}
		}
	}
	return false
}

// expandBraces expands the first {a,b,...} of g, recursively, so that each
// alternative gets its own filter: "**/*.{css,scss}" becomes "**/*.css" and
// "**/*.scss". Nested braces, escapes and classes are left to doublestar.
func expandBraces(g string) []string {
	i := strings.IndexByte(g, '{')
	if i < 0 || strings.ContainsAny(g, "\\[") {
		return []string{g}
	}
	j := strings.IndexByte(g[i:], '}')
	if j < 0 || strings.IndexByte(g[i+1:i+j], '{') >= 0 {
		return []string{g}
	}
	var out []string
	for _, alt := range strings.Split(g[i+1:i+j], ",") {
		out = append(out, expandBraces(g[:i]+alt+g[i+j+1:])...)
	}
	return out
}

// globFilter holds what any path matching a glob must contain: the literal
// text before its first metacharacter (a prefix), after its last (a suffix),
// and the literal chunks between, in order. Text inside {...} and [...] is
// skipped; a glob with escapes gets no filter.
type globFilter struct {
	pattern        string
	prefix, suffix string
	chunks         []string
}

func newGlobFilter(g string) globFilter {
	f := globFilter{pattern: g}
	if strings.Contains(g, "\\") {
		return f
	}
	// "a/**/b" also matches "a/b": the slashes around ** are not required.
	g = strings.NewReplacer("/**/", "**", "/**", "**", "**/", "**").Replace(g)
	var chunks []string
	var cur strings.Builder
	depth, first := 0, true
	flush := func() {
		if first {
			f.prefix, first = cur.String(), false
		} else if cur.Len() > 0 {
			chunks = append(chunks, cur.String())
		}
		cur.Reset()
	}
	for _, c := range g {
		switch {
		case c == '{' || c == '[':
			if depth == 0 {
				flush()
			}
			depth++
		case (c == '}' || c == ']') && depth > 0:
			depth--
		case depth > 0:
		case c == '*' || c == '?':
			flush()
		default:
			cur.WriteRune(c)
		}
	}
	if first { // no metacharacter at all: the prefix is the whole path
		f.prefix = cur.String()
		return f
	}
	f.suffix = cur.String()
	f.chunks = chunks
	return f
}

// mayMatch reports whether path can match the glob; false is certain.
func (f globFilter) mayMatch(path string) bool {
	if !strings.HasPrefix(path, f.prefix) || !strings.HasSuffix(path, f.suffix) || len(path) < len(f.prefix)+len(f.suffix) {
		return false
	}
	rest := path[len(f.prefix) : len(path)-len(f.suffix)]
	for _, c := range f.chunks {
		i := strings.Index(rest, c)
		if i < 0 {
			return false
		}
		rest = rest[i+len(c):]
	}
	return true
}

func hasAnyLabel(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

// linkResult decides the brief link: waived by the label or a waiver comment;
// satisfied when some linked brief is found and not labelled as needing
// information (and none found is); otherwise missing, not found or not ready,
// with a message saying what to do.
func linkResult(p *Policy, pr *PullRequest, briefs []LinkedBrief, waiver *Ignored) LinkResult {
	r := LinkResult{Links: FindLinks(pr.Repo, pr.Title, pr.Body, pr.Branch)}
	needsInfo := p.Brief.Labels.NeedsInfo
	if needsInfo == "" {
		needsInfo = "brief: needs-info"
	}
	var notFound, notReady []string
	for _, b := range briefs {
		ref := briefRef(pr.Repo, b.Repo, b.Number)
		switch {
		case !b.Found:
			notFound = append(notFound, ref)
		case needsInfo != "" && hasAnyLabel(b.Labels, []string{needsInfo}):
			notReady = append(notReady, ref)
		case strings.EqualFold(b.Repo, pr.Repo) || b.Repo == "":
			r.Briefs = append(r.Briefs, b.Number)
		default:
			r.Briefs = append(r.Briefs, 0) // found in another repository; counted, not recorded as a number
		}
	}
	ready := len(r.Briefs) > 0
	r.Briefs = dropZeros(r.Briefs)
	switch {
	case !p.Link.Required:
		r.Status = LinkNotRequired
	case p.Link.WaiveLabel != "" && hasAnyLabel(pr.Labels, []string{p.Link.WaiveLabel}):
		r.Status = LinkWaived
		r.Waiver = "label " + p.Link.WaiveLabel
	case waiver != nil:
		r.Status = LinkWaived
		r.Waiver = "@" + waiver.Login + ": " + p.Link.WaiveCommand
	case len(notReady) > 0:
		r.Status = LinkNotReady
		r.Message = fmt.Sprintf("brief %s is marked %q: complete it, and twokey re-checks it when it is edited", strings.Join(notReady, ", "), needsInfo)
	case ready:
		r.Status = LinkSatisfied
	case len(notFound) > 0:
		r.Status = LinkNotFound
		r.Message = fmt.Sprintf("%s is not a brief twokey can find: link the brief this change implements", strings.Join(notFound, ", "))
	default:
		r.Status = LinkMissing
		r.Message = "no brief linked: add \"Brief: #<number>\" to the description"
		if p.Link.WaiveLabel != "" || p.Link.WaiveCommand != "" {
			r.Message += waiveHint(p.Link)
		}
	}
	return r
}

func waiveHint(l LinkPolicy) string {
	switch {
	case l.WaiveLabel != "" && l.WaiveCommand != "":
		return fmt.Sprintf(", or, for a change that needs none, add the label %q or have a signer comment `%s`", l.WaiveLabel, l.WaiveCommand)
	case l.WaiveLabel != "":
		return fmt.Sprintf(", or, for a change that needs none, add the label %q", l.WaiveLabel)
	}
	return fmt.Sprintf(", or, for a change that needs none, have a signer comment `%s`", l.WaiveCommand)
}

func briefRef(prRepo, repo string, n int) string {
	if repo == "" || strings.EqualFold(repo, prRepo) {
		return fmt.Sprintf("#%d", n)
	}
	return fmt.Sprintf("%s#%d", repo, n)
}

func dropZeros(ns []int) []int {
	out := ns[:0]
	for _, n := range ns {
		if n != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Labels returns the pull request labels twokey wants (one "signed: {kind}"
// per satisfied kind, and "needs: brief" while no brief is linked) and every
// label it owns, so the caller can remove owned labels that are not wanted
// and leave everyone else's alone.
func (v *Verdict) Labels() (want, owned []string) {
	satisfied := map[string]bool{}
	for _, r := range v.Kinds {
		if r.Status == KindSatisfied {
			satisfied[r.Kind] = true
		}
	}
	if s := v.labels.Signed; s != "" {
		for _, k := range v.allKinds {
			l := strings.ReplaceAll(s, "{kind}", k)
			owned = append(owned, l)
			if satisfied[k] {
				want = append(want, l)
			}
		}
	}
	if nb := v.labels.NeedsBrief; nb != "" {
		owned = append(owned, nb)
		if v.Link.Status == LinkMissing || v.Link.Status == LinkNotFound {
			want = append(want, nb)
		}
	}
	w, o := v.overdueLabels()
	return append(want, w...), append(owned, o...)
}
