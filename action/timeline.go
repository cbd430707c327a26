package action

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/twokey/twokey/tracker"
)

// TimelineConfig is what ReadTimelines needs: where GitHub is, a token and
// the repository.
type TimelineConfig struct {
	// APIURL is GitHub's REST API (default https://api.github.com).
	APIURL string
	// Token reads the repository's contents and issues (and pull requests,
	// for records without opened_at).
	Token string
	// Repo is owner/name.
	Repo string
	// PolicyPath overrides where the policy lives on the default branch
	// (default .github/twokey.yml): its brief.labels.ready names the label
	// that says a brief is ready.
	PolicyPath string
	// HTTPClient, Sleep, Now and RetryBudget are as in Config.
	HTTPClient  *http.Client
	Sleep       func(ctx context.Context, d time.Duration) error
	Now         func() time.Time
	RetryBudget time.Duration
}

// Timelines is what GitHub says about briefs and pull requests that merge
// records do not hold.
type Timelines struct {
	// ReadyLabel is the policy's ready label, which the briefs' events were
	// searched for.
	ReadyLabel string
	// Briefs are when each brief was filed and first labelled ready; a brief
	// GitHub does not show (deleted, transferred, not readable) is absent.
	Briefs map[int]tracker.BriefTimeline
	// Opened are when the pull requests were opened (created_at), by number;
	// one GitHub does not show is absent.
	Opened map[int]time.Time
	// Requests counts the requests made.
	Requests int
}

// ReadTimelines reads from GitHub, for twokey report, when each of briefs
// was filed and first became ready (its first labeled event with the
// policy's ready label, by anyone), and when each of pulls was opened. It
// costs two requests, the repository and the policy, then one per pull
// request and two per brief (the issue and a page of up to 100 of its
// events; more pages only until the ready label is found). It changes
// nothing on GitHub.
func ReadTimelines(ctx context.Context, cfg TimelineConfig, briefs, pulls []int) (*Timelines, error) {
	owner, name, err := splitRepo(cfg.Repo)
	if err != nil {
		return nil, err
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// Every attempt is counted, retries included: beneath the retries.
	var requests int
	var base http.RoundTripper
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 30 * time.Second // as newClient's own
		base = tr
	}
	hc := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		requests++
		return base.RoundTrip(req)
	})}
	if cfg.HTTPClient != nil {
		hc.Timeout = cfg.HTTPClient.Timeout
	}
	c, err := newClient(clientOptions{apiURL: cfg.APIURL, token: cfg.Token, http: hc, sleep: cfg.Sleep, now: cfg.Now, budget: cfg.RetryBudget})
	if err != nil {
		return nil, err
	}
	inputs := map[string]string{"INPUT_POLICY_PATH": cfg.PolicyPath}
	r := &runner{
		cfg:   Config{Getenv: func(k string) string { return inputs[k] }, Now: cfg.Now, Sleep: cfg.Sleep},
		api:   &repoAPI{c: c, owner: owner, name: name},
		token: cfg.Token,
	}
	repo, _, err := c.Repositories.Get(ctx, owner, name)
	if err != nil {
		return nil, explainTimelines(apiError("get repository "+cfg.Repo, err), cfg.Repo)
	}
	r.setDefaultBranch(repo)
	p, err := r.loadPolicy(ctx)
	if err != nil {
		return nil, explainTimelines(err, cfg.Repo)
	}
	t := &Timelines{ReadyLabel: p.Brief.Labels.Ready, Briefs: map[int]tracker.BriefTimeline{}, Opened: map[int]time.Time{}}
	for _, n := range pulls {
		pr, _, err := c.PullRequests.Get(ctx, owner, name, n)
		if statusOf(err) == http.StatusNotFound {
			continue
		}
		if err != nil {
			return nil, explainTimelines(apiError(fmt.Sprintf("get pull request #%d", n), err), cfg.Repo)
		}
		if at := pr.GetCreatedAt().Time; !at.IsZero() {
			t.Opened[n] = at
		}
	}
	for _, n := range briefs {
		tl, found, err := briefTimeline(ctx, c, owner, name, n, t.ReadyLabel)
		if err != nil {
			return nil, explainTimelines(err, cfg.Repo)
		}
		if found {
			t.Briefs[n] = tl
		}
	}
	t.Requests = requests
	return t, nil
}

// briefTimeline reads when issue n was filed and first labelled ready.
func briefTimeline(ctx context.Context, c *github.Client, owner, name string, n int, ready string) (tracker.BriefTimeline, bool, error) {
	is, _, err := c.Issues.Get(ctx, owner, name, n)
	if statusOf(err) == http.StatusNotFound || statusOf(err) == http.StatusGone {
		return tracker.BriefTimeline{}, false, nil
	}
	if err != nil {
		return tracker.BriefTimeline{}, false, apiError(fmt.Sprintf("get brief #%d", n), err)
	}
	tl := tracker.BriefTimeline{Filed: is.GetCreatedAt().Time}
	opt := &github.ListOptions{PerPage: 100}
	for {
		evs, resp, err := c.Issues.ListIssueEvents(ctx, owner, name, n, opt)
		if err != nil {
			return tracker.BriefTimeline{}, false, apiError(fmt.Sprintf("list the events of brief #%d", n), err)
		}
		for _, e := range evs { // oldest first
			if e.GetEvent() == "labeled" && strings.EqualFold(e.GetLabel().GetName(), ready) {
				tl.Ready = e.GetCreatedAt().Time
				return tl, true, nil
			}
		}
		if resp.NextPage == 0 {
			return tl, true, nil
		}
		opt.Page = resp.NextPage
	}
}

// explainTimelines adds what to do to the errors a person meets most.
func explainTimelines(err error, repo string) error {
	switch statusOf(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w\nGitHub refused the token: set GH_TOKEN to a valid token or run 'gh auth login'", err)
	case http.StatusNotFound:
		return fmt.Errorf("%w\n%s does not exist, or the token cannot read it (a private repository needs the repo scope, or contents, issues and pull requests read access)", err, repo)
	}
	return err
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
