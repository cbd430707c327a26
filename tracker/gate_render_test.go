package tracker

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// renderCases are verdicts worth reading: each is golden-tested as the
// status description followed by the sticky comment.
func renderCases(t *testing.T) map[string]*Verdict {
	t.Helper()
	eval := func(p *Policy, pr *PullRequest, briefs []LinkedBrief, d *gateDir) *Verdict {
		t.Helper()
		v, err := Evaluate(context.Background(), p, pr, briefs, d)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	out := map[string]*Verdict{}

	pr := gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
	out["success"] = eval(gatePolicy(t), pr, gateBriefs, newGateDir())

	// The README's sample: one key turned, the other awaited.
	pr = gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1)}
	out["one-key"] = eval(gatePolicy(t), pr, gateBriefs, newGateDir())

	pr = gatePR()
	pr.Body, pr.Branch = "Adds the page.", "checkout"
	pr.Files = append(pr.Files, "payments/card.go")
	pr.Reviews = []Review{gApprove(1, "alice", gOld, 1), gApprove(2, "bob", "cccccccccccccccccccccccccccccccccccccccc", 2), gApprove(3, "mallory", gHead, 3)}
	pr.Comments = []Comment{
		gComment(4, "renovate[bot]", "/signoff backend", gHead, 4),
		gComment(5, "dev", "/signoff usability |<@everyone>", gHead, 5),
	}
	sameChangeAs(pr)
	d := newGateDir()
	out["pending"] = eval(gatePolicy(t), pr, []LinkedBrief{}, d)

	pr = gatePR()
	out["failure"] = eval(gatePolicy(t, "    teams: [acme/backend]\n=>    users: [dev]\n"), pr, gateBriefs, newGateDir())

	pr = gatePR()
	pr.Comments = []Comment{gComment(1, "root", "/bypass checkout is down | @everyone", gHead, 1)}
	out["bypassed"] = eval(gatePolicy(t), pr, gateBriefs, newGateDir())

	pr = gatePR()
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
	d = newGateDir()
	d.unreadable = map[string]bool{"acme/backend": true}
	out["team-unreadable"] = eval(gatePolicy(t), pr, []LinkedBrief{{Repo: "acme/site", Number: 7, Found: true, Labels: []string{"brief: needs-info"}}}, d)

	pr = gatePR()
	pr.Body, pr.Branch, pr.Labels = "Typo.", "typo", []string{"no-brief"}
	pr.Reviews = []Review{gApprove(1, "alice", gHead, 1), gApprove(2, "bob", gHead, 2)}
	out["waived"] = eval(gatePolicy(t), pr, nil, newGateDir())
	return out
}

func TestVerdictGolden(t *testing.T) {
	for name, v := range renderCases(t) {
		t.Run(name, func(t *testing.T) {
			got := fmt.Sprintf("state: %s\ndescription: %s\n\n%s", v.State, v.Description(), v.Comment())
			checkGolden(t, filepath.Join("testdata", "gate", name+".md"), []byte(got))
		})
	}
}

func TestDescriptionFitsAStatus(t *testing.T) {
	long := strings.Repeat("very-long-kind-name-", 5)
	edits := []string{
		"  backend:\n=>  " + long + "a:\n    teams: [acme/x]\n  " + long + "b:\n    teams: [acme/y]\n  backend:\n",
		"  - kinds: [usability, backend]\n=>  - kinds: [usability, backend, " + long + "a, " + long + "b]\n",
	}
	p := gatePolicy(t, edits...)
	cases := map[string]*PullRequest{}
	cases["pending with long kinds"] = gatePR()
	pr := gatePR()
	pr.Comments = []Comment{gComment(1, "root", "/bypass "+strings.Repeat("the checkout is down and ünïcödé matters ", 20), gHead, 1)}
	cases["long bypass reason"] = pr
	for name, pr := range cases {
		v, err := Evaluate(context.Background(), p, pr, gateBriefs, newGateDir())
		if err != nil {
			t.Fatal(err)
		}
		if d := v.Description(); utf8.RuneCountInString(d) > 140 || d == "" || !utf8.ValidString(d) {
			t.Errorf("%s: Description() = %q (%d characters), want 1 to 140 valid characters", name, d, utf8.RuneCountInString(d))
		}
	}
	v := &Verdict{State: StateFailure, Problems: []string{strings.Repeat("x", 300)}}
	if d := v.Description(); utf8.RuneCountInString(d) != 140 || !strings.HasSuffix(d, "…") {
		t.Errorf("Description() of a long problem = %q, want 140 characters ending in …", d)
	}
	for name, v := range renderCases(t) {
		if d := v.Description(); utf8.RuneCountInString(d) > 140 {
			t.Errorf("%s: Description() has %d characters", name, utf8.RuneCountInString(d))
		}
	}
}
