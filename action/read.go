package action

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twokey/twokey/tracker"
)

// pullQuery reads everything the gate judges in one GraphQL request: the
// token's own login, the policy and the form on the default branch (named
// refs/heads/<default>, so a tag of the same name cannot stand in), the pull
// request with its head, base, labels, files, commits (with trees, parents
// and twokey's status on each), reviews (with their commits and edit
// histories), comments (with edit histories) and the timeline events the
// gate reads (force pushes, base changes, deletions, reopenings), and the
// briefs and teams the caller expects to need (%s: aliases it adds).
// Connections past their first 100 are read by pageQuery.
const pullQuery = `query($owner:String!,$name:String!,$number:Int!,$policy:String!,$form:String!,$head:String!%s){
viewer{login}
repository(owner:$owner,name:$name){
policy:object(expression:$policy){__typename ... on Blob{oid text isTruncated}}
form:object(expression:$form){__typename ... on Blob{oid text isTruncated}}
headCommit:object(expression:$head){__typename ... on Commit{oid associatedPullRequests(first:20){totalCount nodes{number state headRefOid}}}}
pullRequest(number:$number){number title body url state isDraft merged mergedAt createdAt
mergedBy{...actor} author{...actor}
headRefName headRefOid baseRefName baseRefOid changedFiles
labels(first:100){nodes{name}}
files(first:100){totalCount pageInfo{hasNextPage endCursor} nodes{path changeType}}
commits(last:100){totalCount nodes{commit{...seen}}}
reviews(first:100){pageInfo{hasNextPage endCursor} nodes{...review}}
comments(first:100){pageInfo{hasNextPage endCursor} nodes{...comment}}
timelineItems(first:100,itemTypes:[` + timelineTypes + `]){pageInfo{hasNextPage endCursor} nodes{...event}}}
%s}
%s}
`

// timelineTypes are the timeline events the gate reads: those that may move
// the head other than forward, base changes, deletions of comments, when it
// was marked ready for review, and when labels were added (a kind a label
// requires is due from then).
const timelineTypes = "HEAD_REF_FORCE_PUSHED_EVENT,HEAD_REF_DELETED_EVENT,HEAD_REF_RESTORED_EVENT,REOPENED_EVENT,BASE_REF_CHANGED_EVENT,BASE_REF_FORCE_PUSHED_EVENT,COMMENT_DELETED_EVENT,READY_FOR_REVIEW_EVENT,LABELED_EVENT"

// pullFragments are the fragments the queries use; withFragments adds those
// a query spreads (GitHub refuses a document with an unused fragment).
const pullFragments = `fragment actor on Actor{__typename login}
fragment commit on Commit{oid tree{oid} parents(first:3){totalCount nodes{oid}}}
fragment seen on Commit{...commit status{context(name:"twokey/gate"){state description targetUrl createdAt creator{...actor}}}}
fragment edits on UserContentEditConnection{totalCount nodes{editedAt editor{...actor}}}
fragment review on PullRequestReview{fullDatabaseId state body url submittedAt authorCanPushToRepository author{...actor} commit{...commit} userContentEdits(first:20){...edits}}
fragment comment on IssueComment{fullDatabaseId body url createdAt author{...actor} userContentEdits(first:20){...edits}}
fragment event on PullRequestTimelineItems{__typename
... on HeadRefForcePushedEvent{createdAt actor{...actor} beforeCommit{...seen} afterCommit{...seen}}
... on HeadRefDeletedEvent{createdAt actor{...actor}}
... on HeadRefRestoredEvent{createdAt actor{...actor}}
... on ReopenedEvent{createdAt actor{...actor}}
... on BaseRefChangedEvent{createdAt actor{...actor} previousRefName currentRefName}
... on BaseRefForcePushedEvent{createdAt actor{...actor}}
... on CommentDeletedEvent{createdAt actor{...actor} deletedCommentAuthor{...actor}}
... on ReadyForReviewEvent{createdAt actor{...actor}}
... on LabeledEvent{createdAt label{name}}}
fragment issue on Issue{number body createdAt lastEditedAt labels(first:100){nodes{name}}}
fragment team on Team{members(first:100){pageInfo{hasNextPage} nodes{login}}}
`

// pageQuery reads the next page of one connection of the pull request, with
// its head, so that a head that moved is noticed (%s: the connection).
const pageQuery = `query($owner:String!,$name:String!,$number:Int!,$after:String!){
repository(owner:$owner,name:$name){pullRequest(number:$number){headRefOid %s}}}
`

// extraQuery reads briefs and teams the first read did not ask for.
const extraQuery = `query($owner:String!,$name:String!%s){
repository(owner:$owner,name:$name){__typename %s}
%s}
`

var fragmentRe = regexp.MustCompile(`\.\.\.([a-z]+)\b`)

// withFragments appends to query the fragments of pullFragments it spreads,
// and those they spread.
func withFragments(query string) string {
	defs := map[string]string{}
	for _, def := range strings.Split(pullFragments, "\nfragment ") {
		def = strings.TrimPrefix(def, "fragment ")
		name, _, _ := strings.Cut(def, " ")
		defs[name] = "fragment " + strings.TrimRight(def, "\n") + "\n"
	}
	var out strings.Builder
	out.WriteString(query)
	added := map[string]bool{}
	for todo := []string{query}; len(todo) > 0; todo = todo[1:] {
		for _, m := range fragmentRe.FindAllStringSubmatch(todo[0], -1) {
			if d, ok := defs[m[1]]; ok && !added[m[1]] {
				added[m[1]] = true
				out.WriteString(d)
				todo = append(todo, d)
			}
		}
	}
	return out.String()
}

// maxPages bounds the pages of one connection (100 each): 3,000 files,
// 10,000 comments, reviews or events.
var maxPages = map[string]int{"files": 30, "reviews": 100, "comments": 100, "timelineItems": 100}

// listName names a connection for people.
var listName = map[string]string{"files": "files", "reviews": "reviews", "comments": "comments", "timelineItems": "timeline events"}

type gqlActor struct {
	Typename string `json:"__typename"`
	Login    string `json:"login"`
}

func (a *gqlActor) actor() tracker.Actor {
	if a == nil {
		return tracker.Actor{}
	}
	login := a.Login
	bot := a.Typename == "Bot"
	if bot && !strings.HasSuffix(login, "[bot]") {
		login += "[bot]" // as REST and the rest of twokey name it
	}
	return tracker.Actor{Login: login, Bot: bot}
}

type gqlCommit struct {
	OID  string `json:"oid"`
	Tree struct {
		OID string `json:"oid"`
	} `json:"tree"`
	Parents struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			OID string `json:"oid"`
		} `json:"nodes"`
	} `json:"parents"`
	Status *struct {
		Context *gqlStatus `json:"context"`
	} `json:"status"`
}

func (c *gqlCommit) commit(inPR bool) tracker.PRCommit {
	pc := tracker.PRCommit{SHA: strings.ToLower(c.OID), Tree: c.Tree.OID, InPR: inPR}
	if c.Parents.TotalCount > len(c.Parents.Nodes) {
		// An octopus merge with more parents than were read: its parents
		// are unknown, and it is never "the same change" as another commit
		// (TestAttackOctopusKeepsKeys).
		return pc
	}
	for _, p := range c.Parents.Nodes {
		pc.Parents = append(pc.Parents, strings.ToLower(p.OID))
	}
	return pc
}

type gqlStatus struct {
	State       string    `json:"state"`
	Description string    `json:"description"`
	TargetURL   string    `json:"targetUrl"`
	CreatedAt   time.Time `json:"createdAt"`
	Creator     *gqlActor `json:"creator"`
}

type gqlPageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type gqlEdits struct {
	TotalCount int `json:"totalCount"`
	Nodes      []struct {
		EditedAt time.Time `json:"editedAt"`
		Editor   *gqlActor `json:"editor"`
	} `json:"nodes"`
}

func (e gqlEdits) edits() ([]tracker.Edit, bool) {
	out := make([]tracker.Edit, 0, len(e.Nodes))
	for _, n := range e.Nodes {
		out = append(out, tracker.Edit{At: n.EditedAt, Editor: n.Editor.actor()})
	}
	return out, e.TotalCount > len(e.Nodes)
}

type gqlReview struct {
	ID           string     `json:"fullDatabaseId"`
	State        string     `json:"state"`
	Body         string     `json:"body"`
	URL          string     `json:"url"`
	SubmittedAt  *time.Time `json:"submittedAt"`
	CanPush      bool       `json:"authorCanPushToRepository"`
	Author       *gqlActor  `json:"author"`
	Commit       *gqlCommit `json:"commit"`
	ContentEdits gqlEdits   `json:"userContentEdits"`
}

type gqlComment struct {
	ID           string    `json:"fullDatabaseId"`
	Body         string    `json:"body"`
	URL          string    `json:"url"`
	CreatedAt    time.Time `json:"createdAt"`
	Author       *gqlActor `json:"author"`
	ContentEdits gqlEdits  `json:"userContentEdits"`
}

type gqlEvent struct {
	Typename      string     `json:"__typename"`
	CreatedAt     time.Time  `json:"createdAt"`
	Actor         *gqlActor  `json:"actor"`
	BeforeCommit  *gqlCommit `json:"beforeCommit"`
	AfterCommit   *gqlCommit `json:"afterCommit"`
	PreviousRef   string     `json:"previousRefName"`
	CurrentRef    string     `json:"currentRefName"`
	DeletedAuthor *gqlActor  `json:"deletedCommentAuthor"`
	Label         *struct {
		Name string `json:"name"`
	} `json:"label"`
}

type gqlFiles struct {
	TotalCount int         `json:"totalCount"`
	PageInfo   gqlPageInfo `json:"pageInfo"`
	Nodes      []gqlFile   `json:"nodes"`
}

type gqlFile struct {
	Path       string `json:"path"`
	ChangeType string `json:"changeType"`
}

type gqlPull struct {
	Number       int        `json:"number"`
	Title        string     `json:"title"`
	Body         string     `json:"body"`
	URL          string     `json:"url"`
	State        string     `json:"state"`
	IsDraft      bool       `json:"isDraft"`
	Merged       bool       `json:"merged"`
	MergedAt     *time.Time `json:"mergedAt"`
	CreatedAt    time.Time  `json:"createdAt"`
	MergedBy     *gqlActor  `json:"mergedBy"`
	Author       *gqlActor  `json:"author"`
	HeadRefName  string     `json:"headRefName"`
	HeadRefOID   string     `json:"headRefOid"`
	BaseRefName  string     `json:"baseRefName"`
	BaseRefOID   string     `json:"baseRefOid"`
	ChangedFiles int        `json:"changedFiles"`
	Labels       struct {
		Nodes []struct {
			Name string `json:"name"`
		} `json:"nodes"`
	} `json:"labels"`
	Files   gqlFiles `json:"files"`
	Commits struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			Commit gqlCommit `json:"commit"`
		} `json:"nodes"`
	} `json:"commits"`
	Reviews struct {
		PageInfo gqlPageInfo `json:"pageInfo"`
		Nodes    []gqlReview `json:"nodes"`
	} `json:"reviews"`
	Comments struct {
		PageInfo gqlPageInfo  `json:"pageInfo"`
		Nodes    []gqlComment `json:"nodes"`
	} `json:"comments"`
	Timeline struct {
		PageInfo gqlPageInfo `json:"pageInfo"`
		Nodes    []gqlEvent  `json:"nodes"`
	} `json:"timelineItems"`
}

type gqlIssue struct {
	Typename     string     `json:"__typename"`
	Number       int        `json:"number"`
	Body         string     `json:"body"`
	CreatedAt    time.Time  `json:"createdAt"`
	LastEditedAt *time.Time `json:"lastEditedAt"`
	Labels       struct {
		Nodes []struct {
			Name string `json:"name"`
		} `json:"nodes"`
	} `json:"labels"`
}

type gqlTeam struct {
	Team *struct {
		Members struct {
			PageInfo gqlPageInfo `json:"pageInfo"`
			Nodes    []struct {
				Login string `json:"login"`
			} `json:"nodes"`
		} `json:"members"`
	} `json:"team"`
}

// gqlHeadCommit is the pull request's head commit with the pull requests
// associated with it.
type gqlHeadCommit struct {
	OID        string `json:"oid"`
	Associated struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			Number     int    `json:"number"`
			State      string `json:"state"`
			HeadRefOID string `json:"headRefOid"`
		} `json:"nodes"`
	} `json:"associatedPullRequests"`
}

// sharedHead returns the other open pull requests whose head is this one's,
// as the read gave them; ok is false when the read cannot tell (the head
// ref GitHub keeps is not yet the head, or more pull requests than were
// read are associated with it).
func (rd *pullRead) sharedHead() (others []int, ok bool) {
	hc := rd.headCommit
	if hc == nil || !strings.EqualFold(hc.OID, rd.pr.HeadRefOID) || hc.Associated.TotalCount > len(hc.Associated.Nodes) {
		return nil, false
	}
	for _, n := range hc.Associated.Nodes {
		if n.Number != rd.pr.Number && n.State == "OPEN" && strings.EqualFold(n.HeadRefOID, rd.pr.HeadRefOID) {
			others = append(others, n.Number)
		}
	}
	return others, true
}

// gqlErr is one entry of a GraphQL answer's errors.
type gqlErr struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

type jsonRaw = json.RawMessage

var jsonUnmarshal = json.Unmarshal

// pullRead is one read of a pull request: what GitHub answered, at its clock.
type pullRead struct {
	viewer       string
	readAt       time.Time
	policy, form *gqlObject
	pr           *gqlPull
	briefs       map[int]*gqlIssue // nil: no such issue, or a pull request
	teams        map[string]*teamList
	// headCommit is the commit refs/pull/<number>/head names, with the pull
	// requests GitHub associates with it (nil: GitHub named none).
	headCommit *gqlHeadCommit
	// canPush says, per lower-cased login, whether a reviewer can push to
	// the repository (GitHub says so on each review).
	canPush map[string]bool
}

// ErrNotFound says GitHub answered that the repository or pull request does
// not exist, which is also its answer when the token cannot read it.
var ErrNotFound = errors.New("GitHub found no such repository or pull request")

// errHeadMoved says the head changed while twokey read the pull request over
// several requests: judging would mix two heads' data, and the push has its
// own event, whose run judges the new head.
var errHeadMoved = errors.New("the head moved while twokey read the pull request")

// graphql sends a query and decodes its data into out. It returns GitHub's
// clock (the answer's Date) and the errors GitHub listed with partial data
// (fields it could not resolve, with their paths); a rate limit, an HTTP
// failure or an answer without data is an error.
func (g *repoAPI) graphql(ctx context.Context, op, query string, vars map[string]any, out any) (time.Time, []gqlErr, error) {
	req, err := g.c.NewRequest(http.MethodPost, graphQLURL(g.c.BaseURL), map[string]any{"query": withFragments(query), "variables": vars})
	if err != nil {
		return time.Time{}, nil, err
	}
	var ans struct {
		Data   jsonRaw  `json:"data"`
		Errors []gqlErr `json:"errors"`
	}
	resp, err := g.c.Do(ctx, req, &ans)
	if err != nil {
		return time.Time{}, nil, apiError(op+" (GraphQL)", err)
	}
	if (len(ans.Data) == 0 || string(ans.Data) == "null") && len(ans.Errors) > 0 && ans.Errors[0].Type == "" && !g.retried {
		// "Something went wrong while executing your query": GitHub's
		// answer to a query that timed out on its side. Asked again once a
		// run; a query GitHub refuses (a type on its error) is not.
		g.retried = true
		return g.graphql(ctx, op, query, vars, out)
	}
	at, _ := http.ParseTime(resp.Header.Get("Date"))
	for _, e := range ans.Errors {
		if e.Type == "RATE_LIMITED" {
			return at, nil, &RateLimitError{Reset: rateReset(resp.Header)}
		}
	}
	if len(ans.Data) == 0 || string(ans.Data) == "null" {
		msg := "no data in the answer"
		if len(ans.Errors) > 0 {
			msg = ans.Errors[0].Message
		}
		return at, nil, fmt.Errorf("%s (GraphQL): %w: %s", op, errGraphQL, msg)
	}
	if err := jsonUnmarshal(ans.Data, out); err != nil {
		return at, nil, fmt.Errorf("%s (GraphQL): %w: %v", op, errGraphQL, err)
	}
	return at, ans.Errors, nil
}

// readPull reads pull request number with the policy and form at
// refs/heads/<ref> and the briefs and teams named, in one request. The
// caller reads the pages past the first 100 of its lists with morePages,
// and briefs or teams it did not expect with readExtra.
func (g *repoAPI) readPull(ctx context.Context, number int, ref, policyPath, formPath string, briefs []int, teams []string) (*pullRead, error) {
	op := fmt.Sprintf("read pull request #%d of %s", number, g.full())
	vars := map[string]any{"owner": g.owner, "name": g.name, "number": number,
		"policy": "refs/heads/" + ref + ":" + policyPath, "form": "refs/heads/" + ref + ":" + formPath,
		"head": fmt.Sprintf("refs/pull/%d/head", number)}
	decl, repoSel, rootSel := g.extras(briefs, teams, vars)
	query := fmt.Sprintf(pullQuery, decl, repoSel, rootSel)
	var data map[string]jsonRaw
	at, errs, err := g.graphql(ctx, op, query, vars, &data)
	if err != nil {
		return nil, err
	}
	rd := &pullRead{readAt: at, briefs: map[int]*gqlIssue{}, teams: map[string]*teamList{}, canPush: map[string]bool{}}
	var viewer struct {
		Login string `json:"login"`
	}
	if err := jsonUnmarshal(data["viewer"], &viewer); err != nil || viewer.Login == "" {
		return nil, fmt.Errorf("%s (GraphQL): %w: no viewer login", op, errGraphQL)
	}
	rd.viewer = viewer.Login
	var repo map[string]jsonRaw
	if err := jsonUnmarshal(data["repository"], &repo); err != nil || repo == nil {
		if len(errs) > 0 && errs[0].Type == "NOT_FOUND" {
			return nil, fmt.Errorf("%s: %w: %s", op, ErrNotFound, errs[0].Message)
		}
		return nil, fmt.Errorf("%s (GraphQL): %w: %s", op, errGraphQL, firstMessage(errs, "no repository in the answer"))
	}
	if err := jsonUnmarshal(repo["pullRequest"], &rd.pr); err != nil || rd.pr == nil {
		if len(errs) > 0 && errs[0].Type == "NOT_FOUND" {
			return nil, fmt.Errorf("%s: %w: %s", op, ErrNotFound, errs[0].Message)
		}
		return nil, fmt.Errorf("%s (GraphQL): %w: %s", op, errGraphQL, firstMessage(errs, "no pull request in the answer"))
	}
	_ = jsonUnmarshal(repo["headCommit"], &rd.headCommit)
	_ = jsonUnmarshal(repo["policy"], &rd.policy)
	_ = jsonUnmarshal(repo["form"], &rd.form)
	if err := rd.extras(briefs, teams, repo, data, errs); err != nil {
		return nil, fmt.Errorf("%s (GraphQL): %w", op, err)
	}
	return rd, nil
}

// extras are the aliases of briefs (b<number>: issueOrPullRequest) and teams
// (t<i>: organization(login).team(slug)) to add to a query, with their
// variables.
func (g *repoAPI) extras(briefs []int, teams []string, vars map[string]any) (decl, repoSel, rootSel string) {
	var d, rs, ts strings.Builder
	for _, n := range briefs {
		fmt.Fprintf(&rs, "b%d:issueOrPullRequest(number:%d){__typename ...issue}\n", n, n)
	}
	for i, t := range teams {
		org, slug, _ := strings.Cut(t, "/")
		vars[fmt.Sprintf("o%d", i)], vars[fmt.Sprintf("s%d", i)] = org, slug
		fmt.Fprintf(&d, ",$o%d:String!,$s%d:String!", i, i)
		fmt.Fprintf(&ts, "t%d:organization(login:$o%d){team(slug:$s%d){...team}}\n", i, i, i)
	}
	return d.String(), rs.String(), ts.String()
}

// extras decodes the briefs and teams of an answer. A brief GitHub could not
// find is nil; a team whose organization or team the token cannot read is
// unreadable (GitHub answers null, or an error at its path).
func (rd *pullRead) extras(briefs []int, teams []string, repo, root map[string]jsonRaw, errs []gqlErr) error {
	for _, n := range briefs {
		var is *gqlIssue
		if raw := repo[fmt.Sprintf("b%d", n)]; len(raw) > 0 {
			if err := jsonUnmarshal(raw, &is); err != nil {
				return fmt.Errorf("%w: brief #%d: %v", errGraphQL, n, err)
			}
		}
		if is != nil && is.Typename != "Issue" {
			is = nil // a pull request is not a brief
		}
		rd.briefs[n] = is
	}
	for i, t := range teams {
		var tm *gqlTeam
		_ = jsonUnmarshal(root[fmt.Sprintf("t%d", i)], &tm)
		l := &teamList{members: map[string]bool{}}
		if tm == nil || tm.Team == nil {
			l.err = fmt.Errorf("team @%s: GitHub answered nothing for it, which means the team does not exist or the token cannot read it (GITHUB_TOKEN never can: use a GitHub App token with Members: read, or a token with read:org): %w", t, tracker.ErrTeamUnreadable)
		} else {
			for _, m := range tm.Team.Members.Nodes {
				l.members[strings.ToLower(m.Login)] = true
			}
			l.complete = !tm.Team.Members.PageInfo.HasNextPage
		}
		rd.teams[strings.ToLower(t)] = l
	}
	// Errors at other paths than briefs and teams mean the answer is not
	// whole: judging on part of it could miss a withdrawal.
	for _, e := range errs {
		if len(e.Path) == 0 {
			return fmt.Errorf("%w: %s", errGraphQL, e.Message)
		}
		first, _ := e.Path[0].(string)
		second := ""
		if len(e.Path) > 1 {
			second, _ = e.Path[1].(string)
		}
		switch {
		case first == "repository" && strings.HasPrefix(second, "b"):
		case strings.HasPrefix(first, "t"):
		default:
			return fmt.Errorf("%w: %s (at %v)", errGraphQL, e.Message, e.Path)
		}
	}
	return nil
}

// readExtra reads briefs and teams that the first read did not ask for.
func (g *repoAPI) readExtra(ctx context.Context, rd *pullRead, briefs []int, teams []string) error {
	if len(briefs) == 0 && len(teams) == 0 {
		return nil
	}
	vars := map[string]any{"owner": g.owner, "name": g.name}
	decl, repoSel, rootSel := g.extras(briefs, teams, vars)
	var data map[string]jsonRaw
	_, errs, err := g.graphql(ctx, fmt.Sprintf("read briefs and teams of %s", g.full()), fmt.Sprintf(extraQuery, decl, repoSel, rootSel), vars, &data)
	if err != nil {
		return err
	}
	var repo map[string]jsonRaw
	_ = jsonUnmarshal(data["repository"], &repo)
	return rd.extras(briefs, teams, repo, data, errs)
}

// morePages reads the pages past the first 100 of files, reviews, comments
// and timeline events, each with the head: if the head moved, the read is
// of two heads and is abandoned (errHeadMoved).
func (g *repoAPI) morePages(ctx context.Context, number int, rd *pullRead, wantFiles bool) error {
	pr := rd.pr
	type conn struct {
		name, sel string
		info      *gqlPageInfo
		add       func(raw jsonRaw) (gqlPageInfo, error)
	}
	conns := []conn{
		{"files", "files(first:100,after:$after){totalCount pageInfo{hasNextPage endCursor} nodes{path changeType}}", &pr.Files.PageInfo, appendPage(&pr.Files.Nodes)},
		{"reviews", "reviews(first:100,after:$after){pageInfo{hasNextPage endCursor} nodes{...review}}", &pr.Reviews.PageInfo, appendPage(&pr.Reviews.Nodes)},
		{"comments", "comments(first:100,after:$after){pageInfo{hasNextPage endCursor} nodes{...comment}}", &pr.Comments.PageInfo, appendPage(&pr.Comments.Nodes)},
		{"timelineItems", "timelineItems(first:100,after:$after,itemTypes:[" + timelineTypes + "]){pageInfo{hasNextPage endCursor} nodes{...event}}", &pr.Timeline.PageInfo, appendPage(&pr.Timeline.Nodes)},
	}
	for _, c := range conns {
		info := *c.info
		for page := 1; info.HasNextPage && page < maxPages[c.name]; page++ {
			if c.name == "files" && !wantFiles {
				break
			}
			vars := map[string]any{"owner": g.owner, "name": g.name, "number": number, "after": info.EndCursor}
			var data struct {
				Repository struct {
					PullRequest map[string]jsonRaw `json:"pullRequest"`
				} `json:"repository"`
			}
			if _, _, err := g.graphql(ctx, fmt.Sprintf("read %s of pull request #%d of %s", c.name, number, g.full()), fmt.Sprintf(pageQuery, c.sel), vars, &data); err != nil {
				return err
			}
			var head string
			_ = jsonUnmarshal(data.Repository.PullRequest["headRefOid"], &head)
			if !strings.EqualFold(head, pr.HeadRefOID) {
				return errHeadMoved
			}
			var err error
			if info, err = c.add(data.Repository.PullRequest[c.name]); err != nil {
				return fmt.Errorf("read %s of pull request #%d (GraphQL): %w: %v", c.name, number, errGraphQL, err)
			}
		}
		*c.info = info
		if info.HasNextPage && c.name != "files" {
			// Files past GitHub's list are judged as FilesIncomplete (every
			// path rule holds). Reviews, comments and events are not
			// judged by part: the part not read may hold a revoke, a
			// request for changes or a force push.
			return fmt.Errorf("pull request #%d has more %s than twokey reads (%d): it cannot be judged by part of them; lock the conversation, delete the noise or open a new pull request", number, strings.ToLower(listName[c.name]), maxPages[c.name]*100)
		}
	}
	for _, r := range rd.pr.Reviews.Nodes {
		if r.Author != nil {
			rd.canPush[strings.ToLower(r.Author.actor().Login)] = r.CanPush
		}
	}
	return nil
}

// appendPage decodes a page of a connection and appends its nodes to dst.
func appendPage[T any](dst *[]T) func(raw jsonRaw) (gqlPageInfo, error) {
	return func(raw jsonRaw) (gqlPageInfo, error) {
		var page struct {
			PageInfo gqlPageInfo `json:"pageInfo"`
			Nodes    []T         `json:"nodes"`
		}
		err := jsonUnmarshal(raw, &page)
		*dst = append(*dst, page.Nodes...)
		return page.PageInfo, err
	}
}

func firstMessage(errs []gqlErr, def string) string {
	if len(errs) > 0 {
		return errs[0].Message
	}
	return def
}

// statusMarkRe finds, at the end of a twokey/gate status's target URL, the
// pull request it was posted for and when twokey first read that head
// (GitHub's clock, Unix seconds): "#twokey-pr12-seen1767225600".
//
// Since the time rules, the mark goes on: "-next<unix>" is when the time
// rules next change the verdict (a freeze that begins or ends, a key that
// falls due; 0 for never), and "-cfg<hex>" names the policy and form it was
// judged under. A scheduled re-check reads both back from twokey's own
// status to leave alone the pull requests that nothing can have changed.
//
// "-req" then lists the kinds the pull request required, each as "." and
// the first 6 hex digits of the SHA-256 of its name, with "~<unix>" when it
// became required after the pull request was ready: a later judgement keeps
// that time (tracker.RequiredBefore).
var statusMarkRe = regexp.MustCompile(`#twokey-pr([0-9]+)-seen([0-9]+)(?:-next([0-9]+))?(?:-cfg([0-9a-f]+))?(-req(?:\.[0-9a-f]{6}(?:~[0-9]+)?)*)?$`)

// statusMark is what twokey writes at the end of its status's target URL.
func statusMark(number int, seen time.Time, m judgedMark) string {
	s := fmt.Sprintf("#twokey-pr%d-seen%d", number, seen.Unix())
	if m.cfg == "" {
		return s
	}
	next := int64(0)
	if !m.next.IsZero() {
		next = m.next.Unix()
	}
	s += fmt.Sprintf("-next%d-cfg%s", next, m.cfg)
	if m.req != nil {
		s += "-req" + *m.req
	}
	return s
}

// judgedMark is what a status says of its judgement: when the time rules
// next change it (zero: never) and the configuration it was made under
// ("": a status written before twokey kept time).
type judgedMark struct {
	next time.Time
	cfg  string
	// req lists the kinds required and since when, encoded (reqMark); nil
	// when the status does not say.
	req *string
}

// equal reports whether two marks say the same.
func (m judgedMark) equal(o judgedMark) bool {
	return m.next.Equal(o.next) && m.cfg == o.cfg && (m.req == nil) == (o.req == nil) && (m.req == nil || *m.req == *o.req)
}

// kindToken names a kind in a status mark: 6 hex digits of the SHA-256 of
// its name (any name fits in a URL, and the mark stays short).
func kindToken(kind string) string {
	sum := sha256.Sum256([]byte(kind))
	return hex.EncodeToString(sum[:3])
}

// reqMark encodes the kinds required and since when (zero: since ready).
func reqMark(since map[string]time.Time) string {
	parts := make([]string, 0, len(since))
	for k, at := range since {
		p := "." + kindToken(k)
		if !at.IsZero() {
			p += fmt.Sprintf("~%d", at.Unix())
		}
		parts = append(parts, p)
	}
	sort.Strings(parts)
	return strings.Join(parts, "")
}

// parseReq decodes a reqMark for the kinds named: those it lists, with
// their times.
func parseReq(mark string, kinds []string) map[string]time.Time {
	byToken := map[string]time.Time{}
	for _, p := range strings.Split(mark, ".") {
		if p == "" {
			continue
		}
		tok, sec, _ := strings.Cut(p, "~")
		var at time.Time
		if n, err := strconv.ParseInt(sec, 10, 64); err == nil && n > 0 {
			at = time.Unix(n, 0).UTC()
		}
		byToken[tok] = at
	}
	out := map[string]time.Time{}
	for _, k := range kinds {
		if at, ok := byToken[kindToken(k)]; ok {
			out[k] = at
		}
	}
	return out
}

// parseMark reads the judgement part of a status's target URL.
func parseMark(targetURL string) (judgedMark, bool) {
	m := statusMarkRe.FindStringSubmatch(targetURL)
	if m == nil || m[4] == "" {
		return judgedMark{}, false
	}
	var jm judgedMark
	if sec, _ := strconv.ParseInt(m[3], 10, 64); sec > 0 {
		jm.next = time.Unix(sec, 0).UTC()
	}
	jm.cfg = m[4]
	if m[5] != "" {
		req := strings.TrimPrefix(m[5], "-req")
		jm.req = &req
	}
	return jm, true
}

// isViewer reports whether a GraphQL actor is the token's own account,
// viewer as GraphQL's viewer names it: an App's bot is "name[bot]" there but
// a Bot named "name" as an author, and a user account of that name is
// someone else.
func isViewer(a *gqlActor, viewer string) bool {
	if a == nil || viewer == "" {
		return false
	}
	if name, bot := strings.CutSuffix(viewer, "[bot]"); bot {
		return a.Typename == "Bot" && strings.EqualFold(strings.TrimSuffix(a.Login, "[bot]"), name)
	}
	return a.Typename != "Bot" && strings.EqualFold(a.Login, viewer)
}

// ownStatus returns twokey's own twokey/gate status on a commit for pull
// request number, and since when (GitHub's clock) twokey has known that
// commit as its head; nil when there is none. Only a status the token's own
// account (viewer) posted, carrying this pull request's mark, counts.
func ownStatus(c *gqlCommit, viewer string, number int) (*gqlStatus, time.Time) {
	if c.Status == nil || c.Status.Context == nil {
		return nil, time.Time{}
	}
	st := c.Status.Context
	if !isViewer(st.Creator, viewer) {
		return nil, time.Time{}
	}
	m := statusMarkRe.FindStringSubmatch(st.TargetURL)
	if m == nil || m[1] != strconv.Itoa(number) {
		return nil, time.Time{}
	}
	sec, _ := strconv.ParseInt(m[2], 10, 64)
	seen := time.Unix(sec, 0).UTC()
	if seen.After(st.CreatedAt) {
		seen = st.CreatedAt // the status itself is the later bound
	}
	return st, seen
}

// trackerPull turns a read into what the gate judges, for repository repo.
// Reviews still pending (a draft of the token's own) are left out.
func (rd *pullRead) trackerPull(repo string) *tracker.PullRequest {
	g := rd.pr
	pr := &tracker.PullRequest{
		Repo: repo, Number: g.Number, Title: g.Title, Body: g.Body,
		Branch: g.HeadRefName, Base: g.BaseRefName, Author: g.Author.actor(),
		HeadSHA: strings.ToLower(g.HeadRefOID), ReadAt: rd.readAt,
	}
	for _, l := range g.Labels.Nodes {
		pr.Labels = append(pr.Labels, l.Name)
	}
	for _, f := range g.Files.Nodes {
		pr.Files = append(pr.Files, f.Path)
	}
	pr.FilesIncomplete = len(g.Files.Nodes) < g.ChangedFiles || len(g.Files.Nodes) < g.Files.TotalCount
	seen := map[string]bool{}
	addCommit := func(c *gqlCommit, inPR bool) {
		if c == nil || c.OID == "" || seen[strings.ToLower(c.OID)] {
			return
		}
		seen[strings.ToLower(c.OID)] = true
		pr.Commits = append(pr.Commits, c.commit(inPR))
	}
	seenOn := map[string]bool{}
	headSeen := func(c *gqlCommit) {
		if _, since := ownStatus(c, rd.viewer, g.Number); !since.IsZero() && !seenOn[strings.ToLower(c.OID)] {
			seenOn[strings.ToLower(c.OID)] = true
			pr.HeadSeen = append(pr.HeadSeen, tracker.HeadSeen{SHA: strings.ToLower(c.OID), At: since})
		}
	}
	for i := range g.Commits.Nodes {
		c := &g.Commits.Nodes[i].Commit
		addCommit(c, true)
		headSeen(c)
	}
	pr.CommitsIncomplete = g.Commits.TotalCount > len(g.Commits.Nodes)
	for _, r := range g.Reviews.Nodes {
		if r.State == "PENDING" || r.SubmittedAt == nil {
			continue
		}
		id, _ := strconv.ParseInt(r.ID, 10, 64)
		rv := tracker.Review{ID: id, User: r.Author.actor(), State: r.State, Body: r.Body, URL: r.URL, SubmittedAt: *r.SubmittedAt}
		if r.Commit != nil {
			rv.CommitID = strings.ToLower(r.Commit.OID)
			addCommit(r.Commit, false)
		}
		rv.Edits, rv.EditsIncomplete = r.ContentEdits.edits()
		pr.Reviews = append(pr.Reviews, rv)
	}
	for _, c := range g.Comments.Nodes {
		id, _ := strconv.ParseInt(c.ID, 10, 64)
		tc := tracker.Comment{ID: id, User: c.Author.actor(), Body: c.Body, URL: c.URL, CreatedAt: c.CreatedAt}
		tc.Edits, tc.EditsIncomplete = c.ContentEdits.edits()
		pr.Comments = append(pr.Comments, tc)
	}
	for _, e := range g.Timeline.Nodes {
		te := tracker.TimelineEvent{At: e.CreatedAt, Actor: e.Actor.actor()}
		switch e.Typename {
		case "HeadRefForcePushedEvent":
			te.Type = tracker.EventForcePushed
			if e.BeforeCommit != nil {
				te.Before = strings.ToLower(e.BeforeCommit.OID)
				addCommit(e.BeforeCommit, false)
				headSeen(e.BeforeCommit) // a head force-pushed away keeps twokey's status
			}
			if e.AfterCommit != nil {
				te.After = strings.ToLower(e.AfterCommit.OID)
				addCommit(e.AfterCommit, false)
				headSeen(e.AfterCommit)
			}
		case "HeadRefDeletedEvent":
			te.Type = tracker.EventHeadDeleted
		case "HeadRefRestoredEvent":
			te.Type = tracker.EventHeadRestored
		case "ReopenedEvent":
			te.Type = tracker.EventReopened
		case "BaseRefChangedEvent":
			te.Type, te.From, te.To = tracker.EventBaseChanged, e.PreviousRef, e.CurrentRef
		case "BaseRefForcePushedEvent":
			te.Type = tracker.EventBaseForcePushed
		case "CommentDeletedEvent":
			te.Type, te.DeletedAuthor = tracker.EventCommentDeleted, e.DeletedAuthor.actor()
		default:
			continue
		}
		pr.Timeline = append(pr.Timeline, te)
	}
	sort.SliceStable(pr.Timeline, func(i, j int) bool { return pr.Timeline[i].At.Before(pr.Timeline[j].At) })
	return pr
}

// headStatus is twokey's own status on the head for this pull request, and
// since when twokey has known the head (zero when it has not posted one).
func (rd *pullRead) headStatus() (*gqlStatus, time.Time) {
	for i := range rd.pr.Commits.Nodes {
		c := &rd.pr.Commits.Nodes[i].Commit
		if strings.EqualFold(c.OID, rd.pr.HeadRefOID) {
			return ownStatus(c, rd.viewer, rd.pr.Number)
		}
	}
	return nil, time.Time{}
}

// earlierHead is a commit the pull request has left (an earlier head, or a
// head force-pushed away) that still carries twokey's success for it.
type earlierHead struct {
	sha  string
	seen time.Time // since when twokey knew it as the head (its mark)
}

// earlierSuccesses returns the commits of the read, other than the head,
// on which twokey's own status for this pull request is a success: the
// pull request's commits (its earlier heads) and the heads before and after
// its force pushes.
func (rd *pullRead) earlierSuccesses() []earlierHead {
	var out []earlierHead
	done := map[string]bool{strings.ToLower(rd.pr.HeadRefOID): true}
	check := func(c *gqlCommit) {
		if c == nil {
			return
		}
		oid := strings.ToLower(c.OID)
		if done[oid] {
			return
		}
		done[oid] = true
		if st, seen := ownStatus(c, rd.viewer, rd.pr.Number); st != nil && strings.EqualFold(st.State, "success") {
			out = append(out, earlierHead{sha: oid, seen: seen})
		}
	}
	for i := range rd.pr.Commits.Nodes {
		check(&rd.pr.Commits.Nodes[i].Commit)
	}
	for _, e := range rd.pr.Timeline.Nodes {
		if e.Typename == "HeadRefForcePushedEvent" {
			check(e.BeforeCommit)
			check(e.AfterCommit)
		}
	}
	return out
}

// statusCreator is the account that set twokey/gate on the head, with the
// mark of this pull request ("" when none did).
func (rd *pullRead) statusCreator() string {
	for i := range rd.pr.Commits.Nodes {
		c := &rd.pr.Commits.Nodes[i].Commit
		if !strings.EqualFold(c.OID, rd.pr.HeadRefOID) || c.Status == nil || c.Status.Context == nil || c.Status.Context.Creator == nil {
			continue
		}
		if m := statusMarkRe.FindStringSubmatch(c.Status.Context.TargetURL); m != nil && m[1] == strconv.Itoa(rd.pr.Number) {
			return c.Status.Context.Creator.actor().Login // a bot as the viewer names it, with "[bot]"
		}
	}
	return ""
}

// renamed reports whether GitHub lists a renamed file: its previous name
// matters to path rules and only the REST compare API gives it.
func (rd *pullRead) renamed() bool {
	for _, f := range rd.pr.Files.Nodes {
		if f.ChangeType == "RENAMED" {
			return true
		}
	}
	return false
}
