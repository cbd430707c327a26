package tracker

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDefaultPolicyRequiresBothKeys: the embedded default policy needs a
// usability and a backend sign-off on every pull request, whatever it
// changes, when no brief answer or label adds more.
func TestDefaultPolicyRequiresBothKeys(t *testing.T) {
	tests := []struct {
		name   string
		files  []string
		briefs []LinkedBrief
	}{
		{name: "no brief, a plain file", files: []string{"README.md"}},
		{name: "no files at all"},
		{name: "a brief without a new vendor", files: []string{"docs/faq.md"},
			briefs: []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"brief"},
				Brief: &Brief{Fields: map[string]*Value{"new_vendor": {Text: "No", Choices: []string{"No"}}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := gatePR()
			pr.Body, pr.Branch, pr.Files = "Tidies the docs.", "docs", tt.files
			v, err := Evaluate(context.Background(), DefaultPolicy(), pr, tt.briefs, newGateDir())
			if err != nil {
				t.Fatalf("Evaluate(DefaultPolicy()): %v", err)
			}
			if diff := cmp.Diff([]string{"usability", "backend"}, v.Required); diff != "" {
				t.Errorf("Evaluate(DefaultPolicy()).Required diff (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEvaluateSigners covers who may turn a key and with what: a listed user
// only for the kind that lists them, bots by login as well as by account
// type, reviews that request changes, and commands that Markdown hides.
func TestEvaluateSigners(t *testing.T) {
	// A bot whose account type the API did not report: only the login says so.
	unflagged := Actor{Login: "dependabot[bot]", ID: 49699333, Bot: false}
	tests := []struct {
		name    string
		pr      func(pr *PullRequest)
		dir     func(d *gateDir)
		kinds   string
		ignored []string // the start of each ignored entry, in order
	}{
		{
			name:    "a user listed for usability cannot sign backend",
			pr:      func(pr *PullRequest) { pr.Comments = []Comment{gComment(1, "uma", "/signoff backend", gHead, 1)} },
			kinds:   "usability=missing backend=missing",
			ignored: []string{"uma: @uma cannot sign off backend; who can: a member of @acme/backend"},
		},
		{
			name: "a user listed for usability approving signs usability only",
			pr:   func(pr *PullRequest) { pr.Reviews = []Review{gApprove(1, "uma", gHead, 1)} },
			// No entry: uma's approval signed what she may give.
			kinds: "usability=satisfied(uma) backend=missing",
		},
		{
			name: "a login ending in [bot] is a bot without the Bot flag",
			pr: func(pr *PullRequest) {
				r := gApprove(1, "x", gHead, 1)
				r.User = unflagged
				c := gComment(2, "x", "/signoff backend", gHead, 2)
				c.User = unflagged
				pr.Reviews, pr.Comments = []Review{r}, []Comment{c}
			},
			dir:   func(d *gateDir) { d.teams["acme/backend"] = append(d.teams["acme/backend"], unflagged.Login) },
			kinds: "usability=missing backend=missing",
			ignored: []string{
				"dependabot[bot]: @dependabot[bot] is a bot; bots never sign off",
				"dependabot[bot]: @dependabot[bot] is a bot; bots never sign off",
			},
		},
		{
			name: "a /signoff in a review that requests changes is ignored with the reason",
			pr: func(pr *PullRequest) {
				pr.Reviews = []Review{
					gApprove(1, "bob", gHead, 1),
					gReview(2, "bob", ReviewChangesRequested, gHead, 2, "The query is slow.\n/signoff backend\n/signoff revoke usability"),
					gReview(3, "alice", ReviewChangesRequested, gHead, 3, "/signoff"),
				}
			},
			kinds: "usability=missing backend=missing",
			ignored: []string{
				"bob: /signoff backend in a review that requests changes does not count",
				"alice: /signoff in a review that requests changes does not count",
			},
		},
		{
			name: "a waive command in a review that requests changes is ignored with the reason",
			pr: func(pr *PullRequest) {
				pr.Body, pr.Branch = "typo", "typo"
				pr.Reviews = []Review{gReview(1, "bob", ReviewChangesRequested, gHead, 1, "/no-brief")}
			},
			kinds:   "usability=missing backend=missing",
			ignored: []string{"bob: /no-brief in a review that requests changes does not count"},
		},
		{
			name: "commands hidden by Markdown nesting do not count",
			pr: func(pr *PullRequest) {
				pr.Comments = []Comment{
					gComment(1, "alice", "1. ```\n   /signoff usability\n   ```", gHead, 1),
					gComment(2, "alice", "> the docs say\n/signoff usability", gHead, 2),
					gComment(3, "bob", "type `\n/signoff backend` to sign", gHead, 3),
					gComment(4, "bob", "like <code>\n/signoff backend\n</code>", gHead, 4),
				}
				pr.Reviews = []Review{gReview(5, "bob", ReviewCommented, gHead, 5, "<pre>\n/signoff backend\n</pre>")}
			},
			kinds: "usability=missing backend=missing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := gatePR()
			tt.pr(pr)
			d := newGateDir()
			if tt.dir != nil {
				tt.dir(d)
			}
			v, err := Evaluate(context.Background(), gatePolicy(t), pr, gateBriefs, d)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			got := summarizeVerdict(v)
			if got.Kinds != tt.kinds {
				t.Errorf("Evaluate kinds = %q, want %q", got.Kinds, tt.kinds)
			}
			if len(got.Ignored) != len(tt.ignored) {
				t.Fatalf("Evaluate ignored = %q, want %d entries like %q", got.Ignored, len(tt.ignored), tt.ignored)
			}
			for i, w := range tt.ignored {
				if !strings.HasPrefix(got.Ignored[i], w) {
					t.Errorf("Evaluate ignored[%d] = %q, want it to start with %q", i, got.Ignored[i], w)
				}
			}
		})
	}
}
