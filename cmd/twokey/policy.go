package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/twokey/twokey/tracker"
)

const policyUsage = `usage: twokey policy [--check [--form FILE] [FILE]]

Policy prints the policy twokey uses when a repository has none of its own,
with every key present and commented, so it doubles as the reference: how
briefs are checked and labelled, the sign-off kinds and who may give them,
which kinds a change needs, whether a brief must be linked, who may
bypass the gate, the calendar that sign-off deadlines are counted in, freeze
windows (none by default, with a commented example) and when keys are due.
Save it as .github/twokey.yml on the default branch and
edit it; keys you leave out take the defaults shown, and kinds and require,
when given, replace the default's whole.

With --check it prints nothing of the sort: it checks a policy file and the
brief form it names, as validate and the action read them, without a brief:
every mistake with its file:line:col and the line itself, the warnings
(a kind that lists people and also a permission), and the brief rules,
answer labels and require conditions that name a field or an option the
form does not have.

Flags:
  --check      check FILE (default: .github/twokey.yml at the top of the
               git repository the current directory is in)
  --form FILE  with --check, the form to compare the policy with (default:
               the policy's brief.form, relative to the top of the
               repository the policy is in)

Exit status: 0 printed, or the policy and form are fine (warnings may be
printed on stderr); 1 --check found problems; 2 usage error, or a file that
cannot be read.

Examples:
  twokey policy > .github/twokey.yml
  twokey policy --check
  twokey policy --check .github/twokey.yml
`

func policyCommand() *command {
	return &command{
		name:    "policy",
		summary: "print the embedded default policy, or check a policy file (--check)",
		usage:   policyUsage,
		run:     runPolicy,
	}
}

func runPolicy(ctx context.Context, e *env, args []string) error {
	fset := newFlagSet("policy")
	check := fset.Bool("check", false, "")
	formFile := fset.String("form", "", "")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if !*check {
		if fset.NArg() > 0 {
			return usagef("unexpected argument %q; to check a policy file, run twokey policy --check %s", fset.Arg(0), fset.Arg(0))
		}
		if *formFile != "" {
			return usagef("--form FILE goes with --check")
		}
		_, err := e.stdout.Write(tracker.DefaultPolicyYAML)
		return err
	}
	if fset.NArg() > 1 {
		return usagef("policy --check takes one policy file, got %d arguments", fset.NArg())
	}
	file := fset.Arg(0)
	if file == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		top := gitTop(wd)
		if top == "" {
			top = wd
		}
		file = displayPath(filepath.Join(top, filepath.FromSlash(tracker.DefaultPolicyFile)))
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no policy at %s: name the file to check (twokey policy --check FILE), or write one (twokey init)", file)
		}
	}
	policy, form, err := loadConfig(e, "policy", file, *formFile)
	if err == nil {
		var left *tracker.LeftOut
		if _, left, err = tracker.FitPolicyToForm(policy, form); left != nil {
			fmt.Fprintf(e.stderr, "twokey policy: %s\n", left)
		}
	}
	if err != nil {
		if len(tracker.AsConfigErrors(err)) > 0 {
			return &notOKError{err} // the policy or the form has problems: the answer is no
		}
		return err
	}
	fmt.Fprintf(e.stdout, "%s: ok: %s, %s, %s; the form asks %s\n", file,
		countOf(len(policy.KindOrder), "kind", "kinds", strings.Join(policy.KindOrder, ", ")),
		countOf(len(policy.Require), "require rule", "require rules", ""),
		countOf(len(policy.Brief.Rules), "brief rule", "brief rules", ""),
		countOf(len(form.Fields), "question", "questions", ""))
	return nil
}

// countOf writes "2 kinds (a, b)", "1 kind (a)" or "no kinds".
func countOf(n int, one, many, list string) string {
	s := fmt.Sprintf("%d %s", n, countNoun(n, one, many))
	if n == 0 {
		s = "no " + many
	}
	if list != "" {
		s += " (" + list + ")"
	}
	return s
}
