package action

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/twokey/twokey/tracker"
)

// VerifyBatch is how many pull requests one verifying GraphQL query asks
// about: 1,000 records of as many pull requests in one repository cost 20
// requests.
const VerifyBatch = 50

// verifyFragment is what a verifying query reads of each pull request.
const verifyFragment = `fragment twokeyRecord on PullRequest{number merged mergedAt mergedBy{login} mergeCommit{oid} headRefOid baseRefName ` +
	`commits(last:1){totalCount nodes{commit{oid status{context(name:"` + StatusContext + `"){state}}}}} ` +
	`reviews(first:100){pageInfo{hasNextPage} nodes{author{login} commit{oid} state body}} ` +
	`comments(first:100){pageInfo{hasNextPage} nodes{author{login} body}}}`

// VerifyQuery is the GraphQL query that reads the pull requests numbers of
// one repository: one aliased pullRequest field each (pr12: pullRequest(number: 12)).
func VerifyQuery(numbers []int) string {
	var b strings.Builder
	b.WriteString(`query($owner:String!,$name:String!){repository(owner:$owner,name:$name){`)
	for _, n := range numbers {
		fmt.Fprintf(&b, "pr%d:pullRequest(number:%d){...twokeyRecord} ", n, n)
	}
	b.WriteString("}} ")
	b.WriteString(verifyFragment)
	return b.String()
}

// VerifyConfig is what NewVerifier needs: where GitHub is and a token that
// can read the repositories' pull requests.
type VerifyConfig struct {
	APIURL string // default https://api.github.com
	Token  string
	// HTTPClient, Sleep, Now and RetryBudget are as in Config.
	HTTPClient  *http.Client
	Sleep       func(ctx context.Context, d time.Duration) error
	Now         func() time.Time
	RetryBudget time.Duration
}

// Verifier checks twokey's merge records against GitHub (tracker.Verifier):
// one GraphQL query per repository and batch of VerifyBatch pull requests.
type Verifier struct {
	c        *github.Client
	requests atomic.Int64
}

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg VerifyConfig) (*Verifier, error) {
	c, err := newClient(clientOptions{apiURL: cfg.APIURL, token: cfg.Token, http: cfg.HTTPClient, sleep: cfg.Sleep, now: cfg.Now, budget: cfg.RetryBudget})
	if err != nil {
		return nil, err
	}
	return &Verifier{c: c}, nil
}

// Endpoint is the GraphQL URL the verifier asks.
func (v *Verifier) Endpoint() string { return graphQLURL(v.c.BaseURL) }

// Requests returns how many requests the verifier has sent.
func (v *Verifier) Requests() int { return int(v.requests.Load()) }

// VerifyRecords checks each record against GitHub (see tracker.CheckRecord):
// the pull requests the records name are read VerifyBatch at a time per
// repository, each once.
func (v *Verifier) VerifyRecords(ctx context.Context, recs []tracker.Record) ([][]string, error) {
	out := make([][]string, len(recs))
	byRepo := map[string][]int{} // lower-cased owner/name → record indexes
	var repos []string
	for i, r := range recs {
		owner, name, ok := strings.Cut(r.Repo, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			out[i] = []string{fmt.Sprintf("the record names repository %q, not owner/name: GitHub cannot be asked", r.Repo)}
			continue
		}
		key := strings.ToLower(r.Repo)
		if _, ok := byRepo[key]; !ok {
			repos = append(repos, key)
		}
		byRepo[key] = append(byRepo[key], i)
	}
	for _, key := range repos {
		idx := byRepo[key]
		owner, name, _ := strings.Cut(recs[idx[0]].Repo, "/")
		var numbers []int
		for _, i := range idx {
			if !slices.Contains(numbers, recs[i].PR) {
				numbers = append(numbers, recs[i].PR)
			}
		}
		pulls := map[int]tracker.ForgePull{}
		for start := 0; start < len(numbers); start += VerifyBatch {
			batch := numbers[start:min(start+VerifyBatch, len(numbers))]
			if err := v.readPulls(ctx, owner, name, batch, pulls); err != nil {
				return nil, err
			}
		}
		for _, i := range idx {
			out[i] = tracker.CheckRecord(recs[i], pulls[recs[i].PR])
		}
	}
	return out, nil
}

// gqlGateState is a pull request commit with the state of its latest
// twokey/gate status, as the verify and relink queries read it.
type gqlGateState struct {
	Commit struct {
		OID    string `json:"oid"`
		Status *struct {
			Context *struct {
				State string `json:"state"`
			} `json:"context"`
		} `json:"status"`
	} `json:"commit"`
}

type gqlCommitRef struct {
	OID string `json:"oid"`
}

// gqlVerifyPull is a pull request as verifyFragment reads it.
type gqlVerifyPull struct {
	Number      int           `json:"number"`
	Merged      bool          `json:"merged"`
	MergedAt    *time.Time    `json:"mergedAt"`
	MergedBy    *gqlActor     `json:"mergedBy"`
	MergeCommit *gqlCommitRef `json:"mergeCommit"`
	HeadRefOid  string        `json:"headRefOid"`
	BaseRefName string        `json:"baseRefName"`
	Commits     struct {
		TotalCount int            `json:"totalCount"`
		Nodes      []gqlGateState `json:"nodes"`
	} `json:"commits"`
	Reviews struct {
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
		Nodes []struct {
			Author *gqlActor     `json:"author"`
			Commit *gqlCommitRef `json:"commit"`
			State  string        `json:"state"`
			Body   string        `json:"body"`
		} `json:"nodes"`
	} `json:"reviews"`
	Comments struct {
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
		Nodes []struct {
			Author *gqlActor `json:"author"`
			Body   string    `json:"body"`
		} `json:"nodes"`
	} `json:"comments"`
}

// gqlPathError is an error entry with its path.
type gqlPathError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

// readPulls asks GitHub about the pull requests numbers of owner/name in
// one query and adds what it says to pulls. A number GitHub does not know
// is a pull request that was not Found.
func (v *Verifier) readPulls(ctx context.Context, owner, name string, numbers []int, pulls map[int]tracker.ForgePull) error {
	op := fmt.Sprintf("verify %d pull request(s) of %s/%s (GraphQL)", len(numbers), owner, name)
	body := map[string]any{"query": VerifyQuery(numbers), "variables": map[string]string{"owner": owner, "name": name}}
	req, err := v.c.NewRequest(http.MethodPost, graphQLURL(v.c.BaseURL), body)
	if err != nil {
		return err
	}
	var ans struct {
		Data *struct {
			Repository map[string]*gqlVerifyPull `json:"repository"`
		} `json:"data"`
		Errors []gqlPathError `json:"errors"`
	}
	v.requests.Add(1)
	resp, err := v.c.Do(ctx, req, &ans)
	if err != nil {
		return apiError(op, err)
	}
	for _, e := range ans.Errors {
		switch {
		case e.Type == "RATE_LIMITED":
			return fmt.Errorf("%s: %w", op, &RateLimitError{Reset: rateReset(resp.Header)})
		case e.Type == "NOT_FOUND" && len(e.Path) == 2:
			// a pull request that does not exist: null below
		case e.Type == "NOT_FOUND":
			return fmt.Errorf("%s: repository %s/%s not found: check the records' repository and that the token can read it", op, owner, name)
		default:
			return fmt.Errorf("%s: %w: %s", op, errGraphQL, e.Message)
		}
	}
	if ans.Data == nil || ans.Data.Repository == nil {
		return fmt.Errorf("%s: %w: no repository in the answer", op, errGraphQL)
	}
	for _, n := range numbers {
		p := ans.Data.Repository[fmt.Sprintf("pr%d", n)]
		if p == nil {
			pulls[n] = tracker.ForgePull{}
			continue
		}
		f := tracker.ForgePull{Found: true, Merged: p.Merged, Head: p.HeadRefOid, Base: p.BaseRefName,
			MoreReviews: p.Reviews.PageInfo.HasNextPage, MoreComments: p.Comments.PageInfo.HasNextPage}
		if p.MergedAt != nil {
			f.MergedAt = *p.MergedAt
		}
		if p.MergedBy != nil {
			f.MergedBy = p.MergedBy.Login
		}
		if p.MergeCommit != nil {
			f.MergeCommit = p.MergeCommit.OID
		}
		f.Commits = p.Commits.TotalCount
		for _, c := range p.Commits.Nodes {
			if !strings.EqualFold(c.Commit.OID, p.HeadRefOid) {
				continue
			}
			f.GateKnown = true
			if c.Commit.Status != nil && c.Commit.Status.Context != nil {
				f.Gate = strings.ToLower(c.Commit.Status.Context.State)
			}
		}
		for _, rv := range p.Reviews.Nodes {
			r := tracker.ForgeReview{State: rv.State, Body: rv.Body}
			if rv.Author != nil {
				r.Login = rv.Author.Login
			}
			if rv.Commit != nil {
				r.Commit = rv.Commit.OID
			}
			f.Reviews = append(f.Reviews, r)
		}
		for _, c := range p.Comments.Nodes {
			fc := tracker.ForgeComment{Body: c.Body}
			if c.Author != nil {
				fc.Login = c.Author.Login
			}
			f.Comments = append(f.Comments, fc)
		}
		pulls[n] = f
	}
	return nil
}
