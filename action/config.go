package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// configQuery reads the policy and the form of one ref in a single GraphQL
// request (the REST contents API costs one request per file). An object is
// null when the path does not exist on the ref; __typename tells a file
// (Blob) from a directory (Tree).
const configQuery = `query($owner:String!,$name:String!,$policy:String!,$form:String!){viewer{login} ` +
	`repository(owner:$owner,name:$name){` +
	`policy:object(expression:$policy){__typename ... on Blob{text isTruncated}} ` +
	`form:object(expression:$form){__typename ... on Blob{text isTruncated}}}}`

// configFile is a file read from the default branch.
type configFile struct {
	path  string
	data  []byte
	found bool // false: the file does not exist (the embedded default applies)
}

// gqlObject is a git object as configQuery selects it.
type gqlObject struct {
	Typename    string  `json:"__typename"`
	Text        *string `json:"text"` // null for a binary blob
	IsTruncated bool    `json:"isTruncated"`
}

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// configAnswer is the response to configQuery.
type configAnswer struct {
	Data *struct {
		Viewer struct {
			Login string `json:"login"`
		} `json:"viewer"`
		Repository *struct {
			Policy *gqlObject `json:"policy"`
			Form   *gqlObject `json:"form"`
		} `json:"repository"`
	} `json:"data"`
	Errors []gqlError `json:"errors"`
}

// errGraphQL is a GraphQL answer twokey cannot use; the REST reads take over.
var errGraphQL = errors.New("unusable GraphQL answer")

// readConfig reads the policy and the form at policyPath and formPath on ref
// with one GraphQL request. When GraphQL cannot give the policy whole (the
// request failed or answered errors, the text is truncated or binary, the
// object is neither a file nor a directory) it is read with the REST contents
// API instead; only a rate limit (or an ended ctx) stops the run, as it would
// on REST. form is nil when GraphQL did not give it whole (or it is a
// directory): the caller reads it with REST if it needs it, which reports a
// directory as the contents API does. fellBack reports whether REST was used.
func (g *repoAPI) readConfig(ctx context.Context, ref, policyPath, formPath string) (policy configFile, form *configFile, fellBack bool, viewer string, err error) {
	policy.path = policyPath
	ref = "refs/heads/" + ref // never a tag of the same name
	objs, viewer, gqlErr := g.configObjects(ctx, ref, policyPath, formPath)
	if gqlErr != nil {
		if ctx.Err() != nil {
			return policy, nil, false, "", ctx.Err()
		}
		op := fmt.Sprintf("read %s and %s at %s of %s (GraphQL)", policyPath, formPath, ref, g.full())
		if err := apiError(op, gqlErr); isRateLimit(err) {
			return policy, nil, false, "", err
		}
	} else {
		if objs[0] != nil && objs[0].Typename == "Tree" {
			return policy, nil, false, viewer, fmt.Errorf("read %s at %s of %s: it is a directory, not a file", policyPath, ref, g.full())
		}
		if f := (configFile{path: formPath}); objectFile(&f, objs[1]) {
			form = &f
		}
		if objectFile(&policy, objs[0]) {
			return policy, form, false, viewer, nil
		}
	}
	policy.data, policy.found, err = g.contents(ctx, policyPath, ref)
	return policy, form, true, viewer, err
}

// objectFile fills f from a GraphQL object and reports whether it could: a
// null object is a missing file, a whole Blob a found one; anything else
// (a directory, a truncated or binary blob, a submodule) is not read.
func objectFile(f *configFile, o *gqlObject) bool {
	switch {
	case o == nil:
		return true
	case o.Typename != "Blob" || o.Text == nil || o.IsTruncated:
		return false
	}
	f.data, f.found = []byte(*o.Text), true
	return true
}

// configObjects runs configQuery for ref. Errors are go-github's for HTTP
// failures, *RateLimitError for GitHub's RATE_LIMITED answer, and errGraphQL
// for any other error answer.
func (g *repoAPI) configObjects(ctx context.Context, ref, policyPath, formPath string) ([2]*gqlObject, string, error) {
	var objs [2]*gqlObject
	body := map[string]any{"query": configQuery, "variables": map[string]string{
		"owner": g.owner, "name": g.name, "policy": ref + ":" + policyPath, "form": ref + ":" + formPath,
	}}
	req, err := g.c.NewRequest(http.MethodPost, graphQLURL(g.c.BaseURL), body)
	if err != nil {
		return objs, "", err
	}
	var ans configAnswer
	resp, err := g.c.Do(ctx, req, &ans)
	if err != nil {
		return objs, "", err
	}
	g.configDate, _ = http.ParseTime(resp.Header.Get("Date"))
	if len(ans.Errors) > 0 {
		var msgs []string
		for _, e := range ans.Errors {
			if e.Type == "RATE_LIMITED" {
				return objs, "", &RateLimitError{Reset: rateReset(resp.Header)}
			}
			msgs = append(msgs, e.Message)
		}
		return objs, "", fmt.Errorf("%w: %s", errGraphQL, strings.Join(msgs, "; "))
	}
	if ans.Data == nil || ans.Data.Repository == nil {
		return objs, "", fmt.Errorf("%w: no repository in the answer", errGraphQL)
	}
	return [2]*gqlObject{ans.Data.Repository.Policy, ans.Data.Repository.Form}, ans.Data.Viewer.Login, nil
}

// graphQLURL returns the GraphQL endpoint of the REST API at base:
// https://api.github.com/graphql for github.com, https://HOST/api/graphql for
// GitHub Enterprise Server (REST at https://HOST/api/v3/), and base/graphql
// otherwise (GHE.com's api.SUBDOMAIN.ghe.com, a test server).
func graphQLURL(base *url.URL) string {
	u := *base
	u.RawPath = ""
	switch {
	case strings.EqualFold(u.Host, "api.github.com"):
		u.Path = "/graphql"
	case strings.HasSuffix(u.Path, "/api/v3/"):
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	default:
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return u.String()
}

// rateReset is the time in X-RateLimit-Reset, or zero.
func rateReset(h http.Header) time.Time {
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		return time.Unix(s, 0)
	}
	return time.Time{}
}

// isRateLimit reports whether err (after apiError) is a rate limit: the
// primary one, a secondary one, or a 429 that outlasted the retries.
func isRateLimit(err error) bool {
	var rl *RateLimitError
	var abuse *github.AbuseRateLimitError
	return errors.As(err, &rl) || errors.As(err, &abuse) || statusOf(err) == http.StatusTooManyRequests
}
