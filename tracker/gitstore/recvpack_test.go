package gitstore

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
			idx, err := indexPack(o, data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newPack("p.pack", data, idx, func() error { return nil })
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
		_, err := indexPack(o, data)
		if err == nil || !strings.Contains(err.Error(), "is not in the pack") {
			t.Fatalf("indexPack(thin pack) = %v; want an error saying the base is not in the pack", err)
		}
	})
}
