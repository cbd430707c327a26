package action

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// maxLanded bounds how many commits of a rebase merge a record names.
const maxLanded = 250

// landed tells how pull request pr was merged into commit (the
// merge_commit_sha): "merge" when commit has two parents; "rebase" when
// commit is the pull request's last commit replayed (same author date and
// message), and then the other replayed commits, newest first, that landed
// before it on the base branch; else "squash". Two requests up to 100
// commits (the pull request's commits and the history from commit), one more
// each per 100 after that, up to maxLanded.
func (r *runner) landed(ctx context.Context, pr *github.PullRequest, commit string) (method string, others []string, err error) {
	n := pr.GetCommits()
	if n <= 0 || n > maxLanded {
		n = maxLanded
	}
	// The first page says whether commit is a merge; later pages are read
	// only for a rebase of more than a page of commits.
	hist, err := r.listUpTo(n, func(o github.ListOptions) ([]*github.RepositoryCommit, *github.Response, error) {
		return r.api.c.Repositories.ListCommits(ctx, r.api.owner, r.api.name, &github.CommitsListOptions{SHA: commit, ListOptions: o})
	})
	if err != nil {
		return "", nil, apiError(fmt.Sprintf("list the history from %s", shortSHA(commit)), err)
	}
	if len(hist) == 0 || hist[0].GetSHA() != commit {
		return "", nil, fmt.Errorf("list the history from %s: GitHub did not start at that commit", shortSHA(commit))
	}
	if len(hist[0].Parents) >= 2 {
		return "merge", nil, nil
	}
	own, err := r.listUpTo(maxLanded, func(o github.ListOptions) ([]*github.RepositoryCommit, *github.Response, error) {
		return r.api.c.PullRequests.ListCommits(ctx, r.api.owner, r.api.name, pr.GetNumber(), &o)
	})
	if err != nil {
		return "", nil, apiError(fmt.Sprintf("list the commits of pull request #%d", pr.GetNumber()), err)
	}
	same := func(a, b *github.RepositoryCommit) bool {
		return a.GetCommit().GetMessage() == b.GetCommit().GetMessage() &&
			a.GetCommit().GetAuthor().GetDate().Time.Equal(b.GetCommit().GetAuthor().GetDate().Time) &&
			a.GetCommit().GetAuthor().GetEmail() == b.GetCommit().GetAuthor().GetEmail()
	}
	// Rebased, the pull request's commits are replayed in order on the base:
	// the history from commit is its commits, newest first.
	for i := range own {
		j := len(own) - 1 - i
		if i >= len(hist) || !same(hist[i], own[j]) {
			if i == 0 {
				return "squash", nil, nil
			}
			break
		}
		if i > 0 {
			others = append(others, hist[i].GetSHA())
		}
	}
	return "rebase", others, nil
}

// listUpTo reads pages of 100 from list until it has n items or there is no
// next page.
func (r *runner) listUpTo(n int, list func(github.ListOptions) ([]*github.RepositoryCommit, *github.Response, error)) ([]*github.RepositoryCommit, error) {
	var out []*github.RepositoryCommit
	o := github.ListOptions{PerPage: min(n, 100)}
	for {
		page, resp, err := list(o)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(out) >= n || resp == nil || resp.NextPage == 0 {
			if len(out) > n {
				out = out[:n]
			}
			return out, nil
		}
		o.Page = resp.NextPage
	}
}
