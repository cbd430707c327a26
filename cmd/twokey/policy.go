package main

import (
	"context"
	"errors"
)

func policyCommand() *command {
	return &command{
		name:    "policy",
		summary: "print the embedded default policy",
		usage: `usage: twokey policy
`,
		run: func(ctx context.Context, e *env, args []string) error {
			return errors.New("not implemented yet") // TODO: owned by issue 2
		},
	}
}
