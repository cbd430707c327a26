package gitstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twokey/twokey/tracker"
)

// buildMerges adds n pull requests merged into main with merge commits, in
// one fast-import stream, and returns the new tip.
func (g *gitRepo) buildMerges(n int, from string) string {
	g.t.Helper()
	var fi strings.Builder
	t := epoch.Unix() + int64(g.tick)*60
	prev := from
	for i := 1; i <= n; i++ {
		t += 60
		fmt.Fprintf(&fi, "commit refs/heads/feature\nmark :%d\ncommitter Dev <dev@example.com> %d +0100\ndata <<EOF\nchange %d\nEOF\nfrom %s\nM 644 inline f.txt\ndata <<EOF\n%d\nEOF\n\n", 2*i, t, i, prev, i)
		fmt.Fprintf(&fi, "commit refs/heads/main\nmark :%d\ncommitter Merger <m@example.com> %d -0230\ndata <<EOF\nMerge pull request #%d\n\nbody\nEOF\nfrom %s\nmerge :%d\n\n", 2*i+1, t+30, i, prev, 2*i)
		prev = fmt.Sprintf(":%d", 2*i+1)
	}
	g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet", "--force")
	return g.run("rev-parse", "main")
}

// walkLines is what FirstParent yields, one line per commit, in the form
// gitLogLines gives for git log --first-parent.
func walkLines(t *testing.T, r *Repo, ref string) ([]string, error) {
	t.Helper()
	var lines []string
	err := r.FirstParent(context.Background(), ref, func(c tracker.Commit) error {
		lines = append(lines, fmt.Sprintf("%s %s %d|%s", c.Hash, c.Time.Format("2006-01-02T15:04:05-07:00"), c.Parents, c.Subject))
		return nil
	})
	return lines, err
}

// gitLogLines runs git log --first-parent for ref, after git options.
func gitLogLines(g *gitRepo, args ...string) []string {
	g.t.Helper()
	ref := args[len(args)-1]
	args = append(args[:len(args)-1:len(args)-1], "log", "--first-parent", "--format=%H %cI %p|%s", ref)
	var lines []string
	for _, l := range strings.Split(g.run(args...), "\n") {
		h, rest, _ := strings.Cut(l, " ")
		date, rest, _ := strings.Cut(rest, " ")
		parents, subj, _ := strings.Cut(rest, "|")
		lines = append(lines, fmt.Sprintf("%s %s %d|%s", h, date, len(strings.Fields(parents)), subj))
	}
	return lines
}

// openWorkers opens dir with the commit-graph walk on, whatever GOMAXPROCS.
func openWorkers(t *testing.T, dir string) *Repo {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	r.workers = 3
	return r
}

// graphRepo is a repository of a root commit and n pull requests merged
// into main, packed, with a commit-graph; and the commit-graph's file.
func graphRepo(t *testing.T, n int) (*gitRepo, string) {
	g := newGitRepo(t, false)
	root := g.commit("index.html", "home\n", "Initial site")
	g.buildMerges(n, root)
	g.run("repack", "-adq")
	g.run("commit-graph", "write", "--reachable")
	return g, filepath.Join(g.dir, ".git", "objects", "info", "commit-graph")
}

// TestFirstParentCommitGraph: with a commit-graph, whole, stale, split in
// layers, or wrong, the walk is exactly git log --first-parent, over
// several batches of the parallel reader.
func TestFirstParentCommitGraph(t *testing.T) {
	g, graphFile := graphRepo(t, 700)

	t.Run("whole", func(t *testing.T) {
		r := openWorkers(t, g.dir)
		if r.graph == nil || r.graph.total != 1401 {
			t.Fatalf("commit-graph not read: %+v", r.graph)
		}
		got, err := walkLines(t, r, "main")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(gitLogLines(g, "main"), got); diff != "" {
			t.Errorf("FirstParent with a commit-graph diff (-want +got):\n%s", diff)
		}
	})

	t.Run("wrong parent", func(t *testing.T) {
		saved, err := os.ReadFile(graphFile)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(graphFile, saved, 0o444)
		l, err := parseGraphLayer(bytesFile(graphFile, saved), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		cdat := int(l.cdat)
		pos := func(rev string) uint32 {
			b, err := hex.DecodeString(g.run("rev-parse", rev))
			if err != nil || len(b) != 20 {
				t.Fatalf("rev-parse %s: %x, %v", rev, b, err)
			}
			h := [20]byte(b)
			p, ok := (&commitGraph{layers: []*graphLayer{l}, total: l.n}).lookup(&h)
			if !ok {
				t.Fatalf("%s not in the commit-graph", rev)
			}
			return p
		}
		// main~300's first parent in the graph becomes main~600; then,
		// apart, main~450's becomes itself (a cycle); main~200's a position
		// past the graph's end.
		for _, bad := range [][2]uint32{{pos("main~300"), pos("main~600")}, {pos("main~450"), pos("main~450")}, {pos("main~200"), 1 << 20}} {
			data := append([]byte(nil), saved...)
			binary.BigEndian.PutUint32(data[cdat+int(bad[0])*graphDataWidth+20:], bad[1])
			os.Chmod(graphFile, 0o644)
			if err := os.WriteFile(graphFile, data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := walkLines(t, openWorkers(t, g.dir), "main")
			if err != nil {
				t.Fatal(err)
			}
			// git log itself believes the commit-graph; ask it without.
			if diff := cmp.Diff(gitLogLines(g, "-c", "core.commitGraph=false", "main"), got); diff != "" {
				t.Errorf("FirstParent with parent %d for %d in the commit-graph diff (-want +got):\n%s", bad[1], bad[0], diff)
			}
		}
	})

	// Commits made after the graph was written are walked one by one until
	// the walk meets the graph.
	g.buildMerges(50, g.run("rev-parse", "main"))
	t.Run("stale", func(t *testing.T) {
		got, err := walkLines(t, openWorkers(t, g.dir), "main")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(gitLogLines(g, "main"), got); diff != "" {
			t.Errorf("FirstParent with a stale commit-graph diff (-want +got):\n%s", diff)
		}
	})

	t.Run("split", func(t *testing.T) {
		g.run("commit-graph", "write", "--reachable", "--split=no-merge")
		g.buildMerges(40, g.run("rev-parse", "main"))
		g.run("commit-graph", "write", "--reachable", "--split=no-merge")
		if _, err := os.Stat(graphFile); err == nil {
			os.Chmod(graphFile, 0o644)
			os.Remove(graphFile) // git reads the chain only without the single file
		}
		r := openWorkers(t, g.dir)
		if r.graph == nil || len(r.graph.layers) < 2 {
			t.Fatalf("commit-graph chain not read: %+v", r.graph)
		}
		if want := g.run("rev-list", "--all", "--count"); fmt.Sprint(r.graph.total) != want {
			t.Errorf("commit-graph chain holds %d commits, want %s", r.graph.total, want)
		}
		got, err := walkLines(t, r, "main")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(gitLogLines(g, "main"), got); diff != "" {
			t.Errorf("FirstParent with a split commit-graph diff (-want +got):\n%s", diff)
		}
	})

	t.Run("stop", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := openWorkers(t, g.dir).FirstParent(context.Background(), "main", func(tracker.Commit) error {
			if n++; n == 300 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 300 {
			t.Errorf("FirstParent after fn failed at 300 = %v after %d calls, want stop after 300", err, n)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := openWorkers(t, g.dir).FirstParent(ctx, "main", func(tracker.Commit) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("FirstParent(cancelled) = %v, want context.Canceled", err)
		}
	})
}

// TestFirstParentShallow: a shallow clone's walk ends with ErrShallow at
// the boundary, after the boundary commit, commit-graph or not.
func TestFirstParentShallow(t *testing.T) {
	up := newGitRepo(t, false)
	root := up.commit("index.html", "home\n", "Initial site")
	up.buildMerges(20, root)
	down := newGitRepo(t, true)
	down.run("fetch", "-q", "--depth=5", "file://"+up.dir, "main:main")
	down.run("commit-graph", "write", "--reachable")
	want := gitLogLines(up, "main")[:5]
	got, err := walkLines(t, openWorkers(t, down.dir), "main")
	if !errors.Is(err, ErrShallow) {
		t.Errorf("FirstParent(shallow) = %v, want ErrShallow", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FirstParent(shallow) diff (-want +got):\n%s", diff)
	}
}

// TestFirstParentShallowNotes: a clone that fetched its notes alone at
// depth 1 (shallow: the notes commit) still walks its branch with the
// commit-graph, which does not hold that commit, and reads the notes; a
// graph that holds a shallow commit is left unused, as git leaves it.
func TestFirstParentShallowNotes(t *testing.T) {
	up := newGitRepo(t, false)
	root := up.commit("index.html", "home\n", "Initial site")
	up.buildMerges(300, root)
	tip := up.run("rev-parse", "main")
	for i := range 3 {
		up.run("notes", "--ref", "twokey", "add", "-f", "-m", fmt.Sprintf("record %d", i), tip)
	}
	down := newGitRepo(t, true)
	down.run("fetch", "-q", "file://"+up.dir, "main:main")
	down.run("commit-graph", "write", "--reachable")
	down.run("fetch", "-q", "--depth=1", "file://"+up.dir, "refs/notes/twokey:refs/notes/twokey")
	if sh := down.run("rev-parse", "--is-shallow-repository"); sh != "true" {
		t.Fatalf("the notes fetched at depth 1 left the clone shallow %q, want true", sh)
	}
	want := gitLogLines(up, "main")
	r := openWorkers(t, down.dir)
	if r.graph == nil {
		t.Fatal("the commit-graph is not used: it holds no shallow commit")
	}
	got, err := walkLines(t, r, "main")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FirstParent diff (-want +got):\n%s", diff)
	}
	if note, err := r.Window().Note(context.Background(), tip); err != nil || string(note) != "record 2\n" {
		t.Errorf("Window.Note(tip) = %q, %v; want the last record", note, err)
	}

	// A branch commit made shallow (as a shallow fetch of the branch
	// would): the graph holds it, so the walk goes without the graph and
	// ends there, as git log does.
	cut := down.run("rev-parse", "main~5")
	shallow := filepath.Join(down.dir, "shallow")
	old, err := os.ReadFile(shallow)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shallow, append(old, cut+"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	r = openWorkers(t, down.dir)
	if r.graph != nil {
		t.Error("a commit-graph that holds a shallow commit is used")
	}
	got, err = walkLines(t, r, "main")
	if !errors.Is(err, ErrShallow) || len(got) != 6 {
		t.Errorf("FirstParent with main~5 shallow = %d commits, %v; want 6, ErrShallow", len(got), err)
	}
}

// TestFirstParentCorruptGraph: whatever is wrong with a commit-graph (its
// header, chunk table, fan-out, names or commit data changed at random,
// or the file cut short), read or mapped, the walk never panics and is
// exactly git log --first-parent without the graph.
func TestFirstParentCorruptGraph(t *testing.T) {
	g, graphFile := graphRepo(t, 300)
	saved, err := os.ReadFile(graphFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err := parseGraphLayer(bytesFile(graphFile, saved), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := gitLogLines(g, "-c", "core.commitGraph=false", "main")
	old := mapAfter
	t.Cleanup(func() { mapAfter = old })
	rng := rand.New(rand.NewPCG(11, 12))
	head := 8 + int(saved[6]+1)*12
	for i := range 120 {
		data := bytes.Clone(saved)
		var what string
		switch i % 6 {
		case 0:
			at := rng.IntN(head)
			data[at] = byte(rng.UintN(256))
			what = fmt.Sprintf("header byte %d", at)
		case 1:
			e := 8 + rng.IntN(int(saved[6])+1)*12 + 4
			v := []uint64{0, uint64(len(data)), uint64(len(data)) + 1, 1 << 63, rng.Uint64N(uint64(len(data)))}[rng.IntN(5)]
			binary.BigEndian.PutUint64(data[e:], v)
			what = fmt.Sprintf("chunk offset at %d: %d", e, v)
		case 2:
			b := rng.IntN(256)
			v := []uint32{0, l.n + 1, l.n - 1, 1 << 31, rng.Uint32N(l.n)}[rng.IntN(5)]
			binary.BigEndian.PutUint32(data[head+4*b:], v) // the OIDF chunk comes first
			what = fmt.Sprintf("fan-out %d: %d", b, v)
		case 3:
			at := int(l.oids) + rng.IntN(int(l.n)*20)
			data[at] ^= byte(1 + rng.UintN(255))
			what = fmt.Sprintf("name byte %d", at)
		case 4:
			at := int(l.cdat) + rng.IntN(int(l.n)*graphDataWidth)
			data[at] = byte(rng.UintN(256))
			what = fmt.Sprintf("commit data byte %d", at)
		case 5:
			n := rng.IntN(len(data))
			data = data[:n]
			what = fmt.Sprintf("cut to %d bytes", n)
		}
		os.Chmod(graphFile, 0o644)
		if err := os.WriteFile(graphFile, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, after := range []int64{1 << 40, 0} {
			mapAfter = after
			got, err := walkLines(t, openWorkers(t, g.dir), "main")
			if err != nil {
				t.Fatalf("%s, mapAfter %d: %v", what, after, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s, mapAfter %d: FirstParent diff (-want +got):\n%s", what, after, diff)
			}
		}
	}
}
