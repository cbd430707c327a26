package main

import (
	"flag"
	"strings"

	"github.com/twokey/twokey/tracker"
)

// nearest returns the candidate closest to name, for a "did you mean"
// hint, or "" when none is close: the only candidate that name is a prefix of
// ("val" for validate), else the one fewest edits away (letters inserted,
// deleted, replaced or two swapped) when that is at most 1+len(name)/4
// edits. Ties go to the earlier candidate.
func nearest(name string, candidates []string) string {
	if name == "" {
		return ""
	}
	prefixOf := ""
	for _, c := range candidates {
		if len(name) >= 2 && strings.HasPrefix(c, name) {
			if prefixOf != "" {
				prefixOf = ""
				break
			}
			prefixOf = c
		}
	}
	if prefixOf != "" {
		return prefixOf
	}
	best, bestD := "", 1+len(name)/4
	for _, c := range candidates {
		if d := tracker.EditDistance(name, c, bestD); d < bestD || (d == bestD && best == "") {
			best, bestD = c, d
		}
	}
	return best
}

// commandNames are the names of the commands, for suggestions.
func commandNames() []string {
	var out []string
	for _, c := range commands() {
		out = append(out, c.name)
	}
	return append(out, "help")
}

// unknownFlag finds, in args parsed by fs, the first flag fs does not define
// and returns its name as written (without dashes), or "". It follows the
// flag package's rules: "--" ends the flags, a flag that takes a value takes
// the next argument unless written -name=value, and -h and -help ask for
// the usage.
func unknownFlag(fs *flag.FlagSet, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return ""
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		hasValue := false
		if k := strings.IndexByte(name, '='); k >= 0 {
			name, hasValue = name[:k], true
		}
		if name == "h" || name == "help" {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			return name
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // its value
		}
	}
	return ""
}

// flagNames are the flags fs defines.
func flagNames(fs *flag.FlagSet) []string {
	var out []string
	fs.VisitAll(func(f *flag.Flag) { out = append(out, f.Name) })
	return out
}
