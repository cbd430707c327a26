package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = ""

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print twokey's version",
		usage:   "usage: twokey version\n\nPrints the version of this twokey binary.\n",
		run: func(ctx context.Context, e *env, args []string) error {
			fs := newFlagSet("version")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			v := version
			if v == "" {
				v = "(devel)"
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
					v = bi.Main.Version
				}
			}
			fmt.Fprintf(e.stdout, "twokey %s\n", v)
			return nil
		},
	}
}
