package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twokey/twokey/internal/fakegithub"
)

// checkWorld is a pull request on the fake GitHub for twokey check: the
// strict policy (teams) on the default branch, a ready brief, PR #2.
type checkWorld struct {
	t   *testing.T
	gh  *fakegithub.Server
	env map[string]string
}

func newCheckWorld(t *testing.T) *checkWorld {
	w := &checkWorld{t: t, gh: fakegithub.New(t)}
	w.gh.Repo(e2eRepo)
	w.gh.SetFile(e2eRepo, "main", ".github/twokey.yml", strictPolicy)
	w.gh.AddIssue(e2eRepo, 1, "Saved cards", briefBody(goodObjective), fakegithub.User("marketer", 5), "brief", "brief: ready")
	w.gh.AddPull(e2eRepo, fakegithub.Pull{Number: 2, Title: "Saved cards at checkout", Body: "Brief: #1\n\nAdds saved cards.",
		User: fakegithub.User("dev", 7), Head: headA, Branch: "saved-cards", Files: []string{"checkout/pay.js"}})
	w.gh.SetTeamMember("acme/web-ux", "uma", "active")
	w.gh.SetTeamMember("acme/platform", "bea", "active")
	w.env = map[string]string{"GITHUB_API_URL": w.gh.URL, "GH_TOKEN": "gho_test", "GH_REPO": e2eRepo}
	return w
}

func (w *checkWorld) check(args ...string) (code int, stdout, stderr string) {
	w.t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return w.env[k] },
		now:    func() time.Time { return testNow },
		sleep:  func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	code = runEnv(context.Background(), e, append([]string{"check"}, args...))
	return code, out.String(), errb.String()
}

func TestCheckPendingThenPass(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.SetAuthenticatedUser(fakegithub.User("dev", 7))
	w.gh.AddReview(e2eRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", headA)

	code, out, errs := w.check("--pr", "2")
	if code != exitNotOK {
		t.Fatalf("exit %d, want 1 (pending)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{
		"acme/site#2: ",
		"### twokey gate: ",
		"| Kind | Status | Signed by | Commit |",
		"@uma",
		"backend",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if w := w.gh.Writes(); len(w) != 0 {
		t.Errorf("twokey check wrote to GitHub: %v", w)
	}

	w.gh.AddReview(e2eRepo, 2, fakegithub.User("bea", 13), "APPROVED", "", headA)
	code, out, errs = w.check("--pr", "2")
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (pass)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.Contains(out, "success") || !strings.Contains(out, "@bea") {
		t.Errorf("passing output lacks success and @bea:\n%s", out)
	}
}

// The table is the one the action's sticky comment shows: the action's run
// on the same state writes the same text after its marker.
func TestCheckPrintsTheCommentTable(t *testing.T) {
	w := newWorld(t) // the built binary, run as the action
	w.readyBrief()
	w.pr(2, headA, "checkout/pay.js")
	w.gh.SetTeamMember("acme/web-ux", "uma", "active")
	w.gh.AddReview(e2eRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", headA)
	r := w.run("pull_request_target", "pull_request.opened.json", prEvent(2, headA))
	assertOK(t, r)
	sticky := w.gh.Comments(e2eRepo, 2)[0].GetBody()

	cw := &checkWorld{t: t, gh: w.gh, env: map[string]string{"GITHUB_API_URL": w.gh.URL, "GITHUB_TOKEN": "ghs_test"}}
	code, out, errs := cw.check("--repo", e2eRepo, "--pr", "2")
	if code != exitNotOK {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	_, table, _ := strings.Cut(out, "\n\n")
	body := strings.TrimPrefix(sticky, "<!-- twokey:gate -->\n")
	if !strings.HasPrefix(body, table) || table == "" {
		t.Errorf("check output is not the comment's text\ncheck:\n%s\ncomment:\n%s", table, body)
	}
}

// TestCheckBindsByTheActionsStatus: a /signoff without a SHA counts in check
// exactly when it does in the action: after the action's own twokey/gate
// status recorded the head. A state in a comment, forged by a person or by
// the Actions bot, binds nothing.
func TestCheckBindsByTheActionsStatus(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.AddReview(e2eRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", headA)
	c := w.gh.AddComment(e2eRepo, 2, fakegithub.User("bea", 13), "/signoff backend")
	state := fmt.Sprintf("<!-- twokey:gate -->\n### twokey gate\n<!-- twokey:state {\"c\":{\"%d\":\"%s\"}} -->\n", c.GetID(), headA)
	w.gh.AddComment(e2eRepo, 2, fakegithub.User("mallory", 66), state)
	w.gh.AddComment(e2eRepo, 2, fakegithub.User("github-actions[bot]", 41898282), state)
	code, out, _ := w.check("--pr", "2", "--json")
	if code != exitNotOK {
		t.Fatalf("with forged states: exit %d, want 1\n%s", code, out)
	}
	var v checkOut
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if v.State != "pending" || !strings.Contains(out, `"status": "stale"`) || !strings.Contains(out, "GitHub's records do not establish") {
		t.Errorf("with forged states: state %q; want pending and bea's comment unbound (stale, with the reason):\n%s", v.State, out)
	}

	// The action's status, with its mark of when it first saw the head (a
	// minute before bea's comment): bea's /signoff was made on that head.
	w.setActionStatus(t, "github-actions[bot]", time.Date(2026, 3, 2, 9, 59, 0, 0, time.UTC))
	code, out, _ = w.check("--pr", "2", "--json")
	if code != exitOK {
		t.Fatalf("with the action's status: exit %d, want 0\n%s", code, out)
	}
	v = checkOut{}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range v.Kinds {
		for _, s := range k.Signoffs {
			got = append(got, k.Kind+" "+s.Signer+" "+s.Via+" "+s.SHA[:7])
		}
	}
	want := []string{"usability uma review aaaaaaa", "backend bea comment aaaaaaa"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sign-offs (-want +got):\n%s", diff)
	}
	if v.Repo != e2eRepo || v.Number != 2 || v.Head != headA || v.State != "success" || len(v.Link.Briefs) != 1 {
		t.Errorf("verdict JSON = %+v", v)
	}
}

// setActionStatus posts twokey/gate on the head as login, with the mark the
// action writes (pull request #2, the head first seen at seen).
func (w *checkWorld) setActionStatus(t *testing.T, login string, seen time.Time) {
	t.Helper()
	w.gh.SetAuthenticatedUser(fakegithub.User(login, 77))
	defer w.gh.SetAuthenticatedUser(nil)
	body := fmt.Sprintf(`{"state":"pending","context":"twokey/gate","description":"needs backend","target_url":"https://github.com/acme/site/actions/runs/1#twokey-pr2-seen%d"}`, seen.Unix())
	req, _ := http.NewRequest("POST", w.gh.URL+"/repos/acme/site/statuses/"+headA, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create status: %v %v", resp, err)
	}
	resp.Body.Close()
}

// The policy comes from the default branch, never from the pull request's
// branch; a broken one is an error with its file:line.
func TestCheckPolicyFromDefaultBranch(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.SetFile(e2eRepo, "saved-cards", ".github/twokey.yml", "version: 1\nrequire: []\n")
	if code, out, errs := w.check("--pr", "2"); code != exitNotOK {
		t.Errorf("with a permissive policy on the PR branch: exit %d, want 1 (pending)\n%s%s", code, out, errs)
	}
	w.gh.SetFile(e2eRepo, "main", ".github/twokey.yml", "version: 1\nkinds:\n  usability:\n    teams: acme/web-ux\n")
	code, out, errs := w.check("--pr", "2")
	if code != exitError || !strings.Contains(errs, ".github/twokey.yml:4:") {
		t.Errorf("broken policy: exit %d, want 2 with .github/twokey.yml:4:\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	w.gh.SetFile(e2eRepo, "main", "ci/gate.yml", "version: 1\nrequire: []\nlink:\n  required: false\n")
	if code, out, errs := w.check("--pr", "2", "--policy-path", "ci/gate.yml"); code != exitOK {
		t.Errorf("--policy-path with no requirement: exit %d, want 0\n%s%s", code, out, errs)
	}
}

func TestCheckErrors(t *testing.T) {
	w := newCheckWorld(t)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no pr", nil, nil, "--pr N is required"},
		{"bad pr", nil, []string{"--pr", "x"}, "invalid value"},
		{"extra argument", nil, []string{"--pr", "2", "3"}, "unexpected argument"},
		{"bad repo", map[string]string{"GH_REPO": "acme"}, []string{"--pr", "2"}, `repository "acme" is not owner/name`},
		{"missing pull request", nil, []string{"--pr", "99"}, "or the token cannot read it"},
		{"missing repository", map[string]string{"GH_REPO": "acme/nope"}, []string{"--pr", "2"}, "get repository acme/nope"},
		{"no token", map[string]string{"GH_TOKEN": ""}, []string{"--pr", "2"}, "no token: set GH_TOKEN"},
	}
	old := ghAuthToken
	t.Cleanup(func() { ghAuthToken = old })
	ghAuthToken = func(context.Context, string) string { return "" }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			saved := w.env
			w.env = map[string]string{}
			for k, v := range saved {
				w.env[k] = v
			}
			for k, v := range c.env {
				w.env[k] = v
			}
			defer func() { w.env = saved }()
			code, out, errs := w.check(c.args...)
			if code != exitError || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q (stdout %q)", code, errs, c.want, out)
			}
		})
	}
}

func TestCheckTokenFromGh(t *testing.T) {
	w := newCheckWorld(t)
	delete(w.env, "GH_TOKEN")
	w.env["GH_HOST"] = "github.example.com"
	old := ghAuthToken
	t.Cleanup(func() { ghAuthToken = old })
	var asked string
	ghAuthToken = func(_ context.Context, host string) string { asked = host; return "gho_from_gh" }
	if code, out, errs := w.check("--pr", "2"); code != exitNotOK {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	if asked != "github.example.com" {
		t.Errorf("gh auth token asked for host %q, want github.example.com", asked)
	}
}

// TestCheckPolicyCannotBeMet: a gate that fails (nobody but the author may
// give a required kind) is exit 2, with the reason.
func TestCheckPolicyCannotBeMet(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.SetFile(e2eRepo, "main", ".github/twokey.yml", "version: 1\nkinds:\n  usability:\n    users: [dev]\nrequire:\n  - kinds: [usability]\nlink:\n  required: false\n")
	code, out, errs := w.check("--pr", "2")
	if code != exitError || !strings.Contains(out+errs, "nobody can give usability") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 2 saying nobody can give usability", code, out, errs)
	}
}

// TestCheckNotesWhatTheActionWouldNotice: with a brief form of the
// repository's own, the default's rules for the default form's fields are
// left out, and check says so on standard error, as the action notices it.
func TestCheckNotesWhatTheActionWouldNotice(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.SetFile(e2eRepo, "main", ".github/ISSUE_TEMPLATE/brief.yml", "name: Change\ndescription: A change\nbody:\n  - type: textarea\n    id: what\n    attributes: {label: What}\n")
	code, out, errs := w.check("--pr", "2")
	if code != exitNotOK {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	if !strings.HasPrefix(errs, "note: the default policy's rules for the default form's fields") || !strings.Contains(errs, "are left out") {
		t.Errorf("stderr = %q, want a note that the default's brief rules are left out", errs)
	}
}

// TestCheckTokenOrder: GH_TOKEN wins over GITHUB_TOKEN, which wins over gh's
// login, and every request carries the one chosen.
func TestCheckTokenOrder(t *testing.T) {
	old := ghAuthToken
	t.Cleanup(func() { ghAuthToken = old })
	ghAuthToken = func(context.Context, string) string { return "gho_from_gh" }
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GH_TOKEN": "gho_a", "GITHUB_TOKEN": "ghs_b"}, "Bearer gho_a"},
		{map[string]string{"GITHUB_TOKEN": "ghs_b"}, "Bearer ghs_b"},
		{map[string]string{}, "Bearer gho_from_gh"},
	} {
		w := newCheckWorld(t)
		delete(w.env, "GH_TOKEN")
		for k, v := range tt.env {
			w.env[k] = v
		}
		if code, out, errs := w.check("--pr", "2"); code != exitNotOK {
			t.Fatalf("env %v: exit %d, want 1\n%s%s", tt.env, code, out, errs)
		}
		reqs := w.gh.Requests()
		if len(reqs) == 0 {
			t.Fatalf("env %v: no requests", tt.env)
		}
		for _, q := range reqs {
			if q.Authorization != tt.want {
				t.Errorf("env %v: %s sent Authorization %q, want %q", tt.env, q, q.Authorization, tt.want)
				break
			}
		}
	}
}

func TestCheckRepoFromOrigin(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	w := newCheckWorld(t)
	delete(w.env, "GH_REPO")
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q")
	gitCmd(t, dir, "remote", "add", "origin", "git@github.com:acme/site.git")
	t.Chdir(dir)
	if code, out, errs := w.check("--pr", "2"); code != exitNotOK || !strings.HasPrefix(out, "acme/site#2: ") {
		t.Errorf("repo from origin: exit %d\n%s%s", code, out, errs)
	}
	t.Chdir(t.TempDir())
	if code, _, errs := w.check("--pr", "2"); code != exitError || !strings.Contains(errs, "--repo owner/repo is required here") {
		t.Errorf("outside a repository: exit %d, stderr %s", code, errs)
	}
}

// TestCheckRefusesAnOriginNotOnGitHub: a GitLab or Bitbucket origin is not
// looked up on github.com, unless GH_HOST says it is a GitHub Enterprise host.
func TestCheckRefusesAnOriginNotOnGitHub(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	for _, origin := range []string{"git@gitlab.com:acme/site.git", "https://bitbucket.org/acme/site.git"} {
		w := newCheckWorld(t)
		delete(w.env, "GH_REPO")
		dir := t.TempDir()
		gitCmd(t, dir, "init", "-q")
		gitCmd(t, dir, "remote", "add", "origin", origin)
		t.Chdir(dir)
		code, _, errs := w.check("--pr", "2")
		if code != exitError || !strings.Contains(errs, "not GitHub: twokey checks GitHub pull requests") || len(w.gh.Requests()) != 0 {
			t.Errorf("origin %s: exit %d, %d requests, stderr %q; want 2, none, and a refusal", origin, code, len(w.gh.Requests()), errs)
		}
		host := strings.TrimPrefix(strings.TrimPrefix(origin, "git@"), "https://")
		host, _, _ = strings.Cut(strings.ReplaceAll(host, ":", "/"), "/")
		w.env["GH_HOST"] = host // a GitHub Enterprise server; GITHUB_API_URL points at the fake
		if code, out, errs := w.check("--pr", "2"); code != exitNotOK || !strings.HasPrefix(out, "acme/site#2: ") {
			t.Errorf("origin %s with GH_HOST=%s: exit %d\n%s%s", origin, host, code, out, errs)
		}
	}
}

func TestRepoFromURL(t *testing.T) {
	for in, want := range map[string]string{
		"git@github.com:acme/site.git":                       "acme/site github.com",
		"https://github.com/acme/site":                       "acme/site github.com",
		"https://github.com/acme/site.git":                   "acme/site github.com",
		"https://x-access-token:secret@github.com/acme/site": "acme/site github.com",
		"ssh://git@github.example.com/acme/site.git":         "acme/site github.example.com",
		"ssh://git@github.example.com:2222/acme/site.git":    "acme/site github.example.com",
		"https://github.com/acme/site/":                      "acme/site github.com",
		"git@gitlab.com:acme/site.git":                       "acme/site gitlab.com",
	} {
		repo, host, err := repoFromURL(in)
		if got := repo + " " + host; err != nil || got != want {
			t.Errorf("repoFromURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, _, err := repoFromURL("https://user:secret@example.com/a/b/c")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("repoFromURL of a non-GitHub URL: err = %v; want an error that does not show the secret", err)
	}
}

// When the action runs with a personal token (a machine user), its comments
// are a user's: check trusts the state of the account that set the
// twokey/gate status on the head, and nobody else's.
func TestCheckTrustsTheStatusCreator(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.AddReview(e2eRepo, 2, fakegithub.User("uma", 11), "APPROVED", "", headA)
	w.gh.AddComment(e2eRepo, 2, fakegithub.User("bea", 13), "/signoff backend")
	if code, out, _ := w.check("--pr", "2"); code != exitNotOK {
		t.Fatalf("no status on the head: exit %d, want 1\n%s", code, out)
	}
	// The action runs with acme-bot's token: its status, with the mark,
	// says when it first saw the head.
	w.setActionStatus(t, "acme-bot", time.Date(2026, 3, 2, 9, 59, 0, 0, time.UTC))
	if code, out, errs := w.check("--pr", "2"); code != exitOK {
		t.Errorf("acme-bot set the twokey/gate status: exit %d, want 0\n%s%s", code, out, errs)
	}
}

// As a gh extension, the binary is gh-twokey and gh runs it with the user's
// arguments; it takes its token from 'gh auth token' (a fake gh here).
func TestCheckAsGhExtension(t *testing.T) {
	bin := twokeyBinary(t)
	w := newCheckWorld(t)
	dir := t.TempDir()
	ext := filepath.Join(dir, "gh-twokey")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ext, data, 0o755); err != nil {
		t.Fatal(err)
	}
	gh := "#!/bin/sh\n[ \"$1 $2\" = \"auth token\" ] || exit 3\necho gho_from_gh\n"
	if err := os.WriteFile(filepath.Join(dir, "gh"), []byte(gh), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ext, "check", "--repo", e2eRepo, "--pr", "2")
	cmd.Env = []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"), "GITHUB_API_URL=" + w.gh.URL, "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitNotOK || !strings.Contains(string(out), "### twokey gate: ") {
		t.Fatalf("gh-twokey check: %v\n%s", err, out)
	}
	if len(w.gh.Requests()) == 0 {
		t.Error("gh-twokey check made no request to the fake GitHub")
	}
}

// TestCheckWarnsOfUsersAndPermission: check says on stderr what the action
// would annotate as a warning, at the policy's line.
func TestCheckWarnsOfUsersAndPermission(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.SetFile(e2eRepo, "main", ".github/twokey.yml", "version: 1\nkinds:\n  usability:\n    teams: [acme/web-ux]\n    permission: write\nrequire: [{kinds: [usability]}]\n")
	_, out, errs := w.check("--pr", "2")
	if want := "warning: .github/twokey.yml:5:5: kind \"usability\" lists teams and also permission: write"; !strings.Contains(errs, want) {
		t.Errorf("stderr = %q, want %q\n%s", errs, want, out)
	}
}

// TestCheckSaysItRetries: each retry is said on stderr, and a 502 that
// outlasts them is named, with the retries.
func TestCheckSaysItRetries(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.Fail(fakegithub.ServerError("/repos/"+e2eRepo, 2, 502))
	code, out, errs := w.check("--pr", "2")
	if code != exitNotOK || strings.Count(errs, "GitHub answered 502; retrying in ") != 2 {
		t.Errorf("exit %d, stderr %q; want 1 and two retries said\n%s", code, errs, out)
	}
	w.gh.Fail(fakegithub.ServerError("/repos/"+e2eRepo, 100, 502))
	code, _, errs = w.check("--pr", "2")
	if want := "GitHub answered 502 Bad Gateway (also on "; code != exitError || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, errs, want)
	}
}

// TestCheckShowsFreezeAndDue: twokey check judges the time rules at GitHub's
// clock (the fake's Friday 16:00 in Berlin; this computer's clock is
// testNow), and shows the freeze and the due times, as text and as JSON.
func TestCheckShowsFreezeAndDue(t *testing.T) {
	w := newCheckWorld(t)
	w.gh.SetFile(e2eRepo, "main", ".github/twokey.yml", `kinds:
  usability: {users: [uma]}
  backend: {users: [bea], due: 2 working days}
require:
  - kinds: [usability, backend]
link:
  required: false
calendar:
  zone: Europe/Berlin
freeze:
  - reason: No Friday launches.
    from: Fri 15:00
    to: Mon 09:00
`)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	w.gh.SetNow(func() time.Time { return time.Date(2026, 3, 6, 16, 0, 0, 0, berlin) })
	// Its own head: #2 of the world is on headA, and a head two open pull
	// requests share cannot pass.
	w.gh.AddPull(e2eRepo, fakegithub.Pull{Number: 3, Title: "t", User: fakegithub.User("dev", 7), Head: headB})
	w.gh.AddReview(e2eRepo, 3, fakegithub.User("uma", 11), "APPROVED", "", headB)

	code, out, errs := w.check("--pr", "3")
	if code != exitNotOK {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"acme/site#3: waiting for backend; frozen until Mon 9 Mar 09:00 CET (Europe/Berlin): No Friday launches.",
		"**🧊 Frozen until Mon 9 Mar 2026 09:00 CET (Europe/Berlin):** No Friday launches.",
		"- **backend**: due Tue 10 Mar 2026 16:00 CET (Europe/Berlin) (2 working days after it was ready for backend)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	_, out, _ = w.check("--pr", "3", "--json")
	var got struct {
		JudgedAt time.Time `json:"judged_at"`
		Freeze   struct {
			Reason string    `json:"reason"`
			Until  time.Time `json:"until"`
			Zone   string    `json:"zone"`
		} `json:"freeze"`
		Due []struct {
			Kind     string    `json:"kind"`
			At       time.Time `json:"at"`
			Overdue  bool      `json:"overdue"`
			Mentions []string  `json:"mentions"`
		} `json:"due"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if !got.JudgedAt.Equal(time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)) || got.Freeze.Reason != "No Friday launches." ||
		!got.Freeze.Until.Equal(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)) || got.Freeze.Zone != "Europe/Berlin" {
		t.Errorf("--json judged_at and freeze = %+v", got)
	}
	if len(got.Due) != 1 || got.Due[0].Kind != "backend" || !got.Due[0].At.Equal(time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)) || got.Due[0].Overdue || len(got.Due[0].Mentions) != 1 {
		t.Errorf("--json due = %+v", got.Due)
	}
}
