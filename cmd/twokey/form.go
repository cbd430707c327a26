package main

import (
	"context"
	"fmt"

	"github.com/twokey/twokey/tracker"
)

func formCommand() *command {
	return &command{
		name:    "form",
		summary: "print the embedded default brief form, or a blank brief",
		usage: `usage: twokey form [--body [--form FILE]]

Form prints the brief form twokey uses when a repository has none of its own:
an issue form (YAML) asking for the objective, audience, minimum viable
product, success measure, examples, deadline, what the change touches, any
new vendor, and the size. Save it as .github/ISSUE_TEMPLATE/brief.yml to
offer it on GitHub's "New issue" page, and edit it to taste: keep the ids that
the policy's brief rules name (twokey validate --form FILE --policy POLICY
reports rules naming ids the form lacks; the default policy's rules for the
default form are left out for another form, with a line on standard error).

Flags:
  --body       print instead a blank brief: the issue body GitHub writes
               when the form is submitted empty ("### Question", a blank
               line, then _No response_, None, unchecked boxes, or the
               form's prefilled value), to fill in and check with
               twokey validate before filing it
  --form FILE  with --body, the form to write the brief of (default: the
               embedded one)

Examples:
  twokey form > .github/ISSUE_TEMPLATE/brief.yml
  twokey form --body > brief.md
  twokey form --body --form .github/ISSUE_TEMPLATE/brief.yml > brief.md
`,
		run: func(ctx context.Context, e *env, args []string) error {
			fs := newFlagSet("form")
			body := fs.Bool("body", false, "")
			formFile := fs.String("form", "", "")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usagef("unexpected argument %q; form takes none (the form to write a brief of is --body --form FILE)", fs.Arg(0))
			}
			if !*body {
				if *formFile != "" {
					return usagef("--form FILE goes with --body (twokey form --body --form FILE prints a blank brief of FILE)")
				}
				_, err := e.stdout.Write(tracker.DefaultFormYAML)
				return err
			}
			f := tracker.DefaultForm()
			if *formFile != "" {
				var err error
				if f, err = readForm(*formFile); err != nil {
					return err
				}
			}
			_, err := fmt.Fprintln(e.stdout, f.BlankBody())
			return err
		},
	}
}
