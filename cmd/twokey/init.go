package main

import (
	"context"
	"errors"
)

func initCommand() *command {
	return &command{
		name:    "init",
		summary: "scaffold the form, policy and workflow into a repository",
		usage: `usage: twokey init [--dir .] [--force]
`,
		run: func(ctx context.Context, e *env, args []string) error {
			return errors.New("not implemented yet") // TODO: owned by issue 6
		},
	}
}
