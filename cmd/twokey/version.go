package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = ""

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print twokey's version, commit, Go version and platform",
		usage: `usage: twokey version

Version prints what this twokey binary is: its version (the release tag, or
the module version 'go install' recorded, else "(devel)"), the commit it was
built from (with "modified" when the tree had uncommitted changes) and when,
the Go version that built it, and the operating system and architecture it
runs on. Quote it in a bug report.

Example:
  twokey version
`,
		run: func(ctx context.Context, e *env, args []string) error {
			fs := newFlagSet("version")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usagef("unexpected argument %q; version takes none", fs.Arg(0))
			}
			bi, _ := debug.ReadBuildInfo()
			fmt.Fprint(e.stdout, versionText(version, bi, runtime.GOOS+"/"+runtime.GOARCH))
			return nil
		},
	}
}

// versionText is what twokey version prints: the version set at release
// (released; else the module version go install recorded in bi), the
// commit and its time from bi's VCS settings, bi's Go version and the
// platform. bi may be nil (a binary built without module support).
func versionText(released string, bi *debug.BuildInfo, platform string) string {
	v, commit, when, modified, goVersion := released, "", "", false, runtime.Version()
	if bi != nil {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	switch {
	case commit == "":
		commit = "unknown (built without version control information)"
	case modified:
		commit += " (modified)"
	}
	if when != "" {
		commit += ", " + when
	}
	return fmt.Sprintf("twokey %s\ncommit:   %s\ngo:       %s\nplatform: %s\n", v, commit, goVersion, platform)
}
