package gitstore

import (
	"errors"
	"fmt"

	"context"
	"github.com/google/go-cmp/cmp"
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
		{
			name: "force-pushed to unrelated history",
			rewrite: func(up *gitRepo, first, tip string, l landings) {
				up.run("update-ref", "-d", tracker.NotesRef)
				up.run("notes", "--ref=twokey", "add", "-m", "unrelated record", l.rebase)
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
			down.notesShown(t, []string{l.merge, l.squash, l.rebase}...)
			down.gitAccepts(t, [][]string{
				{"log", "--format=%H", tracker.NotesRef},
				{"fsck", "--no-dangling"},
				{"gc", "-q"},
				{"fsck", "--no-dangling"},
			}...)
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
	up.record(ctx, 10, "merge", l.merge, l.rebaseFirst)
	down := newGitRepo(t, false)
	down.run("fetch", "-q", up.dir, "main:refs/heads/up")
	if _, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil {
		t.Fatalf("first FetchNotes: %v", err)
	}
	up.record(ctx, 2, "squash", l.squash, l.rebase, l.push)
	if moved, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil || !moved {
		t.Fatalf("second FetchNotes = %v, %v; want moved", moved, err)
	}
	if got, want := down.run("rev-parse", tracker.NotesRef), up.run("rev-parse", tracker.NotesRef); got != want {
		t.Errorf("notes after the second fetch = %s, want the remote's %s (a fast-forward)", got, want)
	}
	// The deeper fetch (depth 16) brought the whole notes history, the
	// first fetch's tip's parent included: git's unshallow, which go-git
	// does not apply, leaves the clone whole, and git log reads it all.
	if got, want := down.run("rev-list", "--count", tracker.NotesRef), up.run("rev-list", "--count", tracker.NotesRef); got != want {
		t.Errorf("git rev-list --count %s = %s, want the remote's %s", tracker.NotesRef, got, want)
	}
	if sh := down.run("rev-parse", "--is-shallow-repository"); sh != "false" {
		t.Errorf("shallow %q after the notes history came whole, want false", sh)
	}
	down.gitAccepts(t, [][]string{{"log", "--format=%H", tracker.NotesRef}, {"fsck", "--no-dangling"}, {"gc", "-q"}}...)
}

// TestFetchNotesShallowBranch: a clone whose branch was fetched shallow
// fetches the notes at depth 1; the walk of the branch still ends with
// ErrShallow at the branch's boundary, after the boundary commit, with a
// commit-graph written before the branch was cut short, after the notes
// came, or none; and the notes are read.
func TestFetchNotesShallowBranch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(down, up *gitRepo)
	}{
		{"no graph", func(down, up *gitRepo) {
			down.run("fetch", "-q", "--depth=5", "file://"+up.dir, "main:main")
		}},
		{"graph holding the boundary, then cut short", func(down, up *gitRepo) {
			down.run("fetch", "-q", "file://"+up.dir, "refs/tags/old10:refs/heads/main")
			down.run("commit-graph", "write", "--reachable")
			down.run("fetch", "-q", "-f", "--depth=5", "file://"+up.dir, "main:main")
		}},
		{"graph of the older branch, cut short above it", func(down, up *gitRepo) {
			down.run("fetch", "-q", "file://"+up.dir, "refs/tags/old30:refs/heads/main")
			down.run("commit-graph", "write", "--reachable")
			down.run("fetch", "-q", "-f", "--depth=5", "file://"+up.dir, "main:main")
		}},
	} {
		for _, v := range []struct{ after, gitNotes bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
			after := v.after
			name := tc.name
			if after {
				name += ", graph written after"
			}
			if v.gitNotes {
				name += ", notes whole from git fetch"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				up := newGitRepo(t, false)
				root := up.commit("index.html", "home\n", "Initial site")
				up.buildMerges(40, root)
				up.run("tag", "old10", "main~3")
				up.run("tag", "old30", "main~30")
				tip := up.run("rev-parse", "main")
				if err := fixedLocal(up.dir).AppendRecord(ctx, tip, mergeRecord(tip, tip, 1, "merge")); err != nil {
					t.Fatal(err)
				}
				down := newGitRepo(t, true)
				tc.setup(down, up)
				// git's own shallow fetch over a commit-graph can leave
				// fsck unhappy (the graph's parents of the boundary); only
				// what twokey changes is checked.
				_, fsckOK := down.gitOK("fsck", "--no-dangling")
				if v.gitNotes {
					down.run("fetch", "-q", "file://"+up.dir, "refs/notes/twokey:refs/notes/twokey")
				} else if _, err := fixedLocal(down.dir).FetchNotes(ctx, "file://"+up.dir); err != nil {
					t.Fatalf("FetchNotes: %v", err)
				}
				// The remote writes more (on whole notes, one commit: it
				// comes at depth 1 with its parent here, and leaves the
				// shallow list); the next fetch is a shallow clone's,
				// deepened as need be.
				n := 3
				if v.gitNotes {
					n = 1
				}
				var more []string
				for i := 1; i <= n; i++ {
					c := up.run("rev-parse", fmt.Sprintf("main~%d", i))
					more = append(more, c)
					if err := fixedLocal(up.dir).AppendRecord(ctx, c, mergeRecord(c, c, i+1, "merge")); err != nil {
						t.Fatal(err)
					}
				}
				if moved, err := fixedLocal(down.dir).FetchNotes(ctx, "file://"+up.dir); err != nil || !moved {
					t.Fatalf("second FetchNotes = %v, %v; want moved", moved, err)
				}
				if got, want := down.run("rev-list", "--count", tracker.NotesRef), up.run("rev-list", "--count", tracker.NotesRef); got != want {
					t.Errorf("git rev-list --count %s = %s, want the remote's %s", tracker.NotesRef, got, want)
				}
				if sh := down.run("rev-parse", "--is-shallow-repository"); sh != "true" {
					t.Errorf("shallow %q, want true: the branch's boundary stays", sh)
				}
				if after {
					down.run("commit-graph", "write", "--reachable")
				}
				want := gitLogLines(up, "main")[:5]
				r := openWorkers(t, down.dir)
				got, err := walkLines(t, r, "main")
				if !errors.Is(err, ErrShallow) {
					t.Errorf("FirstParent = %v, want ErrShallow", err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("FirstParent diff (-want +got):\n%s", diff)
				}
				for _, c := range append(more, tip) {
					if note, err := r.Window().Note(ctx, c); err != nil || !strings.Contains(string(note), c) {
						t.Errorf("Window.Note(%s) = %q, %v; want its record", c, note, err)
					}
				}
				for _, args := range [][]string{{"fsck", "--no-dangling"}, {"log", "--oneline", "main"}, {"gc", "-q"}, {"fsck", "--no-dangling"}} {
					if args[0] == "fsck" && !fsckOK {
						continue
					}
					if out, ok := down.gitOK(args...); !ok {
						t.Errorf("git %s: %s", strings.Join(args, " "), out)
					}
				}
			})
		}
	}
}

// TestFetchNotesRemoteKinds: from a configured remote and from a URL, the
// first fetch at depth 1 and a second after refs/notes/twokey was deleted
// here (the tracking ref left) end at the remote's notes, git reads and
// keeps them (log, fsck, gc), and git fetch --unshallow of the notes works
// afterwards.
func TestFetchNotesRemoteKinds(t *testing.T) {
	for _, configured := range []bool{true, false} {
		name := "url"
		if configured {
			name = "configured remote"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			up := newGitRepo(t, false)
			l := up.buildLandings()
			up.record(ctx, 1, "merge", l.merge, l.squash)
			down := newGitRepo(t, false)
			remote := "file://" + up.dir
			if configured {
				down.run("remote", "add", "origin", remote)
				down.run("fetch", "-q", "origin")
				remote = "origin"
			} else {
				down.run("fetch", "-q", remote, "main:refs/heads/up")
			}
			if moved, err := fixedLocal(down.dir).FetchNotes(ctx, remote); err != nil || !moved {
				t.Fatalf("FetchNotes(%q) = %v, %v; want moved", remote, moved, err)
			}
			down.run("update-ref", "-d", tracker.NotesRef)
			up.record(ctx, 3, "rebase", l.rebase, l.push)
			if moved, err := fixedLocal(down.dir).FetchNotes(ctx, remote); err != nil || !moved {
				t.Fatalf("FetchNotes(%q) after the notes were deleted here = %v, %v; want moved", remote, moved, err)
			}
			if got, want := down.run("rev-parse", tracker.NotesRef), up.run("rev-parse", tracker.NotesRef); got != want {
				t.Errorf("notes = %s, want the remote's %s", got, want)
			}
			down.notesShown(t, []string{l.merge, l.squash, l.rebase, l.push}...)
			down.gitAccepts(t, [][]string{
				{"log", "--format=%H", tracker.NotesRef},
				{"fsck", "--no-dangling"},
				{"gc", "-q"},
				{"fsck", "--no-dangling"},
				{"fetch", "-q", "--unshallow", "file://" + up.dir, "+refs/notes/twokey:refs/notes/twokey"},
				{"fsck", "--no-dangling"},
			}...)
			if got, want := down.run("rev-list", "--count", tracker.NotesRef), up.run("rev-list", "--count", tracker.NotesRef); got != want {
				t.Errorf("after git fetch --unshallow, %s notes commits, want the remote's %s", got, want)
			}
		})
	}
}

// record writes a record on each of commits in g, of pull requests pr,
// pr+1, and so on.
func (g *gitRepo) record(ctx context.Context, pr int, method string, commits ...string) {
	g.t.Helper()
	for i, c := range commits {
		if err := fixedLocal(g.dir).AppendRecord(ctx, c, mergeRecord(c, c, pr+i, method)); err != nil {
			g.t.Fatal(err)
		}
	}
}

// gitAccepts fails t for each git command that does not run cleanly in g.
func (g *gitRepo) gitAccepts(t *testing.T, cmds ...[]string) {
	t.Helper()
	for _, args := range cmds {
		if out, ok := g.gitOK(args...); !ok {
			t.Errorf("git %s: %s", strings.Join(args, " "), out)
		}
	}
}

// notesShown fails t for each commit whose note git notes show cannot
// show in g.
func (g *gitRepo) notesShown(t *testing.T, commits ...string) {
	t.Helper()
	for _, c := range commits {
		if out, ok := g.gitOK("notes", "--ref=twokey", "show", c); !ok {
			t.Errorf("git notes show %s: %s", c, out)
		}
	}
}
