package tracker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// gateDir is a Directory backed by maps: the test double of the interface
// the gate declares.
type gateDir struct {
	teams      map[string][]string // "org/slug" → members
	unreadable map[string]bool     // teams the token cannot read
	perms      map[string]string   // login → permission (default "read")
	err        error               // returned by every call when set
	calls      int
}

func (d *gateDir) IsMember(ctx context.Context, team, login string) (bool, error) {
	d.calls++
	if d.err != nil {
		return false, d.err
	}
	if d.unreadable[team] {
		return false, fmt.Errorf("team %s: %w", team, ErrTeamUnreadable)
	}
	for _, m := range d.teams[team] {
		if m == login {
			return true, nil
		}
	}
	return false, nil
}

func (d *gateDir) Permission(ctx context.Context, login string) (string, error) {
	d.calls++
	if d.err != nil {
		return "", d.err
	}
	if p, ok := d.perms[login]; ok {
		return p, nil
	}
	return "read", nil
}

func newGateDir() *gateDir {
	return &gateDir{
		teams: map[string][]string{
			"acme/ux":      {"alice", "carol", "dev"},
			"acme/backend": {"bob", "carol", "dev"},
			"acme/it":      {"ivan"},
		},
		perms: map[string]string{"mallory": "write", "root": "admin"},
	}
}

const gatePolicyYAML = `version: 1
kinds:
  usability:
    description: The user interface and journeys work for the audience.
    teams: [acme/ux]
    users: [uma]
  backend:
    description: Integration, data, security and load hold up.
    teams: [acme/backend]
  vendor:
    description: IT has reviewed the new vendor.
    teams: [acme/it]
require:
  - kinds: [usability, backend]
  - paths: ["payments/**", "**/*.sql"]
    kinds: [vendor]
  - labels: [vendor-review]
    kinds: [vendor]
  - brief: {field: new_vendor, is: "Yes"}
    kinds: [vendor]
link:
  required: true
bypass:
  users: [root]
`

func gatePolicy(t testing.TB, edits ...string) *Policy {
	t.Helper()
	y := gatePolicyYAML
	for _, e := range edits {
		gOld, nw, _ := strings.Cut(e, "=>")
		if !strings.Contains(y, gOld) {
			t.Fatalf("policy edit %q: no %q in the test policy", e, gOld)
		}
		y = strings.Replace(y, gOld, nw, 1)
	}
	p, err := LoadPolicy("twokey.yml", []byte(y))
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	return p
}

var (
	gHead = strings.Repeat("a", 40)
	gOld  = strings.Repeat("b", 40)
	gT0   = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
)

func gAt(min int) time.Time { return gT0.Add(time.Duration(min) * time.Minute) }

func gActor(login string) Actor {
	id := int64(0)
	for _, c := range login {
		id = id*31 + int64(c)
	}
	return Actor{Login: login, ID: id % 100000, Bot: strings.HasSuffix(login, "[bot]")}
}

func gReview(id int64, login, state, sha string, min int, body string) Review {
	return Review{ID: id, User: gActor(login), State: state, Body: body, CommitID: sha,
		URL: fmt.Sprintf("https://github.com/acme/site/pull/12#pullrequestreview-%d", id), SubmittedAt: gAt(min)}
}

func gApprove(id int64, login, sha string, min int) Review {
	return gReview(id, login, ReviewApproved, sha, min, "")
}

// gComment is a comment written while sha was the head, as gatePR's history
// establishes it: gHead from minute -100 on, gOld from -200 to -100; ""
// puts it in the second of the force push between them, when GitHub's
// records cannot tell which head it was written on. min orders comments
// written on the same head.
func gComment(id int64, login, body, sha string, min int) Comment {
	at := gAt(min)
	switch sha {
	case gOld:
		at = gAt(min - 190)
	case "":
		at = gPushed
	}
	return Comment{ID: id, User: gActor(login), Body: body, CreatedAt: at,
		URL: fmt.Sprintf("https://github.com/acme/site/pull/12#issuecomment-%d", id)}
}

// gPushed is when dev force-pushed gOld → gHead in gatePR's history.
var gPushed = gAt(-100)

// gatePR is a pull request whose head was gOld (twokey's status saw it at
// minute -200) until dev force-pushed gHead at minute -100, read at
// minute 1000.
func gatePR() *PullRequest {
	return &PullRequest{
		Repo: "acme/site", Number: 12, Title: "New checkout page", Body: "Brief: #7\n\nAdds the page.",
		Branch: "brief-7-checkout", Base: "main", Author: gActor("dev"), HeadSHA: gHead,
		Files:    []string{"site/checkout.html", "site/checkout.css"},
		ReadAt:   gAt(1000),
		HeadSeen: []HeadSeen{{SHA: gOld, At: gAt(-200)}},
		Timeline: []TimelineEvent{{Type: EventForcePushed, At: gPushed, Actor: gActor("dev"), Before: gOld, After: gHead}},
		Commits: []PRCommit{
			{SHA: gHead, Tree: "tree-head", Parents: []string{gBase}, InPR: true},
			{SHA: gOld, Tree: "tree-old", Parents: []string{gBase}},
		},
	}
}

// gBase is the commit both heads of gatePR were made on.
var gBase = strings.Repeat("c", 40)

// sameChangeAs gives gOld the head's tree and parents: an amended message.
func sameChangeAs(pr *PullRequest) {
	pr.Commits[1].Tree, pr.Commits[1].Parents = pr.Commits[0].Tree, pr.Commits[0].Parents
}

// parsedBrief is body parsed against the default form.
func parsedBrief(body string) *Brief {
	b, _ := ParseBrief(DefaultForm(), body)
	return b
}

var gateBriefs = []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"brief", "brief: ready"}}}

// gateSummary is a compact view of a verdict for table tests.
type gateSummary struct {
	State   string
	Kinds   string // "usability=satisfied(alice) backend=missing"
	Link    string
	Ignored []string
}

func summarizeVerdict(v *Verdict) gateSummary {
	s := gateSummary{State: v.State, Link: v.Link.Status}
	var ks []string
	for _, r := range v.Kinds {
		k := r.Kind + "=" + r.Status
		var who []string
		for _, so := range r.Signoffs {
			who = append(who, so.Signer.Login)
		}
		if len(who) > 0 {
			k += "(" + strings.Join(who, ",") + ")"
		}
		ks = append(ks, k)
	}
	s.Kinds = strings.Join(ks, " ")
	for _, ig := range v.Ignored {
		s.Ignored = append(s.Ignored, ig.Login+": "+ig.Reason)
	}
	return s
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		policy  []string // edits "old=>new" to the test policy
		pr      func(pr *PullRequest)
		dir     func(d *gateDir)
		briefs  []LinkedBrief
		state   string
		kinds   string
		link    string
		ignored []string // substrings, in order, one per ignored entry
	}{
		{
			name: "both keys turned on the head",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
			},
			state: StateSuccess, kinds: "usability=satisfied(alice) backend=satisfied(bob)", link: LinkSatisfied,
		},
		{
			name: "a review body naming another SHA does not move the review's sign-off",
			pr: func(pr *PullRequest) {
				r := gApprove(1, "alice", gOld, 1)
				r.Body = "/signoff usability " + gHead
				pr.Reviews = []Review{r, gApprove(2, "bob", gHead, 2)}
			},
			state: StatePending, kinds: "usability=missing backend=satisfied(bob)", link: LinkSatisfied,
			ignored: []string{"alice: /signoff usability " + gHead + " in a review: a review signs the commit it reviewed"},
		},
		{
			name:  "nothing signed yet",
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
		},
		{
			name: "stale after push: sign-offs on an older commit with another tree",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gOld, 1), gApprove(2, "bob", gOld, 2)}
			},
			state: StatePending, kinds: "usability=stale(alice) backend=stale(bob)", link: LinkSatisfied,
		},
		{
			name: "an amended message (same tree, same parents) keeps sign-offs",
			pr: func(pr *PullRequest) {
				sameChangeAs(pr)
				pr.Reviews = []Review{gApprove(1, "alice", gOld, 1), gApprove(2, "bob", gHead, 2)}
			},
			state: StateSuccess, kinds: "usability=satisfied(alice) backend=satisfied(bob)", link: LinkSatisfied,
		},
		{
			// dev pushes git merge -s ours main on the signed commit: the tree
			// is the signed one, but merging it would revert what main gained.
			name: "the signed tree on a moved base is a new change",
			pr: func(pr *PullRequest) {
				pr.Commits[1].Tree = pr.Commits[0].Tree
				pr.Commits[0].Parents = []string{gOld, strings.Repeat("d", 40)}
				pr.Reviews = []Review{gApprove(1, "alice", gOld, 1), gApprove(2, "bob", gOld, 2)}
			},
			state: StatePending, kinds: "usability=stale(alice) backend=stale(bob)", link: LinkSatisfied,
		},
		{
			name: "a rebase (same tree, other parents) is a new change",
			pr: func(pr *PullRequest) {
				pr.Commits[1].Tree = pr.Commits[0].Tree
				pr.Commits[1].Parents = []string{strings.Repeat("e", 40)}
				pr.Reviews = []Review{gApprove(1, "alice", gOld, 1), gApprove(2, "bob", gHead, 2)}
			},
			state: StatePending, kinds: "usability=stale(alice) backend=satisfied(bob)", link: LinkSatisfied,
		},
		{
			name:   "an amend does not keep keys when keep_on_same_tree is false",
			policy: []string{"link:\n=>signoffs: {keep_on_same_tree: false}\nlink:\n"},
			pr: func(pr *PullRequest) {
				sameChangeAs(pr)
				pr.Reviews = []Review{gApprove(1, "alice", gOld, 1), gApprove(2, "bob", gHead, 2)}
			},
			state: StatePending, kinds: "usability=stale(alice) backend=satisfied(bob)", link: LinkSatisfied,
		},
		{
			// Keys given on a docs-only diff into experimental stay stale
			// when dev retargets the pull request to main.
			name: "a base change makes every earlier key stale",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
				pr.Timeline = append(pr.Timeline, TimelineEvent{Type: EventBaseChanged, At: gAt(3), Actor: gActor("dev"), From: "experimental", To: "main"})
			},
			state: StatePending, kinds: "usability=stale(alice) backend=stale(bob)", link: LinkSatisfied,
		},
		{
			name: "a key given after the base change counts",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 5)}
				pr.Timeline = append(pr.Timeline, TimelineEvent{Type: EventBaseChanged, At: gAt(3), Actor: gActor("dev"), From: "experimental", To: "main"})
			},
			state: StatePending, kinds: "usability=stale(alice) backend=satisfied(bob)", link: LinkSatisfied,
		},
		{
			name: "a base branch force push makes earlier keys stale",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
				pr.Timeline = append(pr.Timeline, TimelineEvent{Type: EventBaseForcePushed, At: gAt(2), Actor: gActor("mallory")})
			},
			state: StatePending, kinds: "usability=stale(alice) backend=stale(bob)", link: LinkSatisfied,
		},
		{
			name: "author cannot sign off their own pull request",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{gComment(1, "dev", "/signoff usability", gHead, 1)}
				pr.Reviews = []Review{gApprove(2, "bob", gHead, 2)}
			},
			state: StatePending, kinds: "usability=missing backend=satisfied(bob)", link: LinkSatisfied,
			ignored: []string{"dev: @dev wrote this pull request and cannot sign off usability"},
		},
		{
			name:   "allow_author lets the author sign that kind only",
			policy: []string{"    users: [uma]\n=>    users: [uma]\n    allow_author: true\n"},
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{gComment(1, "dev", "/signoff usability\n/signoff backend", gHead, 1)}
			},
			state: StatePending, kinds: "usability=satisfied(dev) backend=missing", link: LinkSatisfied,
			ignored: []string{"dev: @dev wrote this pull request and cannot sign off backend"},
		},
		{
			name: "bots never count, even in the team",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "renovate[bot]", gHead, 1), {ID: 2, User: Actor{Login: "ci-app", Bot: true}, State: ReviewApproved, CommitID: gHead, SubmittedAt: gAt(2)}}
				pr.Comments = []Comment{gComment(3, "renovate[bot]", "/signoff backend", gHead, 3)}
			},
			dir:   func(d *gateDir) { d.teams["acme/ux"] = append(d.teams["acme/ux"], "renovate[bot]", "ci-app") },
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"renovate[bot]: @renovate[bot] is a bot", "ci-app: @ci-app is a bot", "renovate[bot]: @renovate[bot] is a bot"},
		},
		{
			// mallory (write access) turns bob's "not yet" into a sign-off
			// within the second: GitHub's edit history names the editor.
			name: "a comment edited by someone else counts for nothing, however soon",
			pr: func(pr *PullRequest) {
				c := gComment(1, "bob", "/signoff backend", gHead, 1)
				c.Edits = []Edit{{At: c.CreatedAt, Editor: gActor("bob")}, {At: c.CreatedAt.Add(500 * time.Millisecond), Editor: gActor("mallory")}}
				own := gComment(2, "alice", "/signoff usability", gHead, 2)
				own.Edits = []Edit{{At: own.CreatedAt.Add(time.Minute), Editor: gActor("alice")}} // her own typo fix
				pr.Comments = []Comment{c, own}
			},
			state: StatePending, kinds: "usability=satisfied(alice) backend=missing", link: LinkSatisfied,
			ignored: []string{"bob: the comment was edited by @mallory, not by @bob: it counts for nothing"},
		},
		{
			name: "an edit whose editor GitHub does not name, or more edits than were read, voids",
			pr: func(pr *PullRequest) {
				ghost := gComment(1, "bob", "/signoff backend", gHead, 1)
				ghost.Edits = []Edit{{At: ghost.CreatedAt.Add(time.Minute)}}
				many := gComment(2, "alice", "/signoff usability", gHead, 2)
				many.EditsIncomplete = true
				pr.Comments = []Comment{ghost, many}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"bob: the comment was edited by an account GitHub does not name", "alice: the comment was edited by someone twokey cannot see"},
		},
		{
			// Anyone with write access can edit a review's text: a comment
			// review edited to add /signoff, or an approval edited by someone
			// else, signs nothing. Its author's own edit is theirs to make.
			name: "reviews edited by someone else do not count",
			pr: func(pr *PullRequest) {
				commented := gReview(1, "bob", ReviewCommented, gHead, 1, "looks fine\n/signoff backend")
				commented.Edits = []Edit{{At: gAt(5), Editor: gActor("mallory")}}
				approved := gApprove(2, "alice", gHead, 2)
				approved.Edits = []Edit{{At: gAt(6), Editor: gActor("mallory")}}
				kept := gApprove(3, "uma", gHead, 3)
				kept.Edits = []Edit{{At: gAt(7), Editor: gActor("uma")}}
				pr.Reviews = []Review{commented, approved, kept}
			},
			state: StatePending, kinds: "usability=satisfied(uma) backend=missing", link: LinkSatisfied,
			ignored: []string{"bob: the review was edited by @mallory, not by @bob: it counts for nothing", "alice: the review was edited by @mallory, not by @alice: it counts for nothing"},
		},
		{
			name: "a bypass in a review is ignored, with how to declare one",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gReview(1, "cto", ReviewCommented, gHead, 1, "/bypass outage")}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"cto: /bypass counts only in a comment"},
		},
		{
			// The token's own draft review is listed to it; it is not submitted.
			name: "a pending review signs nothing",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gReview(1, "bob", ReviewPending, gHead, 1, "/signoff backend")}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
		},
		{
			name: "a request for changes edited by someone else still withdraws",
			pr: func(pr *PullRequest) {
				changes := gReview(2, "bob", ReviewChangesRequested, gHead, 2, "not yet")
				changes.Edits = []Edit{{At: gAt(3), Editor: gActor("mallory")}}
				pr.Reviews = []Review{gApprove(1, "bob", gHead, 1), changes}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"bob: the review was edited by @mallory, not by @bob: it counts for nothing, and @bob's earlier sign-offs are withdrawn"},
		},
		{
			// mallory edits alice's revoke into "ok": whatever it said, an
			// edit by someone else never gives a key back.
			name: "a revoke edited away by someone else keeps its author's sign-offs withdrawn",
			pr: func(pr *PullRequest) {
				revoke := gComment(2, "alice", "ok", gHead, 2)
				revoke.Edits = []Edit{{At: gAt(60), Editor: gActor("mallory")}}
				prose := gComment(4, "bob", "typo fixed", gHead, 4)
				prose.Edits = []Edit{{At: gAt(61), Editor: gActor("bob")}} // his own edit of prose: changes nothing
				pr.Comments = []Comment{gComment(1, "alice", "/signoff usability", gHead, 1), revoke, gComment(3, "bob", "/signoff backend", gHead, 3), prose}
			},
			state: StatePending, kinds: "usability=missing backend=satisfied(bob)", link: LinkSatisfied,
			ignored: []string{"alice: the comment was edited by @mallory, not by @alice: it counts for nothing, and @alice's earlier sign-offs are withdrawn (it may have been a revoke)"},
		},
		{
			name: "a comment deleted by someone else withdraws its author's earlier sign-offs",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{gComment(1, "alice", "/signoff usability", gHead, 1), gComment(2, "bob", "/signoff backend", gHead, 2)}
				pr.Timeline = append(pr.Timeline,
					TimelineEvent{Type: EventCommentDeleted, At: gAt(5), Actor: gActor("mallory"), DeletedAuthor: gActor("alice")},
					TimelineEvent{Type: EventCommentDeleted, At: gAt(6), Actor: gActor("bob"), DeletedAuthor: gActor("bob")}) // his own: his choice
			},
			state: StatePending, kinds: "usability=missing backend=satisfied(bob)", link: LinkSatisfied,
			ignored: []string{"alice: @mallory deleted a comment of @alice at 2026-03-01T09:05:00Z; it may have been a revoke"},
		},
		{
			name: "signing again after a deletion gives the key back",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{gComment(1, "alice", "/signoff usability", gHead, 1), gComment(7, "alice", "/signoff usability", gHead, 7)}
				pr.Timeline = append(pr.Timeline, TimelineEvent{Type: EventCommentDeleted, At: gAt(5), Actor: gActor("mallory"), DeletedAuthor: gActor("alice")})
			},
			state: StatePending, kinds: "usability=satisfied(alice) backend=missing", link: LinkSatisfied,
			ignored: []string{"alice: @mallory deleted a comment of @alice"},
		},
		{
			// mallory dismisses bob's request for changes: his approval
			// before it does not come back.
			name: "a dismissed request for changes still withdraws",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "bob", gHead, 1), gReview(2, "bob", ReviewDismissed, gHead, 2, "not yet"), gApprove(3, "alice", gHead, 3)}
			},
			state: StatePending, kinds: "usability=satisfied(alice) backend=missing", link: LinkSatisfied,
			ignored: []string{"bob: the review was dismissed"},
		},
		{
			name:  "unauthorised signer is ignored, with who can",
			pr:    func(pr *PullRequest) { pr.Comments = []Comment{gComment(1, "mallory", "/signoff backend", gHead, 1)} },
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"mallory: @mallory cannot sign off backend; who can: a member of @acme/backend"},
		},
		{
			name: "the wrong team never satisfies a kind",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)}
				pr.Comments = []Comment{gComment(2, "alice", "/signoff backend", gHead, 2), gComment(3, "ivan", "/signoff usability", gHead, 3)}
			},
			state: StatePending, kinds: "usability=satisfied(alice) backend=missing", link: LinkSatisfied,
			ignored: []string{"alice: @alice cannot sign off backend; who can: a member of @acme/backend", "ivan: @ivan cannot sign off usability; who can: a member of @acme/ux or @uma"},
		},
		{
			name:  "an approval by someone who holds no required kind says so",
			pr:    func(pr *PullRequest) { pr.Reviews = []Review{gApprove(1, "mallory", gHead, 1)} },
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"mallory: @mallory approved but cannot sign off any required kind (usability: a member of @acme/ux or @uma; backend: a member of @acme/backend)"},
		},
		{
			name: "revoke withdraws, a later sign-off counts again",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{
					gComment(1, "alice", "/signoff usability", gHead, 1),
					gComment(2, "bob", "/signoff backend", gHead, 2),
					gComment(3, "alice", "/signoff revoke usability", gHead, 3),
					gComment(4, "bob", "/signoff revoke", gHead, 4),
					gComment(5, "uma", "/signoff usability", gHead, 5),
				}
			},
			state: StatePending, kinds: "usability=satisfied(uma) backend=missing", link: LinkSatisfied,
		},
		{
			name: "revoke only withdraws the revoker's own sign-off",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
				pr.Comments = []Comment{gComment(3, "mallory", "/signoff revoke usability", gHead, 3)}
			},
			state: StateSuccess, kinds: "usability=satisfied(alice) backend=satisfied(bob)", link: LinkSatisfied,
		},
		{
			name: "changes requested withdraws the reviewer's sign-offs; dismissed reviews count for nothing",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{
					gApprove(1, "alice", gHead, 1),
					gApprove(2, "bob", gHead, 2),
					gReview(3, "bob", ReviewChangesRequested, gHead, 3, "the query is slow"),
					gReview(4, "uma", ReviewDismissed, gHead, 4, ""),
				}
			},
			state: StatePending, kinds: "usability=satisfied(alice) backend=missing", link: LinkSatisfied,
			ignored: []string{"uma: the review was dismissed: it signs nothing"},
		},
		{
			name: "commands in code, quotes and HTML comments do not count",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{
					gComment(1, "alice", "To sign, type:\n```\n/signoff usability\n```", gHead, 1),
					gComment(2, "bob", "> /signoff backend\nquoting the docs", gHead, 2),
					gComment(3, "bob", "<!--\n/signoff backend\n-->", gHead, 3),
					gComment(4, "bob", "    /signoff backend", gHead, 4),
				}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
		},
		{
			name: "a review's /signoff names the only kind it signs",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gReview(1, "carol", ReviewApproved, gHead, 1, "Looks right.\n/signoff backend")}
			},
			state: StatePending, kinds: "usability=missing backend=satisfied(carol)", link: LinkSatisfied,
		},
		{
			name: "comment sha: head prefix, full other sha, unknown prefix, unknown head",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{
					gComment(1, "alice", "/signoff usability aaaaaaa", gHead, 1),
					gComment(2, "bob", "/signoff backend "+gOld, "", 2),
					gComment(3, "uma", "/signoff usability 1234567", gHead, 3),
					gComment(4, "uma", "/signoff usability", "", 4),
					gComment(5, "uma", "/signoff usability looks-good", gHead, 5),
				}
			},
			state: StatePending, kinds: "usability=satisfied(alice) backend=stale(bob)", link: LinkSatisfied,
			ignored: []string{
				`uma: /signoff usability 1234567: no commit of this pull request starts with 1234567 (the head is aaaaaaa); give the full SHA`,
				`uma: /signoff usability looks-good: not a commit SHA`,
			},
		},
		{
			// dev made X known (a review on it), then pushed a head sharing
			// its first 7 digits: a short SHA naming both names nothing.
			name: "short sha: a prefix naming two commits of the history is refused",
			pr: func(pr *PullRequest) {
				x := "aaaaaaa" + strings.Repeat("f", 33)
				pr.Reviews = []Review{gReview(1, "carol", ReviewCommented, x, 1, "looks fine")}
				pr.Comments = []Comment{gComment(2, "uma", "/signoff usability aaaaaaa", gHead, 2)}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{`uma: /signoff usability aaaaaaa: aaaaaaa names more than one commit of this pull request`},
		},
		{
			// ... and force-pushing X back leaves both in the history.
			name: "short sha: a head force-pushed away still counts as a candidate",
			pr: func(pr *PullRequest) {
				x := "aaaaaaa" + strings.Repeat("f", 33)
				pr.HeadSHA = x
				pr.Commits = []PRCommit{{SHA: x, Tree: "tx", Parents: []string{gBase}, InPR: true}}
				pr.Timeline = append(pr.Timeline, TimelineEvent{Type: EventForcePushed, At: gAt(10), Actor: gActor("dev"), Before: gHead, After: x})
				pr.Comments = []Comment{gComment(2, "uma", "/signoff usability aaaaaaa", gHead, 2)}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{`uma: /signoff usability aaaaaaa: aaaaaaa names more than one commit of this pull request`},
		},
		{
			name: "short sha: refused when the pull request has more commits than were read",
			pr: func(pr *PullRequest) {
				pr.CommitsIncomplete = true
				pr.Comments = []Comment{gComment(2, "uma", "/signoff usability aaaaaaa", gHead, 2)}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{`uma: /signoff usability aaaaaaa: this pull request has more commits than twokey reads`},
		},
		{
			name:  "unknown kinds are ignored with the list of kinds",
			pr:    func(pr *PullRequest) { pr.Comments = []Comment{gComment(1, "alice", "/signoff design", gHead, 1)} },
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{`alice: unknown kind "design"; the kinds are usability, backend, vendor`},
		},
		{
			name:  "separate signers: one person turns one key",
			pr:    func(pr *PullRequest) { pr.Reviews = []Review{gApprove(1, "carol", gHead, 1)} },
			state: StatePending, kinds: "usability=satisfied(carol) backend=missing", link: LinkSatisfied,
			ignored: []string{"carol: @carol signed off usability, and one person cannot turn two keys (separate_signers): backend needs someone else"},
		},
		{
			name: "separate signers finds the assignment that turns both keys",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "carol", gHead, 1), gApprove(2, "alice", gHead, 2)}
			},
			state: StateSuccess, kinds: "usability=satisfied(alice) backend=satisfied(carol)", link: LinkSatisfied,
			ignored: []string{"carol: @carol signed off backend, and one person cannot turn two keys (separate_signers): usability needs someone else"},
		},
		{
			name:   "without separate_signers one person may turn both keys",
			policy: []string{"link:\n=>separate_signers: false\nlink:\n"},
			pr:     func(pr *PullRequest) { pr.Reviews = []Review{gApprove(1, "carol", gHead, 1)} },
			state:  StateSuccess, kinds: "usability=satisfied(carol) backend=satisfied(carol)", link: LinkSatisfied,
		},
		{
			name:  "path rules add kinds",
			pr:    func(pr *PullRequest) { pr.Files = append(pr.Files, "payments/stripe/hook.go") },
			state: StatePending, kinds: "usability=missing backend=missing vendor=missing", link: LinkSatisfied,
		},
		{
			name:  "path rules match nested globs",
			pr:    func(pr *PullRequest) { pr.Files = []string{"db/migrations/0042_orders.sql"} },
			state: StatePending, kinds: "usability=missing backend=missing vendor=missing", link: LinkSatisfied,
		},
		{
			name:   "a linked brief's label adds kinds",
			briefs: []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"vendor-review"}}},
			state:  StatePending, kinds: "usability=missing backend=missing vendor=missing", link: LinkSatisfied,
		},
		{
			name: "a linked brief's answer adds kinds",
			briefs: []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true,
				Brief: &Brief{Fields: map[string]*Value{"new_vendor": {Text: "Yes", Choices: []string{"Yes"}}}}}},
			state: StatePending, kinds: "usability=missing backend=missing vendor=missing", link: LinkSatisfied,
		},
		{
			name: "a linked brief's answer in a copied section adds kinds too",
			briefs: []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true,
				Brief: parsedBrief(copySection(t, completeAnswers(), "new_vendor", "Yes", false))}},
			state: StatePending, kinds: "usability=missing backend=missing vendor=missing", link: LinkSatisfied,
		},
		{
			name:  "no brief linked",
			pr:    func(pr *PullRequest) { pr.Body, pr.Branch = "Adds the page.", "checkout" },
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkMissing, briefs: []LinkedBrief{},
		},
		{
			name:   "linked brief not found, or not ready",
			briefs: []LinkedBrief{{Repo: "acme/site", Number: 7, Found: false}},
			state:  StatePending, kinds: "usability=missing backend=missing", link: LinkNotFound,
		},
		{
			name:   "linked brief needs information",
			briefs: []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"brief: needs-info"}}},
			state:  StatePending, kinds: "usability=missing backend=missing", link: LinkNotReady,
		},
		{
			name: "waive label",
			pr: func(pr *PullRequest) {
				pr.Body, pr.Branch, pr.Labels = "typo", "typo", []string{"no-brief"}
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
			},
			briefs: []LinkedBrief{}, state: StateSuccess, kinds: "usability=satisfied(alice) backend=satisfied(bob)", link: LinkWaived,
		},
		{
			name: "waive command by a signer; not by others",
			pr: func(pr *PullRequest) {
				pr.Body, pr.Branch = "typo", "typo"
				pr.Comments = []Comment{gComment(1, "mallory", "/no-brief", gHead, 1), gComment(2, "dev", "/no-brief", gHead, 2), gComment(3, "bob", "/no-brief", gHead, 3)}
			},
			briefs: []LinkedBrief{}, state: StatePending, kinds: "usability=missing backend=missing", link: LinkWaived,
			ignored: []string{"mallory: @mallory may not waive the brief link", "dev: @dev may not waive the brief link"},
		},
		{
			name: "the waive command takes nothing after it",
			pr: func(pr *PullRequest) {
				pr.Body, pr.Branch = "typo", "typo"
				pr.Comments = []Comment{gComment(1, "bob", "/no-brief would be wrong here, this needs #12", gHead, 1)}
			},
			briefs: []LinkedBrief{}, state: StatePending, kinds: "usability=missing backend=missing", link: LinkMissing,
			ignored: []string{"bob: /no-brief takes nothing after it"},
		},
		{
			name: "bypass by a bypass user passes and keeps the reason",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{
					gComment(1, "mallory", "/bypass it is urgent", gHead, 1),
					gComment(2, "root", "/bypass", gHead, 2),
					gComment(3, "root", "/bypass checkout is down, fix now", gHead, 3),
				}
			},
			state: StateSuccess, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"mallory: @mallory may not bypass the gate; the bypass users are @root", "root: /bypass needs a reason"},
		},
		{
			// Finding: a bypass declared for a change into one base stayed
			// when dev retargeted the pull request to another.
			name: "a bypass ends with a change of the base branch",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{gComment(1, "root", "/bypass experimental only", gHead, 1)}
				pr.Timeline = append(pr.Timeline, TimelineEvent{Type: EventBaseChanged, At: gAt(5), Actor: gActor("dev"), From: "experimental", To: "main"})
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"root: the bypass was declared before the base branch changed to main: post /bypass again if it still applies"},
		},
		{
			name: "a bypass ends with a push; one on an unknown commit does not count",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{
					gComment(1, "root", "/bypass checkout is down", gOld, 1),
					gComment(2, "root", "/bypass still down", "", 2),
				}
			},
			state: StatePending, kinds: "usability=missing backend=missing", link: LinkSatisfied,
			ignored: []string{"root: the bypass was declared on " + gOld[:7] + " and the head is now " + gHead[:7], "root: GitHub's records do not establish which commit was the head when this bypass was declared"},
		},
		{
			name: "team members that cannot be read keep the kind pending with the scope",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
			},
			dir:   func(d *gateDir) { d.unreadable = map[string]bool{"acme/backend": true} },
			state: StatePending, kinds: "usability=satisfied(alice) backend=missing", link: LinkSatisfied,
			ignored: []string{"bob: could not check whether @bob is in @acme/backend: twokey needs a token that can read org members: an App token with members:read or a PAT with read:org"},
		},
		{
			name:   "permission fallback",
			policy: []string{"    teams: [acme/backend]\n=>    permission: maintain\n"},
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{gComment(1, "mallory", "/signoff backend", gHead, 1), gComment(2, "root", "/signoff backend", gHead, 2)}
			},
			state: StatePending, kinds: "usability=missing backend=satisfied(root)", link: LinkSatisfied,
			ignored: []string{"mallory: @mallory cannot sign off backend; who can: anyone with maintain access"},
		},
		{
			name:   "a kind nobody can give is a failure",
			policy: []string{"    teams: [acme/backend]\n=>    users: [dev]\n"},
			state:  StateFailure, kinds: "usability=missing backend=missing", link: LinkSatisfied,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := gatePolicy(t, tt.policy...)
			pr := gatePR()
			if tt.pr != nil {
				tt.pr(pr)
			}
			d := newGateDir()
			if tt.dir != nil {
				tt.dir(d)
			}
			briefs := gateBriefs
			if tt.briefs != nil {
				briefs = tt.briefs
			}
			v, err := Evaluate(context.Background(), p, pr, briefs, d)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			got := summarizeVerdict(v)
			want := gateSummary{State: tt.state, Kinds: tt.kinds, Link: tt.link}
			if diff := cmp.Diff(want, gateSummary{State: got.State, Kinds: got.Kinds, Link: got.Link}); diff != "" {
				t.Errorf("Evaluate verdict diff (-want +got):\n%s\nignored: %q", diff, got.Ignored)
			}
			if len(got.Ignored) != len(tt.ignored) {
				t.Fatalf("Evaluate ignored = %q, want %d entries like %q", got.Ignored, len(tt.ignored), tt.ignored)
			}
			for i, w := range tt.ignored {
				if !strings.HasPrefix(got.Ignored[i], w) {
					t.Errorf("Evaluate ignored[%d] = %q, want it to start with %q", i, got.Ignored[i], w)
				}
			}
			if tt.state == StateSuccess && v.Bypass == nil {
				for _, r := range v.Kinds {
					if r.Status != KindSatisfied {
						t.Errorf("state success with %s %s", r.Kind, r.Status)
					}
				}
			}
		})
	}
}

func TestEvaluateBypass(t *testing.T) {
	pr := gatePR()
	pr.Comments = []Comment{gComment(1, "root", "/bypass checkout is down", gHead, 1)}
	v, err := Evaluate(context.Background(), gatePolicy(t), pr, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	if v.Bypass == nil || v.Bypass.Reason != "checkout is down" || v.Bypass.By.Login != "root" {
		t.Fatalf("Evaluate bypass = %+v, want root's with reason %q", v.Bypass, "checkout is down")
	}
}

func TestEvaluateSignoffDetails(t *testing.T) {
	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gOld, 1)}
	pr.Comments = []Comment{gComment(2, "bob", "/signoff backend", gHead, 2)}
	sameChangeAs(pr)
	d := newGateDir()
	v, err := Evaluate(context.Background(), gatePolicy(t), pr, gateBriefs, d)
	if err != nil {
		t.Fatal(err)
	}
	want := []Signoff{
		{Kind: "usability", Signer: gActor("alice"), SHA: gOld, Via: ViaReview, ID: 1, URL: pr.Reviews[0].URL, At: gAt(1), SameTree: true},
		{Kind: "backend", Signer: gActor("bob"), SHA: gHead, Via: ViaComment, ID: 2, URL: pr.Comments[0].URL, At: gAt(2)},
	}
	if diff := cmp.Diff(want, v.Signoffs); diff != "" {
		t.Errorf("Evaluate signoffs diff (-want +got):\n%s", diff)
	}
}

// TestEvaluatePolicyIsAValue shows that a pull request that edits the policy
// file gains nothing: Evaluate judges with the policy value it is given and
// never reads a file.
func TestEvaluatePolicyIsAValue(t *testing.T) {
	p := gatePolicy(t)
	plain := gatePR()
	plain.Reviews = []Review{gApprove(1, "alice", gHead, 1)}
	edits := gatePR()
	edits.Reviews = plain.Reviews
	edits.Files = append(edits.Files, DefaultPolicyFile, ".github/ISSUE_TEMPLATE/brief.yml")
	edits.Body += "\n\n```yaml\nrequire: []\nbypass: {users: [dev]}\n```"
	edits.Comments = []Comment{gComment(2, "dev", "/bypass I changed the policy", gHead, 2)}
	a, err := Evaluate(context.Background(), p, plain, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(context.Background(), p, edits, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	if a.State != StatePending || b.State != StatePending {
		t.Errorf("Evaluate states = %s, %s, want pending for both", a.State, b.State)
	}
	if diff := cmp.Diff(a.Required, b.Required); diff != "" {
		t.Errorf("required kinds changed by editing the policy in the PR (-plain +edits):\n%s", diff)
	}
	if b.Bypass != nil {
		t.Errorf("Evaluate bypass = %+v, want none: dev is not a bypass user in the default-branch policy", b.Bypass)
	}
}

func TestEvaluateErrors(t *testing.T) {
	boom := errors.New("api down")
	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)}
	d := newGateDir()
	d.err = boom
	if _, err := Evaluate(context.Background(), gatePolicy(t), pr, gateBriefs, d); !errors.Is(err, boom) {
		t.Errorf("Evaluate with a failing directory = %v, want it to wrap %v", err, boom)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Evaluate(ctx, gatePolicy(t), pr, gateBriefs, newGateDir()); !errors.Is(err, context.Canceled) {
		t.Errorf("Evaluate with a cancelled context = %v, want context.Canceled", err)
	}
	noHead := gatePR()
	noHead.HeadSHA = ""
	if _, err := Evaluate(context.Background(), gatePolicy(t), noHead, nil, newGateDir()); err == nil {
		t.Errorf("Evaluate without a head SHA = nil error, want one")
	}
}

func TestEvaluateAsksTheDirectoryOncePerQuestion(t *testing.T) {
	pr := gatePR()
	for i := 0; i < 20; i++ {
		pr.Comments = append(pr.Comments, gComment(int64(i+1), "mallory", "/signoff backend", gHead, i))
	}
	d := newGateDir()
	if _, err := Evaluate(context.Background(), gatePolicy(t), pr, gateBriefs, d); err != nil {
		t.Fatal(err)
	}
	if d.calls != 1 {
		t.Errorf("Directory calls = %d, want 1 (one team look-up, cached)", d.calls)
	}
}

func TestVerdictLabels(t *testing.T) {
	pr := gatePR()
	pr.Body, pr.Branch = "no link", "x"
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)}
	v, err := Evaluate(context.Background(), gatePolicy(t), pr, nil, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	want, owned := v.Labels()
	sort.Strings(owned)
	if diff := cmp.Diff([]string{"signed: usability", "needs: brief"}, want); diff != "" {
		t.Errorf("Labels() want diff (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"needs: brief", "overdue: backend", "overdue: usability", "overdue: vendor", "signed: backend", "signed: usability", "signed: vendor"}, owned); diff != "" {
		t.Errorf("Labels() owned diff (-want +got):\n%s", diff)
	}
}

// TestEvaluateIgnoresInputOrder: sign-offs are recomputed in creation order,
// so the order the API listed reviews and comments in changes nothing, and
// the same input always renders the same comment (the action reposts only
// when the text changes).
func TestEvaluateIgnoresInputOrder(t *testing.T) {
	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "carol", gHead, 1), gApprove(2, "alice", gOld, 2), gReview(3, "bob", ReviewChangesRequested, gHead, 5, "")}
	pr.Comments = []Comment{
		gComment(10, "bob", "/signoff backend", gHead, 3),
		gComment(11, "alice", "/signoff usability", gHead, 4),
		gComment(12, "bob", "/signoff backend", gHead, 6),
		gComment(13, "mallory", "/signoff backend", gHead, 7),
	}
	want, err := Evaluate(context.Background(), gatePolicy(t), pr, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := summarizeVerdict(want).Kinds; got != "usability=satisfied(alice) backend=satisfied(carol,bob)" {
		t.Fatalf("Evaluate kinds = %q", got)
	}
	rev := gatePR()
	for i := len(pr.Reviews) - 1; i >= 0; i-- {
		rev.Reviews = append(rev.Reviews, pr.Reviews[i])
	}
	for i := len(pr.Comments) - 1; i >= 0; i-- {
		rev.Comments = append(rev.Comments, pr.Comments[i])
	}
	got, err := Evaluate(context.Background(), gatePolicy(t), rev, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Comment(), got.Comment()); diff != "" {
		t.Errorf("Comment() depends on input order (-listed +reversed):\n%s", diff)
	}
	if want.Description() != got.Description() {
		t.Errorf("Description() = %q reversed, %q listed", got.Description(), want.Description())
	}
}

func TestEvaluateUnknownTreeIsStale(t *testing.T) {
	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gOld, 1)}
	pr.Commits = pr.Commits[:1] // the signed commit is gone: never "the same"
	d := newGateDir()
	v, err := Evaluate(context.Background(), gatePolicy(t), pr, gateBriefs, d)
	if err != nil {
		t.Fatal(err)
	}
	if got := summarizeVerdict(v).Kinds; got != "usability=stale(alice) backend=missing" {
		t.Errorf("Evaluate kinds = %q, want usability stale when the signed commit is gone", got)
	}
}
