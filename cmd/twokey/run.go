package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/twokey/twokey/tracker"
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
	// sleep waits between retries; nil means really wait.
	sleep func(ctx context.Context, d time.Duration) error
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
		explainCommand(),
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
		if len(args) > 2 {
			fmt.Fprintf(e.stderr, "twokey help: unexpected argument %q; help takes one command\nRun 'twokey help' for the list of commands.\n", args[2])
			return exitError
		}
		if len(args) > 1 && !isHelp(args[1]) {
			if c := lookup(args[1]); c != nil {
				fmt.Fprint(e.stdout, c.usage)
				return exitOK
			}
			unknownCommand(e.stderr, args[1])
			return exitError
		}
		printHelp(e.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		unknownCommand(e.stderr, name)
		return exitError
	}
	err := c.run(ctx, e, args[1:])
	var ue *usageError
	var no *notOKError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(e.stdout, c.usage)
		return exitOK
	case errors.Is(err, errNotOK):
		return exitNotOK
	case errors.As(err, &ue):
		// One line and where to read more, as go and git do: the whole
		// usage would bury the line that says what is wrong.
		fmt.Fprintf(e.stderr, "twokey %s: %s\nRun 'twokey help %s' for its usage.\n", c.name, ue.msg, c.name)
		return exitError
	case errors.As(err, &no):
		printError(e.stderr, c.name, no.err)
		return exitNotOK
	default:
		printError(e.stderr, c.name, err)
		return exitError
	}
}

// printError writes err for a person: its message with the line of each
// configuration error shown under it; a multi-line message (a list of
// configuration errors) one problem per line.
func printError(w io.Writer, cmd string, err error) {
	msg := withSnippets(err)
	if strings.Contains(msg, "\n") {
		fmt.Fprintf(w, "twokey %s:\n  %s\n", cmd, strings.ReplaceAll(msg, "\n", "\n  "))
	} else {
		fmt.Fprintf(w, "twokey %s: %s\n", cmd, msg)
	}
}

// notOKError is an answer "no" that run prints as an error and exits 1
// for: the problems a check found (twokey policy --check), as opposed to a
// failure to check.
type notOKError struct{ err error }

func (e *notOKError) Error() string { return e.err.Error() }
func (e *notOKError) Unwrap() error { return e.err }

// unknownCommand says that name is no command, with the nearest one.
func unknownCommand(w io.Writer, name string) {
	hint := ""
	if n := nearest(strings.TrimLeft(name, "-"), commandNames()); n != "" {
		hint = fmt.Sprintf("; did you mean %s?", n)
	}
	fmt.Fprintf(w, "twokey: unknown command %q%s\nRun 'twokey help' for the list of commands.\n", name, hint)
}

// withSnippets is err's message with the line of each configuration error
// shown under it, caret under the column, as compilers do.
func withSnippets(err error) string {
	msg := err.Error()
	fillSources(tracker.AsConfigErrors(err))
	for _, ce := range tracker.AsConfigErrors(err) {
		if sn := ce.Snippet(); sn != "" {
			line := ce.Error()
			if i := strings.Index(msg, line); i >= 0 && !strings.HasPrefix(msg[i+len(line):], "\n"+sn) {
				msg = msg[:i+len(line)] + "\n" + sn + msg[i+len(line):]
			}
		}
	}
	return msg
}

// fillSources gives each error that names a line but does not carry it
// (a policy entry found not to fit the form after loading) the text of that
// line, read from its file or from the embedded default policy.
func fillSources(errs []*tracker.ConfigError) {
	lines := map[string][]string{}
	for _, ce := range errs {
		if ce.Source != "" || ce.Line <= 0 {
			continue
		}
		ls, ok := lines[ce.File]
		if !ok {
			var data []byte
			if ce.File == tracker.DefaultPolicyName {
				data = tracker.DefaultPolicyYAML
			} else {
				data, _ = os.ReadFile(ce.File)
			}
			ls = strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
			lines[ce.File] = ls
		}
		if ce.Line <= len(ls) {
			ce.Source = ls[ce.Line-1]
		}
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
			if name := unknownFlag(fs, args); name != "" {
				hint := ""
				if n := nearest(name, flagNames(fs)); n != "" {
					hint = fmt.Sprintf("; did you mean --%s?", n)
				}
				return usagef("unknown flag --%s%s", name, hint)
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
