package gitstore

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/twokey/twokey/tracker"
)

// gitOK runs git in g and returns its combined output and whether it
// succeeded, for the commands whose failure is what a test looks at.
func (g *gitRepo) gitOK(args ...string) (string, bool) {
	g.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "gc.auto=0"}, args...)...)
	cmd.Dir = g.dir
	cmd.Env = g.env()
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestFetchNotesAfterDepthOneBelowTheTip: a clone that fetched the notes
// tip alone fetches again after the remote's notes moved on from below
// that tip: a writer that had the tip's parent wrote on it and merged (as
// twokey's action merges a rejected push), or the notes were rewritten
// from the tip's parent (force-pushed). The commits brought must not lean
// on parents the clone lacks without the shallow list saying so: git log,
// git fsck and git gc read the notes history, and every record is kept.
func TestFetchNotesAfterDepthOneBelowTheTip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite func(up *gitRepo, first, tip string, l landings)
		want    []string // the commits whose notes the clone must read
	}{
		{
			name: "merged below the tip",
			rewrite: func(up *gitRepo, first, tip string, l landings) {
				// A writer that had only the first notes commit writes on it,
				// then merges the remote's tip in.
				up.run("update-ref", "refs/notes/side", first)
				up.run("notes", "--ref=side", "add", "-m", "side record", l.rebase)
				up.run("notes", "--ref=twokey", "merge", "-q", "-s", "cat_sort_uniq", "refs/notes/side")
			},
		},
		{
			name: "force-pushed from below the tip",
			rewrite: func(up *gitRepo, first, tip string, l landings) {
				up.run("update-ref", tracker.NotesRef, first)
				up.run("notes", "--ref=twokey", "add", "-m", "rewritten record", l.rebase)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			up := newGitRepo(t, false)
			l := up.buildLandings()
			if err := fixedLocal(up.dir).AppendRecord(ctx, l.merge, mergeRecord(l.merge, l.merge, 1, "merge")); err != nil {
				t.Fatal(err)
			}
			first := up.run("rev-parse", tracker.NotesRef)
			if err := fixedLocal(up.dir).AppendRecord(ctx, l.squash, mergeRecord(l.squash, l.squash, 2, "squash")); err != nil {
				t.Fatal(err)
			}
			tip := up.run("rev-parse", tracker.NotesRef)
			down := newGitRepo(t, false)
			down.run("fetch", "-q", up.dir, "main:refs/heads/up")
			if _, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil {
				t.Fatalf("first FetchNotes: %v", err)
			}

			tc.rewrite(up, first, tip, l)
			if _, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil {
				t.Fatalf("second FetchNotes: %v", err)
			}
			for _, c := range []string{l.merge, l.squash, l.rebase} {
				if out, ok := down.gitOK("notes", "--ref=twokey", "show", c); !ok {
					t.Errorf("git notes show %s: %s", c, out)
				}
			}
			for _, args := range [][]string{
				{"log", "--format=%H", tracker.NotesRef},
				{"fsck", "--no-dangling"},
				{"gc", "-q"},
				{"fsck", "--no-dangling"},
			} {
				if out, ok := down.gitOK(args...); !ok {
					t.Errorf("git %s after the second fetch: %s", strings.Join(args, " "), out)
				}
			}
		})
	}
}

// TestFetchNotesShallowFastForwardsOverSeveral: after a depth-1 first
// fetch, the remote writes several notes commits on the tip; the next
// fetch fast-forwards to the remote's tip (no merge commit of its own).
func TestFetchNotesShallowFastForwardsOverSeveral(t *testing.T) {
	ctx := context.Background()
	up := newGitRepo(t, false)
	l := up.buildLandings()
	if err := fixedLocal(up.dir).AppendRecord(ctx, l.merge, mergeRecord(l.merge, l.merge, 1, "merge")); err != nil {
		t.Fatal(err)
	}
	down := newGitRepo(t, false)
	down.run("fetch", "-q", up.dir, "main:refs/heads/up")
	if _, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil {
		t.Fatalf("first FetchNotes: %v", err)
	}
	for i, c := range []string{l.squash, l.rebase, l.push} {
		if err := fixedLocal(up.dir).AppendRecord(ctx, c, mergeRecord(c, c, i+2, "squash")); err != nil {
			t.Fatal(err)
		}
	}
	if moved, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil || !moved {
		t.Fatalf("second FetchNotes = %v, %v; want moved", moved, err)
	}
	if got, want := down.run("rev-parse", tracker.NotesRef), up.run("rev-parse", tracker.NotesRef); got != want {
		t.Errorf("notes after the second fetch = %s, want the remote's %s (a fast-forward)", got, want)
	}
	for _, args := range [][]string{{"log", "--format=%H", tracker.NotesRef}, {"fsck", "--no-dangling"}, {"gc", "-q"}} {
		if out, ok := down.gitOK(args...); !ok {
			t.Errorf("git %s: %s", strings.Join(args, " "), out)
		}
	}
}
