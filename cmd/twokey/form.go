package main

import (
	"context"

	"github.com/twokey/twokey/tracker"
)

func formCommand() *command {
	return &command{
		name:    "form",
		summary: "print the embedded default brief form",
		usage: `usage: twokey form

Form prints the brief form twokey uses when a repository has none of its own:
an issue form (YAML) asking for the objective, audience, minimum viable
product, success measure, examples, deadline, what the change touches, any
new vendor, and the size. Save it as .github/ISSUE_TEMPLATE/brief.yml to
offer it on GitHub's "New issue" page, and edit it to taste: keep the ids that
the policy's brief rules name (twokey validate --form FILE --policy POLICY
reports rules naming ids the form lacks; the default policy's rules for the
default form are left out for another form, with a line on standard error).

Example:
  twokey form > .github/ISSUE_TEMPLATE/brief.yml
`,
		run: func(ctx context.Context, e *env, args []string) error {
			fs := newFlagSet("form")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usagef("form takes no arguments")
			}
			_, err := e.stdout.Write(tracker.DefaultFormYAML)
			return err
		},
	}
}
