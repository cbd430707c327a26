// Command genhistory builds a synthetic repository for benchmarking the
// audit: N pull requests merged into main with merge commits (each main
// commit has the previous main commit as first parent and a feature commit
// as second), and a twokey record in refs/notes/twokey on a share of them,
// all in one notes commit, or (-notes-commits) one notes commit per record,
// as the record job writes them.
// It streams everything through one `git fast-import`, then repacks and
// writes the commit-graph so that git runs at its best.
//
//	go run ./scripts/genhistory -dir scripts/bench-data/history-100000 -n 100000
package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/twokey/twokey/tracker"
)

func main() {
	dir := flag.String("dir", "", "repository to create (must not exist)")
	n := flag.Int("n", 100000, "number of merged pull requests")
	share := flag.Float64("notes", 0.9, "share of merges that carry a record")
	perRecord := flag.Bool("notes-commits", false, "one notes commit per record, as the record job writes them (default: all records in one notes commit)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "genhistory: -dir is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := generate(ctx, *dir, *n, *share, *perRecord, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "genhistory: %v\n", err)
		os.Exit(1)
	}
}

func git(ctx context.Context, dir string, stdin io.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git %v: %w", args, err)
	}
	return nil
}

func generate(ctx context.Context, dir string, n int, share float64, perRecord bool, log io.Writer) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s exists; remove it first", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	start := time.Now()
	if err := git(ctx, dir, nil, "init", "-q", "--bare", "-b", "main", "."); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir) // git runs in dir
	if err != nil {
		return err
	}
	marksFile := filepath.Join(abs, "genhistory-marks")
	if err := fastImport(ctx, dir, func(w *bufio.Writer) error { return stream(w, n, share) }, "--export-marks="+marksFile); err != nil {
		return err
	}
	marks, err := readMarks(marksFile)
	if err != nil {
		return err
	}
	os.Remove(marksFile)
	if err := fastImport(ctx, dir, func(w *bufio.Writer) error { return notes(w, n, share, marks, perRecord) }); err != nil {
		return err
	}
	fmt.Fprintf(log, "genhistory: fast-import of %d merges took %s\n", n, time.Since(start).Round(time.Millisecond))
	for _, args := range [][]string{
		{"repack", "-adq"},
		{"commit-graph", "write", "--reachable"},
	} {
		if err := git(ctx, dir, nil, args...); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "genhistory: %s ready in %s\n", dir, time.Since(start).Round(time.Millisecond))
	return nil
}

// fastImport runs git fast-import in dir on what write writes.
func fastImport(ctx context.Context, dir string, write func(*bufio.Writer) error, args ...string) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- git(ctx, dir, pr, append([]string{"fast-import", "--quiet", "--depth=50"}, args...)...)
		pr.Close()
	}()
	w := bufio.NewWriterSize(pw, 1<<20)
	err := write(w)
	if err == nil {
		err = w.Flush()
	}
	pw.CloseWithError(err)
	if ferr := <-done; ferr != nil {
		return ferr
	}
	return err
}

// readMarks reads the marks file fast-import exported: ":mark sha" lines.
func readMarks(path string) (map[int]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	marks := map[int]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var mark int
		var sha string
		if _, err := fmt.Sscanf(sc.Text(), ":%d %s", &mark, &sha); err != nil {
			return nil, fmt.Errorf("marks file %s: %q: %w", path, sc.Text(), err)
		}
		marks[mark] = sha
	}
	return marks, sc.Err()
}

// stream writes the fast-import stream of the commits. Marks: 1 is the root commit; pull
// request i has its feature commit at 2i and its merge commit at 2i+1.
// Merges are an hour apart, or closer when n hours would pass 2026 (git
// reads no date after 2099). The notes come in a second stream (notes),
// once the merges' names are known: a record names its commit, as twokey's
// always do.
func stream(w *bufio.Writer, n int, share float64) error {
	base := time.Date(2014, 1, 1, 9, 0, 0, 0, time.UTC).Unix()
	step := stepFor(n)
	data := func(s string) { fmt.Fprintf(w, "data %d\n%s\n", len(s), s) }
	fmt.Fprintf(w, "commit refs/heads/main\nmark :1\ncommitter Site Admin <admin@example.com> %d +0000\n", base)
	data("Initial site")
	fmt.Fprintf(w, "M 644 inline index.html\n")
	data("<h1>home</h1>")
	prev := 1
	for i := 1; i <= n; i++ {
		t := base + int64(i)*step
		page := fmt.Sprintf("pages/p%02d.md", i%20)
		body := fmt.Sprintf("page %d, revision %d", i%20, i)
		fmt.Fprintf(w, "commit refs/heads/feature\nmark :%d\ncommitter Dev %d <dev%d@example.com> %d +0100\n", 2*i, i%37, i%37, t-600)
		data(fmt.Sprintf("Update %s for brief #%d", page, i))
		fmt.Fprintf(w, "from :%d\nM 644 inline %s\n", prev, page)
		data(body)
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter GitHub <noreply@github.com> %d +0000\n", 2*i+1, t)
		data(fmt.Sprintf("Merge pull request #%d from acme/brief-%d\n\nUpdate %s", i, i, page))
		fmt.Fprintf(w, "from :%d\nmerge :%d\nM 644 inline %s\n", prev, 2*i, page)
		data(body)
		prev = 2*i + 1
	}
	return nil
}

// stepFor is the seconds between two merges of a history of n.
func stepFor(n int) int64 {
	const span = int64(12 * 365 * 24 * 3600) // 2014 to 2026
	return max(1, min(3600, span/int64(max(n, 1))))
}

// notes writes the fast-import stream of the notes: a record on a share of
// the merges, each naming its merge commit (marks maps a mark to its
// commit's name), in one notes commit, or with perRecord one notes commit
// each, a minute after the merge it records.
func notes(w *bufio.Writer, n int, share float64, marks map[int]string, perRecord bool) error {
	base := time.Date(2014, 1, 1, 9, 0, 0, 0, time.UTC).Unix()
	step := stepFor(n)
	data := func(s string) { fmt.Fprintf(w, "data %d\n%s\n", len(s), s) }
	notesCommit := func(t int64) {
		fmt.Fprintf(w, "commit refs/notes/twokey\ncommitter twokey <twokey@users.noreply.github.com> %d +0000\n", t)
		data("Notes added by twokey")
	}
	if !perRecord {
		notesCommit(base + int64(n+1)*step)
	}
	skip := 1.0 / (1.0 - share) // skip one merge in every skip
	for i := 1; i <= n; i++ {
		if share < 1 && i%int(skip+0.5) == 0 {
			continue
		}
		line, err := record(i, base+int64(i)*step, marks[2*i+1]).MarshalLine()
		if err != nil {
			return err
		}
		if perRecord {
			notesCommit(base + int64(i)*step + 60)
		}
		fmt.Fprintf(w, "N inline %s\n", marks[2*i+1])
		fmt.Fprintf(w, "data %d\n%s\n", len(line), line)
	}
	return nil
}

func record(i int, t int64, commit string) tracker.Record {
	sum := sha1.Sum(fmt.Appendf(nil, "head %d", i))
	head := hex.EncodeToString(sum[:])
	at := time.Unix(t, 0).UTC()
	r := tracker.Record{
		V: 1, Type: tracker.RecordMerge, Repo: "acme/site", PR: i, Briefs: []int{i},
		Title: fmt.Sprintf("Update page %d", i%500), Base: "main", Head: head, Commit: commit,
		MergedBy: "lead", MergedAt: at, Method: "merge", Required: []string{"usability", "backend"},
		Signoffs: []tracker.RecordSignoff{
			{Kind: "usability", Login: "ux-lead", ID: 1001, SHA: head, Via: "review", URL: fmt.Sprintf("https://github.com/acme/site/pull/%d#pullrequestreview-%d", i, i), At: at.Add(-time.Hour)},
			{Kind: "backend", Login: "be-lead", ID: 1002, SHA: head, Via: "comment", URL: fmt.Sprintf("https://github.com/acme/site/pull/%d#issuecomment-%d", i, i), At: at.Add(-30 * time.Minute)},
		},
		Verdict: tracker.VerdictPass, Policy: "3b18e512dba79e4c8300dd08aeb37f8e728b8dad",
	}
	switch {
	case i%97 == 0:
		r.Verdict, r.Signoffs, r.Reason = tracker.VerdictBypassed, nil, "emergency fix"
	case i%101 == 0:
		r.Signoffs = r.Signoffs[:1]
	}
	return r
}
