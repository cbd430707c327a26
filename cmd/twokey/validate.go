package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twokey/twokey/tracker"
)

const validateUsage = `usage: twokey validate [--form FILE] [--policy FILE] [--json] [--filed YYYY-MM-DD] [FILE|-]

Validate checks a brief (an issue body filed through the brief form) the way
the action does when the issue is opened or edited: every question of the form
is answered, answers are the form's options, required boxes are checked, and
the policy's brief rules hold (enough words, a number, a link, a date...).
It prints every problem with the reason it matters, then a count and the
labels twokey would set on the issue.

The body is read from FILE, or from standard input when FILE is - or absent.

Flags:
  --form FILE     the issue form the brief was filed through
                  (default: the embedded form, see 'twokey form'; with
                  --policy, the policy's brief.form, relative to the top of
                  the repository the policy is in: it must exist when the
                  policy names it, and a line on stderr says which policy
                  and form were used); the default policy's
                  rules for fields or options this form lacks are left out,
                  and a line on stderr says which
  --policy FILE   the twokey policy (default: the embedded one, see 'twokey policy')
  --json          print one JSON object instead of text:
                  {"valid": bool, "fields": {id: value}, "findings": [...], "labels": [...]}
  --filed DATE    the day the brief was filed, YYYY-MM-DD (default: today);
                  a deadline may not be before it

Exit status: 0 the brief is ready, 1 it has problems, 2 usage or input error
(a broken form or policy prints file:line:col: message for each problem).

Examples:
  twokey validate examples/brief-incomplete.md
  gh issue view 12 --json body -q .body | twokey validate --json -
  twokey validate --policy .github/twokey.yml brief.md
`

func validateCommand() *command {
	return &command{
		name:    "validate",
		summary: "check a brief against the form and policy",
		usage:   validateUsage,
		run:     runValidate,
	}
}

func runValidate(ctx context.Context, e *env, args []string) error {
	fset := newFlagSet("validate")
	formFile := fset.String("form", "", "")
	policyFile := fset.String("policy", "", "")
	asJSON := fset.Bool("json", false, "")
	filedFlag := fset.String("filed", "", "")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 1 {
		return usagef("validate takes one brief at a time, got %d arguments", fset.NArg())
	}
	filed := e.now()
	if *filedFlag != "" {
		d, err := time.Parse("2006-01-02", *filedFlag)
		if err != nil {
			return usagef("--filed %q is not a date written as YYYY-MM-DD", *filedFlag)
		}
		filed = d
	}

	policy, form, err := loadConfig(e, "validate", *policyFile, *formFile)
	if err != nil {
		return err
	}
	policy, left, err := tracker.FitPolicyToForm(policy, form)
	if err != nil {
		return err
	}
	if left != nil {
		// Not an error: the default's gate part still applies, and the form's
		// own checks run. Said once, on stderr, so --json output stays one object.
		fmt.Fprintf(e.stderr, "twokey validate: %s\n", left)
	}

	name := "-"
	if fset.NArg() == 1 {
		name = fset.Arg(0)
	}
	var body []byte
	if name == "-" {
		body, err = io.ReadAll(e.stdin)
	} else {
		body, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("read brief: %w", err)
	}

	res := tracker.CheckBrief(form, policy, string(body), filed)
	if *asJSON {
		err = printBriefJSON(e.stdout, res)
	} else {
		printBrief(e.stdout, form, res)
	}
	if err != nil {
		return err
	}
	if !res.Valid {
		return errNotOK
	}
	return nil
}

// loadConfig reads the policy (policyFile, or the embedded default) and the
// form: formFile when given; else, with a policy file, the policy's
// brief.form resolved against the top of the repository the policy file is
// in (so that validate works from any directory); else the embedded default
// form. A brief.form that the policy file writes must exist; only the
// default path, which it does not write, may be missing and then means the
// embedded form. When the form comes from the policy, a line on stderr says
// which policy and form were used.
func loadConfig(e *env, cmd, policyFile, formFile string) (*tracker.Policy, *tracker.Form, error) {
	policy, err := loadPolicyFile(e, cmd, policyFile)
	if err != nil {
		return nil, nil, err
	}
	if formFile != "" {
		form, err := readForm(formFile)
		return policy, form, err
	}
	if policyFile == "" {
		return policy, tracker.DefaultForm(), nil
	}
	top := repoTop(policyFile)
	path := filepath.Join(top, filepath.FromSlash(policy.Brief.Form))
	if _, err := os.Stat(path); err == nil {
		form, err := readForm(path)
		if err == nil {
			fmt.Fprintf(e.stderr, "twokey %s: policy %s; form %s (its brief.form, in %s)\n", cmd, policyFile, displayPath(path), displayPath(top))
		}
		return policy, form, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("form %s (brief.form of %s): %w", path, policyFile, err)
	}
	if policy.FormNamed() {
		return nil, nil, policy.MissingForm("in " + displayPath(top))
	}
	fmt.Fprintf(e.stderr, "twokey %s: policy %s; form: the embedded default (no %s in %s; twokey form prints it)\n", cmd, policyFile, policy.Brief.Form, displayPath(top))
	return policy, tracker.DefaultForm(), nil
}

// loadPolicyFile reads the policy file (the embedded default when it is
// "") and prints its warnings, each with its line, on stderr.
func loadPolicyFile(e *env, cmd, policyFile string) (*tracker.Policy, error) {
	if policyFile == "" {
		return tracker.DefaultPolicy(), nil
	}
	data, err := os.ReadFile(policyFile)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	policy, err := tracker.LoadPolicy(policyFile, data)
	if err != nil {
		return nil, err
	}
	for _, w := range policy.Warnings {
		fmt.Fprintf(e.stderr, "twokey %s: warning: %s\n", cmd, w.Error())
		if sn := w.Snippet(); sn != "" {
			fmt.Fprintf(e.stderr, "  %s\n", strings.ReplaceAll(sn, "\n", "\n  "))
		}
	}
	return policy, nil
}

func readForm(path string) (*tracker.Form, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read form: %w", err)
	}
	return tracker.LoadForm(displayPath(path), data)
}

// repoTop is the directory a policy file's brief.form is relative to: the
// top of the git repository the policy file is in; else of the one the
// current directory is in; else, for a policy kept in a .github directory,
// that directory's parent; else the current directory.
func repoTop(policyFile string) string {
	dir, err := filepath.Abs(filepath.Dir(policyFile))
	if err != nil {
		return "."
	}
	if top := gitTop(dir); top != "" {
		return top
	}
	if wd, err := os.Getwd(); err == nil {
		if top := gitTop(wd); top != "" {
			return top
		}
	}
	if filepath.Base(dir) == ".github" {
		return filepath.Dir(dir)
	}
	return "."
}

// gitTop returns the nearest directory at or above dir that holds .git (a
// directory, or a file in a worktree or submodule), or "".
func gitTop(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// displayPath is path relative to the current directory when it is below
// it, else path as it is.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// printBrief writes the findings for people: per finding the question, what
// is wrong and why it matters; then a count and the labels.
func printBrief(w io.Writer, form *tracker.Form, res *tracker.BriefResult) {
	errs, warns := 0, 0
	for _, fd := range res.Findings {
		label := tracker.FindingSubject(form, fd)
		kind := ""
		if fd.Severity == tracker.SeverityWarning {
			kind = " (warning)"
			warns++
		} else {
			errs++
		}
		fmt.Fprintf(w, "%s%s\n  %s\n  why: %s\n\n", label, kind, fd.Message, fd.Why)
	}
	status := "ready"
	if !res.Valid {
		status = "needs info"
	}
	fmt.Fprintf(w, "%s: %d %s, %d %s; labels: %s\n", status,
		errs, countNoun(errs, "problem", "problems"), warns, countNoun(warns, "warning", "warnings"),
		strings.Join(res.Labels, ", "))
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// briefJSON is the --json output.
type briefJSON struct {
	Valid    bool              `json:"valid"`
	Fields   map[string]any    `json:"fields"`
	Findings []tracker.Finding `json:"findings"`
	Labels   []string          `json:"labels"`
}

func printBriefJSON(w io.Writer, res *tracker.BriefResult) error {
	out := briefJSON{Valid: res.Valid, Fields: res.Brief.FieldValues(), Findings: res.Findings, Labels: res.Labels}
	if out.Findings == nil {
		out.Findings = []tracker.Finding{}
	}
	if out.Labels == nil {
		out.Labels = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
