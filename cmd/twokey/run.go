package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// Exit codes, decided in exactly one place: run.
const (
	exitOK    = 0 // success: valid, passing, ok
	exitNotOK = 1 // the answer is no: findings, a pending gate, audit problems
	exitError = 2 // usage or input error, or something failed
)

// errNotOK tells run that the command has printed its answer and the answer
// is no: exit 1 without another message.
var errNotOK = errors.New("not ok")

// usageError is a mistake in how the command was called: run prints it with
// the command's usage and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// env is what a subcommand gets from the outside world. Nothing else is read
// from the process: tests run commands in-process with their own env.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
}

// command is one subcommand: its name, a one-line summary for `twokey help`,
// its usage text for -h, and the function that runs it.
type command struct {
	name    string
	summary string
	usage   string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []*command {
	return []*command{
		validateCommand(),
		formCommand(),
		policyCommand(),
		checkCommand(),
		auditCommand(),
		reportCommand(),
		initCommand(),
		actionCommand(),
		versionCommand(),
	}
}

// run is the CLI: it finds the subcommand, runs it, and turns its error into
// a message and an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now}
	return runEnv(ctx, e, args)
}

func runEnv(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		printHelp(e.stderr)
		return exitError
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && !isHelp(args[1]) {
			if c := lookup(args[1]); c != nil {
				fmt.Fprint(e.stdout, c.usage)
				return exitOK
			}
			fmt.Fprintf(e.stderr, "twokey: unknown command %q; run 'twokey help' for the list\n", args[1])
			return exitError
		}
		printHelp(e.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "twokey: unknown command %q; run 'twokey help' for the list\n", name)
		return exitError
	}
	err := c.run(ctx, e, args[1:])
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(e.stdout, c.usage)
		return exitOK
	case errors.Is(err, errNotOK):
		return exitNotOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "twokey %s: %s\n\n%s", c.name, ue.msg, c.usage)
		return exitError
	default:
		msg := err.Error()
		// Multi-line errors (a list of config errors) read best one per line.
		if strings.Contains(msg, "\n") {
			fmt.Fprintf(e.stderr, "twokey %s:\n  %s\n", c.name, strings.ReplaceAll(msg, "\n", "\n  "))
		} else {
			fmt.Fprintf(e.stderr, "twokey %s: %s\n", c.name, msg)
		}
		return exitError
	}
}

// isHelp reports whether arg asks for the help itself: twokey help help,
// twokey help -h.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `twokey keeps website changes under two keys: briefs filed through an issue
form are checked and labelled, pull requests link their brief, and nothing
merges until both a usability and a back-end sign-off are given. Every merge
is recorded as a git note, and the audit proves the history offline.

Usage:

	twokey <command> [flags] [arguments]

Commands:

`)
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'twokey help <command>' or 'twokey <command> -h' for a command's usage.
Flags may come before or after a command's arguments.
Exit codes: 0 yes (valid, passing, ok), 1 no (findings, pending, audit problems),
2 usage or input error.
`)
}

// newFlagSet returns a flag set for c whose errors come back to run (which
// prints the usage once) instead of printing and exiting.
func newFlagSet(c string) *flag.FlagSet {
	fs := flag.NewFlagSet(c, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs, turning flag errors into usage errors.
// Flags may come before or after the arguments (twokey validate brief.md
// --json); after "--" everything is an argument. fs.Args() are the
// arguments, in order.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usagef("%v", err)
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...) // flag parsing was stopped by --
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Leave the arguments in fs.Args(): "--" ends flags and is dropped.
	return fs.Parse(append([]string{"--"}, pos...))
}
