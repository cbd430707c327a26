package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/twokey/twokey/tracker"
)

const explainUsage = `usage: twokey explain [--paths PATH...] [--label L]... [--brief FILE|-] [--policy FILE] [--form FILE]

Explain says, offline, which sign-off kinds a change would need under the
policy, and which require rule added each: the same rules the gate applies
to a pull request that changes the files PATH..., has the labels L and links
the brief FILE. It also lists the rules that do not hold, with the kinds they
would add, so you can see what would make a change need more.

Flags:
  --paths PATH    a changed file, as a path from the top of the repository
                  (src/checkout/pay.go); repeat it, or list more paths as
                  arguments (--paths a.go b.go)
  --label L       a label on the pull request; repeat it for more
  --brief FILE    a brief the pull request links (an issue body; - reads
                  standard input): its answers decide the require rules'
                  brief: conditions, and the labels twokey would set on it
                  count as the brief's labels
  --policy FILE   the twokey policy (default: the embedded one, see
                  'twokey policy')
  --form FILE     the form the brief was filed through (default: as
                  twokey validate: the policy's brief.form, else the
                  embedded form)

Exit status: 0 explained, 2 usage or input error.

Examples:
  twokey explain --paths src/checkout/pay.go
  twokey explain --policy .github/twokey.yml --paths api/orders.go web/cart.tsx --label urgent
  twokey explain --policy .github/twokey.yml --brief brief.md --paths README.md
`

func explainCommand() *command {
	return &command{
		name:    "explain",
		summary: "say which sign-offs a change would need, and which rule adds each",
		usage:   explainUsage,
		run:     runExplain,
	}
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func runExplain(ctx context.Context, e *env, args []string) error {
	fset := newFlagSet("explain")
	var paths, labels listFlag
	fset.Var(&paths, "paths", "")
	fset.Var(&labels, "label", "")
	briefFile := fset.String("brief", "", "")
	policyFile := fset.String("policy", "", "")
	formFile := fset.String("form", "", "")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	paths = append(paths, fset.Args()...)
	if *formFile != "" && *briefFile == "" {
		return usagef("--form FILE goes with --brief FILE (the form is only read to parse the brief)")
	}
	pr := &tracker.PullRequest{Labels: labels}
	for _, p := range paths {
		clean := path.Clean(filepath.ToSlash(p))
		if clean == "." || strings.HasPrefix(clean, "../") || clean == ".." || path.IsAbs(clean) {
			return usagef("--paths %q is not a path inside the repository: write it from the repository's top, as src/app.go", p)
		}
		pr.Files = append(pr.Files, clean)
	}

	var policy *tracker.Policy
	var briefs []tracker.LinkedBrief
	var err error
	if *briefFile == "" {
		if policy, err = loadPolicyFile(e, "explain", *policyFile); err != nil {
			return err
		}
	} else {
		var form *tracker.Form
		if policy, form, err = loadConfig(e, "explain", *policyFile, *formFile); err != nil {
			return err
		}
		if policy, _, err = tracker.FitPolicyToForm(policy, form); err != nil {
			return err
		}
		var body []byte
		if *briefFile == "-" {
			body, err = io.ReadAll(e.stdin)
		} else {
			body, err = os.ReadFile(*briefFile)
		}
		if err != nil {
			return fmt.Errorf("read brief: %w", err)
		}
		res := tracker.CheckBrief(form, policy, string(body), e.now())
		if !res.Valid {
			fmt.Fprintf(e.stderr, "twokey explain: the brief %s needs info (twokey validate says what); a pull request linking it stays pending until it is fixed\n", *briefFile)
		}
		briefs = []tracker.LinkedBrief{{Found: true, Brief: res.Brief, Labels: append([]string{policy.Brief.Label}, res.Labels...)}}
	}

	held := tracker.RulesThatHold(policy, pr, briefs)
	addedBy := map[string][]int{}
	for _, i := range held {
		for _, k := range policy.Require[i].Kinds {
			if !slices.Contains(addedBy[k], i) {
				addedBy[k] = append(addedBy[k], i)
			}
		}
	}
	var kinds []string
	for _, k := range policy.KindOrder {
		if len(addedBy[k]) > 0 {
			kinds = append(kinds, k)
		}
	}

	w := e.stdout
	fmt.Fprintf(w, "%s needs ", describeChange(pr, *briefFile))
	if len(kinds) == 0 {
		fmt.Fprintln(w, "no sign-off: no require rule holds.")
	} else {
		fmt.Fprintf(w, "%s.\n\n", strings.Join(kinds, " and "))
		width := 0
		for _, k := range kinds {
			width = max(width, len(k))
		}
		for _, k := range kinds {
			var by []string
			for _, i := range addedBy[k] {
				by = append(by, describeRule(policy, i))
			}
			fmt.Fprintf(w, "  %-*s  added by %s\n", width, k, strings.Join(by, "; "))
		}
	}
	var not []string
	for i := range policy.Require {
		if !slices.Contains(held, i) {
			not = append(not, fmt.Sprintf("  %s would add %s", describeRule(policy, i), strings.Join(policy.Require[i].Kinds, " and ")))
		}
	}
	if len(not) > 0 {
		fmt.Fprintf(w, "\nRules that do not hold:\n%s\n", strings.Join(not, "\n"))
		if *briefFile == "" && slices.ContainsFunc(policy.Require, func(r tracker.Requirement) bool { return r.Brief != nil }) {
			fmt.Fprintln(w, "  (no brief was given, so no brief: condition holds; pass --brief FILE)")
		}
	}
	return nil
}

// describeChange names the change explained: its files, labels and brief.
func describeChange(pr *tracker.PullRequest, brief string) string {
	var parts []string
	switch len(pr.Files) {
	case 0:
		parts = append(parts, "A change to no file")
	case 1, 2, 3:
		parts = append(parts, "A change to "+strings.Join(pr.Files, ", "))
	default:
		parts = append(parts, fmt.Sprintf("A change to %s and %d more files", strings.Join(pr.Files[:3], ", "), len(pr.Files)-3))
	}
	if len(pr.Labels) > 0 {
		q := make([]string, len(pr.Labels))
		for i, l := range pr.Labels {
			q[i] = fmt.Sprintf("%q", l)
		}
		parts = append(parts, "labelled "+strings.Join(q, ", "))
	}
	if brief != "" {
		parts = append(parts, "linking the brief "+brief)
	}
	return strings.Join(parts, ", ")
}

// describeRule names require rule i and its conditions, as the policy
// writes them.
func describeRule(p *tracker.Policy, i int) string {
	r := p.Require[i]
	var conds []string
	if len(r.Paths) > 0 {
		conds = append(conds, "paths: "+strings.Join(r.Paths, ", "))
	}
	if c := r.Brief; c != nil {
		if c.IsNot != "" {
			conds = append(conds, fmt.Sprintf("brief: %s is not %q", c.Field, c.IsNot))
		} else {
			conds = append(conds, fmt.Sprintf("brief: %s is %q", c.Field, c.Is))
		}
	}
	if len(r.Labels) > 0 {
		conds = append(conds, "labels: "+strings.Join(r.Labels, ", "))
	}
	if len(conds) == 0 {
		conds = []string{"every change"}
	}
	return fmt.Sprintf("require rule %d (%s)", i+1, strings.Join(conds, "; "))
}
