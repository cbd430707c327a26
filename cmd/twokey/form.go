package main

import (
	"context"
	"errors"
)

func formCommand() *command {
	return &command{
		name:    "form",
		summary: "print the embedded default brief form",
		usage: `usage: twokey form
`,
		run: func(ctx context.Context, e *env, args []string) error {
			return errors.New("not implemented yet") // TODO: owned by issue 2
		},
	}
}
