package action

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// editorQuery asks who wrote a comment and who last edited it. The REST API
// does not say who edited a comment, and anyone with write access to the
// repository (any workflow's GITHUB_TOKEN with issues or pull-requests:
// write among them) can edit twokey's. With GITHUB_TOKEN the check cannot
// tell twokey from another workflow (both are github-actions[bot]); it stops
// people and other Apps, and an App token makes it whole.
const editorQuery = `query($id:ID!){node(id:$id){... on IssueComment{author{login} editor{login}}}}`

type editorAnswer struct {
	Data *struct {
		Node *struct {
			Author *struct{ Login string } `json:"author"`
			Editor *struct{ Login string } `json:"editor"`
		} `json:"node"`
	} `json:"data"`
	Errors []gqlError `json:"errors"`
}

// editedByOther reports whether comment c was last edited by someone other
// than its author: twokey's state in it is then not twokey's. An answer
// twokey cannot use is an error (the caller distrusts the state).
func (g *repoAPI) editedByOther(ctx context.Context, c *github.IssueComment) (editor string, other bool, err error) {
	if c.GetNodeID() == "" {
		return "", false, fmt.Errorf("comment %d has no node_id", c.GetID())
	}
	body := map[string]any{"query": editorQuery, "variables": map[string]string{"id": c.GetNodeID()}}
	req, err := g.c.NewRequest(http.MethodPost, graphQLURL(g.c.BaseURL), body)
	if err != nil {
		return "", false, err
	}
	var ans editorAnswer
	resp, err := g.c.Do(ctx, req, &ans)
	if err != nil {
		return "", false, apiError(fmt.Sprintf("read who edited comment %d (GraphQL)", c.GetID()), err)
	}
	if len(ans.Errors) > 0 {
		for _, e := range ans.Errors {
			if e.Type == "RATE_LIMITED" {
				return "", false, &RateLimitError{Reset: rateReset(resp.Header)}
			}
		}
		return "", false, fmt.Errorf("read who edited comment %d (GraphQL): %w: %s", c.GetID(), errGraphQL, ans.Errors[0].Message)
	}
	if ans.Data == nil || ans.Data.Node == nil || ans.Data.Node.Author == nil {
		return "", false, fmt.Errorf("read who edited comment %d (GraphQL): %w: no comment in the answer", c.GetID(), errGraphQL)
	}
	n := ans.Data.Node
	if n.Editor == nil {
		return "", false, nil
	}
	// GraphQL names a bot without REST's "[bot]".
	norm := func(l string) string { return strings.ToLower(strings.TrimSuffix(l, "[bot]")) }
	return n.Editor.Login, norm(n.Editor.Login) != norm(n.Author.Login), nil
}
