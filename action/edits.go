package action

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// editsQuery asks, by node id, who wrote twokey's comment and who last
// edited it, and when each review that could sign off was submitted and last
// edited. The REST API says neither: it does not say who edited a comment,
// and a review has no updated_at. Anyone with write access to the repository
// can edit others' comments and review texts (any workflow's GITHUB_TOKEN
// with issues or pull-requests: write among them). With GITHUB_TOKEN the
// comment check cannot tell twokey from another workflow (both are
// github-actions[bot]); it stops people and other Apps, and an App token
// makes it whole.
const editsQuery = `query($ids:[ID!]!){nodes(ids:$ids){__typename ... on IssueComment{id author{login} editor{login}} ... on PullRequestReview{id submittedAt lastEditedAt}}}`

// maxNodes is how many node ids GitHub's nodes(ids:) takes at once.
const maxNodes = 100

type editsNode struct {
	Typename     string                  `json:"__typename"`
	ID           string                  `json:"id"`
	Author       *struct{ Login string } `json:"author"`
	Editor       *struct{ Login string } `json:"editor"`
	SubmittedAt  *time.Time              `json:"submittedAt"`
	LastEditedAt *time.Time              `json:"lastEditedAt"`
}

type editsAnswer struct {
	Data *struct {
		Nodes []*editsNode `json:"nodes"`
	} `json:"data"`
	Errors []gqlError `json:"errors"`
}

// edits is what the edits query told.
type edits struct {
	// stickyEditor is who last edited twokey's comment when that was not
	// its author ("" when nobody else did, or no comment was asked about).
	stickyEditor string
	// reviews holds the ids of reviews whose text was edited after they
	// were submitted.
	reviews map[int64]bool
}

// signingReview reports whether review rv could sign off, bypass or waive
// the brief, so that an edit of its text matters: an approval (its text may
// name the kinds it signs) or a review whose text has a command (waive is
// the policy's link waive command, "" for none).
func signingReview(rv *github.PullRequestReview, waive string) bool {
	if rv.GetState() == "APPROVED" || bindable(rv.GetBody()) {
		return true
	}
	return waive != "" && strings.Contains(strings.ToLower(rv.GetBody()), strings.ToLower(waive))
}

// edits asks who last edited twokey's comment sticky (nil: do not ask) and
// which of reviews were edited after they were submitted, in one request
// per 100 of them. An answer twokey cannot use is an error: the caller
// cannot tell an edited text from the one that was signed.
func (g *repoAPI) edits(ctx context.Context, sticky *github.IssueComment, reviews []*github.PullRequestReview) (edits, error) {
	out := edits{reviews: map[int64]bool{}}
	var ids []string
	if sticky != nil {
		if sticky.GetNodeID() == "" {
			return out, fmt.Errorf("comment %d has no node_id", sticky.GetID())
		}
		ids = append(ids, sticky.GetNodeID())
	}
	byNode := map[string]*github.PullRequestReview{}
	for _, rv := range reviews {
		if rv.GetNodeID() == "" {
			return out, fmt.Errorf("review %d has no node_id", rv.GetID())
		}
		byNode[rv.GetNodeID()] = rv
		ids = append(ids, rv.GetNodeID())
	}
	// GraphQL names a bot without REST's "[bot]".
	norm := func(l string) string { return strings.ToLower(strings.TrimSuffix(l, "[bot]")) }
	for len(ids) > 0 {
		n := min(len(ids), maxNodes)
		nodes, err := g.nodes(ctx, ids[:n])
		if err != nil {
			return out, err
		}
		for i, node := range nodes {
			id := ids[i]
			if sticky != nil && id == sticky.GetNodeID() {
				if node.Author == nil {
					return out, fmt.Errorf("read who edited comment %d (GraphQL): %w: no author in the answer", sticky.GetID(), errGraphQL)
				}
				if node.Editor != nil && norm(node.Editor.Login) != norm(node.Author.Login) {
					out.stickyEditor = node.Editor.Login
				}
				continue
			}
			rv := byNode[id]
			if node.SubmittedAt == nil {
				return out, fmt.Errorf("read whether review %d was edited (GraphQL): %w: no submittedAt in the answer", rv.GetID(), errGraphQL)
			}
			// An edit in the second of submitting is the submission itself.
			if node.LastEditedAt != nil && node.LastEditedAt.Sub(*node.SubmittedAt) > time.Second {
				out.reviews[rv.GetID()] = true
			}
		}
		ids = ids[n:]
	}
	return out, nil
}

// nodes runs the edits query for ids (at most maxNodes) and returns the
// nodes in the order of ids.
func (g *repoAPI) nodes(ctx context.Context, ids []string) ([]*editsNode, error) {
	body := map[string]any{"query": editsQuery, "variables": map[string]any{"ids": ids}}
	req, err := g.c.NewRequest(http.MethodPost, graphQLURL(g.c.BaseURL), body)
	if err != nil {
		return nil, err
	}
	var ans editsAnswer
	resp, err := g.c.Do(ctx, req, &ans)
	if err != nil {
		return nil, apiError("read who edited twokey's comment and the reviews (GraphQL)", err)
	}
	if len(ans.Errors) > 0 {
		for _, e := range ans.Errors {
			if e.Type == "RATE_LIMITED" {
				return nil, &RateLimitError{Reset: rateReset(resp.Header)}
			}
		}
		return nil, fmt.Errorf("read who edited twokey's comment and the reviews (GraphQL): %w: %s", errGraphQL, ans.Errors[0].Message)
	}
	if ans.Data == nil || len(ans.Data.Nodes) != len(ids) {
		return nil, fmt.Errorf("read who edited twokey's comment and the reviews (GraphQL): %w: %d nodes for %d ids", errGraphQL, nodeCount(ans), len(ids))
	}
	for i, n := range ans.Data.Nodes {
		if n == nil || n.ID != ids[i] {
			return nil, fmt.Errorf("read who edited twokey's comment and the reviews (GraphQL): %w: no node for %s", errGraphQL, ids[i])
		}
	}
	return ans.Data.Nodes, nil
}

func nodeCount(a editsAnswer) int {
	if a.Data == nil {
		return 0
	}
	return len(a.Data.Nodes)
}
