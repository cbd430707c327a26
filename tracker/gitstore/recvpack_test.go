package gitstore

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestIndexPack: the index built for a pack names each object at the
// offset git index-pack finds it, for packs of ofs-deltas and of
// ref-deltas with chains of 10 to 50 deltas; a thin pack, whose delta's
// base is not in it, is refused, saying so.
func TestIndexPack(t *testing.T) {
	g := newGitRepo(t, true)
	var fi strings.Builder
	fmt.Fprintf(&fi, "commit refs/heads/main\ncommitter A <a@example.com> %d +0000\ndata 5\nnotes\n", epoch.Unix())
	note := func(i int) string {
		return fmt.Sprintf(`{"v":1,"type":"merge","repo":"acme/site","pr":%d,"title":"Change number %d","base":"main","required":["usability","backend"],"verdict":"pass"}`+"\n", i, i*7919%600)
	}
	for i := range 600 { // similar notes: git deltas them against each other
		fmt.Fprintf(&fi, "M 644 inline %02x/%038d\ndata %d\n%s", i%256, i, len(note(i)), note(i))
	}
	fi.WriteString("\n")
	g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet")
	objects := g.runRaw(nil, "rev-list", "--objects", "main")
	for _, c := range []struct {
		name  string
		flags []string
	}{
		{"ofs-deltas", []string{"--delta-base-offset"}},
		{"ref-deltas", nil}, // pack-objects' default
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"pack-objects", "-q", "--stdout", "--window=250", "--depth=50"}, c.flags...)
			data := []byte(g.runRaw(strings.NewReader(objects), args...))
			file := filepath.Join(t.TempDir(), "p.pack")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			g.run("index-pack", file)
			longest := 0
			for l := range strings.Lines(g.run("verify-pack", "-v", file)) {
				if rest, ok := strings.CutPrefix(l, "chain length = "); ok {
					n, _ := strconv.Atoi(strings.TrimSpace(strings.Split(rest, ":")[0]))
					longest = max(longest, n)
				}
			}
			if longest < 10 {
				t.Fatalf("git's longest delta chain is %d; the test needs long ones", longest)
			}
			o := &objectReader{}
			o.cache.init(16)
			idx, _, err := indexPack(o, data, false)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newPack("p.pack", bytesFile("p.pack", data), bytesFile("p.idx", idx))
			if err != nil {
				t.Fatal(err)
			}
			gitIdx, err := os.ReadFile(strings.TrimSuffix(file, ".pack") + ".idx")
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(g.runIn(strings.NewReader(string(gitIdx)), "show-index"), "\n")
			if p.n != len(want) {
				t.Fatalf("index of %d objects, git's of %d", p.n, len(want))
			}
			for _, l := range want {
				f := strings.Fields(l) // offset name (crc)
				off, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				b, err := hex.DecodeString(f[1])
				if err != nil || len(b) != 20 {
					t.Fatalf("git show-index line %q", l)
				}
				h := [20]byte(b)
				if got, ok := p.find(&h); !ok || got != off {
					t.Errorf("find(%s) = %d, %v; git: %d", f[1], got, ok, off)
				}
			}
		})
	}
	t.Run("thin", func(t *testing.T) {
		first := g.run("rev-parse", "main")
		var fi strings.Builder
		fmt.Fprintf(&fi, "commit refs/heads/main\ncommitter A <a@example.com> %d +0000\ndata 5\nmore\nfrom %s\n", epoch.Unix()+60, first)
		changed := note(0) + "reviewed on paper\n" // a delta against note(0), which the pack leaves out
		fmt.Fprintf(&fi, "M 644 inline 00/%038d\ndata %d\n%s\n", 0, len(changed), changed)
		g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet")
		data := []byte(g.runRaw(strings.NewReader("main\n^"+first+"\n"), "pack-objects", "-q", "--stdout", "--revs", "--thin"))
		o := &objectReader{}
		_, _, err := indexPack(o, data, false)
		if err == nil || !strings.Contains(err.Error(), "is not in the pack") {
			t.Fatalf("indexPack(thin pack) = %v; want an error saying the base is not in the pack", err)
		}
	})
}

// TestIndexPackLaterBlobs: a pack indexed with its blobs left for later
// names its commits and trees only, and then, once nameBlobs has run, every
// object as git index-pack does; where a ref-delta stands in the way it
// names everything at once. A notes store leaves a fetched pack's blobs
// unnamed until a blob it does not have is asked for: asking for a commit
// it does not have names none.
func TestIndexPackLaterBlobs(t *testing.T) {
	g := newGitRepo(t, true)
	var fi strings.Builder
	fmt.Fprintf(&fi, "commit refs/heads/main\ncommitter A <a@example.com> %d +0000\ndata 5\nnotes\n", epoch.Unix())
	for i := range 300 {
		note := fmt.Sprintf(`{"v":1,"type":"merge","repo":"acme/site","pr":%d,"title":"Change number %d"}`+"\n", i, i*7919%600)
		fmt.Fprintf(&fi, "M 644 inline %02x/%038d\ndata %d\n%s", i%16, i, len(note), note)
	}
	fi.WriteString("\n")
	g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet")
	objects := g.runRaw(nil, "rev-list", "--objects", "main")
	blob := g.run("rev-parse", fmt.Sprintf("main:%02x/%038d", 7, 7))
	for _, c := range []struct {
		name  string
		flags []string
		later bool // the blobs can be left for later
	}{
		{"ofs-deltas", []string{"--delta-base-offset"}, true},
		{"ref-deltas", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := []byte(g.runRaw(strings.NewReader(objects), append([]string{"pack-objects", "-q", "--stdout", "--window=250", "--depth=50"}, c.flags...)...))
			o := &objectReader{}
			o.cache.init(16)
			full, _, err := indexPack(o, data, false)
			if err != nil {
				t.Fatal(err)
			}
			idx, ps, err := indexPack(o, data, true)
			if err != nil {
				t.Fatal(err)
			}
			if (ps != nil) != c.later {
				t.Fatalf("indexPack(laterBlobs) left blobs for later: %v, want %v", ps != nil, c.later)
			}
			if !c.later {
				if !bytes.Equal(idx, full) {
					t.Errorf("index with a ref-delta pack differs from the full one")
				}
				return
			}
			p, err := newPack("p", bytesFile("p", data), bytesFile("p.idx", idx))
			if err != nil {
				t.Fatal(err)
			}
			if p.n != 1+17 { // the commit, the root and 16 fan-out trees
				t.Errorf("index without blobs holds %d objects, want 17 trees and the commit", p.n)
			}
			if err := ps.nameBlobs(o); err != nil {
				t.Fatal(err)
			}
			if got := packIndex(ps.entries, data[len(data)-20:]); !bytes.Equal(got, full) {
				t.Errorf("index once the blobs are named differs from the full one")
			}

			s := newNotesStore()
			if err := s.addPack(bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.EncodedObject(plumbing.CommitObject, plumbing.NewHash(strings.Repeat("ab", 20))); !errors.Is(err, plumbing.ErrObjectNotFound) || s.later[0] == nil {
				t.Errorf("looking up a missing commit = %v, named the blobs: %v; want not found, blobs left", err, s.later[0] == nil)
			}
			note, err := readBlob(s, plumbing.NewHash(blob))
			if err != nil || !strings.Contains(string(note), `"pr":7,`) {
				t.Errorf("readBlob(note of 7) = %q, %v", note, err)
			}
			if s.later[0] != nil || s.objs.packs[0].n != 318 {
				t.Errorf("after reading a blob: blobs left %v, %d objects named; want none left, 318", s.later[0] != nil, s.objs.packs[0].n)
			}
		})
	}
}
