package action

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/google/go-github/v60/github"
	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

// StatusContext is the commit status twokey keeps on pull request heads; make
// it a required status check.
const StatusContext = "twokey/gate"

// RecordWriter appends a record to the git note of a commit
// (gitstore.Remote implements it).
type RecordWriter interface {
	AppendRecord(ctx context.Context, commit string, rec tracker.Record) error
}

// Config is what Run needs from the outside world. Only Getenv is required.
type Config struct {
	// Getenv reads the Actions environment (GITHUB_*, INPUT_*).
	Getenv func(string) string
	// Stdout receives workflow commands (annotations, notices) and logs;
	// Stderr receives nothing else than what a person needs to read.
	Stdout, Stderr io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// HTTPClient's Transport is used for every API call (default
	// http.DefaultTransport); its Timeout applies per request.
	HTTPClient *http.Client
	// Sleep waits between retries (default: a timer that ends with ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// RetryBudget bounds the time spent retrying one request (default 60s).
	RetryBudget time.Duration
	// Records opens the writer of merge records for the repository at
	// remoteURL (GITHUB_SERVER_URL/owner/repo.git) with token. The default
	// pushes refs/notes/twokey with gitstore, authenticating as
	// x-access-token.
	Records func(remoteURL, token string) RecordWriter
}

// Exit codes of Run.
const (
	ExitOK    = 0 // the event was handled (whatever the verdict), or ignored
	ExitError = 1 // configuration error or failure: see the annotations
)

// runner is one run: the environment, the API, and what was loaded.
type runner struct {
	cfg       Config
	pub       *publisher
	api       *repoAPI
	event     string
	token     string
	serverURL string
	runURL    string
	attempt   string

	policy    *tracker.Policy
	form      *tracker.Form
	formFile  *configFile // the form read with the policy (nil: not read), parsed when needed
	defBranch string
	selfLogin *string
	// asStatusCreator makes the account that set twokey/gate on the head
	// twokey's own (twokey check, whose token is a person's).
	asStatusCreator bool
	fork            bool // the pull request comes from a fork under pull_request(_review): the token is read-only
	readOnly        bool // a write was refused with 403
	configErrs      error
	// cfgID names the policy and form in use (see configID): twokey's
	// status carries it, so a scheduled re-check knows which pull requests
	// were judged under another configuration.
	cfgID string
	// notify says this run posts overdue notices: a re-check run (see
	// recheckAll). Only re-checks do, and the workflow runs one at a time
	// (the concurrency group twokey-recheck), so that two runs judging the
	// same pull request at once cannot both tell its signers.
	notify bool
	// notes receives notices and warnings when there is no publisher
	// (twokey check at a terminal): one line each.
	notes io.Writer
}

// Run handles the event the Actions runner describes in the environment and
// returns the exit code. It never runs git or any code from the pull request,
// and reads the policy and form only from the default branch through the API.
func Run(ctx context.Context, cfg Config) int {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	getenv := cfg.Getenv
	pub := newPublisher(getenv, cfg.Stdout)
	r, ev, err := setup(cfg, pub)
	if err != nil {
		pub.errorAnnotation(err)
		fmt.Fprintf(cfg.Stderr, "twokey action: %v\n", err)
		return ExitError
	}
	if ev == nil {
		return ExitOK
	}
	err = r.dispatch(ctx, ev)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errReadOnly):
		if r.event == "pull_request_review" {
			// There is no pull_request_review_target: a review of a fork's
			// pull request never gets a writable token.
			pub.notice("the token is read-only (a review of a pull request from a fork): the verdict is in the step summary; the %s status, labels and comment follow with the next event that can write (a comment, a push, an edit, a label)", StatusContext)
			return ExitOK
		}
		pub.notice("the token is read-only (a pull request from a fork under %s): the verdict is in the step summary; use pull_request_target to label, comment and set the %s status", r.event, StatusContext)
		return ExitOK
	default:
		pub.errorAnnotation(err)
		fmt.Fprintf(cfg.Stderr, "twokey action: %v\n", err)
		return ExitError
	}
}

// setup reads the environment and the event. A nil event means the event is
// not one twokey handles (a notice says so).
func setup(cfg Config, pub *publisher) (*runner, any, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		return nil, nil, errors.New("no environment: Config.Getenv is nil")
	}
	name := getenv("GITHUB_EVENT_NAME")
	path := getenv("GITHUB_EVENT_PATH")
	if name == "" || path == "" {
		return nil, nil, errors.New("GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set: twokey action runs inside GitHub Actions (use twokey check on a workstation)")
	}
	repo := getenv("GITHUB_REPOSITORY")
	owner, repoName, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || repoName == "" {
		return nil, nil, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", repo)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read the event payload: %w", err)
	}
	var ev any
	if name == "schedule" || name == "workflow_dispatch" {
		ev = parseRecheck(name, data, getenv("GITHUB_REF"))
	} else {
		ev, err = github.ParseWebHook(name, data)
	}
	if err != nil {
		if strings.Contains(err.Error(), "unknown X-Github-Event") {
			pub.notice("twokey does not handle %s events; nothing to do (docs/action.md in the twokey repository lists the events it needs)", name)
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("decode the %s event in %s: %w", name, path, err)
	}
	token := getenv("INPUT_GITHUB_TOKEN")
	if token == "" {
		token = getenv("GITHUB_TOKEN")
	}
	if token == "" {
		return nil, nil, errors.New("no token: set the github-token input (default ${{ github.token }})")
	}
	c, err := newClient(clientOptions{apiURL: getenv("GITHUB_API_URL"), token: token, http: cfg.HTTPClient, sleep: cfg.Sleep, now: cfg.Now, budget: cfg.RetryBudget})
	if err != nil {
		return nil, nil, err
	}
	server := strings.TrimSuffix(getenv("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	r := &runner{
		cfg: cfg, pub: pub, event: name, token: token, serverURL: server, attempt: getenv("GITHUB_RUN_ATTEMPT"),
		api: &repoAPI{c: c, owner: owner, name: repoName},
	}
	if id := getenv("GITHUB_RUN_ID"); id != "" {
		r.runURL = fmt.Sprintf("%s/%s/actions/runs/%s", server, repo, id)
	}
	return r, ev, nil
}

// rerun reports whether this is a re-run of a workflow run: the payload may be
// older than the repository's state, so state is read from the API.
func (r *runner) rerun() bool { return r.attempt != "" && r.attempt != "1" }

// dispatch sends the event to its handler.
func (r *runner) dispatch(ctx context.Context, ev any) error {
	switch e := ev.(type) {
	case *github.IssuesEvent:
		switch e.GetAction() {
		case "opened", "edited", "reopened", "labeled", "unlabeled":
			r.setDefaultBranch(e.GetRepo())
			return r.issueEvent(ctx, e)
		}
	case *github.IssueCommentEvent:
		a := e.GetAction()
		if (a == "created" || a == "edited" || a == "deleted") && e.GetIssue().IsPullRequest() {
			// An edit or a deletion can withdraw a key (a /signoff edited
			// into a revoke, deleted, or edited by someone else): the gate
			// answers at once, not at the next event. A bot's comment
			// carries no key (twokey's own edits of its comment come here
			// under an App token).
			if a != "created" && e.GetComment().GetUser().GetType() == "Bot" {
				r.pub.notice("a bot's comment was %s: it carries no key, nothing to do", a)
				return nil
			}
			r.setDefaultBranch(e.GetRepo())
			return r.handlePull(ctx, e.GetIssue().GetNumber(), linkHint{title: e.GetIssue().GetTitle(), body: e.GetIssue().GetBody()})
		}
		if e.GetAction() == "created" {
			r.pub.notice("comment on issue #%d, not a pull request: nothing to do", e.GetIssue().GetNumber())
			return nil
		}
	case *github.PullRequestEvent:
		return r.pullEvent(ctx, e.GetAction(), e.GetPullRequest(), e.GetRepo())
	case *github.PullRequestTargetEvent:
		return r.pullEvent(ctx, e.GetAction(), e.GetPullRequest(), e.GetRepo())
	case *github.PullRequestReviewEvent:
		switch e.GetAction() {
		case "submitted", "dismissed", "edited":
			r.setDefaultBranch(e.GetRepo())
			r.fork = isFork(e.GetPullRequest())
			return r.handlePull(ctx, e.GetPullRequest().GetNumber(), hintOf(e.GetPullRequest()))
		}
	case *github.MergeGroupEvent:
		if e.GetAction() == "checks_requested" {
			r.setDefaultBranch(e.GetRepo())
			return r.handleMergeGroup(ctx, e.GetMergeGroup())
		}
	case *github.PushEvent:
		r.setDefaultBranch(pushRepo(e))
		if r.recheckInput() {
			if e.GetDeleted() || e.GetRef() != "refs/heads/"+r.defBranch {
				r.pub.notice("push to %s: only a push to the default branch (%s) can change the policy or form", e.GetRef(), r.defBranch)
				return nil
			}
			return r.recheckAll(ctx, "a push to "+r.defBranch)
		}
		return r.handlePush(ctx, e)
	case *recheckEvent:
		r.defBranch = e.defaultBranch
		if r.defBranch == "" {
			return errors.New("the " + e.name + " payload names no default branch: cannot tell where the policy lives")
		}
		return r.recheckAll(ctx, e.name)
	}
	r.pub.notice("twokey does not handle %s events with action %q; nothing to do", r.event, actionOf(ev))
	return nil
}

func (r *runner) pullEvent(ctx context.Context, action string, pr *github.PullRequest, repo *github.Repository) error {
	r.setDefaultBranch(repo)
	r.fork = r.event == "pull_request" && isFork(pr)
	switch action {
	case "opened", "edited", "synchronize", "reopened", "ready_for_review", "labeled", "unlabeled":
		return r.handlePull(ctx, pr.GetNumber(), hintOf(pr))
	case "closed":
		if pr.GetMerged() {
			return r.handleMerged(ctx, pr)
		}
		r.pub.notice("pull request #%d was closed without merging: nothing to record", pr.GetNumber())
		return nil
	}
	r.pub.notice("twokey does not handle %s events with action %q; nothing to do", r.event, action)
	return nil
}

func isFork(pr *github.PullRequest) bool {
	h, b := pr.GetHead().GetRepo().GetFullName(), pr.GetBase().GetRepo().GetFullName()
	return h != "" && b != "" && !strings.EqualFold(h, b)
}

func actionOf(ev any) string {
	type actioner interface{ GetAction() string }
	if a, ok := ev.(actioner); ok {
		return a.GetAction()
	}
	return ""
}

func pushRepo(e *github.PushEvent) *github.Repository {
	pr := e.GetRepo()
	if pr == nil {
		return nil
	}
	return &github.Repository{DefaultBranch: pr.DefaultBranch, MasterBranch: pr.MasterBranch}
}

// setDefaultBranch takes the default branch from the event's repository.
func (r *runner) setDefaultBranch(repo *github.Repository) {
	r.defBranch = repo.GetDefaultBranch()
	if r.defBranch == "" {
		r.defBranch = repo.GetMasterBranch()
	}
}

// configPaths are where the policy and the form live on the default branch:
// the policy-path and form-path inputs, or the defaults (the form's may
// change once the policy is read: its brief.form).
func (r *runner) configPaths() (policy, form string) {
	policy = r.cfg.Getenv("INPUT_POLICY_PATH")
	if policy == "" {
		policy = tracker.DefaultPolicyFile
	}
	form = r.cfg.Getenv("INPUT_FORM_PATH")
	if form == "" {
		form = tracker.DefaultFormFile
	}
	return policy, form
}

// loadPolicy reads the policy from the default branch (never from a pull
// request head or the workspace); a missing file means the embedded default.
// The form (INPUT_FORM_PATH, else the default form path) is read in the same
// request and kept for loadForm.
func (r *runner) loadPolicy(ctx context.Context) (*tracker.Policy, error) {
	if r.policy != nil {
		return r.policy, nil
	}
	if r.defBranch == "" {
		// The payload always carries it; an API call would cost a request.
		return nil, errors.New("the event payload has no repository.default_branch: cannot tell where the policy lives")
	}
	path, formPath := r.configPaths()
	pf, ff, fellBack, viewer, err := r.api.readConfig(ctx, r.defBranch, path, formPath)
	if err != nil {
		return nil, err
	}
	if viewer != "" {
		r.selfLogin = &viewer
	}
	if fellBack && r.pub != nil {
		r.pub.gha.Debugf("GraphQL could not read %s whole: read with the contents API", path)
	}
	return r.policy, r.applyConfig(pf, ff)
}

// useConfig takes the policy and form as a pull request's read gave them
// (GraphQL objects at refs/heads/<default>): an object GraphQL could not give
// whole is read again with the contents API.
func (r *runner) useConfig(ctx context.Context, policy, form *gqlObject, policyPath, formPath string) error {
	if r.policy != nil {
		return nil
	}
	pf := configFile{path: policyPath}
	if !objectFile(&pf, policy) {
		if policy != nil && policy.Typename == "Tree" {
			return &configError{err: fmt.Errorf("%s on %s is a directory, not a file", policyPath, r.defBranch)}
		}
		var err error
		if pf.data, pf.found, err = r.api.contents(ctx, policyPath, "refs/heads/"+r.defBranch); err != nil {
			return err
		}
	}
	var ff *configFile
	if f := (configFile{path: formPath}); objectFile(&f, form) {
		ff = &f
	}
	return r.applyConfig(pf, ff)
}

// applyConfig parses the policy file read from the default branch (the
// embedded default when there is none) and keeps the form read with it.
func (r *runner) applyConfig(pf configFile, ff *configFile) error {
	path := pf.path
	r.formFile = ff
	if !pf.found {
		if path != tracker.DefaultPolicyFile {
			// A path someone chose and mistyped must not quietly mean the
			// embedded default.
			return &configError{err: fmt.Errorf("policy-path %s: no such file on %s (remove the input to use %s or the embedded default)", path, r.defBranch, tracker.DefaultPolicyFile)}
		}
		if r.pub != nil {
			r.pub.notice("no %s on %s: the embedded default policy applies (twokey policy prints it; twokey init writes it)", path, r.defBranch)
		}
		r.policy = tracker.DefaultPolicy()
		return nil
	}
	p, err := tracker.LoadPolicy(path, pf.data)
	if err != nil {
		return &configError{err: err}
	}
	for _, w := range p.Warnings {
		r.configWarning(w)
	}
	r.policy = p
	return nil
}

// loadForm reads the brief form from the default branch: INPUT_FORM_PATH, or
// the policy's brief.form. A form that the input or the policy file names
// must exist (a mistyped path must not quietly mean another form); only the
// default path, named by neither, may be missing, and the embedded default
// form then applies, with a notice.
// It replaces r.policy with the policy fitted to the form (FitPolicyToForm),
// and notices what of the default was left out.
// The form read with the policy is used when it is that file; another
// brief.form costs one more request.
func (r *runner) loadForm(ctx context.Context) (*tracker.Form, error) {
	if r.form != nil {
		return r.form, nil
	}
	p, err := r.loadPolicy(ctx)
	if err != nil {
		return nil, err
	}
	input := r.cfg.Getenv("INPUT_FORM_PATH")
	path := input
	if path == "" {
		path = p.Brief.Form
	}
	if path == "" {
		path = tracker.DefaultFormFile
	}
	file := configFile{path: path}
	if r.formFile != nil && r.formFile.path == path {
		file = *r.formFile
	} else if file.data, file.found, err = r.api.contents(ctx, path, r.defBranch); err != nil {
		return nil, err
	}
	f := tracker.DefaultForm()
	switch {
	case file.found:
		if f, err = tracker.LoadForm(path, file.data); err != nil {
			return nil, &configError{err: err}
		}
	case input != "":
		return nil, &configError{err: fmt.Errorf("form-path %s: no such file on %s (fix the path, or remove the input to use the policy's brief.form)", path, r.defBranch)}
	case p.FormNamed():
		return nil, &configError{err: p.MissingForm("on " + r.defBranch)}
	default:
		r.notice("no %s on %s: the embedded default brief form applies (twokey form prints it; twokey init writes it)", path, r.defBranch)
	}
	fit, left, err := tracker.FitPolicyToForm(p, f)
	if err != nil {
		return nil, &configError{err: err}
	}
	if left != nil {
		r.notice("%s", left)
	}
	// From here on the policy is the one fitted to the form: the default's
	// rules for fields the form lacks are gone.
	r.policy, r.form = fit, f
	formData := tracker.DefaultFormYAML
	if file.found {
		formData = file.data
	}
	r.cfgID = configID(p.SHA, tracker.GitBlobSHA(formData))
	return f, nil
}

// configError is a broken policy or form on the default branch.
type configError struct{ err error }

// Error names where the configuration came from.
func (e *configError) Error() string { return "configuration on the default branch: " + e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// write runs a write call and turns a read-only refusal into errReadOnly
// in a fork's run, where it is expected.
func (r *runner) write(err error) error {
	if err != nil && isReadOnly(err) {
		r.readOnly = true
		if r.fork {
			return fmt.Errorf("%w: %w", errReadOnly, err)
		}
		return fmt.Errorf("%w (the job needs permissions issues: write, pull-requests: write and statuses: write)", err)
	}
	return err
}

// defaultRecords pushes records with gitstore over https as x-access-token.
func defaultRecords(remoteURL, token string) RecordWriter {
	var auth transport.AuthMethod
	if token != "" {
		auth = &githttp.BasicAuth{Username: "x-access-token", Password: token}
	}
	return gitstore.OpenRemote(remoteURL, auth)
}

// self returns the login twokey writes as: the token's own account, as
// GitHub's GraphQL viewer names it (github-actions[bot] for GITHUB_TOKEN,
// an App's bot for its installation token, the person for a personal
// token). It was read with the policy; a run that has not read it asks.
func (r *runner) self(ctx context.Context) (string, error) {
	if r.selfLogin != nil {
		return *r.selfLogin, nil
	}
	var data struct {
		Viewer struct {
			Login string `json:"login"`
		} `json:"viewer"`
	}
	if _, _, err := r.api.graphql(ctx, "read the token's own login", `query{viewer{login}}`, nil, &data); err != nil {
		return "", err
	}
	if data.Viewer.Login == "" {
		return "", fmt.Errorf("read the token's own login (GraphQL): %w: no viewer login", errGraphQL)
	}
	r.selfLogin = &data.Viewer.Login
	return data.Viewer.Login, nil
}

// configID names a policy and form by their blob SHAs, in 12 hex digits.
func configID(policySHA, formSHA string) string {
	sum := sha256.Sum256([]byte(policySHA + "\n" + formSHA))
	return hex.EncodeToString(sum[:6])
}
