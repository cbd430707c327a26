package main

import (
	"context"
	"errors"
)

func actionCommand() *command {
	return &command{
		name:    "action",
		summary: "run as the GitHub Action (reads the Actions environment)",
		usage: `usage: twokey action
`,
		run: func(ctx context.Context, e *env, args []string) error {
			return errors.New("not implemented yet") // TODO: owned by issue 4
		},
	}
}
