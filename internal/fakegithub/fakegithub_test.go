package fakegithub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func client(t *testing.T, s *Server) *github.Client {
	t.Helper()
	c := github.NewClient(nil)
	u, err := url.Parse(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

func TestLabelsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	s.AddIssue("o/r", 1, "Brief", "body", User("ann", 1), "keep", "area/api")
	c := client(t, s)

	if _, _, err := c.Issues.AddLabelsToIssue(ctx, "o", "r", 1, []string{"brief: ready", "100%"}); err != nil {
		t.Fatalf("AddLabelsToIssue: %v", err)
	}
	if _, err := c.Issues.RemoveLabelForIssue(ctx, "o", "r", 1, url.PathEscape("area/api")); err != nil {
		t.Fatalf("RemoveLabelForIssue(escaped area/api): %v", err)
	}
	want := []string{"100%", "brief: ready", "keep"}
	if diff := cmp.Diff(want, s.Labels("o/r", 1)); diff != "" {
		t.Errorf("labels diff (-want +got):\n%s", diff)
	}
	// Unescaped, a slash makes another path segment: GitHub answers 404.
	_, err := c.Issues.RemoveLabelForIssue(ctx, "o", "r", 1, "a/b")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusNotFound {
		t.Errorf("RemoveLabelForIssue(a/b) = %v, want 404", err)
	}
	// Removing a label the issue does not have is a 404 with GitHub's message.
	_, err = c.Issues.RemoveLabelForIssue(ctx, "o", "r", 1, "nope")
	if !errors.As(err, &er) || er.Message != "Label does not exist" {
		t.Errorf("RemoveLabelForIssue(nope) = %v, want Label does not exist", err)
	}
}

func TestPagination(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	var files []string
	for i := range 250 {
		files = append(files, fmt.Sprintf("f%03d", i))
	}
	s.AddPull("o/r", Pull{Number: 2, Title: "t", User: User("bob", 2), Head: "abc", Files: files})
	c := client(t, s)
	var got []string
	opt := &github.ListOptions{PerPage: 100}
	pages := 0
	for {
		fs, resp, err := c.PullRequests.ListFiles(ctx, "o", "r", 2, opt)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, f := range fs {
			got = append(got, f.GetFilename())
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if diff := cmp.Diff(files, got); diff != "" {
		t.Errorf("files diff (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}
}

func TestContents(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	s.SetFile("o/r", "main", ".github/twokey.yml", "version: 1\n")
	s.SetFile("o/r", "feature", ".github/twokey.yml", "version: 2\n")
	c := client(t, s)
	fc, _, _, err := c.Repositories.GetContents(ctx, "o", "r", ".github/twokey.yml", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fc.GetContent()
	if err != nil || got != "version: 1\n" {
		t.Errorf("GetContent() = %q, %v, want version: 1", got, err)
	}
	_, _, resp, err := c.Repositories.GetContents(ctx, "o", "r", "missing.yml", &github.RepositoryContentGetOptions{Ref: "main"})
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GetContents(missing) = %v, want 404", err)
	}
	reqs := s.Requests()
	if reqs[0].Query != "ref=main" {
		t.Errorf("query = %q, want ref=main", reqs[0].Query)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	s.AddIssue("o/r", 1, "t", "b", User("ann", 1))
	c := client(t, s)

	s.Fail(SecondaryRateLimit("/repos/o/r/issues/1", 1, 3))
	_, _, err := c.Issues.Get(ctx, "o", "r", 1)
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 3*time.Second {
		t.Errorf("secondary limit: err = %v, want AbuseRateLimitError retry 3s", err)
	}
	// go-github remembers the limit and refuses further calls: use a new client.
	c = client(t, s)
	if _, _, err := c.Issues.Get(ctx, "o", "r", 1); err != nil {
		t.Errorf("after fault: %v", err)
	}

	s.Fail(TooManyRequests("/repos/o/r/*", 1, 1))
	_, _, err = c.Issues.Get(ctx, "o", "r", 1)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusTooManyRequests {
		t.Errorf("429: err = %v, want ErrorResponse 429", err)
	}

	s.SetReadOnly(true)
	_, _, err = c.Issues.CreateComment(ctx, "o", "r", 1, &github.IssueComment{Body: github.String("x")})
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusForbidden || er.Message != "Resource not accessible by integration" {
		t.Errorf("read-only write: err = %v, want 403 Resource not accessible by integration", err)
	}

	// Validation errors carry errors[].
	s.SetReadOnly(false)
	_, _, err = c.Repositories.CreateStatus(ctx, "o", "r", "abc", &github.RepoStatus{State: github.String("bogus")})
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity || len(er.Errors) != 1 {
		t.Errorf("bad status: err = %v, want 422 with errors[]", err)
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	s.AddIssue("o/r", 1, "t", "b", User("ann", 1))
	reset := time.Now().Add(time.Hour).Truncate(time.Second)
	s.Fail(PrimaryRateLimit("/repos/o/r/issues/1", 1, reset))
	_, _, err := client(t, s).Issues.Get(ctx, "o", "r", 1)
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || !rl.Rate.Reset.Time.Equal(reset) {
		t.Errorf("err = %v, want RateLimitError resetting at %v", err, reset)
	}
}

func TestTeamsPermissionsTrees(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	s.Repo("o/r")
	s.SetTeamMember("o/web-ux", "ann", "active")
	s.SetPermission("o/r", "bob", "admin")
	s.SetTree("o/r", "c1", "t1")
	c := client(t, s)
	m, _, err := c.Teams.GetTeamMembershipBySlug(ctx, "o", "web-ux", "ann")
	if err != nil || m.GetState() != "active" {
		t.Errorf("membership ann = %v, %v, want active", m, err)
	}
	_, resp, err := c.Teams.GetTeamMembershipBySlug(ctx, "o", "web-ux", "bob")
	if err == nil || resp.StatusCode != 404 {
		t.Errorf("membership bob err = %v, want 404", err)
	}
	p, _, err := c.Repositories.GetPermissionLevel(ctx, "o", "r", "bob")
	if err != nil || p.GetPermission() != "admin" {
		t.Errorf("permission bob = %v, %v, want admin", p, err)
	}
	cm, _, err := c.Git.GetCommit(ctx, "o", "r", "c1")
	if err != nil || cm.GetTree().GetSHA() != "t1" {
		t.Errorf("commit c1 tree = %v, %v, want t1", cm, err)
	}
}

// graphQL posts a GraphQL document with go-github and returns the decoded
// answer.
func graphQL(t *testing.T, c *github.Client, query string, vars map[string]any) map[string]any {
	t.Helper()
	req, err := c.NewRequest(http.MethodPost, "graphql", map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if _, err := c.Do(context.Background(), req, &out); err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	return out
}

func TestGraphQLObjects(t *testing.T) {
	s := New(t)
	s.SetFile("o/r", "main", ".github/twokey.yml", "version: 1\n")
	s.SetFile("o/r", "main", ".github/ISSUE_TEMPLATE/brief.yml", "name: Brief\n")
	s.SetFile("o/r", "main", "big.yml", strings.Repeat("x", BlobTextLimit+10))
	s.SetFile("o/r", "main", "logo.png", "\x89PNG\x00\x01")
	s.SetFile("o/r", "feature", ".github/twokey.yml", "version: 2\n")
	c := client(t, s)
	const query = `query($owner:String!, $name:String!, $a:String!) {
	  repository(owner: $owner, name: $name) {
	    a: object(expression: $a) { __typename ... on Blob { text isTruncated } }
	  }
	}`
	tests := []struct {
		expr string
		want any
	}{
		{"main:.github/twokey.yml", map[string]any{"__typename": "Blob", "text": "version: 1\n", "isTruncated": false}},
		{"feature:.github/twokey.yml", map[string]any{"__typename": "Blob", "text": "version: 2\n", "isTruncated": false}},
		{"main:missing.yml", nil},
		{"nope:.github/twokey.yml", nil},
		{"main:.github", map[string]any{"__typename": "Tree"}},
		{"main:.github/ISSUE_TEMPLATE/", map[string]any{"__typename": "Tree"}},
		{"main:", map[string]any{"__typename": "Tree"}},
		{"main", map[string]any{"__typename": "Commit"}},
		{"main:big.yml", map[string]any{"__typename": "Blob", "text": strings.Repeat("x", BlobTextLimit), "isTruncated": true}},
		{"main:logo.png", map[string]any{"__typename": "Blob", "text": nil, "isTruncated": false}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got := graphQL(t, c, query, map[string]any{"owner": "o", "name": "r", "a": tt.expr})
			want := map[string]any{"data": map[string]any{"repository": map[string]any{"a": tt.want}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("object(expression: %q) diff (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestGraphQLErrors(t *testing.T) {
	s := New(t)
	s.SetFile("o/r", "main", "a.yml", "a\n")
	c := client(t, s)
	const good = `query($owner:String!,$name:String!,$p:String!){repository(owner:$owner,name:$name){p:object(expression:$p){... on Blob{text}}}}`
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  string // substring of errors[0].message
	}{
		{"unknown field", `query{viewer{loginx}}`, nil, `Cannot query field "loginx" on type "User"`},
		{"mutation", `mutation{addStar(input:{starrableId:"x"}){clientMutationId}}`, nil, `not mutations`},
		{"unknown blob field", `query($owner:String!,$name:String!,$p:String!){repository(owner:$owner,name:$name){p:object(expression:$p){... on Blob{nosuch}}}}`,
			map[string]any{"owner": "o", "name": "r", "p": "main:a.yml"}, `Cannot query field "nosuch" on type "Blob"`},
		{"field on GitObject", `query($owner:String!,$name:String!,$p:String!){repository(owner:$owner,name:$name){p:object(expression:$p){text}}}`,
			map[string]any{"owner": "o", "name": "r", "p": "main:a.yml"}, `Cannot query field "text" on type "GitObject"`},
		{"missing variable", good, map[string]any{"owner": "o", "name": "r"}, "variable.p must be defined"},
		{"unknown repository", good, map[string]any{"owner": "o", "name": "gone", "p": "main:a.yml"}, "Could not resolve to a Repository with the name 'o/gone'."},
		{"truncated document", `query{repository(owner:$owner`, nil, "Expected Name, found <EOF>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := graphQL(t, c, tt.query, tt.vars)
			errs, _ := got["errors"].([]any)
			if len(errs) == 0 {
				t.Fatalf("answer = %v, want errors", got)
			}
			if msg, _ := errs[0].(map[string]any)["message"].(string); !strings.Contains(msg, tt.want) {
				t.Errorf("errors[0].message = %q, want it to contain %q", msg, tt.want)
			}
		})
	}
	// An unknown repository answers data.repository null with the error.
	got := graphQL(t, c, good, map[string]any{"owner": "o", "name": "gone", "p": "main:a.yml"})
	if data, ok := got["data"].(map[string]any); !ok || data["repository"] != nil {
		t.Errorf("unknown repository: data = %v, want repository null", got["data"])
	}
	if typ := got["errors"].([]any)[0].(map[string]any)["type"]; typ != "NOT_FOUND" {
		t.Errorf("unknown repository: errors[0].type = %v, want NOT_FOUND", typ)
	}
}

// A GraphQL query is a read: it is recorded, but not as a write, and a
// read-only token may send it; a mutation is a write.
func TestGraphQLIsRecordedAsRead(t *testing.T) {
	s := New(t)
	s.SetFile("o/r", "main", "a.yml", "a\n")
	s.SetReadOnly(true)
	c := client(t, s)
	got := graphQL(t, c, `query($owner:String!,$name:String!,$p:String!){repository(owner:$owner,name:$name){p:object(expression:$p){... on Blob{text}}}}`,
		map[string]any{"owner": "o", "name": "r", "p": "main:a.yml"})
	if diff := cmp.Diff(map[string]any{"data": map[string]any{"repository": map[string]any{"p": map[string]any{"text": "a\n"}}}}, got); diff != "" {
		t.Errorf("read-only query diff (-want +got):\n%s", diff)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || reqs[0].String() != "POST /graphql" || reqs[0].Write() {
		t.Errorf("requests = %v (write %v), want one POST /graphql that is not a write", reqs, len(reqs) == 1 && reqs[0].Write())
	}
	if w := s.Writes(); len(w) != 0 {
		t.Errorf("Writes() = %v, want none", w)
	}
	mutation := Request{Method: http.MethodPost, Path: "/graphql", Body: []byte(`{"query":"  mutation { addStar(input: {}) { clientMutationId } }"}`)}
	if !mutation.Write() {
		t.Error("a mutation is not counted as a write")
	}
}

// The contents API answers a directory with its entries, as GitHub does.
func TestContentsDirectory(t *testing.T) {
	s := New(t)
	s.SetFile("o/r", "main", ".github/twokey.yml", "version: 1\n")
	s.SetFile("o/r", "main", ".github/ISSUE_TEMPLATE/brief.yml", "name: Brief\n")
	fc, dir, _, err := client(t, s).Repositories.GetContents(context.Background(), "o", "r", ".github", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil || fc != nil {
		t.Fatalf("GetContents(.github) = %v, %v, want a directory", fc, err)
	}
	var got []string
	for _, e := range dir {
		got = append(got, e.GetType()+" "+e.GetPath())
	}
	if diff := cmp.Diff([]string{"dir .github/ISSUE_TEMPLATE", "file .github/twokey.yml"}, got); diff != "" {
		t.Errorf("entries diff (-want +got):\n%s", diff)
	}
}

// TestLabelEvents: label changes, through the API or the helpers, are listed
// by the issue events API with who made them and when, oldest first.
func TestLabelEvents(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	clock := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return clock })
	s.AddIssue("o/r", 1, "Brief", "body", User("ann", 1), "brief")
	c := client(t, s)
	clock = clock.Add(time.Hour)
	if _, _, err := c.Issues.AddLabelsToIssue(ctx, "o", "r", 1, []string{"brief: needs-info"}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	if _, _, err := c.Issues.ReplaceLabelsForIssue(ctx, "o", "r", 1, []string{"brief", "brief: ready"}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	s.UnlabelIssue("o/r", 1, "brief: ready", User("bob", 2))
	clock = clock.Add(time.Hour)
	s.LabelIssue("o/r", 1, "brief: ready", User("bob", 2))

	evs, _, err := c.Issues.ListIssueEvents(ctx, "o", "r", 1, &github.ListOptions{PerPage: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("ListIssueEvents(per_page 2) = %d events, want a page of 2", len(evs))
	}
	var got []string
	for page := 1; page != 0; {
		evs, resp, err := c.Issues.ListIssueEvents(ctx, "o", "r", 1, &github.ListOptions{PerPage: 2, Page: page})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got = append(got, fmt.Sprintf("%s %s %s by %s", e.GetCreatedAt().Format("15:04"), e.GetEvent(), e.GetLabel().GetName(), e.GetActor().GetLogin()))
		}
		page = resp.NextPage
	}
	want := []string{
		"09:00 labeled brief by ann",
		"10:00 labeled brief: needs-info by github-actions[bot]",
		"11:00 unlabeled brief: needs-info by github-actions[bot]",
		"11:00 labeled brief: ready by github-actions[bot]",
		"12:00 unlabeled brief: ready by bob",
		"13:00 labeled brief: ready by bob",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events diff (-want +got):\n%s", diff)
	}
	if _, _, err := c.Issues.ListIssueEvents(ctx, "o", "r", 9, nil); err == nil {
		t.Errorf("ListIssueEvents(#9) = nil error, want 404 for an issue that does not exist")
	}
}

// TestGraphQLIssuesAndLabeledEvents: Repository.issues lists issues, not
// pull requests, by state and by any of the labels (names ignoring case),
// with their comments; a pull request's timeline lists its labeled and
// unlabeled events among its own, oldest first, filtered by item type.
func TestGraphQLIssuesAndLabeledEvents(t *testing.T) {
	s := New(t)
	clock := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return clock })
	s.AddIssue("o/r", 1, "Brief", "one", User("ann", 1), "Brief")
	s.AddIssue("o/r", 2, "Brief", "two", User("ann", 1), "brief")
	s.AddIssue("o/r", 3, "Bug", "three", User("ann", 1), "bug")
	s.AddIssue("o/r", 4, "Old brief", "four", User("ann", 1), "brief")
	s.CloseIssue("o/r", 4)
	s.AddPull("o/r", Pull{Number: 5, Title: "Change", User: User("dev", 7), Head: strings.Repeat("a", 40), Labels: []string{"brief"}})
	s.AddComment("o/r", 2, User("bob", 2), "hello")
	clock = clock.Add(time.Hour)
	s.LabelIssue("o/r", 5, "payments", User("dev", 7))
	clock = clock.Add(time.Hour)
	s.MarkReady("o/r", 5, User("dev", 7))
	clock = clock.Add(time.Hour)
	s.UnlabelIssue("o/r", 5, "payments", User("dev", 7))
	c := client(t, s)
	got := graphQL(t, c, `query{repository(owner:"o",name:"r"){
	  issues(states:[OPEN],labels:["BRIEF"],first:10){nodes{number state comments(first:5){nodes{body author{login}}}}}
	  pullRequest(number:5){timelineItems(first:10,itemTypes:[LABELED_EVENT,READY_FOR_REVIEW_EVENT]){nodes{__typename ... on LabeledEvent{createdAt label{name}} ... on ReadyForReviewEvent{createdAt}}}}}}`, nil)
	want := map[string]any{"data": map[string]any{"repository": map[string]any{
		"issues": map[string]any{"nodes": []any{
			map[string]any{"number": float64(1), "state": "OPEN", "comments": map[string]any{"nodes": []any{}}},
			map[string]any{"number": float64(2), "state": "OPEN", "comments": map[string]any{"nodes": []any{map[string]any{"body": "hello", "author": map[string]any{"login": "bob"}}}}},
		}},
		"pullRequest": map[string]any{"timelineItems": map[string]any{"nodes": []any{
			map[string]any{"__typename": "LabeledEvent", "createdAt": "2026-01-05T10:00:00Z", "label": map[string]any{"name": "payments"}},
			map[string]any{"__typename": "ReadyForReviewEvent", "createdAt": "2026-01-05T11:00:00Z"},
		}}},
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
}

// TestGraphQLIssueCrossReferences: an issue's timeline lists a
// CrossReferencedEvent for each issue or pull request whose title, body or
// comment mentions it (#N, owner/name#N, its web address; once per source,
// and it stays when the mention is removed), a ConnectedEvent for a link
// made by hand, and its labeled events, oldest first, filtered by item type;
// a branch name and a number that was not yet used make none.
func TestGraphQLIssueCrossReferences(t *testing.T) {
	s := New(t)
	clock := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	tick := func() { clock = clock.Add(time.Hour) }
	s.SetNow(func() time.Time { return clock })
	s.Repo("o/other")
	s.AddPull("o/r", Pull{Number: 2, Title: "Early", Body: "for #3, before it exists", User: User("dev", 7), Head: strings.Repeat("a", 40)})
	s.AddIssue("o/r", 3, "Brief", "the brief", User("ann", 1), "brief")
	tick()
	s.AddPull("o/r", Pull{Number: 5, Title: "Change", Body: "Brief: #3, again #3", User: User("dev", 7), Head: strings.Repeat("b", 40)})
	tick()
	s.AddPull("o/r", Pull{Number: 6, Title: "Other", Body: "none", User: User("dev", 7), Head: strings.Repeat("c", 40), Branch: "brief-3-reorder"})
	s.AddComment("o/r", 6, User("dev", 7), "see https://github.com/o/r/issues/3")
	tick()
	s.AddPull("o/other", Pull{Number: 1, Title: "Elsewhere", Body: "o/r#3", User: User("dev", 7), Head: strings.Repeat("d", 40)})
	tick()
	s.AddIssue("o/r", 8, "Bug", "like #3", User("ann", 1))
	s.SetIssueBody("o/r", 5, "no brief now")
	tick()
	s.ConnectPull("o/r", 3, 2, User("ann", 1))
	tick()
	s.LabelIssue("o/r", 3, "urgent", User("ann", 1))
	c := client(t, s)
	got := graphQL(t, c, `query{repository(owner:"o",name:"r"){issue(number:3){
	  timelineItems(last:10,itemTypes:[CROSS_REFERENCED_EVENT,CONNECTED_EVENT,LABELED_EVENT]){nodes{__typename
	    ... on CrossReferencedEvent{isCrossRepository source{__typename ... on PullRequest{number repository{nameWithOwner}} ... on Issue{number}}}
	    ... on ConnectedEvent{source{__typename ... on PullRequest{number}} subject{__typename ... on Issue{number}}}
	    ... on LabeledEvent{label{name}}}}}}}`, nil)
	xref := func(typ string, n float64, repo string, cross bool) any {
		src := map[string]any{"__typename": typ, "number": n}
		if repo != "" {
			src["repository"] = map[string]any{"nameWithOwner": repo}
		}
		return map[string]any{"__typename": "CrossReferencedEvent", "isCrossRepository": cross, "source": src}
	}
	want := map[string]any{"data": map[string]any{"repository": map[string]any{"issue": map[string]any{"timelineItems": map[string]any{"nodes": []any{
		map[string]any{"__typename": "LabeledEvent", "label": map[string]any{"name": "brief"}},
		xref("PullRequest", 5, "o/r", false),
		xref("PullRequest", 6, "o/r", false),
		xref("PullRequest", 1, "o/other", true),
		xref("Issue", 8, "", false),
		map[string]any{"__typename": "ConnectedEvent", "source": map[string]any{"__typename": "PullRequest", "number": float64(2)}, "subject": map[string]any{"__typename": "Issue", "number": float64(3)}},
		map[string]any{"__typename": "LabeledEvent", "label": map[string]any{"name": "urgent"}},
	}}}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
}
