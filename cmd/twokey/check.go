package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/twokey/twokey/action"
	"github.com/twokey/twokey/tracker"
)

const checkUsage = `usage: twokey check --pr N [--repo owner/repo] [--policy-path PATH] [--form-path PATH] [--json]

Check evaluates a pull request's gate from a terminal, exactly as the action
does on a pull request event: the policy and brief form come from the default
branch, sign-offs from the pull request's reviews and /signoff comments. It
prints the table twokey's comment on the pull request shows, with the freeze
window that holds it and when each pending key is due (judged at GitHub's
clock, not this computer's), and changes nothing on GitHub (no status, label
or comment).

Flags:
  --pr N              the pull request number (required)
  --repo owner/repo   the repository (default: $GH_REPO, else the GitHub
                      remote "origin" of the git repository in the current
                      directory; an origin on another host, such as
                      gitlab.com, is refused unless $GH_HOST names it as a
                      GitHub Enterprise host)
  --policy-path PATH  the policy on the default branch (default
                      .github/twokey.yml; the embedded default when absent)
  --form-path PATH    the brief form on the default branch (default: the
                      policy's brief.form)
  --json              print the verdict as one JSON object:
                      {"repo", "number", "head", "state", "description",
                       "required", "kinds": [{"kind", "status", "signoffs",
                       "who", "how", "problem"}], "link", "ignored",
                       "bypass", "problems", "judged_at", "freeze": {"reason",
                       "window", "until", "zone", "override_kind",
                       "lifted_by", "lifted_with"}, "due": [{"kind", "at",
                       "zone", "since", "why", "overdue", "mentions"}]}

The token is $GH_TOKEN, else $GITHUB_TOKEN, else what 'gh auth token' prints.
It needs read access to the repository's contents, issues and pull requests,
and read:org when the policy names teams. $GITHUB_API_URL or $GH_HOST points
at GitHub Enterprise Server (https://HOST/api/v3). When GitHub answers 5xx
or asks to slow down, check retries for up to 20s and says so on stderr.

Exit status: 0 the gate passes, 1 it is pending (a sign-off or the brief
link is missing), 2 error (including a policy that cannot be met).

Examples:
  twokey check --pr 42
  GH_TOKEN=$(gh auth token) twokey check --repo acme/site --pr 42
  gh twokey check --pr 42 --json | jq .state
`

func checkCommand() *command {
	return &command{
		name:    "check",
		summary: "evaluate a live pull request's gate",
		usage:   checkUsage,
		run:     runCheck,
	}
}

// ghAuthToken asks the GitHub CLI for its token ("" when gh is missing or
// logged out). Tests replace it.
var ghAuthToken = func(ctx context.Context, host string) string {
	path, err := exec.LookPath("gh")
	if err != nil {
		return ""
	}
	args := []string{"auth", "token"}
	if host != "" {
		args = append(args, "--hostname", host)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// checkRetryBudget bounds a person's wait on a rate limit: longer waits
// are reported instead.
var checkRetryBudget = 20 * time.Second

func runCheck(ctx context.Context, e *env, args []string) error {
	fset := newFlagSet("check")
	pr := fset.Int("pr", 0, "")
	repo := fset.String("repo", "", "")
	policyPath := fset.String("policy-path", "", "")
	formPath := fset.String("form-path", "", "")
	asJSON := fset.Bool("json", false, "")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		// Allow `twokey check 42` as well as --pr 42.
		n, err := strconv.Atoi(strings.TrimPrefix(fset.Arg(0), "#"))
		if err != nil || fset.NArg() > 1 || *pr != 0 {
			return usagef("unexpected argument %q", fset.Arg(0))
		}
		*pr = n
	}
	if *pr <= 0 {
		return usagef("--pr N is required: the number of the pull request to check")
	}
	if *repo == "" {
		*repo = e.getenv("GH_REPO")
	}
	apiURL, token, err := githubAccess(ctx, e)
	if err != nil {
		return err
	}
	if *repo == "" {
		r, originHost, err := originRepo(".")
		if err != nil {
			return usagef("--repo owner/repo is required here: %v", err)
		}
		if err := onGitHub(originHost, e.getenv("GH_HOST"), apiURL); err != nil {
			return err
		}
		*repo = r
	}
	v, err := action.Check(ctx, action.CheckConfig{
		APIURL: apiURL, Token: token, Repo: *repo, Number: *pr,
		PolicyPath: *policyPath, FormPath: *formPath, RetryBudget: checkRetryBudget, Notes: e.stderr, Sleep: e.sleep,
	})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(verdictJSON(v)); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "%s#%d: %s\n\n%s", *repo, *pr, v.Description(), v.Comment())
	}
	switch v.State {
	case tracker.StateSuccess:
		return nil
	case tracker.StatePending:
		return errNotOK
	default:
		return fmt.Errorf("the gate of %s#%d fails: %s", *repo, *pr, strings.Join(v.Problems, "; "))
	}
}

// githubAccess returns GitHub's API URL ($GITHUB_API_URL, or the API of
// $GH_HOST when it is not github.com; empty for api.github.com) and the
// token: $GH_TOKEN, else $GITHUB_TOKEN, else what 'gh auth token' prints.
func githubAccess(ctx context.Context, e *env) (apiURL, token string, err error) {
	host := e.getenv("GH_HOST")
	apiURL = e.getenv("GITHUB_API_URL")
	if apiURL == "" && host != "" && !strings.EqualFold(host, "github.com") {
		apiURL = "https://" + host + "/api/v3"
	}
	token = e.getenv("GH_TOKEN")
	if token == "" {
		token = e.getenv("GITHUB_TOKEN")
	}
	if token == "" {
		token = ghAuthToken(ctx, host)
	}
	if token == "" {
		return "", "", errors.New("no token: set GH_TOKEN (or GITHUB_TOKEN) to a token that can read the repository, or log in with 'gh auth login'")
	}
	return apiURL, token, nil
}

// githubRemote matches the owner/name of a GitHub remote URL: https://HOST/o/r(.git),
// git@HOST:o/r(.git), ssh://git@HOST/o/r(.git).
var githubRemote = regexp.MustCompile(`^(?:[a-z+]+://)?(?:[^@/]+@)?([^/:]+)(?::[0-9]+)?[:/]([^/]+)/([^/]+?)(?:\.git)?/?$`)

// originRepo returns owner/name and the host of the "origin" remote of the
// git repository holding dir (read with go-git: no git binary needed).
func originRepo(dir string) (repo, host string, err error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", "", errors.New("the current directory is not in a git repository")
	}
	rem, err := r.Remote("origin")
	if err != nil || len(rem.Config().URLs) == 0 {
		return "", "", errors.New(`the git repository has no remote "origin"`)
	}
	return repoFromURL(rem.Config().URLs[0])
}

// repoFromURL returns owner/name and the host of a remote URL.
func repoFromURL(raw string) (repo, host string, err error) {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = nil // never echo a token embedded in the URL
		raw = u.String()
	}
	m := githubRemote.FindStringSubmatch(raw)
	if m == nil {
		return "", "", fmt.Errorf("remote origin %q is not a GitHub repository URL", raw)
	}
	return m[2] + "/" + m[3], m[1], nil
}

// onGitHub refuses an origin on a host that is not GitHub: github.com, or
// the GitHub Enterprise host that GH_HOST (or GITHUB_API_URL) names. A
// GitLab or Bitbucket remote would otherwise be looked up on github.com,
// where a repository of the same name may exist and be someone else's.
func onGitHub(originHost, ghHost, apiURL string) error {
	h := strings.ToLower(originHost)
	if h == "github.com" || strings.HasSuffix(h, ".github.com") || (ghHost != "" && strings.EqualFold(h, ghHost)) {
		return nil
	}
	if u, err := url.Parse(apiURL); err == nil && apiURL != "" && strings.EqualFold(u.Hostname(), h) {
		return nil
	}
	return fmt.Errorf("remote origin is on %s, not GitHub: twokey checks GitHub pull requests; if %s is a GitHub Enterprise server, set GH_HOST=%s; else name the GitHub repository with --repo owner/name", originHost, originHost, originHost)
}

// The JSON of twokey check: snake_case like the other commands' JSON.
type (
	checkOut struct {
		Repo        string        `json:"repo"`
		Number      int           `json:"number"`
		Head        string        `json:"head"`
		State       string        `json:"state"`
		Description string        `json:"description"`
		Required    []string      `json:"required"`
		Kinds       []checkKind   `json:"kinds"`
		Link        checkLink     `json:"link"`
		Ignored     []checkIgnore `json:"ignored"`
		Bypass      *checkBypass  `json:"bypass,omitempty"`
		Problems    []string      `json:"problems"`
		// JudgedAt is GitHub's clock when it answered (the time rules'
		// "now"); Freeze and Due are what they found.
		JudgedAt time.Time    `json:"judged_at,omitzero"`
		Freeze   *checkFreeze `json:"freeze,omitempty"`
		Due      []checkDue   `json:"due"`
	}
	checkFreeze struct {
		Reason       string    `json:"reason"`
		Window       string    `json:"window"`
		Until        time.Time `json:"until"`
		Zone         string    `json:"zone"`
		OverrideKind string    `json:"override_kind,omitempty"`
		LiftedBy     string    `json:"lifted_by,omitempty"` // login, or "" while it holds
		LiftedWith   string    `json:"lifted_with,omitempty"`
	}
	checkDue struct {
		Kind     string    `json:"kind"`
		At       time.Time `json:"at"`
		Zone     string    `json:"zone"`
		Since    time.Time `json:"since"`
		Why      string    `json:"why"`
		Overdue  bool      `json:"overdue"`
		Mentions []string  `json:"mentions"`
	}
	checkKind struct {
		Kind     string         `json:"kind"`
		Status   string         `json:"status"`
		Signoffs []checkSignoff `json:"signoffs"`
		Who      string         `json:"who,omitempty"`
		How      string         `json:"how,omitempty"`
		Problem  string         `json:"problem,omitempty"`
	}
	checkSignoff struct {
		Signer   string    `json:"signer"`
		SHA      string    `json:"sha"`
		Via      string    `json:"via"`
		URL      string    `json:"url,omitempty"`
		At       time.Time `json:"at"`
		SameTree bool      `json:"same_tree,omitempty"`
		// Stale says why a sign-off does not cover the head ("" when it does).
		Stale string `json:"stale,omitempty"`
	}
	checkLink struct {
		Status  string `json:"status"`
		Briefs  []int  `json:"briefs"`
		Waiver  string `json:"waiver,omitempty"`
		Message string `json:"message,omitempty"`
	}
	checkIgnore struct {
		Login  string `json:"login"`
		Source string `json:"source"`
		URL    string `json:"url,omitempty"`
		Reason string `json:"reason"`
	}
	checkBypass struct {
		By     string    `json:"by"`
		Reason string    `json:"reason"`
		URL    string    `json:"url,omitempty"`
		At     time.Time `json:"at"`
	}
)

func verdictJSON(v *tracker.Verdict) checkOut {
	o := checkOut{
		Repo: v.Repo, Number: v.Number, Head: v.Head, State: v.State, Description: v.Description(),
		Required: nonNil(v.Required), Kinds: []checkKind{}, Ignored: []checkIgnore{}, Problems: nonNil(v.Problems),
		Link: checkLink{Status: v.Link.Status, Briefs: v.Link.Briefs, Waiver: v.Link.Waiver, Message: v.Link.Message},
	}
	if o.Link.Briefs == nil {
		o.Link.Briefs = []int{}
	}
	for _, k := range v.Kinds {
		ck := checkKind{Kind: k.Kind, Status: k.Status, Signoffs: []checkSignoff{}, Who: k.Who, How: k.How, Problem: k.Problem}
		for _, s := range k.Signoffs {
			ck.Signoffs = append(ck.Signoffs, checkSignoff{Signer: s.Signer.Login, SHA: s.SHA, Via: s.Via, URL: s.URL, At: s.At, SameTree: s.SameTree, Stale: s.Stale})
		}
		o.Kinds = append(o.Kinds, ck)
	}
	for _, ig := range v.Ignored {
		o.Ignored = append(o.Ignored, checkIgnore{Login: ig.Login, Source: ig.Source, URL: ig.URL, Reason: ig.Reason})
	}
	if b := v.Bypass; b != nil {
		o.Bypass = &checkBypass{By: b.By.Login, Reason: b.Reason, URL: b.URL, At: b.At}
	}
	o.Due = []checkDue{}
	if t := v.Time; t != nil {
		o.JudgedAt = t.Now.UTC()
		if f := t.Freeze; f != nil {
			o.Freeze = &checkFreeze{Reason: f.Reason, Window: f.Window, Until: f.Until.UTC(), Zone: f.Zone.String(), OverrideKind: f.OverrideKind}
			if ov := f.Override; ov != nil {
				o.Freeze.LiftedBy, o.Freeze.LiftedWith = ov.By, ov.Kind
			}
		}
		for _, d := range t.Due {
			o.Due = append(o.Due, checkDue{Kind: d.Kind, At: d.At.UTC(), Zone: d.Zone.String(), Since: d.Since.UTC(), Why: d.Why, Overdue: d.Overdue, Mentions: nonNil(d.Mentions)})
		}
	}
	return o
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
