package action

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/tracker"
)

func TestGraphQLURL(t *testing.T) {
	tests := []struct{ rest, want string }{
		{"https://api.github.com/", "https://api.github.com/graphql"},
		{"https://API.GitHub.com/", "https://API.GitHub.com/graphql"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
		{"https://ghe.example.com:8443/api/v3/", "https://ghe.example.com:8443/api/graphql"},
		{"https://api.acme.ghe.com/", "https://api.acme.ghe.com/graphql"},
		{"http://127.0.0.1:4321/", "http://127.0.0.1:4321/graphql"},
		{"http://127.0.0.1:4321/prefix/", "http://127.0.0.1:4321/prefix/graphql"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.rest)
		if err != nil {
			t.Fatal(err)
		}
		if got := graphQLURL(u); got != tt.want {
			t.Errorf("graphQLURL(%q) = %q, want %q", tt.rest, got, tt.want)
		}
	}
}

const (
	policyPath = ".github/twokey.yml"
	formPath   = ".github/ISSUE_TEMPLATE/brief.yml"
	gqlPath    = "/graphql"
)

// gqlErrorBody is GitHub's answer to a query that failed as a whole.
const gqlErrorBody = `{"errors":[{"message":"Something went wrong while executing your query. Please include ` + "`ABCD:1234`" + ` when reporting this issue."}]}`

// rateLimited is GitHub's GraphQL answer when the token's GraphQL points are
// used up: HTTP 200, X-RateLimit-Remaining: 0 and an error of type
// RATE_LIMITED.
func rateLimited(reset time.Time) fakegithub.Fault {
	h := http.Header{}
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "graphql")
	return fakegithub.Fault{Path: gqlPath, Times: 1, Status: http.StatusOK, Header: h,
		Body: `{"errors":[{"type":"RATE_LIMITED","code":"graphql_rate_limit","message":"API rate limit already exceeded for installation ID 1."}]}`}
}

func TestReadConfig(t *testing.T) {
	big := "version: 1\n" + strings.Repeat("# padding\n", fakegithub.BlobTextLimit/10+1)
	reset := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	const (
		getPolicy = "GET /repos/o/r/contents/.github/twokey.yml?ref=refs%2Fheads%2Fmain"
		post      = "POST /graphql"
	)
	type file struct {
		data  string
		found bool
	}
	notFound := &file{}
	tests := []struct {
		name      string
		files     map[string]string // path -> content on main
		faults    []fakegithub.Fault
		policy    file
		form      *file // nil: not read
		requests  []string
		fellBack  bool
		wantErr   string
		rateLimit bool
	}{
		{name: "both in one request",
			files:  map[string]string{policyPath: "version: 1\n", formPath: "name: Brief\n"},
			policy: file{"version: 1\n", true}, form: &file{"name: Brief\n", true}, requests: []string{post}},
		{name: "neither exists",
			form: notFound, requests: []string{post}},
		{name: "only the form",
			files: map[string]string{formPath: "name: Brief\n"},
			form:  &file{"name: Brief\n", true}, requests: []string{post}},
		{name: "empty policy file is found",
			files:  map[string]string{policyPath: ""},
			policy: file{"", true}, form: notFound, requests: []string{post}},
		{name: "truncated policy is read with REST",
			files:  map[string]string{policyPath: big, formPath: "name: Brief\n"},
			policy: file{big, true}, form: &file{"name: Brief\n", true},
			requests: []string{post, getPolicy}, fellBack: true},
		{name: "truncated form is left to loadForm",
			files:  map[string]string{policyPath: "version: 1\n", formPath: big},
			policy: file{"version: 1\n", true}, requests: []string{post}},
		{name: "binary form is left to loadForm",
			files:  map[string]string{policyPath: "version: 1\n", formPath: "\x00"},
			policy: file{"version: 1\n", true}, requests: []string{post}},
		{name: "form directory is left to loadForm",
			files:  map[string]string{policyPath: "version: 1\n", formPath + "/x.yml": "x"},
			policy: file{"version: 1\n", true}, requests: []string{post}},
		{name: "policy is a directory",
			files:    map[string]string{policyPath + "/x.yml": "x"},
			requests: []string{post}, wantErr: "read .github/twokey.yml at refs/heads/main of o/r: it is a directory, not a file"},
		{name: "errors answer falls back to REST",
			files:  map[string]string{policyPath: "version: 1\n", formPath: "name: Brief\n"},
			faults: []fakegithub.Fault{{Path: gqlPath, Times: 1, Status: http.StatusOK, Body: gqlErrorBody}},
			policy: file{"version: 1\n", true}, requests: []string{post, getPolicy}, fellBack: true},
		{name: "errors answer, policy missing",
			faults:   []fakegithub.Fault{{Path: gqlPath, Times: 1, Status: http.StatusOK, Body: gqlErrorBody}},
			requests: []string{post, getPolicy}, fellBack: true},
		{name: "no GraphQL endpoint falls back to REST",
			files:  map[string]string{policyPath: "version: 1\n"},
			faults: []fakegithub.Fault{{Path: gqlPath, Times: 1, Status: http.StatusNotFound, Body: `{"message":"Not Found"}`}},
			policy: file{"version: 1\n", true}, requests: []string{post, getPolicy}, fellBack: true},
		{name: "not JSON falls back to REST",
			files:  map[string]string{policyPath: "version: 1\n"},
			faults: []fakegithub.Fault{{Path: gqlPath, Times: 1, Status: http.StatusOK, Body: `<html>proxy</html>`}},
			policy: file{"version: 1\n", true}, requests: []string{post, getPolicy}, fellBack: true},
		{name: "fallback finds the directory too",
			files:    map[string]string{policyPath + "/x.yml": "x"},
			faults:   []fakegithub.Fault{{Path: gqlPath, Times: 1, Status: http.StatusOK, Body: gqlErrorBody}},
			requests: []string{post, getPolicy}, wantErr: "read .github/twokey.yml at refs/heads/main of o/r: it is a directory, not a file"},
		{name: "502 three times is retried",
			files:  map[string]string{policyPath: "version: 1\n", formPath: "name: Brief\n"},
			faults: []fakegithub.Fault{fakegithub.ServerError(gqlPath, 3, http.StatusBadGateway)},
			policy: file{"version: 1\n", true}, form: &file{"name: Brief\n", true},
			requests: []string{post, post, post, post}},
		{name: "primary rate limit stops",
			faults:   []fakegithub.Fault{fakegithub.PrimaryRateLimit(gqlPath, 1, reset)},
			requests: []string{post}, rateLimit: true, wantErr: "used up until 2030-01-02 03:04:05 UTC"},
		{name: "RATE_LIMITED answer stops",
			faults:   []fakegithub.Fault{rateLimited(reset)},
			requests: []string{post}, rateLimit: true, wantErr: "used up until 2030-01-02 03:04:05 UTC"},
		{name: "secondary rate limit past the budget stops",
			faults:   []fakegithub.Fault{fakegithub.SecondaryRateLimit(gqlPath, 5, 40)},
			requests: []string{post, post}, wantErr: "secondary rate limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(t)
			gh.Repo("o/r")
			for p, c := range tt.files {
				gh.SetFile("o/r", "main", p, c)
			}
			gh.SetFile("o/r", "feature", policyPath, "version: 1\nrequire: []\n") // never read
			for _, f := range tt.faults {
				gh.Fail(f)
			}
			clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			p, f, fellBack, _, err := testAPI(t, gh, clk).readConfig(context.Background(), "main", policyPath, formPath)
			var got []string
			for _, q := range gh.Requests() {
				got = append(got, q.String())
			}
			if diff := cmp.Diff(tt.requests, got); diff != "" {
				t.Errorf("requests diff (-want +got):\n%s", diff)
			}
			var rl *RateLimitError
			if errors.As(err, &rl) != tt.rateLimit {
				t.Errorf("readConfig() = %v, want a *RateLimitError: %v", err, tt.rateLimit)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("readConfig() = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("readConfig() = %v", err)
			}
			if fellBack != tt.fellBack {
				t.Errorf("readConfig() fellBack = %v, want %v", fellBack, tt.fellBack)
			}
			opts := []cmp.Option{cmp.AllowUnexported(configFile{}), cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })}
			if diff := cmp.Diff(configFile{path: policyPath, data: []byte(tt.policy.data), found: tt.policy.found}, p, opts...); diff != "" {
				t.Errorf("policy diff (-want +got):\n%s", diff)
			}
			var wantForm *configFile
			if tt.form != nil {
				wantForm = &configFile{path: formPath, data: []byte(tt.form.data), found: tt.form.found}
			}
			if diff := cmp.Diff(wantForm, f, opts...); diff != "" {
				t.Errorf("form diff (-want +got):\n%s", diff)
			}
		})
	}
}

// The expressions name the default branch and nothing else (security
// invariant 1): the pull request's head and branch are never asked.
func TestReadConfigAsksTheDefaultBranchOnly(t *testing.T) {
	gh := fakegithub.New(t)
	gh.SetFile("o/r", "trunk", policyPath, "version: 1\n")
	gh.SetFile("o/r", "feature", policyPath, "version: 1\nrequire: []\n")
	clk := &fakeClock{now: time.Now()}
	if _, _, _, _, err := testAPI(t, gh, clk).readConfig(context.Background(), "trunk", policyPath, "ci/form.yml"); err != nil {
		t.Fatal(err)
	}
	reqs := gh.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %v, want one POST /graphql", reqs)
	}
	var body struct {
		Query     string            `json:"query"`
		Variables map[string]string `json:"variables"`
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"owner": "o", "name": "r", "policy": "refs/heads/trunk:" + policyPath, "form": "refs/heads/trunk:ci/form.yml"}
	if diff := cmp.Diff(want, body.Variables); diff != "" {
		t.Errorf("variables diff (-want +got):\n%s", diff)
	}
}

// loadPolicy reads the form with the policy; loadForm costs a request only
// when the policy names another form.
func TestLoadFormCost(t *testing.T) {
	custom := strings.Replace(string(tracker.DefaultFormYAML), "name: Website change brief", "name: Custom brief", 1)
	tests := []struct {
		name      string
		policy    string // "" for none
		inputForm string
		files     map[string]string
		faults    []fakegithub.Fault
		wantForm  string
		requests  []string
	}{
		{name: "default form path, one request",
			files:    map[string]string{formPath: custom},
			wantForm: "Custom brief", requests: []string{"POST /graphql"}},
		{name: "no files: embedded defaults, one request",
			wantForm: "Website change brief", requests: []string{"POST /graphql"}},
		{name: "form-path input, one request",
			inputForm: "ci/brief.yml", files: map[string]string{"ci/brief.yml": custom, formPath: "not: read\n"},
			wantForm: "Custom brief", requests: []string{"POST /graphql"}},
		{name: "policy names another form: one more request",
			policy:   "version: 1\nbrief:\n  form: .github/ISSUE_TEMPLATE/other.yml\n",
			files:    map[string]string{".github/ISSUE_TEMPLATE/other.yml": custom},
			wantForm: "Custom brief",
			requests: []string{"POST /graphql", "GET /repos/o/r/contents/.github/ISSUE_TEMPLATE/other.yml?ref=main"}},
		{name: "GraphQL errors: the policy and then the form with REST, as before",
			faults: []fakegithub.Fault{{Path: gqlPath, Times: 1, Status: http.StatusOK, Body: gqlErrorBody}},
			files:  map[string]string{formPath: custom}, wantForm: "Custom brief",
			requests: []string{"POST /graphql", "GET /repos/o/r/contents/.github/twokey.yml?ref=refs%2Fheads%2Fmain", "GET /repos/o/r/contents/.github/ISSUE_TEMPLATE/brief.yml?ref=main"}},
		{name: "truncated form read with REST",
			files: map[string]string{formPath: custom + strings.Repeat("# padding\n", fakegithub.BlobTextLimit/10)}, wantForm: "Custom brief",
			requests: []string{"POST /graphql", "GET /repos/o/r/contents/.github/ISSUE_TEMPLATE/brief.yml?ref=main"}},
		{name: "form-path input wins over brief.form",
			policy: "version: 1\nbrief:\n  form: .github/ISSUE_TEMPLATE/other.yml\n", inputForm: "ci/brief.yml",
			files:    map[string]string{"ci/brief.yml": custom},
			wantForm: "Custom brief", requests: []string{"POST /graphql"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(t)
			gh.Repo("o/r")
			if tt.policy != "" {
				gh.SetFile("o/r", "main", policyPath, tt.policy)
			}
			for p, c := range tt.files {
				gh.SetFile("o/r", "main", p, c)
			}
			for _, f := range tt.faults {
				gh.Fail(f)
			}
			env := map[string]string{"INPUT_FORM_PATH": tt.inputForm}
			r := &runner{cfg: Config{Getenv: func(k string) string { return env[k] }}, api: testAPI(t, gh, &fakeClock{now: time.Now()}), defBranch: "main"}
			if _, err := r.loadPolicy(context.Background()); err != nil {
				t.Fatalf("loadPolicy() = %v", err)
			}
			f, err := r.loadForm(context.Background())
			if err != nil {
				t.Fatalf("loadForm() = %v", err)
			}
			if f.Name != tt.wantForm {
				t.Errorf("loadForm().Name = %q, want %q", f.Name, tt.wantForm)
			}
			var got []string
			for _, q := range gh.Requests() {
				got = append(got, q.String())
			}
			if diff := cmp.Diff(tt.requests, got); diff != "" {
				t.Errorf("requests diff (-want +got):\n%s", diff)
			}
		})
	}
}

// A form path that is a directory is reported when the form is needed, as
// the contents API reports it.
func TestFormDirectoryWhenNeeded(t *testing.T) {
	gh := fakegithub.New(t)
	gh.SetFile("o/r", "main", policyPath, "version: 1\n")
	gh.SetFile("o/r", "main", formPath+"/x.yml", "x")
	r := &runner{cfg: Config{Getenv: func(string) string { return "" }}, api: testAPI(t, gh, &fakeClock{now: time.Now()}), defBranch: "main"}
	if _, err := r.loadPolicy(context.Background()); err != nil {
		t.Fatalf("loadPolicy() = %v, want the policy", err)
	}
	_, err := r.loadForm(context.Background())
	if want := "read " + formPath + " at main of o/r: it is a directory, not a file"; err == nil || err.Error() != want {
		t.Errorf("loadForm() = %v, want %q", err, want)
	}
}

// A broken form is an error only when the form is needed: loadPolicy reads
// it but does not parse it.
func TestBrokenFormOnlyWhenNeeded(t *testing.T) {
	gh := fakegithub.New(t)
	gh.SetFile("o/r", "main", policyPath, "version: 1\n")
	gh.SetFile("o/r", "main", formPath, "body: [\n")
	r := &runner{cfg: Config{Getenv: func(string) string { return "" }}, api: testAPI(t, gh, &fakeClock{now: time.Now()}), defBranch: "main"}
	if _, err := r.loadPolicy(context.Background()); err != nil {
		t.Fatalf("loadPolicy() = %v, want the policy (the form is not parsed yet)", err)
	}
	_, err := r.loadForm(context.Background())
	var ce *configError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), formPath) {
		t.Errorf("loadForm() = %v, want a configuration error naming %s", err, formPath)
	}
}
