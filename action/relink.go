package action

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/twokey/twokey/tracker"
)

// maxRelinked bounds how many open pull requests one event on a brief
// judges again (each costs its read and the writes that change something).
const maxRelinked = 20

// linkedQuery lists the issue's latest 100 cross-references and hand-made
// links (the Development box) with the issue or pull request each comes
// from: GitHub's record of which pull requests mention the brief, in one
// request. The text of each pull request comes along, so that its read
// brings the briefs it links (linkHint).
const linkedQuery = `query($owner:String!,$name:String!,$number:Int!){
repository(owner:$owner,name:$name){issue(number:$number){
timelineItems(last:100,itemTypes:[CROSS_REFERENCED_EVENT,CONNECTED_EVENT]){pageInfo{hasPreviousPage} nodes{__typename
... on CrossReferencedEvent{source{...linkedSubject}}
... on ConnectedEvent{source{...linkedSubject} subject{...linkedSubject}}}}}}}
fragment linkedSubject on ReferencedSubject{__typename ... on PullRequest{number state title body headRefName headRefOid repository{nameWithOwner}
commits(last:1){nodes{commit{oid status{context(name:"twokey/gate"){state}}}}}}}`

// linkedSubject is one side of a cross-reference or connection: an issue
// (Number 0: not selected) or a pull request.
type linkedSubject struct {
	Typename    string `json:"__typename"`
	Number      int    `json:"number"`
	State       string `json:"state"`
	Title       string `json:"title"`
	Body        string `json:"body"`
	HeadRefName string `json:"headRefName"`
	HeadRefOID  string `json:"headRefOid"`
	Repository  struct {
		NameWithOwner string `json:"nameWithOwner"`
	} `json:"repository"`
	Commits struct {
		Nodes []gqlGateState `json:"nodes"`
	} `json:"commits"`
}

// passing reports whether the latest twokey/gate status on the pull
// request's head is a success (whoever posted it): a verdict that may be
// too kind now that the brief changed, so it is judged first.
func (s linkedSubject) passing() bool {
	for _, n := range s.Commits.Nodes {
		c := n.Commit
		if strings.EqualFold(c.OID, s.HeadRefOID) && c.Status != nil && c.Status.Context != nil {
			return strings.EqualFold(c.Status.Context.State, tracker.StateSuccess)
		}
	}
	return false
}

// linkedPulls returns the open pull requests of this repository that
// GitHub's timeline of issue n says reference it or were linked to it, each
// once: those whose gate passes first (a change of the brief can make that
// verdict too kind, and anyone who can open pull requests could otherwise
// crowd one out of the run's maxRelinked with newer references), then the
// most recently referenced first; older says the timeline had more than
// the 100 latest entries read.
func (r *runner) linkedPulls(ctx context.Context, n int) (pulls []linkedSubject, older bool, err error) {
	var data struct {
		Repository struct {
			Issue *struct {
				Timeline struct {
					PageInfo struct {
						HasPreviousPage bool `json:"hasPreviousPage"`
					} `json:"pageInfo"`
					Nodes []struct {
						Source  *linkedSubject `json:"source"`
						Subject *linkedSubject `json:"subject"`
					} `json:"nodes"`
				} `json:"timelineItems"`
			} `json:"issue"`
		} `json:"repository"`
	}
	op := fmt.Sprintf("list the pull requests that reference brief #%d", n)
	_, gerrs, err := r.api.graphql(ctx, op, linkedQuery, map[string]any{"owner": r.api.owner, "name": r.api.name, "number": n}, &data)
	if err != nil {
		return nil, false, err
	}
	if len(gerrs) > 0 {
		return nil, false, fmt.Errorf("%s (GraphQL): %w: %s", op, errGraphQL, gerrs[0].Message)
	}
	is := data.Repository.Issue
	if is == nil {
		return nil, false, nil
	}
	seen := map[int]bool{}
	nodes := is.Timeline.Nodes
	for i := len(nodes) - 1; i >= 0; i-- {
		// GitHub does not document which side of a connection is the issue
		// whose timeline lists it: both are looked at.
		for _, s := range []*linkedSubject{nodes[i].Source, nodes[i].Subject} {
			if s == nil || s.Typename != "PullRequest" || s.Number == n || seen[s.Number] ||
				s.State != "OPEN" || !strings.EqualFold(s.Repository.NameWithOwner, r.api.full()) {
				continue
			}
			seen[s.Number] = true
			pulls = append(pulls, *s)
		}
	}
	slices.SortStableFunc(pulls, func(a, b linkedSubject) int {
		switch {
		case a.passing() == b.passing():
			return 0
		case a.passing():
			return -1
		}
		return 1
	})
	return pulls, is.Timeline.PageInfo.HasPreviousPage, nil
}

// issueEvent handles an issues event: it checks the brief (handleIssue),
// then judges again the open pull requests that link it, whose gate can
// depend on its answers and labels (a required kind, a freeze window's
// scope, whether it is ready). A brief just opened has none yet.
func (r *runner) issueEvent(ctx context.Context, e *github.IssuesEvent) error {
	brief, err := r.handleIssue(ctx, e.GetIssue())
	if err != nil || e.GetAction() == "opened" || e.GetIssue().IsPullRequest() {
		return err
	}
	if !brief && !r.wasBrief(e) {
		return nil
	}
	return r.relink(ctx, e.GetIssue().GetNumber())
}

// wasBrief reports whether the event made an issue stop being a brief: the
// brief label was taken off, or an edit took away a body that followed
// the form. The pull requests that link it must learn so.
func (r *runner) wasBrief(e *github.IssuesEvent) bool {
	if r.policy == nil || r.form == nil {
		return false
	}
	switch e.GetAction() {
	case "unlabeled":
		return strings.EqualFold(e.GetLabel().GetName(), r.policy.Brief.Label)
	case "edited":
		if from := e.GetChanges().GetBody().GetFrom(); from != "" {
			return tracker.LooksLikeBrief(r.form, from)
		}
	}
	return false
}

// relink judges again, with the one read of each, the open pull requests
// GitHub records as referencing brief n (cross-references from their text
// or comments, links made by hand), at most maxRelinked (passing ones
// first, see linkedPulls), writing only what changes. A pull request that
// links the brief by its branch name alone is among them once twokey has
// commented on it: the gate comment names the brief, and GitHub
// cross-references that.
//
// Cost: one request for the references, then for each pull request judged
// its read and the writes that change something.
func (r *runner) relink(ctx context.Context, n int) error {
	pulls, older, err := r.linkedPulls(ctx, n)
	if err != nil {
		return err
	}
	if len(pulls) == 0 {
		return nil
	}
	var left []int
	if len(pulls) > maxRelinked {
		for _, p := range pulls[maxRelinked:] {
			left = append(left, p.Number)
		}
		pulls = pulls[:maxRelinked]
	}
	var (
		lines []string
		errs  []error
	)
	for _, p := range pulls {
		v, err := r.judgePull(ctx, p.Number, linkHint{title: p.Title, body: p.Body, branch: p.HeadRefName}, nil)
		switch {
		case err != nil:
			var ce *configError
			if errors.As(err, &ce) || errors.Is(err, errReadOnly) {
				return err // the same for every pull request
			}
			errs = append(errs, fmt.Errorf("pull request #%d, which links brief #%d: %w", p.Number, n, err))
			lines = append(lines, fmt.Sprintf("- #%d: could not judge it (see the error)", p.Number))
		case v == nil:
			lines = append(lines, fmt.Sprintf("- #%d: its head moved during the read; the run for that push judges it", p.Number))
		default:
			lines = append(lines, fmt.Sprintf("- #%d: %s (%s)", p.Number, v.State, v.Description()))
		}
	}
	summary := fmt.Sprintf("## twokey: pull requests that link brief #%d, judged again\n\n%s\n", n, strings.Join(lines, "\n"))
	if len(left) > 0 {
		r.warn("brief #%d: %d more open pull requests reference it than one run judges again (%d): %s are judged on their next event", n, len(left), maxRelinked, numberList(left))
		summary += fmt.Sprintf("\nNot judged on this run (at most %d a run): %s\n", maxRelinked, numberList(left))
	}
	if older {
		summary += "\nOnly the latest 100 references on the brief's timeline were read.\n"
	}
	if err := r.pub.summary(summary); err != nil {
		return err
	}
	return errors.Join(errs...)
}
