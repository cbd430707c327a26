package gitstore

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hintedRepo is a repository whose blobs are spread over two packs and the
// loose objects: blobs[i] is named names[i]; blobs 0–19 are in one pack,
// 20–39 in another, 40–59 loose. Blob 10 also has a broken loose copy;
// broken is a loose object with no other copy.
type hintedRepo struct {
	dir    string
	names  [][20]byte
	blobs  []string
	broken [20]byte
}

func newHintedRepo(t *testing.T) *hintedRepo {
	t.Helper()
	g := newGitRepo(t, true)
	h := &hintedRepo{dir: filepath.Join(g.dir, "objects")}
	var ids []string
	for i := range 60 {
		blob := fmt.Sprintf("blob %d\n%s", i, strings.Repeat("x", i*37))
		id := g.runIn(strings.NewReader(blob), "hash-object", "-w", "--stdin")
		var name [20]byte
		if _, err := hex.Decode(name[:], []byte(id)); err != nil {
			t.Fatal(err)
		}
		h.names, h.blobs, ids = append(h.names, name), append(h.blobs, blob), append(ids, id)
	}
	for _, part := range [][]string{ids[:20], ids[20:40]} {
		g.runIn(strings.NewReader(strings.Join(part, "\n")+"\n"), "pack-objects", "-q", "objects/pack/pack")
	}
	g.run("prune-packed")
	// A loose copy of blob 10 that does not inflate, and a loose object
	// that does not inflate and has no other copy.
	h.broken = [20]byte{0xab, 0xcd}
	for _, name := range [][20]byte{h.names[10], h.broken} {
		x := fmt.Sprintf("%x", name)
		if err := os.MkdirAll(filepath.Join(h.dir, x[:2]), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(h.dir, x[:2], x[2:]), []byte("not zlib"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// where says where o holds name: a pack's position + 1, or hintLoose.
func where(o *objectReader, name *[20]byte) int32 {
	if pi, _, ok := o.findPacked(name); ok {
		return int32(pi + 1)
	}
	return hintLoose
}

// TestReadHint: whatever a read hint says (nothing yet, loose, either pack,
// a pack that is not there), every object reads as git wrote it, and the
// hint then names where it was; a broken loose copy of a packed object
// reads the packed one, and a broken loose object with no other copy is an
// error naming its file.
func TestReadHint(t *testing.T) {
	h := newHintedRepo(t)
	o, err := newObjectReader(h.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	if len(o.packs) != 2 || o.filter == nil {
		t.Fatalf("%d packs, filter %v; want 2 packs and their filter", len(o.packs), o.filter)
	}
	for i := range h.names {
		want := where(o, &h.names[i])
		if (i < 40) != (want != hintLoose) {
			t.Fatalf("blob %d is at %d, want it packed iff i < 40", i, want)
		}
		for _, start := range []int32{0, hintLoose, 1, 2, 7} {
			var at readHint
			at.at.Store(start)
			typ, data, err := o.readHinted(&h.names[i], nil, &at)
			if err != nil || typ != objBlob || string(data) != h.blobs[i] {
				t.Fatalf("readHinted(blob %d, hint %d) = %d, %q, %v; want blob %q", i, start, typ, data, err, h.blobs[i])
			}
			if got := at.load(); got != want {
				t.Errorf("readHinted(blob %d, hint %d): hint %d after, want %d", i, start, got, want)
			}
		}
	}

	// The packed copy of blob 10 under its broken loose one, looked for
	// loose first.
	var at readHint
	at.store(hintLoose)
	if _, data, err := o.readHinted(&h.names[10], nil, &at); err != nil || string(data) != h.blobs[10] {
		t.Errorf("readHinted(blob 10, loose first) = %q, %v; want the packed copy %q", data, err, h.blobs[10])
	}
	if got, want := at.load(), where(o, &h.names[10]); got != want {
		t.Errorf("hint after the packed copy of blob 10 = %d, want %d", got, want)
	}
	path := filepath.Join(h.dir, "ab", fmt.Sprintf("%x", h.broken[1:]))
	for _, start := range []int32{0, hintLoose, 1} {
		at.at.Store(start)
		_, _, err := o.readHinted(&h.broken, nil, &at)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "zlib") || !strings.Contains(err.Error(), "git fsck") {
			t.Errorf("readHinted(broken, hint %d) = %v; want a zlib error naming %s and git fsck", start, err, path)
		}
	}
}

// TestReadHintConcurrent: goroutines sharing one hint, each reading every
// object in its own order (so the hint keeps changing under them), read
// each as git wrote it, while the packs turn from read to mapped under
// them.
func TestReadHintConcurrent(t *testing.T) {
	h := newHintedRepo(t)
	old := mapAfter
	mapAfter = 2000
	t.Cleanup(func() { mapAfter = old })
	o, err := newObjectReader(h.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	var at readHint
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range errs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 20 {
				for _, i := range rng.Perm(len(h.names)) {
					typ, data, err := o.readHinted(&h.names[i], nil, &at)
					if err != nil || typ != objBlob || string(data) != h.blobs[i] {
						errs[g] = fmt.Errorf("readHinted(blob %d) = %d, %q, %v; want blob %q", i, typ, data, err, h.blobs[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for _, p := range o.packs {
		if p.data.mapped() == nil || p.idx.mapped() == nil {
			t.Errorf("%s: not mapped after %d reads", p.name, o.reads.Load())
		}
	}
}
