package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

// repoAPI is the go-github adapter for one repository: every call twokey makes,
// paginated, with errors that name what failed.
type repoAPI struct {
	c           *github.Client
	owner, name string
	retried     bool // a GraphQL error answer was asked again once this run
	// configDate is GitHub's clock when it answered the read of the policy
	// and form (the Date of its answer; zero when it had none).
	configDate time.Time
}

func (g *repoAPI) full() string { return g.owner + "/" + g.name }

// contents returns the file at path on ref; found is false on 404.
func (g *repoAPI) contents(ctx context.Context, path, ref string) (data []byte, found bool, err error) {
	fc, _, _, err := g.c.Repositories.GetContents(ctx, g.owner, g.name, path, &github.RepositoryContentGetOptions{Ref: ref})
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, apiError(fmt.Sprintf("read %s at %s of %s", path, ref, g.full()), err)
	}
	if fc == nil {
		return nil, false, fmt.Errorf("read %s at %s of %s: it is a directory, not a file", path, ref, g.full())
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, false, fmt.Errorf("read %s at %s of %s: %w", path, ref, g.full(), err)
	}
	return []byte(s), true, nil
}

func (g *repoAPI) issue(ctx context.Context, n int) (*github.Issue, error) {
	is, _, err := g.c.Issues.Get(ctx, g.owner, g.name, n)
	return is, apiError(fmt.Sprintf("get issue #%d of %s", n, g.full()), err)
}

func (g *repoAPI) pull(ctx context.Context, n int) (*github.PullRequest, error) {
	pr, _, err := g.pullAt(ctx, n)
	return pr, err
}

// pullAt is pull with GitHub's clock: the Date of the answer (zero when the
// header is missing or unreadable).
func (g *repoAPI) pullAt(ctx context.Context, n int) (*github.PullRequest, time.Time, error) {
	pr, resp, err := g.c.PullRequests.Get(ctx, g.owner, g.name, n)
	if err != nil {
		return nil, time.Time{}, apiError(fmt.Sprintf("get pull request #%d of %s", n, g.full()), err)
	}
	var at time.Time
	if resp != nil {
		at, _ = http.ParseTime(resp.Header.Get("Date"))
	}
	return pr, at, nil
}

func (g *repoAPI) comments(ctx context.Context, n int) ([]*github.IssueComment, error) {
	var out []*github.IssueComment
	opt := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := g.c.Issues.ListComments(ctx, g.owner, g.name, n, opt)
		if err != nil {
			return nil, apiError(fmt.Sprintf("list comments of #%d of %s", n, g.full()), err)
		}
		out = append(out, cs...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// setLabels makes the owned labels on issue n equal to want: it adds the
// wanted labels that are missing (one call) and removes the owned ones that
// are not wanted (one call each), leaving every other label alone. have is
// the issue's current labels. Nothing is called when nothing changes.
func (g *repoAPI) setLabels(ctx context.Context, n int, have, want, owned []string) (changed bool, err error) {
	var add, remove []string
	for _, l := range want {
		if !containsFold(have, l) && !containsFold(add, l) {
			add = append(add, l)
		}
	}
	for _, l := range owned {
		if containsFold(have, l) && !containsFold(want, l) {
			remove = append(remove, l)
		}
	}
	if len(add) > 0 {
		if _, _, err := g.c.Issues.AddLabelsToIssue(ctx, g.owner, g.name, n, add); err != nil {
			return false, apiError(fmt.Sprintf("add labels %s to #%d of %s", quoteList(add), n, g.full()), err)
		}
	}
	for _, l := range remove {
		// go-github v60 does not escape the name: "area/api" would be two
		// path segments, "kind:bug?" would start a query.
		_, err := g.c.Issues.RemoveLabelForIssue(ctx, g.owner, g.name, n, url.PathEscape(l))
		if err != nil && !isNotFound(err) { // already gone: fine
			return false, apiError(fmt.Sprintf("remove label %q from #%d of %s", l, n, g.full()), err)
		}
	}
	return len(add)+len(remove) > 0, nil
}

func (g *repoAPI) createComment(ctx context.Context, n int, body string) (*github.IssueComment, error) {
	c, _, err := g.c.Issues.CreateComment(once(ctx), g.owner, g.name, n, &github.IssueComment{Body: github.String(body)})
	var broken *url.Error
	if err != nil && (statusOf(err) >= 500 || errors.As(err, &broken)) {
		// Not retried: GitHub may have created it. A re-run finds it.
		return nil, apiError(fmt.Sprintf("comment on #%d of %s (GitHub may have posted it anyway: re-run the job, which finds and updates it)", n, g.full()), err)
	}
	return c, apiError(fmt.Sprintf("comment on #%d of %s", n, g.full()), err)
}

func (g *repoAPI) editComment(ctx context.Context, id int64, body string) error {
	_, _, err := g.c.Issues.EditComment(ctx, g.owner, g.name, id, &github.IssueComment{Body: github.String(body)})
	return apiError(fmt.Sprintf("update comment %d of %s", id, g.full()), err)
}

func (g *repoAPI) createStatus(ctx context.Context, sha string, st *github.RepoStatus) error {
	_, _, err := g.c.Repositories.CreateStatus(ctx, g.owner, g.name, sha, st)
	return apiError(fmt.Sprintf("set status %s on %s of %s", st.GetContext(), shortSHA(sha), g.full()), err)
}

// statuses lists the statuses on commit sha, newest first (the first 100).
func (g *repoAPI) statuses(ctx context.Context, sha string) ([]*github.RepoStatus, error) {
	sts, _, err := g.c.Repositories.ListStatuses(ctx, g.owner, g.name, sha, &github.ListOptions{PerPage: 100})
	return sts, apiError(fmt.Sprintf("list statuses of %s of %s", shortSHA(sha), g.full()), err)
}

// commitPulls returns the pull requests that contain commit sha.
func (g *repoAPI) commitPulls(ctx context.Context, sha string) ([]*github.PullRequest, error) {
	prs, _, err := g.c.PullRequests.ListPullRequestsWithCommit(ctx, g.owner, g.name, sha, &github.ListOptions{PerPage: 100})
	return prs, apiError(fmt.Sprintf("list pull requests of commit %s of %s", shortSHA(sha), g.full()), err)
}

// compareFiles lists the files changed between base and head as GitHub's
// three-dot compare gives them (the pull request's diff, named by its head
// commit), with the previous names of renamed files. complete is false when
// GitHub listed fewer files than the diff has (it lists at most 300).
func (g *repoAPI) compareFiles(ctx context.Context, base, head string) (paths []string, complete bool, err error) {
	cmp, _, err := g.c.Repositories.CompareCommits(ctx, g.owner, g.name, base, head, &github.ListOptions{PerPage: 100})
	if err != nil {
		return nil, false, apiError(fmt.Sprintf("compare %s...%s of %s", shortSHA(base), shortSHA(head), g.full()), err)
	}
	for _, f := range cmp.Files {
		paths = append(paths, f.GetFilename())
		if p := f.GetPreviousFilename(); p != "" {
			paths = append(paths, p)
		}
	}
	return paths, len(cmp.Files) < 300, nil
}

// directory implements tracker.Directory over a pull request's read and the
// API, caching every answer for the run (a run judges one pull request;
// answers do not change under it).
type directory struct {
	api *repoAPI
	rd  *pullRead
	// teams are the teams the policy names: the first question about a team
	// the read did not include reads all of them in one request.
	teams []string
	mu    sync.Mutex
	perms map[string]string
}

func newDirectory(api *repoAPI, rd *pullRead) *directory {
	if rd == nil {
		rd = &pullRead{teams: map[string]*teamList{}, canPush: map[string]bool{}}
	}
	return &directory{api: api, rd: rd, perms: map[string]string{}}
}

// IsMember reports whether login is an active member of team (org/slug).
//
// Team members come through GraphQL with the pull request's read or, for
// teams it did not include, in one more request for every team the policy
// names. GitHub answers null for a team the token cannot see (GITHUB_TOKEN
// never can): that is tracker.ErrTeamUnreadable, and the gate stays pending
// with a message about the token. A team of more than 100 members is asked
// about a login beyond the first page through the REST membership API.
func (d *directory) IsMember(ctx context.Context, team, login string) (bool, error) {
	key := strings.ToLower(team)
	d.mu.Lock()
	l, ok := d.rd.teams[key]
	d.mu.Unlock()
	if !ok {
		want := []string{team}
		for _, t := range d.teams {
			if _, read := d.rd.teams[strings.ToLower(t)]; !read && !containsFold(want, t) {
				want = append(want, t)
			}
		}
		if err := d.api.readExtra(ctx, d.rd, nil, want); err != nil {
			return false, err
		}
		d.mu.Lock()
		l = d.rd.teams[key]
		d.mu.Unlock()
		if l == nil {
			return false, fmt.Errorf("team @%s: GitHub's answer did not include it", team)
		}
	}
	switch {
	case l.err != nil:
		return false, l.err
	case l.members[strings.ToLower(login)]:
		return true, nil
	case l.complete:
		return false, nil
	}
	org, slug, _ := strings.Cut(team, "/")
	m, _, err := d.api.c.Teams.GetTeamMembershipBySlug(ctx, org, slug, login)
	switch {
	case err == nil:
		return m.GetState() == "active", nil
	case isNotFound(err):
		return false, nil // the team is readable: 404 is "not a member"
	}
	return false, apiError(fmt.Sprintf("read membership of %s in team @%s", login, team), err)
}

// teamList is the first page of a team's members.
type teamList struct {
	members  map[string]bool // lower-cased logins
	complete bool            // the page holds every member
	err      error           // the team is unreadable (wraps tracker.ErrTeamUnreadable)
}

// CanPush reports whether login can push to the repository when a review
// of theirs on this pull request says so (GitHub writes
// authorCanPushToRepository on each review): a kind whose permission is
// write needs no further request for them.
func (d *directory) CanPush(login string) (can, known bool) {
	can, known = d.rd.canPush[strings.ToLower(login)]
	return can, known
}

// Permission returns login's permission on the repository.
func (d *directory) Permission(ctx context.Context, login string) (string, error) {
	key := strings.ToLower(login)
	d.mu.Lock()
	p, ok := d.perms[key]
	d.mu.Unlock()
	if ok {
		return p, nil
	}
	pl, _, err := d.api.c.Repositories.GetPermissionLevel(ctx, d.api.owner, d.api.name, login)
	switch {
	case isNotFound(err):
		p = "none"
	case err != nil:
		return "", apiError(fmt.Sprintf("read the permission of %s on %s", login, d.api.full()), err)
	default:
		p = pl.GetPermission()
		// v60's legacy field maps maintain to write and triage to read; the
		// user's permissions map keeps them apart.
		if perms := pl.GetUser().GetPermissions(); perms != nil {
			for _, name := range []string{"admin", "maintain", "push", "triage", "pull"} {
				if perms[name] {
					p = map[string]string{"push": "write", "pull": "read"}[name]
					if p == "" {
						p = name
					}
					break
				}
			}
		}
	}
	d.mu.Lock()
	d.perms[key] = p
	d.mu.Unlock()
	return p, nil
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// errReadOnly marks a write refused because the token is read-only.
var errReadOnly = errors.New("the token is read-only")
