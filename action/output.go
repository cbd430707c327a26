package action

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
	"github.com/twokey/twokey/tracker"
)

// Output is one step output.
type Output struct {
	Name, Value string
}

// FormatOutputs encodes outputs in the GITHUB_OUTPUT file format, each as
// name<<DELIM / value / DELIM with a fresh random delimiter that the value
// does not contain, so a value (a PR title, a brief answer) cannot end its
// heredoc early and inject another output. go-githubactions' SetOutput uses a
// fixed delimiter and panics without GITHUB_OUTPUT, so it is not used.
func FormatOutputs(outputs []Output) (string, error) {
	var b strings.Builder
	for _, o := range outputs {
		if o.Name == "" || strings.ContainsAny(o.Name, "<\r\n=") {
			return "", fmt.Errorf("output name %q is not a plain name", o.Name)
		}
		delim, err := delimiter(o.Value)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	return b.String(), nil
}

// delimiter returns ghadelimiter_<32 random hex digits> not found in value.
func delimiter(value string) (string, error) {
	for range 8 {
		var buf [16]byte
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("output delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(buf[:])
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("output delimiter: every random delimiter occurs in the value")
}

// appendFile appends text to the file at path (GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY), which the runner creates.
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// publisher writes what a run reports to the runner: outputs, the step
// summary, workflow commands (annotations, notices) on stdout.
type publisher struct {
	getenv func(string) string
	stdout io.Writer
	gha    *githubactions.Action
}

func newPublisher(getenv func(string) string, stdout io.Writer) *publisher {
	return &publisher{getenv: getenv, stdout: stdout,
		gha: githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(githubactions.GetenvFunc(getenv)))}
}

// outputs writes step outputs to GITHUB_OUTPUT; outside a runner (no
// GITHUB_OUTPUT) they are printed as name=value lines instead.
func (p *publisher) outputs(outs ...Output) error {
	path := p.getenv("GITHUB_OUTPUT")
	if path == "" {
		for _, o := range outs {
			fmt.Fprintf(p.stdout, "output %s=%s\n", o.Name, strconv.Quote(o.Value))
		}
		return nil
	}
	text, err := FormatOutputs(outs)
	if err != nil {
		return err
	}
	if err := appendFile(path, text); err != nil {
		return fmt.Errorf("write outputs to GITHUB_OUTPUT: %w", err)
	}
	return nil
}

// summary appends Markdown to the step summary (GITHUB_STEP_SUMMARY); without
// one it is dropped (the same text is in the comment).
func (p *publisher) summary(markdown string) error {
	path := p.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	if err := appendFile(path, markdown); err != nil {
		return fmt.Errorf("write the step summary: %w", err)
	}
	return nil
}

func (p *publisher) notice(format string, args ...any) { p.gha.Noticef(format, args...) }

func (p *publisher) warning(format string, args ...any) { p.gha.Warningf(format, args...) }

// configWarning prints a ::warning annotation placed on the configuration
// file's line and column.
func (p *publisher) configWarning(ce *tracker.ConfigError) {
	if ce.File == tracker.DefaultPolicyName {
		p.gha.WithFieldsMap(map[string]string{"title": "twokey configuration"}).Warningf("%s", ce.Error())
		return
	}
	fields := map[string]string{"file": ce.File, "title": "twokey configuration"}
	if ce.Line > 0 {
		fields["line"] = strconv.Itoa(ce.Line)
	}
	if ce.Column > 0 {
		fields["col"] = strconv.Itoa(ce.Column)
	}
	p.gha.WithFieldsMap(fields).Warningf("%s", ce.Msg)
}

// errorAnnotation prints an ::error annotation; a configuration error is
// placed on its file, line and column.
func (p *publisher) errorAnnotation(err error) {
	ces := tracker.AsConfigErrors(err)
	if len(ces) == 0 {
		p.gha.Errorf("%s", err.Error())
		return
	}
	for _, ce := range ces {
		if ce.File == tracker.DefaultPolicyName {
			// Not a file of the repository: an annotation cannot point into it.
			p.gha.WithFieldsMap(map[string]string{"title": "twokey configuration"}).Errorf("%s", ce.Error())
			continue
		}
		fields := map[string]string{"file": ce.File, "title": "twokey configuration"}
		if ce.Line > 0 {
			fields["line"] = strconv.Itoa(ce.Line)
		}
		if ce.Column > 0 {
			fields["col"] = strconv.Itoa(ce.Column)
		}
		p.gha.WithFieldsMap(fields).Errorf("%s", ce.Msg)
	}
}
