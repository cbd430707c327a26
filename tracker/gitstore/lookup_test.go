package gitstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twokey/twokey/tracker"
)

// windowRepo is a history of n commits on main, packed, with a
// commit-graph, and notes by git on every third (fan-out once there are
// enough), one of them also stored whole at the root of the notes tree.
func windowRepo(t *testing.T, n int) (*gitRepo, []string) {
	g := newGitRepo(t, true)
	var fi strings.Builder
	fmt.Fprintf(&fi, "commit refs/heads/main\nmark :1\ncommitter A <a@example.com> %d +0000\ndata 4\nroot\n\n", epoch.Unix())
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&fi, "commit refs/heads/main\nmark :%d\ncommitter A <a@example.com> %d +0000\ndata <<EOF\nchange %d\nEOF\nfrom :%d\n\n", i, epoch.Unix()+int64(i), i, i-1)
	}
	fmt.Fprintf(&fi, "commit refs/notes/twokey\ncommitter twokey <t@example.com> %d +0000\ndata 5\nnotes\n", epoch.Unix()+int64(n)+1)
	for i := 1; i <= n; i += 3 {
		fmt.Fprintf(&fi, "N inline :%d\ndata <<EOF\nnote %d\nEOF\n", i, i)
	}
	g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet")
	g.run("repack", "-adq")
	g.run("commit-graph", "write", "--reachable")
	hashes := strings.Fields(g.run("log", "--first-parent", "--format=%H", "main"))
	return g, hashes
}

// TestWindowMatchesRepo: the Window walks the history Repo walks and finds
// every note Repo finds, in a fan-out notes tree; a note stored whole at
// the root besides its fan-out copy wins, as in Repo.
func TestWindowMatchesRepo(t *testing.T) {
	g, hashes := windowRepo(t, 3000)
	// A note stored whole next to the fan-out: git itself reads it so.
	target := hashes[len(hashes)-1] // the root commit: note 1
	blob := g.runIn(strings.NewReader("whole note\n"), "hash-object", "-w", "--stdin")
	tree := g.run("ls-tree", "refs/notes/twokey")
	if !strings.Contains(tree, "\t"+target[:2]+"\n") && !strings.HasSuffix(tree, "\t"+target[:2]) {
		t.Fatalf("the notes tree is not fanned out:\n%.300s", tree)
	}
	newTree := g.runIn(strings.NewReader(tree+"\n100644 blob "+blob+"\t"+target+"\n"), "mktree")
	commit := g.run("commit-tree", newTree, "-p", "refs/notes/twokey", "-m", "whole")
	g.run("update-ref", "refs/notes/twokey", commit)

	r := openWorkers(t, g.dir)
	w := r.Window()
	ctx := context.Background()
	var walked []string
	if err := w.FirstParent(ctx, "main", func(c tracker.Commit) error { walked = append(walked, c.Hash); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hashes, walked); diff != "" {
		t.Errorf("Window.FirstParent differs from git log --first-parent (-want +got):\n%s", diff)
	}
	found := 0
	for _, h := range hashes {
		want, err := r.Note(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.Note(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("Window.Note(%s) = %q, Repo.Note = %q", h[:12], got, want)
		}
		if got != nil {
			found++
		}
	}
	if found != 1000 {
		t.Errorf("Window found %d notes, want 1000", found)
	}
	if got, _ := w.Note(ctx, target); string(got) != "whole note\n" {
		t.Errorf("Window.Note(root) = %q, want the whole note", got)
	}
}

// TestWindowStops: a walk that stops early reads little more than it was
// given (the commit-graph's chain in chunks), and looks up only the notes
// asked for: the audit of a small window of a long history.
func TestWindowStops(t *testing.T) {
	g, hashes := windowRepo(t, 3000)
	r := openWorkers(t, g.dir)
	w := r.Window()
	stop := errors.New("stop")
	// walk walks w, checking each commit against git's, and stops after
	// the at-th: how many it was given, and its error.
	walk := func(w *Window, at int) (int, error) {
		n := 0
		err := w.FirstParent(context.Background(), "main", func(c tracker.Commit) error {
			if c.Hash != hashes[n] {
				t.Fatalf("commit %d = %s, want %s", n, c.Hash, hashes[n])
			}
			if n++; n == at {
				return stop
			}
			return nil
		})
		return n, err
	}
	n, err := walk(w, 100)
	if !errors.Is(err, stop) || n != 100 {
		t.Errorf("FirstParent = %v after %d commits, want stop after 100", err, n)
	}
	// With Since, the read-ahead stops at the first commit the graph dates
	// before it; the commits after it are read only as they are asked for,
	// and a commit dated before Since is still given.
	r2 := openWorkers(t, g.dir)
	w2 := r2.Window()
	w2.Since = epoch.Add(time.Duration(3000-99) * time.Second) // the 100th newest
	n, err = walk(w2, 105)
	if !errors.Is(err, stop) || n != 105 {
		t.Errorf("FirstParent with Since = %v after %d commits, want stop after 105", err, n)
	}
	if got := r2.commitsRead.Load(); got != 105 {
		t.Errorf("a walk with Since stopped after 105 commits read %d, want 105: 100 in the window, then one at a time", got)
	}
	if _, err := w.Note(context.Background(), hashes[0]); err != nil {
		t.Fatal(err)
	}
	if len(w.trees) > 3 {
		t.Errorf("one note looked up read %d notes trees, want at most 3 (root and its path)", len(w.trees))
	}
	tip, err := r.NotesTip()
	if want := g.run("rev-parse", "refs/notes/twokey"); err != nil || tip != want {
		t.Errorf("NotesTip = %q, %v; want %s", tip, err, want)
	}
}

// TestWindowOddNotesTrees: on notes trees git reads but does not write
// (names in upper case, two subtrees for the same two digits, one subtree
// object at two depths), the Window finds what Repo finds, and what git
// notes show shows where the tree gives the object one note.
func TestWindowOddNotesTrees(t *testing.T) {
	g := newGitRepo(t, true)
	blob := func(s string) string { return g.runIn(strings.NewReader(s), "hash-object", "-w", "--stdin") }
	// tree writes a tree of entries ("mode name hash") as given: in this
	// order, duplicates included.
	tree := func(entries ...string) string {
		var b strings.Builder
		for _, e := range entries {
			f := strings.Fields(e)
			h, err := hex.DecodeString(f[2])
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(f[0] + " " + f[1] + "\x00" + string(h))
		}
		return g.runIn(strings.NewReader(b.String()), "hash-object", "-t", "tree", "--literally", "-w", "--stdin")
	}
	x := "ab" + strings.Repeat("1", 38)
	y := "ab" + strings.Repeat("2", 38)
	shallow, deep := "cd33"+strings.Repeat("3", 36), "ef33"+strings.Repeat("3", 36)
	shared := tree("100644 "+strings.Repeat("3", 36)+" "+blob("deep\n"), "100644 "+strings.Repeat("3", 38)+" "+blob("shallow\n"))
	for _, c := range []struct {
		name string
		root string
		git  bool // git notes show agrees: one note per object
	}{
		{"subtrees AB and ab", tree("40000 AB "+tree("100644 "+x[2:]+" "+blob("x in AB\n")), "40000 ab "+tree("100644 "+y[2:]+" "+blob("y in ab\n"))), true},
		{"two subtrees ab", tree("40000 ab "+tree("100644 "+x[2:]+" "+blob("x in the first\n")), "40000 ab "+tree("100644 "+y[2:]+" "+blob("y in the second\n"))), true},
		{"whole in upper case, then its subtree", tree("100644 "+strings.ToUpper(x)+" "+blob("x whole\n"), "40000 ab "+tree("100644 "+x[2:]+" "+blob("x in ab\n"))), false},
		{"one subtree at two depths", tree("40000 cd "+shared, "40000 ef "+tree("40000 33 "+shared)), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			g.run("update-ref", tracker.NotesRef, g.run("commit-tree", c.root, "-m", c.name))
			listed := g.run("notes", "--ref=twokey", "list")
			r := openWorkers(t, g.dir)
			w := r.Window()
			ctx := context.Background()
			for _, obj := range []string{x, y, shallow, deep} {
				want, err := r.Note(ctx, obj)
				if err != nil {
					t.Fatal(err)
				}
				got, err := w.Note(ctx, obj)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Errorf("Window.Note(%s…) = %q, Repo.Note = %q", obj[:6], got, want)
				}
				if !c.git {
					continue
				}
				var shown string
				if strings.Contains(listed, " "+obj) {
					shown = g.run("notes", "--ref=twokey", "show", obj) + "\n"
				}
				if string(got) != shown {
					t.Errorf("Window.Note(%s…) = %q, git notes show = %q", obj[:6], got, shown)
				}
			}
		})
	}
}

// TestWindowMissingCommitAfterHold: a commit missing past where the
// commit-graph's read-ahead stopped (Since) ends the walk there, after
// the commits before it, with an error that names it and says the history
// is incomplete.
func TestWindowMissingCommitAfterHold(t *testing.T) {
	g := newGitRepo(t, true)
	var fi strings.Builder
	fmt.Fprintf(&fi, "commit refs/heads/main\nmark :1\ncommitter A <a@example.com> %d +0000\ndata 4\nroot\n\n", epoch.Unix())
	for i := 2; i <= 300; i++ {
		fmt.Fprintf(&fi, "commit refs/heads/main\nmark :%d\ncommitter A <a@example.com> %d +0000\ndata <<EOF\nchange %d\nEOF\nfrom :%d\n\n", i, epoch.Unix()+int64(i), i, i-1)
	}
	g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet")
	// Every object loose, so that one can go.
	packs, err := filepath.Glob(filepath.Join(g.dir, "objects", "pack", "*.pack"))
	if err != nil || len(packs) != 1 {
		t.Fatalf("packs %v, %v", packs, err)
	}
	pack, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{packs[0], strings.TrimSuffix(packs[0], ".pack") + ".idx"} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	g.runIn(strings.NewReader(string(pack)), "unpack-objects", "-q")
	g.run("commit-graph", "write", "--reachable")
	hashes := strings.Fields(g.run("log", "--first-parent", "--format=%H", "main"))
	gone := hashes[100] // the first commit dated before Since: the walk reads it alone
	if err := os.Remove(filepath.Join(g.dir, "objects", gone[:2], gone[2:])); err != nil {
		t.Fatal(err)
	}

	w := openWorkers(t, g.dir).Window()
	w.Since = epoch.Add(time.Duration(300-99) * time.Second) // the 100th newest
	n := 0
	err = w.FirstParent(context.Background(), "main", func(tracker.Commit) error { n++; return nil })
	if n != 100 || err == nil || !strings.Contains(err.Error(), gone) || !strings.Contains(err.Error(), "history is incomplete") {
		t.Errorf("FirstParent = %v after %d commits; want 100 commits, then %s missing from an incomplete history", err, n, gone[:12])
	}
}

// TestWindowNotesTreeRepeats: a notes tree whose every level names one
// subtree twice ("ab" and "AB", as git reads but never writes), 19 levels
// deep, is searched in time that grows with its depth, not with 2^19
// paths, for an object it holds no note on.
func TestWindowNotesTreeRepeats(t *testing.T) {
	g := newGitRepo(t, true)
	obj := strings.Repeat("ab", 20)
	sub := g.runIn(strings.NewReader(""), "hash-object", "-t", "tree", "-w", "--stdin")
	for range 19 {
		h, err := hex.DecodeString(sub)
		if err != nil {
			t.Fatal(err)
		}
		entries := "40000 AB\x00" + string(h) + "40000 ab\x00" + string(h)
		sub = g.runIn(strings.NewReader(entries), "hash-object", "-t", "tree", "--literally", "-w", "--stdin")
	}
	g.run("update-ref", tracker.NotesRef, g.run("commit-tree", sub, "-m", "repeats"))
	g.run("repack", "-adq") // packed, and read, not mapped: the reads are counted
	old := mapAfter
	mapAfter = 1 << 40
	t.Cleanup(func() { mapAfter = old })
	r := openWorkers(t, g.dir)
	w := r.Window()
	before := r.objects.reads.Load()
	got, err := w.Note(context.Background(), obj)
	if err != nil || got != nil {
		t.Fatalf("Window.Note = %q, %v; want no note", got, err)
	}
	if n := r.objects.reads.Load() - before; n > 1000 {
		t.Errorf("Window.Note read the pack files %d times for a tree of 19 levels", n)
	}
}
