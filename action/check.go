package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/twokey/twokey/tracker"
)

// CheckConfig is what Check needs: where GitHub is, a token, and the pull
// request.
type CheckConfig struct {
	// APIURL is GitHub's REST API (default https://api.github.com; on GitHub
	// Enterprise Server https://HOST/api/v3).
	APIURL string
	// Token reads the repository (and its organisation's teams when the
	// policy names teams).
	Token string
	// Repo is owner/name; Number the pull request.
	Repo   string
	Number int
	// PolicyPath and FormPath override where the policy and the brief form
	// live on the default branch, as the action's policy-path and form-path
	// inputs do (default: .github/twokey.yml, then the policy's brief.form).
	PolicyPath, FormPath string
	// HTTPClient, Sleep, Now and RetryBudget are as in Config.
	HTTPClient  *http.Client
	Sleep       func(ctx context.Context, d time.Duration) error
	Now         func() time.Time
	RetryBudget time.Duration
	// Notes receives what the action would print as notices and warnings
	// (the default policy's rules left out for another form, an edited gate
	// comment) and each retry ("GitHub answered 502; retrying in 4s"), one
	// line each; nil discards them.
	Notes io.Writer
}

// Check evaluates the gate of a live pull request exactly as the action does
// on a pull request event (same policy and form from the default branch, same
// read, the action's own statuses binding /signoff comments to heads) and
// changes nothing: no status, label or comment is written.
func Check(ctx context.Context, cfg CheckConfig) (*tracker.Verdict, error) {
	owner, name, err := splitRepo(cfg.Repo)
	if err != nil {
		return nil, err
	}
	if cfg.Number <= 0 {
		return nil, fmt.Errorf("pull request number %d: want a positive number", cfg.Number)
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var notify func(string)
	if cfg.Notes != nil {
		notify = func(msg string) { fmt.Fprintln(cfg.Notes, msg) }
	}
	c, err := newClient(clientOptions{apiURL: cfg.APIURL, token: cfg.Token, http: cfg.HTTPClient, sleep: cfg.Sleep, now: cfg.Now, budget: cfg.RetryBudget, notify: notify})
	if err != nil {
		return nil, err
	}
	inputs := map[string]string{"INPUT_POLICY_PATH": cfg.PolicyPath, "INPUT_FORM_PATH": cfg.FormPath}
	r := &runner{
		cfg:   Config{Getenv: func(k string) string { return inputs[k] }, Now: cfg.Now, Sleep: cfg.Sleep},
		api:   &repoAPI{c: c, owner: owner, name: name},
		token: cfg.Token,
		notes: cfg.Notes,
	}
	// A workstation has no event payload to name the default branch: ask.
	repo, _, err := c.Repositories.Get(ctx, owner, name)
	if err != nil {
		return nil, explainCheck(apiError("get repository "+cfg.Repo, err), cfg.Repo)
	}
	r.setDefaultBranch(repo)
	// At a terminal the token is a person's, not the action's: the action's
	// account is the one that set twokey/gate (with its mark) on the head.
	r.asStatusCreator = true
	g, err := r.gather(ctx, cfg.Number, linkHint{})
	if err != nil {
		return nil, explainCheck(err, cfg.Repo)
	}
	v, err := r.evaluate(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("evaluate the gate of pull request #%d: %w", cfg.Number, err)
	}
	return v, nil
}

// splitRepo splits owner/name.
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("repository %q is not owner/name", repo)
	}
	return owner, name, nil
}

// explainCheck adds what to do to the errors a person at a terminal meets
// most: a token GitHub refuses, a repository or pull request it hides.
func explainCheck(err error, repo string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w\n%s or the pull request does not exist, or the token cannot read it (a private repository needs the repo scope or contents and pull requests read access)", err, repo)
	}
	switch statusOf(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w\nGitHub refused the token: set GH_TOKEN to a valid token or run 'gh auth login'", err)
	case http.StatusNotFound:
		return fmt.Errorf("%w\n%s or the pull request does not exist, or the token cannot read it (a private repository needs the repo scope or contents and pull requests read access)", err, repo)
	}
	return err
}
