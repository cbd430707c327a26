package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/tracker"
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

// A team's members are listed once per run: many reviewers cost one request
// per team; a login beyond the first page is looked up on its own; a team the
// token cannot read is tracker.ErrTeamUnreadable, and a readable team that
// does not have the login is a plain no.
func TestDirectoryIsMember(t *testing.T) {
	gh := fakegithub.New(t)
	gh.Repo(testRepo)
	gh.SetTeamMember("acme/ux", "uma", "active")
	gh.SetTeamMember("acme/ux", "ulf", "active")
	gh.SetTeamMember("acme/ux", "invited", "pending")
	for i := range 150 {
		gh.SetTeamMember("acme/all", fmt.Sprintf("m%03d", i), "active")
	}
	c, err := newClient(clientOptions{apiURL: gh.URL, token: "ghs_test", sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	d := newDirectory(&repoAPI{c: c, owner: "acme", name: "site"})
	ctx := context.Background()
	ask := func(team, login string) (bool, error) {
		t.Helper()
		return d.IsMember(ctx, team, login)
	}

	for _, tc := range []struct {
		team, login string
		want        bool
	}{
		{"acme/ux", "uma", true}, {"acme/ux", "ULF", true}, {"acme/ux", "wes", false}, {"acme/ux", "invited", false},
		{"acme/all", "m000", true}, {"acme/all", "m149", true}, {"acme/all", "nobody", false},
	} {
		if got, err := ask(tc.team, tc.login); got != tc.want || err != nil {
			t.Errorf("IsMember(%s, %s) = %v, %v; want %v, nil", tc.team, tc.login, got, err, tc.want)
		}
	}
	var paths []string
	for _, r := range gh.Requests() {
		paths = append(paths, r.Path)
	}
	want := []string{
		"/orgs/acme/teams/ux/members",
		"/orgs/acme/teams/all/members",
		"/orgs/acme/teams/all/memberships/m149", // beyond the first page
		"/orgs/acme/teams/all/memberships/nobody",
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	if _, err := ask("acme/secret", "uma"); !errors.Is(err, tracker.ErrTeamUnreadable) || !strings.Contains(err.Error(), "Members: read") {
		t.Errorf("IsMember(unreadable team) err = %v; want tracker.ErrTeamUnreadable naming Members: read", err)
	}
	gh.Fail(fakegithub.ServerError("/orgs/acme/teams/flaky/members", 10, http.StatusBadGateway))
	if _, err := ask("acme/flaky", "uma"); err == nil || errors.Is(err, tracker.ErrTeamUnreadable) {
		t.Errorf("IsMember(team failing with 502) err = %v; want an API error, not unreadable", err)
	}
}
