package main

import (
	"context"
	"errors"
)

func validateCommand() *command {
	return &command{
		name:    "validate",
		summary: "check a brief against the form and policy",
		usage: `usage: twokey validate [--form FILE] [--policy FILE] [--json] [FILE|-]
`,
		run: func(ctx context.Context, e *env, args []string) error {
			return errors.New("not implemented yet") // TODO: owned by issue 2
		},
	}
}
