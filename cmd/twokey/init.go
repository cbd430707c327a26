package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/twokey/twokey/tracker"
)

const initUsage = `usage: twokey init [--dir DIR] [--force]

Writes twokey into the repository at DIR (default: the current directory):

	.github/ISSUE_TEMPLATE/brief.yml   the brief form people file changes with
	.github/twokey.yml                 the policy, every option present and commented
	.github/workflows/twokey.yml       the workflow that runs the twokey action

It refuses to replace a file that already exists and then writes nothing;
--force replaces them. The workflow records direct pushes to the default
branch: init names the branch origin/HEAD points at, or "main".

Flags:

	--dir DIR   the repository to write into (default ".")
	--force     replace files that already exist
`

// initOptions are the flags of twokey init.
type initOptions struct {
	dir   string
	force bool
}

// scaffoldFile is one file twokey init writes: its slash-separated path in the
// repository, what it is, and its content.
type scaffoldFile struct {
	path string
	what string
	data []byte
}

func initCommand() *command {
	return &command{
		name:    "init",
		summary: "scaffold the form, policy and workflow into a repository",
		usage:   initUsage,
		run: func(ctx context.Context, e *env, args []string) error {
			var opts initOptions
			flags := newFlagSet("init")
			flags.StringVar(&opts.dir, "dir", ".", "")
			flags.BoolVar(&opts.force, "force", false, "")
			if err := parseFlags(flags, args); err != nil {
				return err
			}
			if flags.NArg() > 0 {
				return usagef("unexpected argument %q; init takes only flags (the directory is --dir)", flags.Arg(0))
			}
			return runInit(e.stdout, e.stderr, opts)
		},
	}
}

// runInit writes the scaffold into opts.dir: all of it, or nothing.
func runInit(stdout, stderr io.Writer, opts initOptions) error {
	info, err := os.Stat(opts.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--dir %s: no such directory; create the repository first (git init) or point --dir at it", opts.dir)
		}
		return fmt.Errorf("--dir %s: %w", opts.dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("--dir %s: not a directory", opts.dir)
	}

	branch, top, inRepo := initDefaultBranch(opts.dir)
	if !inRepo {
		fmt.Fprintf(stderr, "warning: %s is not inside a git repository; twokey reads its policy from the default branch of a GitHub repository, so commit these files to one\n", opts.dir)
	}
	if top != "" && !sameDir(top, opts.dir) {
		fmt.Fprintf(stderr, "warning: %s is not the top of its git repository (%s); GitHub reads .github/ only there, so these files do nothing here: run twokey init --dir %s\n", opts.dir, top, top)
	}
	files, err := initScaffold(branch)
	if err != nil {
		return err
	}

	var exist []string
	replaced := map[string]bool{}
	for _, f := range files {
		name := filepath.Join(opts.dir, filepath.FromSlash(f.path))
		fi, err := os.Lstat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("%s: %w", name, err)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s exists and is not a regular file; nothing was written; move it away and run init again", name)
		}
		exist = append(exist, name)
		replaced[f.path] = true
	}
	if len(exist) > 0 && !opts.force {
		return fmt.Errorf("refusing to overwrite %s; nothing was written; run again with --force to replace %s",
			strings.Join(exist, ", "), initPlural(len(exist), "it", "them"))
	}

	if err := initWriteAll(opts.dir, files); err != nil {
		return err
	}

	for _, f := range files {
		verb := "wrote   "
		if replaced[f.path] {
			verb = "replaced"
		}
		fmt.Fprintf(stdout, "%s %-34s %s\n", verb, filepath.Join(opts.dir, filepath.FromSlash(f.path)), f.what)
	}
	fmt.Fprintf(stdout, `
Next steps:
  1. Read %[1]s and say who signs off what (users or teams, paths, labels);
     a permission: line next to users or teams lets everyone with it sign too.
  2. Commit and push to the default branch: twokey reads the form and policy
     from there, never from a pull request.
       git add .github && git commit -m "Add twokey" && git push
  3. Make twokey/gate a required status check: Settings > Branches (branch
     protection rule) or Settings > Rules > Rulesets, "Require status checks".
  4. If the policy names teams, GITHUB_TOKEN cannot read team membership: give
     the action a GitHub App or personal token that can (see the comment in
     %[2]s).
twokey creates the labels it sets (brief: ready, ...) on first use; create the
"brief" label yourself so the form can apply it (Issues > Labels, or
  gh label create brief --description "A change request filed with the brief form")
Check a brief against this policy before filing it (from anywhere in the repository):
  twokey validate --policy %[1]s FILE
`, tracker.DefaultPolicyFile, tracker.DefaultWorkflowFile)
	if branch == "" && inRepo {
		fmt.Fprintf(stdout, "The workflow records direct pushes to %q; if your default branch has another name, change on.push.branches in %s.\n",
			"main", tracker.DefaultWorkflowFile)
	}
	return nil
}

// initScaffold returns the files init writes. branch, when not empty, replaces
// "main" as the branch whose direct pushes the workflow records.
func initScaffold(branch string) ([]scaffoldFile, error) {
	workflow := tracker.DefaultWorkflowYAML
	if branch != "" && branch != "main" {
		const line = "    branches: [main]\n"
		if bytes.Count(workflow, []byte(line)) != 1 {
			// The embedded template changed shape; a test catches this first.
			return nil, fmt.Errorf("embedded workflow: want exactly one %q line to name the default branch %q in", strings.TrimSpace(line), branch)
		}
		// A git branch name cannot hold control characters, so a Go quoted
		// string is a valid YAML double-quoted scalar.
		workflow = bytes.Replace(workflow, []byte(line), []byte("    branches: ["+strconv.Quote(branch)+"]\n"), 1)
	}
	return []scaffoldFile{
		{tracker.DefaultFormFile, "the brief form", tracker.DefaultFormYAML},
		{tracker.DefaultPolicyFile, "the policy (every option commented)", tracker.DefaultPolicyYAML},
		{tracker.DefaultWorkflowFile, "the workflow", workflow},
	}, nil
}

// initDefaultBranch reports whether dir is inside a git repository, the top
// of its work tree ("" for a bare repository), and, when the repository has
// a remote "origin" whose HEAD is known (a clone), the name of that default
// branch.
func initDefaultBranch(dir string) (branch, top string, inRepo bool) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return "", "", false
	}
	if wt, err := repo.Worktree(); err == nil {
		top = wt.Filesystem.Root()
	}
	ref, err := repo.Reference(plumbing.NewRemoteHEADReferenceName("origin"), false)
	if err != nil || ref.Type() != plumbing.SymbolicReference {
		return "", top, true
	}
	name, ok := strings.CutPrefix(ref.Target().String(), "refs/remotes/origin/")
	if !ok || name == "" || name == "HEAD" {
		return "", top, true
	}
	return name, top, true
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(ai, bi)
}

// initWriteAll writes every file through a temporary file and a rename, so that a
// failure leaves no half-written file; on failure it removes what it created
// (temporary files, then any directory it made that is still empty).
func initWriteAll(dir string, files []scaffoldFile) (err error) {
	var made []string // directories created, parents first
	var temps []string
	defer func() {
		if err == nil {
			return
		}
		for _, t := range temps {
			os.Remove(t)
		}
		for i := len(made) - 1; i >= 0; i-- {
			os.Remove(made[i]) // fails, harmlessly, when not empty
		}
	}()

	type pending struct{ temp, name string }
	var renames []pending
	for _, f := range files {
		name := filepath.Join(dir, filepath.FromSlash(f.path))
		created, err := initMkdirAll(filepath.Dir(name))
		made = append(made, created...)
		if err != nil {
			return err
		}
		t, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".twokey-*")
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		temps = append(temps, t.Name())
		_, werr := t.Write(f.data)
		cerr := t.Close()
		if werr != nil || cerr != nil {
			return fmt.Errorf("%s: %w", name, errors.Join(werr, cerr))
		}
		if err := os.Chmod(t.Name(), 0o644); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		renames = append(renames, pending{t.Name(), name})
	}
	for i, r := range renames {
		if err := os.Rename(r.temp, r.name); err != nil {
			return fmt.Errorf("%s: %w (%d of %d files were written)", r.name, err, i, len(renames))
		}
		temps = temps[1:]
	}
	return nil
}

// initMkdirAll is os.MkdirAll that also returns the directories it created,
// parents first.
func initMkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var made []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return made, fmt.Errorf("create directory %s: %w", missing[i], err)
		}
		made = append(made, missing[i])
	}
	return made, nil
}

func initPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
