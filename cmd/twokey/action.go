package main

import (
	"context"

	"github.com/twokey/twokey/action"
)

func actionCommand() *command {
	return &command{
		name:    "action",
		summary: "run as the GitHub Action (reads the Actions environment)",
		usage: `usage: twokey action

Runs twokey as the GitHub Action does: reads GITHUB_EVENT_NAME,
GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY and the inputs INPUT_GITHUB_TOKEN, INPUT_POLICY_PATH and
INPUT_FORM_PATH, handles the event and exits 0 (handled or ignored) or 1
(configuration error or failure, with ::error annotations).
`,
		run: func(ctx context.Context, e *env, args []string) error {
			fs := newFlagSet("action")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usagef("unexpected argument %q", fs.Arg(0))
			}
			code := action.Run(ctx, action.Config{Getenv: e.getenv, Stdout: e.stdout, Stderr: e.stderr, Now: e.now})
			if code != action.ExitOK {
				return errNotOK // the action printed its annotations: exit 1
			}
			return nil
		},
	}
}
