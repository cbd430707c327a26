// Package fakegithub is a stateful fake of the GitHub REST API endpoints that
// twokey uses, served by net/http/httptest. Tests drive it with the real
// go-github client: it keeps issues, labels, comments, pull requests, files,
// reviews, statuses, file contents, team memberships and permissions, answers
// with GitHub's status codes and error bodies, can inject failures (rate
// limits, 5xx, read-only tokens), and records every request so that tests can
// assert API cost and idempotency.
package fakegithub

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // unescaped path, e.g. /repos/o/r/issues/1/labels/area/api
	// EscapedPath is the path as sent, e.g. /repos/o/r/issues/1/labels/area%2Fapi.
	EscapedPath string
	Query       string // raw query
	Body        []byte
	// Authorization is the request's Authorization header, e.g. "Bearer ghs_x".
	Authorization string
}

// String returns "METHOD path" (with ?query when there is one).
func (r Request) String() string {
	if r.Query != "" {
		return r.Method + " " + r.Path + "?" + r.Query
	}
	return r.Method + " " + r.Path
}

// Write reports whether the request changes state: anything but GET, HEAD
// and a GraphQL query (POST /graphql whose document is not a mutation).
func (r Request) Write() bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	if r.Method == http.MethodPost && r.Path == "/graphql" {
		var body struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(r.Body, &body) == nil {
			return strings.HasPrefix(strings.TrimSpace(body.Query), "mutation")
		}
	}
	return true
}

// Fault makes the next Times requests that match Method and Path fail with
// Status, Header and Body. An empty Method matches any method; Path matches a
// request path exactly or, when it ends in "*", as a prefix.
type Fault struct {
	Method string
	Path   string
	// BodyContains, when set, limits the fault to requests whose body
	// contains it (one GraphQL query among others).
	BodyContains string
	Times        int
	Status       int
	Header       http.Header
	Body         string
	// Applied carries the request out before answering with the fault: an
	// answer lost on its way back, after GitHub did what was asked.
	Applied bool
}

const docsURL = "https://docs.github.com/rest"

// PrimaryRateLimit is the 403 GitHub sends when the primary rate limit is
// exhausted: X-RateLimit-Remaining: 0 and the reset time.
func PrimaryRateLimit(path string, times int, reset time.Time) Fault {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Used", "5000")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	return Fault{Path: path, Times: times, Status: http.StatusForbidden, Header: h,
		Body: `{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`}
}

// SecondaryRateLimit is the 403 GitHub sends for a secondary rate limit, with
// Retry-After in seconds.
func SecondaryRateLimit(path string, times int, retryAfter int) Fault {
	h := http.Header{}
	h.Set("Retry-After", strconv.Itoa(retryAfter))
	return Fault{Path: path, Times: times, Status: http.StatusForbidden, Header: h,
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}
}

// TooManyRequests is a 429 with Retry-After in seconds.
func TooManyRequests(path string, times int, retryAfter int) Fault {
	h := http.Header{}
	h.Set("Retry-After", strconv.Itoa(retryAfter))
	return Fault{Path: path, Times: times, Status: http.StatusTooManyRequests, Header: h,
		Body: `{"message":"Too Many Requests","documentation_url":"` + docsURL + `"}`}
}

// ServerError is a 5xx with GitHub's terse body.
func ServerError(path string, times, status int) Fault {
	return Fault{Path: path, Times: times, Status: status, Body: `{"message":"Server Error"}`}
}

// Repo is the state of one repository. Tests set it up through the Server's
// methods and read it back through them; the fields are guarded by the
// Server's lock.
type Repo struct {
	Owner, Name   string
	DefaultBranch string
	files         map[string]map[string]string // ref -> path -> content
	issues        map[int]*github.Issue
	pulls         map[int]*github.PullRequest
	pullFiles     map[int][]*github.CommitFile
	pullRefs      map[int]string // refs/pull/N/head when it lags the head (SetPullRef)
	reviews       map[int][]*github.PullRequestReview
	comments      []*github.IssueComment
	edits         map[int64][]edit        // comment or review id -> its edit history
	timeline      map[int][]timelineEvent // pull request -> force pushes, base changes, deletions
	commentIssue  map[int64]int
	labels        map[string]*github.Label
	statuses      map[string][]*github.RepoStatus
	permissions   map[string]string
	trees         map[string]string
	commits       map[string]*Commit
	pullCommits   map[int][]string
	commitPulls   map[string][]int
	issueEdited   map[int]time.Time            // issue -> when its body was last edited
	events        map[int][]*github.IssueEvent // issue -> labeled and unlabeled events, oldest first
	xrefs         map[int][]xref               // issue -> cross-references and connections to it, oldest first
}

// Server is the fake. Create it with New; it is closed with the test.
type Server struct {
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	repos    map[string]*Repo
	teams    map[string]map[string]string // org/slug -> login -> state
	requests []Request
	faults   []*Fault
	readOnly bool
	self     *github.User
	after    func(Request)
	nextID   int64
	now      func() time.Time
}

// TB is the part of testing.TB the server needs.
type TB interface {
	Helper()
	Cleanup(func())
}

// New starts a server that is closed when the test ends.
func New(t TB) *Server {
	t.Helper()
	s := &Server{
		repos:  map[string]*Repo{},
		teams:  map[string]map[string]string{},
		nextID: 1000,
		now:    func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) },
	}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// SetNow sets the clock used for created_at, updated_at and the Date header.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Repo returns the repository owner/name, creating it (default branch main)
// when it does not exist.
func (s *Server) Repo(fullName string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repo(fullName, true)
}

func (s *Server) repo(fullName string, create bool) *Repo {
	if r := s.repos[strings.ToLower(fullName)]; r != nil || !create {
		return r
	}
	owner, name, _ := strings.Cut(fullName, "/")
	r := &Repo{
		Owner: owner, Name: name, DefaultBranch: "main",
		files:        map[string]map[string]string{},
		issues:       map[int]*github.Issue{},
		pulls:        map[int]*github.PullRequest{},
		pullFiles:    map[int][]*github.CommitFile{},
		reviews:      map[int][]*github.PullRequestReview{},
		commentIssue: map[int64]int{},
		edits:        map[int64][]edit{},
		timeline:     map[int][]timelineEvent{},
		labels:       map[string]*github.Label{},
		statuses:     map[string][]*github.RepoStatus{},
		permissions:  map[string]string{},
		trees:        map[string]string{},
		commits:      map[string]*Commit{},
		pullCommits:  map[int][]string{},
		commitPulls:  map[string][]int{},
		issueEdited:  map[int]time.Time{},
		events:       map[int][]*github.IssueEvent{},
		pullRefs:     map[int]string{},
		xrefs:        map[int][]xref{},
	}
	s.repos[strings.ToLower(fullName)] = r
	return r
}

// User returns a user object like GitHub's (login, id, type).
func User(login string, id int64) *github.User {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return &github.User{Login: github.String(login), ID: github.Int64(id), Type: github.String(typ),
		HTMLURL: github.String("https://github.com/" + login)}
}

// SetFile puts a file at path on ref (a branch name or SHA).
func (s *Server) SetFile(repo, ref, path, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	if r.files[ref] == nil {
		r.files[ref] = map[string]string{}
	}
	r.files[ref][path] = content
}

// AddIssue creates or replaces issue number.
func (s *Server) AddIssue(repo string, number int, title, body string, user *github.User, labels ...string) *github.Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	now := s.now()
	is := &github.Issue{
		ID: github.Int64(s.id()), Number: github.Int(number), Title: github.String(title), Body: github.String(body),
		User: user, State: github.String("open"), CreatedAt: &github.Timestamp{Time: now}, UpdatedAt: &github.Timestamp{Time: now},
		HTMLURL: github.String(fmt.Sprintf("https://github.com/%s/issues/%d", repo, number)),
	}
	r.events[number] = nil
	for _, l := range labels {
		is.Labels = append(is.Labels, r.label(l))
		s.labelEvent(r, number, "labeled", l, user)
	}
	r.issues[number] = is
	s.crossReference(r, number, title+"\n"+body, user)
	return cloneIssue(is)
}

// IssueText returns an issue's (or pull request's) title and body as they
// are now, as GitHub puts them in an event's payload.
func (s *Server) IssueText(repo string, number int) (title, body string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.repo(repo, true).issues[number]
	if is == nil {
		return "", "", false
	}
	return is.GetTitle(), is.GetBody(), true
}

// LabelIssue adds label to an issue as actor would in the web interface, at
// the server's clock, with its labeled event.
func (s *Server) LabelIssue(repo string, number int, label string, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	if is := r.issues[number]; is != nil && !hasLabel(is, label) {
		is.Labels = append(is.Labels, r.label(label))
		s.labelEvent(r, number, "labeled", label, actor)
	}
}

// UnlabelIssue removes label from an issue as actor would, with its
// unlabeled event.
func (s *Server) UnlabelIssue(repo string, number int, label string, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	if is := r.issues[number]; is != nil {
		for i, l := range is.Labels {
			if strings.EqualFold(l.GetName(), label) {
				is.Labels = append(is.Labels[:i:i], is.Labels[i+1:]...)
				s.labelEvent(r, number, "unlabeled", l.GetName(), actor)
				return
			}
		}
	}
}

// labelEvent records a labeled or unlabeled event on an issue, as GitHub's
// issue events API lists it.
func (s *Server) labelEvent(r *Repo, number int, event, label string, actor *github.User) {
	r.events[number] = append(r.events[number], &github.IssueEvent{
		ID: github.Int64(s.id()), Event: github.String(event), Actor: actor,
		Label: &github.Label{Name: github.String(label)}, CreatedAt: &github.Timestamp{Time: s.now()},
	})
}

// CloseIssue closes issue number, as its author would.
func (s *Server) CloseIssue(repo string, number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.repo(repo, true).issues[number]; is != nil {
		is.State = github.String("closed")
	}
}

// tokenUser is the account the token belongs to, for what the API writes.
func (s *Server) tokenUser() *github.User {
	if s.self != nil {
		return s.self
	}
	return User("github-actions[bot]", 41898282)
}

// SetIssueBody replaces an issue's body, as a person editing it would.
func (s *Server) SetIssueBody(repo string, number int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	if is := r.issues[number]; is != nil {
		is.Body = github.String(body)
		r.issueEdited[number] = s.now()
		s.crossReference(r, number, body, is.User)
	}
}

// MarkReady takes pull request number out of draft, as its author's "Ready
// for review" would: a ReadyForReviewEvent on its timeline, at the clock.
func (s *Server) MarkReady(repo string, number int, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	if pr := r.pulls[number]; pr != nil {
		pr.Draft = github.Bool(false)
		r.timeline[number] = append(r.timeline[number], timelineEvent{typ: "ReadyForReviewEvent", at: s.now(), actor: actor})
	}
}

// Pull describes a pull request for AddPull.
type Pull struct {
	Number   int
	Title    string
	Body     string
	User     *github.User
	Head     string // head SHA
	Branch   string // head ref
	HeadRepo string // owner/name of the head repository; "" means the same repository
	Base     string // base ref; "" means the default branch
	Labels   []string
	Files    []string
	Merged   bool
	MergedBy *github.User
	Merge    string // merge commit SHA
	Draft    bool
}

// AddPull creates or replaces a pull request (and its issue).
func (s *Server) AddPull(repo string, p Pull) *github.PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	now := s.now()
	if p.Base == "" {
		p.Base = r.DefaultBranch
	}
	if p.HeadRepo == "" {
		p.HeadRepo = repo
	}
	if p.Branch == "" {
		p.Branch = fmt.Sprintf("change-%d", p.Number)
	}
	is := &github.Issue{
		ID: github.Int64(s.id()), Number: github.Int(p.Number), Title: github.String(p.Title), Body: github.String(p.Body),
		User: p.User, State: github.String("open"), CreatedAt: &github.Timestamp{Time: now}, UpdatedAt: &github.Timestamp{Time: now},
		HTMLURL:          github.String(fmt.Sprintf("https://github.com/%s/pull/%d", repo, p.Number)),
		PullRequestLinks: &github.PullRequestLinks{URL: github.String(fmt.Sprintf("%s/repos/%s/pulls/%d", s.URL, repo, p.Number))},
	}
	for _, l := range p.Labels {
		is.Labels = append(is.Labels, r.label(l))
	}
	r.issues[p.Number] = is
	pr := &github.PullRequest{
		ID: github.Int64(s.id()), Number: github.Int(p.Number), State: github.String("open"),
		User: p.User, CreatedAt: &github.Timestamp{Time: now},
		HTMLURL: is.HTMLURL,
		Head: &github.PullRequestBranch{Ref: github.String(p.Branch), SHA: github.String(p.Head), Label: github.String(p.Branch),
			Repo: repoObject(p.HeadRepo)},
		Base:   &github.PullRequestBranch{Ref: github.String(p.Base), Repo: repoObject(repo)},
		Merged: github.Bool(p.Merged),
		Draft:  github.Bool(p.Draft),
	}
	if p.Merged {
		pr.State = github.String("closed")
		pr.MergedBy = p.MergedBy
		pr.MergeCommitSHA = github.String(p.Merge)
		pr.MergedAt = &github.Timestamp{Time: now}
	}
	r.pulls[p.Number] = pr
	s.crossReference(r, p.Number, p.Title+"\n"+p.Body, p.User)
	r.pullFiles[p.Number] = nil
	for _, f := range p.Files {
		r.pullFiles[p.Number] = append(r.pullFiles[p.Number], &github.CommitFile{Filename: github.String(f), Status: github.String("modified")})
	}
	return pr
}

// SetHead moves a pull request's head, as a push would.
func (s *Server) SetHead(repo string, number int, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pr := s.repo(repo, true).pulls[number]; pr != nil {
		pr.Head.SHA = github.String(sha)
	}
}

// AddReview adds a review (state APPROVED, CHANGES_REQUESTED, COMMENTED,
// DISMISSED) on commit and returns it.
func (s *Server) AddReview(repo string, number int, user *github.User, state, body, commit string) *github.PullRequestReview {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	id := s.id()
	rv := &github.PullRequestReview{
		ID: github.Int64(id), NodeID: github.String(fmt.Sprintf("PRR_kwDOfake%d", id)), User: user, State: github.String(state),
		Body: github.String(body), CommitID: github.String(commit), SubmittedAt: &github.Timestamp{Time: s.now()},
		HTMLURL: github.String(fmt.Sprintf("https://github.com/%s/pull/%d#pullrequestreview-%d", repo, number, id)),
	}
	r.reviews[number] = append(r.reviews[number], rv)
	return rv
}

// AddComment adds an issue (or pull request) comment and returns it.
func (s *Server) AddComment(repo string, number int, user *github.User, body string) *github.IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneComment(s.addComment(s.repo(repo, true), repo, number, user, body))
}

func (s *Server) addComment(r *Repo, repo string, number int, user *github.User, body string) *github.IssueComment {
	id := s.id()
	now := s.now()
	c := &github.IssueComment{
		ID: github.Int64(id), NodeID: github.String(fmt.Sprintf("IC_kwDOfake%d", id)), User: user, Body: github.String(body),
		CreatedAt: &github.Timestamp{Time: now}, UpdatedAt: &github.Timestamp{Time: now},
		HTMLURL:           github.String(fmt.Sprintf("https://github.com/%s/issues/%d#issuecomment-%d", repo, number, id)),
		IssueURL:          github.String(fmt.Sprintf("%s/repos/%s/issues/%d", s.URL, repo, number)),
		AuthorAssociation: github.String("NONE"),
	}
	r.comments = append(r.comments, c)
	r.commentIssue[id] = number
	s.crossReference(r, number, body, user)
	return c
}

// EditComment changes a comment's body and its updated_at, as its author
// would.
func (s *Server) EditComment(repo string, id int64, body string, at time.Time) {
	s.EditCommentAs(repo, id, body, at, nil)
}

// EditCommentAs changes a comment's body as editor (nil: the author), as
// anyone with write access to a repository can edit others' comments.
func (s *Server) EditCommentAs(repo string, id int64, body string, at time.Time, editor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	for _, c := range r.comments {
		if c.GetID() == id {
			c.Body = github.String(body)
			c.UpdatedAt = &github.Timestamp{Time: at}
			if editor == nil {
				editor = c.User
			}
			r.edits[id] = append(r.edits[id], edit{at: at, editor: editor})
			s.crossReference(r, r.commentIssue[id], body, editor)
		}
	}
}

// EditReview changes a review's body at time at as its author; EditReviewAs
// as editor (anyone with write access can). REST does not show the edit;
// GraphQL's edit history does.
func (s *Server) EditReview(repo string, number int, id int64, body string, at time.Time) {
	s.EditReviewAs(repo, number, id, body, at, nil)
}

// EditReviewAs changes a review's body as editor (nil: the author).
func (s *Server) EditReviewAs(repo string, number int, id int64, body string, at time.Time, editor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	for _, rv := range r.reviews[number] {
		if rv.GetID() == id {
			rv.Body = github.String(body)
			if editor == nil {
				editor = rv.User
			}
			r.edits[id] = append(r.edits[id], edit{at: at, editor: editor})
			s.crossReference(r, number, body, editor)
		}
	}
}

// DismissReview dismisses review id as actor: its state becomes DISMISSED
// and the timeline records who did it.
func (s *Server) DismissReview(repo string, number int, id int64, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	for _, rv := range r.reviews[number] {
		if rv.GetID() == id {
			rv.State = github.String("DISMISSED")
			r.timeline[number] = append(r.timeline[number], timelineEvent{typ: "ReviewDismissedEvent", at: s.now(), actor: actor})
		}
	}
}

// DeleteComment deletes comment id as actor; the pull request's timeline
// records the deletion (who, whose, when), as GitHub's does.
func (s *Server) DeleteComment(repo string, id int64, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	for i, c := range r.comments {
		if c.GetID() == id {
			n := r.commentIssue[id]
			r.comments = append(r.comments[:i], r.comments[i+1:]...)
			r.timeline[n] = append(r.timeline[n], timelineEvent{typ: "CommentDeletedEvent", at: s.now(), actor: actor, deletedAuthor: c.User})
			return
		}
	}
}

// ForcePush moves a pull request's head to sha with a push that is not a
// fast-forward, by actor: the timeline records it (HeadRefForcePushedEvent)
// with the heads before and after. SetHead is a fast-forward push, which
// GitHub's timeline does not time.
func (s *Server) ForcePush(repo string, number int, sha string, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	if pr := r.pulls[number]; pr != nil {
		r.timeline[number] = append(r.timeline[number], timelineEvent{typ: "HeadRefForcePushedEvent", at: s.now(), actor: actor, before: pr.GetHead().GetSHA(), after: sha})
		pr.Head.SHA = github.String(sha)
	}
}

// SetPullRef makes refs/pull/<number>/head name sha, as when GitHub has not
// yet moved it to a pushed head ("" follows the head again).
func (s *Server) SetPullRef(repo string, number int, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo, true).pullRefs[number] = sha
}

// ClosePull closes pull request number without merging it, by actor.
func (s *Server) ClosePull(repo string, number int, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	if pr := r.pulls[number]; pr != nil {
		pr.State = github.String("closed")
		if is := r.issues[number]; is != nil {
			is.State = github.String("closed")
		}
		r.timeline[number] = append(r.timeline[number], timelineEvent{typ: "ClosedEvent", at: s.now(), actor: actor})
	}
}

// ChangeBase retargets a pull request to base, by actor, as the timeline
// records (BaseRefChangedEvent).
func (s *Server) ChangeBase(repo string, number int, base string, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	if pr := r.pulls[number]; pr != nil {
		r.timeline[number] = append(r.timeline[number], timelineEvent{typ: "BaseRefChangedEvent", at: s.now(), actor: actor, from: pr.GetBase().GetRef(), to: base})
		pr.Base.Ref = github.String(base)
	}
}

// SetTeamMember makes login a member of team (org/slug) with state "active"
// or "pending"; "" removes the membership.
func (s *Server) SetTeamMember(team, login, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	team = strings.ToLower(team)
	if s.teams[team] == nil {
		s.teams[team] = map[string]string{}
	}
	if state == "" {
		delete(s.teams[team], strings.ToLower(login))
		return
	}
	s.teams[team][strings.ToLower(login)] = state
}

// SetPermission sets a collaborator's permission (admin, write, read, ...).
func (s *Server) SetPermission(repo, login, perm string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo, true).permissions[strings.ToLower(login)] = perm
}

// SetTree records the tree SHA of commit sha.
func (s *Server) SetTree(repo, sha, tree string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo, true).trees[sha] = tree
}

// Commit is a git commit as the fake keeps it: enough for the commits API.
type Commit struct {
	SHA        string
	Parents    []string
	Tree       string
	Message    string
	Author     string
	AuthorDate time.Time
	Committed  time.Time
}

// AddCommit stores a commit (and its tree, for the git commits API).
func (s *Server) AddCommit(repo string, c Commit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	r.commits[c.SHA] = &c
	if c.Tree != "" {
		r.trees[c.SHA] = c.Tree
	}
}

// SetPullCommits sets the commits of pull request number, oldest first
// (GET /pulls/{number}/commits); each must be added with AddCommit.
func (s *Server) SetPullCommits(repo string, number int, shas ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	r.pullCommits[number] = shas
	if pr := r.pulls[number]; pr != nil {
		pr.Commits = github.Int(len(shas))
	}
}

// SetCommitPulls records which pull requests commit sha belongs to.
func (s *Server) SetCommitPulls(repo, sha string, numbers ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo, true).commitPulls[sha] = numbers
}

// SetAuthenticatedUser makes GET /user answer with u, as it does for a
// personal access token, and makes the comments the server creates u's. With
// none set, GET /user answers 403 like it does for GITHUB_TOKEN, and created
// comments are github-actions[bot]'s.
func (s *Server) SetAuthenticatedUser(u *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.self = u
}

// SetAfter calls fn after each request is answered (outside the server's
// lock, so fn may change the server): a test makes something happen between
// two requests of one run, as a push can.
func (s *Server) SetAfter(fn func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = fn
}

// SetReadOnly makes every write answer 403 "Resource not accessible by
// integration", as a read-only GITHUB_TOKEN does in a fork's run.
func (s *Server) SetReadOnly(ro bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly = ro
}

// Fail queues a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops the faults not yet used up.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Writes returns the recorded requests that change state.
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Write() {
			out = append(out, r)
		}
	}
	return out
}

// Labels returns the names of issue number's labels, sorted.
func (s *Server) Labels(repo string, number int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.repo(repo, true).issues[number]
	if is == nil {
		return nil
	}
	var out []string
	for _, l := range is.Labels {
		out = append(out, l.GetName())
	}
	sort.Strings(out)
	return out
}

// Comments returns copies of issue number's comments in creation order.
func (s *Server) Comments(repo string, number int) []*github.IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	var out []*github.IssueComment
	for _, c := range r.comments {
		if r.commentIssue[c.GetID()] == number {
			out = append(out, cloneComment(c))
		}
	}
	return out
}

// SetStatus adds a commit status to sha as creator made it, now: a status
// someone else's token posted (a test's setup).
func (s *Server) SetStatus(repo, sha, context, state string, creator *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	r.statuses[sha] = append(r.statuses[sha], &github.RepoStatus{ID: github.Int64(s.id()), State: github.String(state),
		Context: github.String(context), CreatedAt: &github.Timestamp{Time: s.now()}, Creator: creator})
}

// Statuses returns the statuses posted on sha, oldest first.
func (s *Server) Statuses(repo, sha string) []*github.RepoStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*github.RepoStatus(nil), s.repo(repo, true).statuses[sha]...)
}

// LatestStatus returns the newest status of context on sha, or nil.
func (s *Server) LatestStatus(repo, sha, context string) *github.RepoStatus {
	st := s.Statuses(repo, sha)
	for i := len(st) - 1; i >= 0; i-- {
		if st[i].GetContext() == context {
			return st[i]
		}
	}
	return nil
}

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

func (r *Repo) label(name string) *github.Label {
	l := r.labels[strings.ToLower(name)]
	if l == nil {
		l = &github.Label{ID: github.Int64(int64(len(r.labels) + 1)), Name: github.String(name), Color: github.String("ededed"), Default: github.Bool(false)}
		r.labels[strings.ToLower(name)] = l
	}
	return l
}

func repoObject(fullName string) *github.Repository {
	owner, name, _ := strings.Cut(fullName, "/")
	return &github.Repository{Name: github.String(name), FullName: github.String(fullName),
		Owner: &github.User{Login: github.String(owner), Type: github.String("Organization")}}
}

func cloneIssue(is *github.Issue) *github.Issue {
	c := *is
	c.Labels = append([]*github.Label(nil), is.Labels...)
	return &c
}

func cloneComment(c *github.IssueComment) *github.IssueComment {
	d := *c
	return &d
}

// ---- HTTP ----

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request, repo *Repo)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
			repo := s.repo(req.PathValue("owner")+"/"+req.PathValue("repo"), false)
			if repo == nil {
				notFound(w)
				return
			}
			fn(w, req, repo)
		})
	}
	h("GET /repos/{owner}/{repo}", s.getRepo)
	h("GET /repos/{owner}/{repo}/issues/{number}", s.getIssue)
	h("GET /repos/{owner}/{repo}/issues/{number}/labels", s.listIssueLabels)
	h("GET /repos/{owner}/{repo}/issues/{number}/events", s.listIssueEvents)
	h("POST /repos/{owner}/{repo}/issues/{number}/labels", s.addIssueLabels)
	h("PUT /repos/{owner}/{repo}/issues/{number}/labels", s.replaceIssueLabels)
	h("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}", s.removeIssueLabel)
	h("GET /repos/{owner}/{repo}/labels", s.listRepoLabels)
	h("POST /repos/{owner}/{repo}/labels", s.createRepoLabel)
	h("GET /repos/{owner}/{repo}/issues/{number}/comments", s.listComments)
	h("POST /repos/{owner}/{repo}/issues/{number}/comments", s.createComment)
	h("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.editComment)
	h("GET /repos/{owner}/{repo}/pulls/{number}", s.getPull)
	h("GET /repos/{owner}/{repo}/pulls/{number}/files", s.listPullFiles)
	h("GET /repos/{owner}/{repo}/pulls/{number}/reviews", s.listReviews)
	h("POST /repos/{owner}/{repo}/statuses/{sha}", s.createStatus)
	h("GET /repos/{owner}/{repo}/commits/{ref}/statuses", s.listStatuses)
	h("GET /repos/{owner}/{repo}/commits/{sha}/pulls", s.listCommitPulls)
	h("GET /repos/{owner}/{repo}/contents/{path...}", s.getContents)
	h("GET /repos/{owner}/{repo}/collaborators/{user}/permission", s.getPermission)
	h("GET /repos/{owner}/{repo}/git/commits/{sha}", s.getGitCommit)
	h("GET /repos/{owner}/{repo}/commits", s.listCommits)
	h("GET /repos/{owner}/{repo}/pulls/{number}/commits", s.listPullCommits)
	h("GET /repos/{owner}/{repo}/compare/{basehead}", s.compare)
	mux.HandleFunc("GET /orgs/{org}/teams/{slug}/memberships/{user}", s.getTeamMembership)
	mux.HandleFunc("GET /orgs/{org}/teams/{slug}/members", s.listTeamMembers)
	mux.HandleFunc("GET /user", s.getAuthenticatedUser)
	mux.HandleFunc("POST /graphql", s.graphQL)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { notFound(w) })

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Query: r.URL.RawQuery, Body: body, Authorization: r.Header.Get("Authorization")})
		req := s.requests[len(s.requests)-1] // this one, whatever comes in meanwhile
		f := s.takeFault(r, body)
		ro := s.readOnly && req.Write()
		// GitHub's Date header and its created_at come from one clock.
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		s.mu.Unlock()
		if f != nil {
			if f.Applied {
				s.mu.Lock()
				mux.ServeHTTP(httptest.NewRecorder(), r)
				s.mu.Unlock()
			}
			for k, v := range f.Header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.Status)
			io.WriteString(w, f.Body)
			return
		}
		if ro {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration",
				"documentation_url": docsURL + "/issues/labels#add-labels-to-an-issue"})
			return
		}
		// The answer is held until after has run: a large one would
		// otherwise reach the client while after runs, and the client's
		// next request would race what after makes happen between them.
		rec := httptest.NewRecorder()
		s.mu.Lock()
		mux.ServeHTTP(rec, r)
		after := s.after
		s.mu.Unlock()
		if after != nil {
			after(req)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// takeFault returns the first live fault matching r and uses it up.
func (s *Server) takeFault(r *http.Request, body []byte) *Fault {
	for i, f := range s.faults {
		if f.Method != "" && f.Method != r.Method {
			continue
		}
		if f.BodyContains != "" && !bytes.Contains(body, []byte(f.BodyContains)) {
			continue
		}
		match := f.Path == r.URL.Path || (strings.HasSuffix(f.Path, "*") && strings.HasPrefix(r.URL.Path, strings.TrimSuffix(f.Path, "*")))
		if !match {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": docsURL})
}

func validationFailed(w http.ResponseWriter, resource, field, code, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]string{{"resource": resource, "field": field, "code": code, "message": msg}},
		"documentation_url": docsURL,
	})
}

func number(r *http.Request) int {
	n, _ := strconv.Atoi(r.PathValue("number"))
	return n
}

// paginate writes page of items with GitHub's Link header.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	if per > 100 {
		per = 100
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	last := (len(items) + per - 1) / per
	if last == 0 {
		last = 1
	}
	lo, hi := (page-1)*per, page*per
	if lo > len(items) {
		lo = len(items)
	}
	if hi > len(items) {
		hi = len(items)
	}
	link := func(p int, rel string) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		qq := r.URL.Query() // other parameters (sha, state) stay
		qq.Set("per_page", strconv.Itoa(per))
		qq.Set("page", strconv.Itoa(p))
		u.RawQuery = qq.Encode()
		return fmt.Sprintf(`<%s>; rel="%s"`, u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	out := items[lo:hi]
	if out == nil {
		out = []T{}
	}
	writeJSON(w, http.StatusOK, out)
}

// getRepo answers GET /repos/{owner}/{repo} with the fields twokey reads.
func (s *Server) getRepo(w http.ResponseWriter, r *http.Request, repo *Repo) {
	o := repoObject(repo.Owner + "/" + repo.Name)
	o.DefaultBranch = github.String(repo.DefaultBranch)
	o.Private = github.Bool(false)
	o.HTMLURL = github.String("https://github.com/" + repo.Owner + "/" + repo.Name)
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) getIssue(w http.ResponseWriter, r *http.Request, repo *Repo) {
	is := repo.issues[number(r)]
	if is == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, is)
}

// listIssueEvents lists an issue's events, oldest first; the fake keeps
// labeled and unlabeled events.
func (s *Server) listIssueEvents(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n := number(r)
	if repo.issues[n] == nil {
		notFound(w)
		return
	}
	paginate(w, r, repo.events[n])
}

func (s *Server) listIssueLabels(w http.ResponseWriter, r *http.Request, repo *Repo) {
	is := repo.issues[number(r)]
	if is == nil {
		notFound(w)
		return
	}
	paginate(w, r, is.Labels)
}

// labelNames decodes a label request body: GitHub takes ["a","b"] or
// {"labels":["a","b"]}.
func labelNames(body io.Reader) ([]string, error) {
	data, _ := io.ReadAll(body)
	var names []string
	if err := json.Unmarshal(data, &names); err == nil {
		return names, nil
	}
	var obj struct {
		Labels []string `json:"labels"`
	}
	err := json.Unmarshal(data, &obj)
	return obj.Labels, err
}

func (s *Server) addIssueLabels(w http.ResponseWriter, r *http.Request, repo *Repo) {
	s.setIssueLabels(w, r, repo, false)
}

func (s *Server) replaceIssueLabels(w http.ResponseWriter, r *http.Request, repo *Repo) {
	s.setIssueLabels(w, r, repo, true)
}

// setIssueLabels adds the labels of the request body to the issue, or with
// replace sets them as its labels, creating unknown labels as GitHub does.
func (s *Server) setIssueLabels(w http.ResponseWriter, r *http.Request, repo *Repo, replace bool) {
	is := repo.issues[number(r)]
	if is == nil {
		notFound(w)
		return
	}
	names, err := labelNames(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON", "documentation_url": docsURL})
		return
	}
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			validationFailed(w, "Label", "name", "invalid", "label name must not be empty")
			return
		}
	}
	if replace {
		for _, l := range is.Labels {
			if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, l.GetName()) }) {
				s.labelEvent(repo, number(r), "unlabeled", l.GetName(), s.tokenUser())
			}
		}
		old := is.Labels
		is.Labels = nil
		for _, l := range old { // kept without a new event
			if slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, l.GetName()) }) {
				is.Labels = append(is.Labels, l)
			}
		}
	}
	for _, n := range names {
		if !hasLabel(is, n) {
			is.Labels = append(is.Labels, repo.label(n))
			s.labelEvent(repo, number(r), "labeled", repo.label(n).GetName(), s.tokenUser())
		}
	}
	writeJSON(w, http.StatusOK, is.Labels)
}

func (s *Server) removeIssueLabel(w http.ResponseWriter, r *http.Request, repo *Repo) {
	is := repo.issues[number(r)]
	if is == nil {
		notFound(w)
		return
	}
	name := r.PathValue("name")
	for i, l := range is.Labels {
		if strings.EqualFold(l.GetName(), name) {
			is.Labels = append(is.Labels[:i:i], is.Labels[i+1:]...)
			s.labelEvent(repo, number(r), "unlabeled", l.GetName(), s.tokenUser())
			writeJSON(w, http.StatusOK, is.Labels)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Label does not exist", "documentation_url": docsURL})
}

func (s *Server) listRepoLabels(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var out []*github.Label
	for _, l := range repo.labels {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetID() < out[j].GetID() })
	paginate(w, r, out)
}

func (s *Server) createRepoLabel(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var l github.Label
	if err := json.NewDecoder(r.Body).Decode(&l); err != nil || l.GetName() == "" {
		validationFailed(w, "Label", "name", "missing_field", "")
		return
	}
	if repo.labels[strings.ToLower(l.GetName())] != nil {
		validationFailed(w, "Label", "name", "already_exists", "")
		return
	}
	nl := repo.label(l.GetName())
	if l.Color != nil {
		nl.Color = l.Color
	}
	nl.Description = l.Description
	writeJSON(w, http.StatusCreated, nl)
}

func hasLabel(is *github.Issue, name string) bool {
	for _, l := range is.Labels {
		if strings.EqualFold(l.GetName(), name) {
			return true
		}
	}
	return false
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n := number(r)
	if repo.issues[n] == nil {
		notFound(w)
		return
	}
	var out []*github.IssueComment
	for _, c := range repo.comments {
		if repo.commentIssue[c.GetID()] == n {
			out = append(out, c)
		}
	}
	paginate(w, r, out)
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n := number(r)
	if repo.issues[n] == nil {
		notFound(w)
		return
	}
	var c github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil || c.GetBody() == "" {
		validationFailed(w, "IssueComment", "body", "missing_field", "")
		return
	}
	if len(c.GetBody()) > 65536 {
		validationFailed(w, "IssueComment", "body", "custom", "body is too long (maximum is 65536 characters)")
		return
	}
	author := User("github-actions[bot]", 41898282)
	if s.self != nil {
		author = s.self
	}
	nc := s.addComment(repo, repo.Owner+"/"+repo.Name, n, author, c.GetBody())
	writeJSON(w, http.StatusCreated, nc)
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request, repo *Repo) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.GetBody() == "" {
		validationFailed(w, "IssueComment", "body", "missing_field", "")
		return
	}
	for _, c := range repo.comments {
		if c.GetID() == id {
			c.Body = in.Body
			c.UpdatedAt = &github.Timestamp{Time: s.now()}
			// The editor is the token's account, as for a created status.
			editor := User("github-actions[bot]", 41898282)
			if s.self != nil {
				editor = s.self
			}
			repo.edits[id] = append(repo.edits[id], edit{at: s.now(), editor: editor})
			s.crossReference(repo, repo.commentIssue[id], in.GetBody(), editor)
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	notFound(w)
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n := number(r)
	pr := repo.pulls[n]
	if pr == nil {
		notFound(w)
		return
	}
	// Title, body and labels live on the issue, as on GitHub.
	out := *pr
	is := repo.issues[n]
	out.Title, out.Body, out.Labels = is.Title, is.Body, is.Labels
	out.ChangedFiles = github.Int(len(repo.pullFiles[n]))
	writeJSON(w, http.StatusOK, &out)
}

func (s *Server) listPullFiles(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n := number(r)
	if repo.pulls[n] == nil {
		notFound(w)
		return
	}
	files := repo.pullFiles[n]
	if len(files) > 3000 { // GitHub lists at most 3000 files
		files = files[:3000]
	}
	paginate(w, r, files)
}

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n := number(r)
	if repo.pulls[n] == nil {
		notFound(w)
		return
	}
	paginate(w, r, repo.reviews[n])
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var st github.RepoStatus
	if err := json.NewDecoder(r.Body).Decode(&st); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON", "documentation_url": docsURL})
		return
	}
	switch st.GetState() {
	case "pending", "success", "error", "failure":
	default:
		validationFailed(w, "Status", "state", "invalid", "")
		return
	}
	if len([]rune(st.GetDescription())) > 140 {
		validationFailed(w, "Status", "description", "custom", "description is too long (maximum is 140 characters)")
		return
	}
	if st.Context == nil {
		st.Context = github.String("default")
	}
	st.ID = github.Int64(s.id())
	st.CreatedAt = &github.Timestamp{Time: s.now()}
	// The creator is the token's account: the authenticated user when one
	// is set (a personal token), else the Actions bot.
	st.Creator = User("github-actions[bot]", 41898282)
	if s.self != nil {
		st.Creator = s.self
	}
	sha := r.PathValue("sha")
	repo.statuses[sha] = append(repo.statuses[sha], &st)
	writeJSON(w, http.StatusCreated, &st)
}

func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request, repo *Repo) {
	st := repo.statuses[r.PathValue("ref")]
	out := make([]*github.RepoStatus, 0, len(st))
	for i := len(st) - 1; i >= 0; i-- { // newest first, like GitHub
		out = append(out, st[i])
	}
	paginate(w, r, out)
}

func (s *Server) listCommitPulls(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var out []*github.PullRequest
	for _, n := range repo.commitPulls[r.PathValue("sha")] {
		if pr := repo.pulls[n]; pr != nil {
			out = append(out, pr)
		}
	}
	paginate(w, r, out)
}

func (s *Server) getContents(w http.ResponseWriter, r *http.Request, repo *Repo) {
	ref := repo.resolveRef(r.URL.Query().Get("ref"))
	if ref == "" {
		ref = repo.DefaultBranch
	}
	p := r.PathValue("path")
	content, ok := repo.files[ref][p]
	if !ok {
		if entries := repo.dir(ref, p); entries != nil {
			s.listDir(w, repo, ref, p, entries)
			return
		}
		notFound(w)
		return
	}
	enc := base64.StdEncoding.EncodeToString([]byte(content))
	// GitHub wraps the base64 at 60 characters with "\n".
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60])
		b.WriteByte('\n')
		enc = enc[60:]
	}
	b.WriteString(enc)
	b.WriteByte('\n')
	name := p[strings.LastIndex(p, "/")+1:]
	writeJSON(w, http.StatusOK, map[string]any{
		"type": "file", "encoding": "base64", "size": len(content), "name": name, "path": p,
		"content": b.String(), "sha": blobSHA(content),
		"url": fmt.Sprintf("%s/repos/%s/%s/contents/%s?ref=%s", s.URL, repo.Owner, repo.Name, p, ref),
	})
}

// dir returns the names of the entries of directory p on ref (a name ending
// in "/" is a subdirectory), sorted; nil when p is not a directory there.
func (r *Repo) dir(ref, p string) []string {
	prefix := strings.TrimSuffix(p, "/") + "/"
	if prefix == "/" {
		prefix = ""
	}
	seen := map[string]bool{}
	var out []string
	for f := range r.files[ref] {
		rest, ok := strings.CutPrefix(f, prefix)
		if !ok || rest == "" {
			continue
		}
		name := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			name = rest[:i+1]
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// listDir answers the contents API for a directory: an array of entries.
func (s *Server) listDir(w http.ResponseWriter, repo *Repo, ref, p string, entries []string) {
	var out []map[string]any
	for _, e := range entries {
		typ, name := "file", e
		if strings.HasSuffix(e, "/") {
			typ, name = "dir", strings.TrimSuffix(e, "/")
		}
		path := strings.TrimPrefix(strings.TrimSuffix(p, "/")+"/"+name, "/")
		entry := map[string]any{"type": typ, "name": name, "path": path,
			"url": fmt.Sprintf("%s/repos/%s/%s/contents/%s?ref=%s", s.URL, repo.Owner, repo.Name, path, ref)}
		if typ == "file" {
			entry["size"] = len(repo.files[ref][path])
			entry["sha"] = blobSHA(repo.files[ref][path])
		}
		out = append(out, entry)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPermission(w http.ResponseWriter, r *http.Request, repo *Repo) {
	login := r.PathValue("user")
	perm, ok := repo.permissions[strings.ToLower(login)]
	if !ok {
		perm = "none"
	}
	writeJSON(w, http.StatusOK, map[string]any{"permission": perm, "role_name": perm, "user": User(login, 1)})
}

func (s *Server) getGitCommit(w http.ResponseWriter, r *http.Request, repo *Repo) {
	sha := r.PathValue("sha")
	tree, ok := repo.trees[sha]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha": sha, "tree": map[string]string{"sha": tree}, "message": "commit " + sha})
}

// repoCommit is a commit as the commits API shows it.
func repoCommit(c *Commit) *github.RepositoryCommit {
	rc := &github.RepositoryCommit{SHA: github.String(c.SHA), Commit: &github.Commit{
		Message: github.String(c.Message),
		Author:  &github.CommitAuthor{Name: github.String(c.Author), Email: github.String(c.Author + "@example.com"), Date: &github.Timestamp{Time: c.AuthorDate}},
		Committer: &github.CommitAuthor{Name: github.String("GitHub"), Email: github.String("noreply@github.com"),
			Date: &github.Timestamp{Time: c.Committed}},
		Tree: &github.Tree{SHA: github.String(c.Tree)},
	}}
	for _, p := range c.Parents {
		rc.Parents = append(rc.Parents, &github.Commit{SHA: github.String(p)})
	}
	return rc
}

// listCommits answers GET /repos/{owner}/{repo}/commits?sha=SHA: the history
// from SHA, newest first. The fake follows first parents only, which is the
// order GitHub gives for a linear history.
func (s *Server) listCommits(w http.ResponseWriter, r *http.Request, repo *Repo) {
	sha := r.URL.Query().Get("sha")
	c := repo.commits[sha]
	if c == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "No commit found for SHA: " + sha, "documentation_url": docsURL + "/commits/commits#list-commits"})
		return
	}
	var out []*github.RepositoryCommit
	for c != nil {
		out = append(out, repoCommit(c))
		if len(c.Parents) == 0 {
			break
		}
		c = repo.commits[c.Parents[0]]
	}
	paginate(w, r, out)
}

// listPullCommits answers GET /pulls/{number}/commits, oldest first.
func (s *Server) listPullCommits(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n := number(r)
	if repo.pulls[n] == nil {
		notFound(w)
		return
	}
	out := []*github.RepositoryCommit{}
	for _, sha := range repo.pullCommits[n] {
		if c := repo.commits[sha]; c != nil {
			out = append(out, repoCommit(c))
		}
	}
	paginate(w, r, out)
}

func (s *Server) getTeamMembership(w http.ResponseWriter, r *http.Request) {
	team := strings.ToLower(r.PathValue("org") + "/" + r.PathValue("slug"))
	state, ok := s.teams[team][strings.ToLower(r.PathValue("user"))]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": state, "role": "member",
		"url": fmt.Sprintf("%s/orgs/%s/teams/%s/memberships/%s", s.URL, r.PathValue("org"), r.PathValue("slug"), r.PathValue("user"))})
}

// listTeamMembers answers GET /orgs/{org}/teams/{slug}/members: the active
// members, paginated, sorted by login. A team the fake does not know is a 404,
// as GitHub answers for a team the token cannot see.
func (s *Server) listTeamMembers(w http.ResponseWriter, r *http.Request) {
	members, ok := s.teams[strings.ToLower(r.PathValue("org")+"/"+r.PathValue("slug"))]
	if !ok {
		notFound(w)
		return
	}
	var logins []string
	for login, state := range members {
		if state == "active" {
			logins = append(logins, login)
		}
	}
	sort.Strings(logins)
	users := make([]*github.User, 0, len(logins))
	for _, l := range logins {
		id := int64(0)
		for _, c := range l {
			id = id*31 + int64(c)
		}
		users = append(users, User(l, id&(1<<40-1)))
	}
	paginate(w, r, users)
}

// compare answers GET /compare/BASE...HEAD with the files of the open pull
// request whose head is HEAD (renames with their previous names), as
// GitHub's three-dot compare gives a pull request's diff. GitHub lists at
// most 300 files.
func (s *Server) compare(w http.ResponseWriter, r *http.Request, repo *Repo) {
	_, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok {
		notFound(w)
		return
	}
	for n, pr := range repo.pulls {
		if pr.GetHead().GetSHA() == head {
			files := repo.pullFiles[n]
			if len(files) > 300 {
				files = files[:300]
			}
			writeJSON(w, http.StatusOK, map[string]any{"status": "ahead", "files": files})
			return
		}
	}
	notFound(w)
}

// SetPullFiles sets the files pull request number changes (modified), as a
// push that changes its diff would.
func (s *Server) SetPullFiles(repo string, number int, paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	r.pullFiles[number] = nil
	for _, f := range paths {
		r.pullFiles[number] = append(r.pullFiles[number], &github.CommitFile{Filename: github.String(f), Status: github.String("modified")})
	}
}

// RenameFile adds a renamed file (from → to) to pull request number's files.
func (s *Server) RenameFile(repo string, number int, from, to string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	r.pullFiles[number] = append(r.pullFiles[number], &github.CommitFile{Filename: github.String(to), PreviousFilename: github.String(from), Status: github.String("renamed")})
}

func blobSHA(content string) string {
	return fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(content), content))))
}

func (s *Server) getAuthenticatedUser(w http.ResponseWriter, r *http.Request) {
	if s.self == nil {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration", "documentation_url": docsURL + "/users/users#get-the-authenticated-user"})
		return
	}
	writeJSON(w, http.StatusOK, s.self)
}
