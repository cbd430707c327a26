package action

import (
	"fmt"
	"strings"
	"testing"

	"github.com/twokey/twokey/internal/fakegithub"
)

// TestQueriesMatchGitHubsSchema validates every GraphQL document twokey
// sends against GitHub's published schema (shared/reference/github-graphql,
// embedded in the fake): a field, argument or enum value GitHub does not
// have fails here, not in a run on GitHub. The fake validates every query
// it is sent too; this test also covers the shapes no other test sends.
func TestQueriesMatchGitHubsSchema(t *testing.T) {
	g := &repoAPI{owner: "acme", name: "site"}
	extras := func(briefs []int, teams []string) (string, string, string) {
		return g.extras(briefs, teams, map[string]any{})
	}
	var docs = map[string]string{"config": configQuery, "viewer": `query{viewer{login}}`, "open pull requests": openQuery, "open briefs": briefsQuery, "linked pull requests": linkedQuery}
	d, r, s := extras(nil, nil)
	docs["pull"] = fmt.Sprintf(pullQuery, d, r, s)
	d, r, s = extras([]int{1, 12}, []string{"acme/ux", "acme/platform"})
	docs["pull with briefs and teams"] = fmt.Sprintf(pullQuery, d, r, s)
	docs["extra"] = fmt.Sprintf(extraQuery, d, r, s)
	for _, c := range []string{
		"files(first:100,after:$after){totalCount pageInfo{hasNextPage endCursor} nodes{path changeType}}",
		"reviews(first:100,after:$after){pageInfo{hasNextPage endCursor} nodes{...review}}",
		"comments(first:100,after:$after){pageInfo{hasNextPage endCursor} nodes{...comment}}",
		"timelineItems(first:100,after:$after,itemTypes:[" + timelineTypes + "]){pageInfo{hasNextPage endCursor} nodes{...event}}",
	} {
		docs["page "+c[:strings.IndexByte(c, '(')]] = fmt.Sprintf(pageQuery, c)
	}
	for name, q := range docs {
		if err := fakegithub.ValidateQuery(withFragments(q)); err != nil {
			t.Errorf("%s query: %v\n%s", name, err, withFragments(q))
		}
	}
	// A field GitHub does not have is refused: the check can fail.
	if err := fakegithub.ValidateQuery(`query{viewer{login pushedAt}}`); err == nil {
		t.Error("ValidateQuery accepted a field GitHub does not have")
	}
}
