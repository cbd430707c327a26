package tracker

import (
	"fmt"
	"strconv"
	"strings"
)

// ConfigError is a problem in a configuration file (an issue form or the
// policy): where it is and what is wrong. Callers show it as file:line:col, and
// the action turns it into an annotation on that line.
type ConfigError struct {
	File   string // path as the user knows it, e.g. .github/twokey.yml
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Msg    string // what is wrong and, where it helps, what to do
	// Source is the text of line Line, for showing the mistake under the
	// message (see Snippet); "" when unknown.
	Source string
}

// Error formats the error as file:line:col: msg, leaving out what is unknown.
func (e *ConfigError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// Snippet shows the line of the mistake with a caret under its column, in
// the way compilers do, or returns "" when the line is unknown:
//
//	77 |      users: [ux-lead]
//	   |           ^
func (e *ConfigError) Snippet() string {
	if e.Line <= 0 || e.Source == "" {
		return ""
	}
	num := strconv.Itoa(e.Line)
	pad := strings.Repeat(" ", len(num))
	s := fmt.Sprintf("  %s | %s", num, e.Source)
	if e.Column > 0 {
		// Keep the source's tabs so the caret lines up under them.
		var b strings.Builder
		for i, r := range []rune(e.Source) {
			if i >= e.Column-1 {
				break
			}
			if r == '\t' {
				b.WriteRune('\t')
			} else {
				b.WriteRune(' ')
			}
		}
		s += fmt.Sprintf("\n  %s | %s^", pad, b.String())
	}
	return s
}

// ConfigErrors is a list of configuration errors found in one pass, so that a
// person fixes them all at once instead of one per run.
type ConfigErrors []*ConfigError

// Error joins the errors, one per line.
func (es ConfigErrors) Error() string {
	s := ""
	for i, e := range es {
		if i > 0 {
			s += "\n"
		}
		s += e.Error()
	}
	return s
}

// Unwrap lets errors.As find each *ConfigError.
func (es ConfigErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// AsConfigErrors returns every *ConfigError in err's tree, in order.
func AsConfigErrors(err error) []*ConfigError {
	var out []*ConfigError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if ce, ok := err.(*ConfigError); ok {
			out = append(out, ce)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}
