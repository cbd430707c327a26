package main

import (
	"context"

	"github.com/twokey/twokey/tracker"
)

func policyCommand() *command {
	return &command{
		name:    "policy",
		summary: "print the embedded default policy",
		usage: `usage: twokey policy

Policy prints the policy twokey uses when a repository has none of its own,
with every key present and commented, so it doubles as the reference: how
briefs are checked and labelled, the sign-off kinds and who may give them,
which kinds a change needs, whether a brief must be linked, who may
bypass the gate, the calendar that sign-off deadlines are counted in, freeze
windows (none by default, with a commented example) and when keys are due.
Save it as .github/twokey.yml on the default branch and
edit it; keys you leave out take the defaults shown, and kinds and require,
when given, replace the default's whole.

Example:
  twokey policy > .github/twokey.yml
`,
		run: func(ctx context.Context, e *env, args []string) error {
			fs := newFlagSet("policy")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usagef("policy takes no arguments")
			}
			_, err := e.stdout.Write(tracker.DefaultPolicyYAML)
			return err
		},
	}
}
