package gitstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestNoteIndex: every note is found, in sorted input and in input of
// mixed order that names objects twice (the later wins, as in a map filled
// in order), with the 8-bit and the 16-bit prefix table; names absent, some
// sharing a prefix with a note, are not.
func TestNoteIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	name := func() [20]byte {
		var h [20]byte
		for i := range h {
			h[i] = byte(rng.UintN(256))
		}
		return h
	}
	for _, c := range []struct {
		n        int
		shuffled bool
		shift    uint
	}{
		{0, false, 8}, {1, false, 8}, {300, false, 8}, {300, true, 8}, {70000, false, 0}, {70000, true, 0},
	} {
		t.Run(fmt.Sprintf("%d notes, shuffled %v", c.n, c.shuffled), func(t *testing.T) {
			var in []noteEntry
			for range c.n {
				in = append(in, noteEntry{obj: name(), blob: name()})
			}
			if c.shuffled {
				for i := range c.n / 10 { // the same objects again, other notes
					in = append(in, noteEntry{obj: in[i*3].obj, blob: name()})
				}
				rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
			} else {
				slices.SortFunc(in, func(a, b noteEntry) int { return strings.Compare(string(a.obj[:]), string(b.obj[:])) })
			}
			want := map[[20]byte][20]byte{}
			for _, e := range in {
				want[e.obj] = e.blob
			}
			x := newNoteIndex(slices.Clone(in))
			if x.len() != len(want) || x.shift != c.shift {
				t.Fatalf("index of %d notes: len %d, shift %d; want %d, %d", len(in), x.len(), x.shift, len(want), c.shift)
			}
			for obj, blob := range want {
				if got, ok := x.lookup(&obj); !ok || got != blob {
					t.Fatalf("lookup(%x) = %x, %v; want %x", obj, got, ok, blob)
				}
				absent := obj
				absent[19] ^= 0x81
				if _, dup := want[absent]; !dup {
					if got, ok := x.lookup(&absent); ok {
						t.Fatalf("lookup(%x) = %x; want none", absent, got)
					}
				}
			}
			for range 1000 {
				h := name()
				if got, ok := x.lookup(&h); ok != (want[h] != [20]byte{}) {
					t.Fatalf("lookup(%x) = %x, %v", h, got, ok)
				}
			}
		})
	}
}

// TestNotesMixedFanout: a notes tree that keeps one note in a fan-out
// subtree (ab/12…) and another of the same prefix flat beside it
// (ab00…), as a tree edited by hand or by several tools may, is read
// whole: the two are out of order once the subtree is read.
func TestNotesMixedFanout(t *testing.T) {
	g := newGitRepo(t, true)
	blobA := g.runIn(strings.NewReader("note on A\n"), "hash-object", "-w", "--stdin")
	blobB := g.runIn(strings.NewReader("note on B\n"), "hash-object", "-w", "--stdin")
	// The tree need not name real objects: the look-up is by name.
	objA := "ab12" + strings.Repeat("1", 36)
	objB := "ab00" + strings.Repeat("2", 36)
	sub := g.runIn(strings.NewReader(fmt.Sprintf("100644 blob %s\t%s\n", blobA, objA[2:])), "mktree")
	root := g.runIn(strings.NewReader(fmt.Sprintf("040000 tree %s\tab\n100644 blob %s\t%s\n", sub, blobB, objB)), "mktree")
	notes := g.run("commit-tree", "-m", "notes", root)
	g.run("update-ref", "refs/notes/twokey", notes)
	r := openWorkers(t, g.dir)
	for obj, want := range map[string]string{objA: "note on A\n", objB: "note on B\n"} {
		if got, err := r.Note(context.Background(), obj); err != nil || string(got) != want {
			t.Errorf("Note(%s) = %q, %v; want %q", obj, got, err, want)
		}
	}
	if n, err := r.NoteCount(); n != 2 || err != nil {
		t.Errorf("NoteCount = %d, %v; want 2", n, err)
	}
}
