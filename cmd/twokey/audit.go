package main

import (
	"context"
	"errors"
)

func auditCommand() *command {
	return &command{
		name:    "audit",
		summary: "audit the merged history offline",
		usage: `usage: twokey audit [--repo DIR] [--ref main] [--since DATE] [--until DATE] [--format text|json|markdown] [--fetch REMOTE]
`,
		run: func(ctx context.Context, e *env, args []string) error {
			return errors.New("not implemented yet") // TODO: owned by issue 5
		},
	}
}
