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

// Teams are read through GraphQL, all those the policy names in one request
// on the first question; a login beyond the first 100 members is looked up
// on its own; a team the token cannot read is tracker.ErrTeamUnreadable, and
// a readable team that does not have the login is a plain no.
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
	d := newDirectory(&repoAPI{c: c, owner: "acme", name: "site"}, nil)
	d.teams = []string{"acme/ux", "acme/all"}
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
		"/graphql",                              // both teams
		"/orgs/acme/teams/all/memberships/m149", // beyond the first page
		"/orgs/acme/teams/all/memberships/nobody",
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	if _, err := ask("acme/secret", "uma"); !errors.Is(err, tracker.ErrTeamUnreadable) || !strings.Contains(err.Error(), "Members: read") {
		t.Errorf("IsMember(unreadable team) err = %v; want tracker.ErrTeamUnreadable naming Members: read", err)
	}
	gh.Fail(fakegithub.ServerError("/graphql", 10, http.StatusBadGateway))
	if _, err := ask("acme/flaky", "uma"); err == nil || errors.Is(err, tracker.ErrTeamUnreadable) {
		t.Errorf("IsMember(team failing with 502) err = %v; want an API error, not unreadable", err)
	}
}
