package main

import (
	"context"
	"errors"
)

func checkCommand() *command {
	return &command{
		name:    "check",
		summary: "evaluate a live pull request's gate",
		usage: `usage: twokey check --pr N [--repo owner/repo]
`,
		run: func(ctx context.Context, e *env, args []string) error {
			return errors.New("not implemented yet") // TODO: owned by issue 6
		},
	}
}
