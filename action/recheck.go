package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twokey/twokey/tracker"
)

// recheckEvent is a run that no pull request event started: schedule or
// workflow_dispatch (go-github has no type for a schedule's payload).
type recheckEvent struct {
	name          string
	defaultBranch string
}

// parseRecheck reads the default branch from a schedule or
// workflow_dispatch payload, or else from GITHUB_REF: scheduled runs run on
// the default branch.
func parseRecheck(name string, data []byte, ref string) *recheckEvent {
	var payload struct {
		Repository struct {
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
	}
	_ = json.Unmarshal(data, &payload)
	ev := &recheckEvent{name: name, defaultBranch: payload.Repository.DefaultBranch}
	if ev.defaultBranch == "" && name == "schedule" {
		ev.defaultBranch = strings.TrimPrefix(ref, "refs/heads/")
	}
	return ev
}

// openQuery lists open pull requests, 100 a page, each with its head and
// twokey's status there, with the token's login and the policy and form on
// the default branch: one request per 100 open pull requests.
const openQuery = `query($owner:String!,$name:String!,$policy:String!,$form:String!,$after:String){
viewer{login}
repository(owner:$owner,name:$name){
policy:object(expression:$policy){__typename ... on Blob{oid text isTruncated}}
form:object(expression:$form){__typename ... on Blob{oid text isTruncated}}
pullRequests(states:[OPEN],first:100,after:$after){pageInfo{hasNextPage endCursor} nodes{number headRefOid
commits(last:1){nodes{commit{oid status{context(name:"twokey/gate"){state description targetUrl createdAt creator{__typename login}}}}}}}}}}
`

// maxOpenPages bounds the listing: 10,000 open pull requests.
const maxOpenPages = 100

// openPull is one open pull request of the listing.
type openPull struct {
	Number     int    `json:"number"`
	HeadRefOID string `json:"headRefOid"`
	Commits    struct {
		Nodes []struct {
			Commit gqlCommit `json:"commit"`
		} `json:"nodes"`
	} `json:"commits"`
}

// recheckAll re-judges the open pull requests whose verdict can have
// changed with no event: those twokey has no status for on their head, or
// judged under another policy or form (a push changed them), or whose
// status says the time rules change them by now (a freeze began or ended,
// a key fell due: the status's mark, see statusMark). The others are left
// alone, so a run costs one request per 100 open pull requests plus, for
// each pull request judged, its read and the writes that change something.
// "Now" is GitHub's clock, the Date of the listing's answer.
func (r *runner) recheckAll(ctx context.Context, why string) error {
	r.notify = true
	policyPath, formPath := r.configPaths()
	var (
		judged, left []int
		errs         []error
		after        any // null on the first page
		now          time.Time
	)
	for page := 0; page < maxOpenPages; page++ {
		vars := map[string]any{"owner": r.api.owner, "name": r.api.name, "after": after,
			"policy": "refs/heads/" + r.defBranch + ":" + policyPath, "form": "refs/heads/" + r.defBranch + ":" + formPath}
		var data struct {
			Viewer struct {
				Login string `json:"login"`
			} `json:"viewer"`
			Repository struct {
				Policy *gqlObject `json:"policy"`
				Form   *gqlObject `json:"form"`
				Pulls  struct {
					PageInfo gqlPageInfo `json:"pageInfo"`
					Nodes    []openPull  `json:"nodes"`
				} `json:"pullRequests"`
			} `json:"repository"`
		}
		at, gerrs, err := r.api.graphql(ctx, "list the open pull requests of "+r.api.full(), openQuery, vars, &data)
		if err != nil {
			return err
		}
		if len(gerrs) > 0 {
			return fmt.Errorf("list the open pull requests of %s (GraphQL): %w: %s", r.api.full(), errGraphQL, gerrs[0].Message)
		}
		if page == 0 {
			now = at
			viewer := data.Viewer.Login
			r.selfLogin = &viewer
			if err := r.useConfig(ctx, data.Repository.Policy, data.Repository.Form, policyPath, formPath); err != nil {
				return err
			}
			if _, err := r.loadForm(ctx); err != nil {
				return err
			}
		}
		for _, pr := range data.Repository.Pulls.Nodes {
			if !r.stale(pr, now) {
				left = append(left, pr.Number)
				continue
			}
			judged = append(judged, pr.Number)
			if _, err := r.judgePull(ctx, pr.Number, linkHint{}, nil); err != nil {
				var ce *configError
				if errors.As(err, &ce) || errors.Is(err, errReadOnly) {
					return err // the same for every pull request
				}
				errs = append(errs, fmt.Errorf("pull request #%d: %w", pr.Number, err))
			}
		}
		info := data.Repository.Pulls.PageInfo
		if !info.HasNextPage {
			break
		}
		after = info.EndCursor
	}
	briefs, err := r.recheckBriefs(ctx, now)
	if err != nil {
		var ce *configError
		if errors.As(err, &ce) || errors.Is(err, errReadOnly) {
			return err
		}
		errs = append(errs, err)
	}
	if err := r.pub.outputs(Output{"verdict", "rechecked"}); err != nil {
		return err
	}
	summary := fmt.Sprintf("## twokey: re-checked the open pull requests (%s)\n\nJudged %d: %s\n\nLeft alone %d (judged under this policy and form, and nothing in their time rules is due before %s)\n",
		why, len(judged), numberList(judged), len(left), now.UTC().Format(time.RFC3339))
	if briefs != nil {
		summary += fmt.Sprintf("\nBriefs whose deadline has passed, judged again: %d: %s\n", len(briefs), numberList(briefs))
	}
	if err := r.pub.summary(summary); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// stale reports whether an open pull request's verdict can have changed
// since twokey judged it (see recheckAll).
func (r *runner) stale(pr openPull, now time.Time) bool {
	for _, n := range pr.Commits.Nodes {
		c := n.Commit
		if !strings.EqualFold(c.OID, pr.HeadRefOID) {
			continue
		}
		st, _ := ownStatus(&c, *r.selfLogin, pr.Number)
		if st == nil {
			return true
		}
		m, ok := parseMark(st.TargetURL)
		return !ok || m.cfg != r.cfgID || (!m.next.IsZero() && !now.Before(m.next))
	}
	return true // the listing's last commit is not the head: judge it
}

func numberList(ns []int) string {
	if len(ns) == 0 {
		return "none"
	}
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprintf("#%d", n)
	}
	return strings.Join(parts, ", ")
}

// recheckInput says the run is the workflow's re-check job (the recheck
// input): a push to the default branch then re-judges the open pull
// requests (a policy or form it changed applies to them now) and records
// nothing, which the record job does.
func (r *runner) recheckInput() bool {
	return strings.EqualFold(strings.TrimSpace(r.cfg.Getenv("INPUT_RECHECK")), "true")
}

// briefsQuery lists the open briefs (issues with the brief label), 100 a
// page, with their bodies and labels, and who wrote each comment and when
// it was last written: enough to tell, without reading a comment's text,
// which briefs' deadlines have passed since twokey last wrote its comment.
const briefsQuery = `query($owner:String!,$name:String!,$label:String!,$after:String){
repository(owner:$owner,name:$name){
issues(states:[OPEN],labels:[$label],first:100,after:$after){pageInfo{hasNextPage endCursor} nodes{number body createdAt
labels(first:100){nodes{name}}
comments(first:100){pageInfo{hasNextPage} nodes{author{...actor} createdAt lastEditedAt}}}}}}
`

// openBrief is one open brief of the listing.
type openBrief struct {
	Number    int       `json:"number"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
	Labels    struct {
		Nodes []struct {
			Name string `json:"name"`
		} `json:"nodes"`
	} `json:"labels"`
	Comments struct {
		PageInfo gqlPageInfo `json:"pageInfo"`
		Nodes    []struct {
			Author       *gqlActor  `json:"author"`
			CreatedAt    time.Time  `json:"createdAt"`
			LastEditedAt *time.Time `json:"lastEditedAt"`
		} `json:"nodes"`
	} `json:"comments"`
}

// recheckBriefs judges again the open briefs whose deadline answer has
// passed by now (GitHub's clock) and that twokey has not written its
// comment on since: their comment gets the deadline_passed finding (and,
// when the policy says needs_info, the needs-info label). A brief twokey
// wrote on after its deadline passed already says so, and costs nothing
// more. It returns the briefs judged, nil when the policy asks for nothing
// (deadlines.brief_field empty or deadlines.passed off).
//
// Cost: one request per 100 open briefs, and for each brief judged, the
// read of its comments and the writes that change something.
func (r *runner) recheckBriefs(ctx context.Context, now time.Time) ([]int, error) {
	p := r.policy
	if p.Deadlines.BriefField == "" || p.Deadlines.Passed == tracker.PassedOff || now.IsZero() {
		return nil, nil
	}
	judged := []int{}
	var errs []error
	var after any
	for page := 0; page < maxOpenPages; page++ {
		vars := map[string]any{"owner": r.api.owner, "name": r.api.name, "label": p.Brief.Label, "after": after}
		var data struct {
			Repository struct {
				Issues struct {
					PageInfo gqlPageInfo `json:"pageInfo"`
					Nodes    []openBrief `json:"nodes"`
				} `json:"issues"`
			} `json:"repository"`
		}
		_, gerrs, err := r.api.graphql(ctx, "list the open briefs of "+r.api.full(), briefsQuery, vars, &data)
		if err != nil {
			return judged, err
		}
		if len(gerrs) > 0 {
			return judged, fmt.Errorf("list the open briefs of %s (GraphQL): %w: %s", r.api.full(), errGraphQL, gerrs[0].Message)
		}
		for _, is := range data.Repository.Issues.Nodes {
			if !r.briefPassedUnsaid(is, now) {
				continue
			}
			judged = append(judged, is.Number)
			var labels []string
			for _, l := range is.Labels.Nodes {
				labels = append(labels, l.Name)
			}
			res := tracker.CheckBriefAt(r.form, p, is.Body, is.CreatedAt, now)
			if err := r.writeBrief(ctx, is.Number, labels, res); err != nil {
				if errors.Is(err, errReadOnly) {
					return judged, err
				}
				errs = append(errs, fmt.Errorf("brief #%d: %w", is.Number, err))
			}
		}
		info := data.Repository.Issues.PageInfo
		if !info.HasNextPage {
			break
		}
		after = info.EndCursor
	}
	return judged, errors.Join(errs...)
}

// briefPassedUnsaid reports whether brief is has a deadline that has passed
// by now and twokey has not written on it since: no comment of the token's
// own account was posted or edited at or after the deadline passed. (A
// brief with more than 100 comments is judged: its own comment may be
// further down.)
func (r *runner) briefPassedUnsaid(is openBrief, now time.Time) bool {
	b, _ := tracker.ParseBrief(r.form, is.Body)
	at, _, ok := r.policy.DeadlinePassesAt(b)
	if !ok || now.Before(at) {
		return false
	}
	if is.Comments.PageInfo.HasNextPage {
		return true
	}
	for _, c := range is.Comments.Nodes {
		written := c.CreatedAt
		if c.LastEditedAt != nil && c.LastEditedAt.After(written) {
			written = *c.LastEditedAt
		}
		if isViewer(c.Author, *r.selfLogin) && !written.Before(at) {
			return false
		}
	}
	return true
}
