package action

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twokey/twokey/internal/fakegithub"
)

// Tree keeps Directory's contract: a commit GitHub no longer has (404, or
// 422 "No commit found") has tree "" and no error, so a sign-off on it is
// stale; other failures are errors.
func TestDirectoryTreeOfAGoneCommit(t *testing.T) {
	gh := fakegithub.New(t)
	gh.Repo(testRepo)
	gh.SetTree(testRepo, sha1A, "tree-a")
	c, err := newClient(clientOptions{apiURL: gh.URL, token: "ghs_test", sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	owner, name, _ := strings.Cut(testRepo, "/")
	d := newDirectory(&repoAPI{c: c, owner: owner, name: name})
	ctx := context.Background()

	if got, err := d.Tree(ctx, sha1A); got != "tree-a" || err != nil {
		t.Errorf("Tree(known) = %q, %v; want tree-a", got, err)
	}
	gone := strings.Repeat("d", 40)
	if got, err := d.Tree(ctx, gone); got != "" || err != nil {
		t.Errorf("Tree(404) = %q, %v; want \"\", nil", got, err)
	}
	unprocessable := strings.Repeat("e", 40)
	gh.Fail(fakegithub.Fault{Path: "/repos/acme/site/git/commits/" + unprocessable, Times: 1, Status: http.StatusUnprocessableEntity,
		Body: `{"message":"No commit found for SHA: ` + unprocessable + `","documentation_url":"https://docs.github.com/rest/git/commits#get-a-commit-object"}`})
	if got, err := d.Tree(ctx, unprocessable); got != "" || err != nil {
		t.Errorf("Tree(422) = %q, %v; want \"\", nil", got, err)
	}
	broken := strings.Repeat("f", 40)
	gh.Fail(fakegithub.Fault{Path: "/repos/acme/site/git/commits/" + broken, Times: 1, Status: http.StatusForbidden,
		Body: `{"message":"Resource not accessible by integration"}`})
	if _, err := d.Tree(ctx, broken); err == nil || !strings.Contains(err.Error(), "read commit ffffff") {
		t.Errorf("Tree(403) err = %v; want an error naming the commit", err)
	}
}
