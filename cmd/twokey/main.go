// Command twokey keeps website changes under two keys: briefs filed through an
// issue form, pull requests that link them, and a merge gate that needs both a
// usability and a back-end sign-off. See doc.go, or run twokey help.
package main

import (
	"context"
	"os"
	"os/signal"
	_ "time/tzdata" // time zones read the same on a runner without tzdata
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
