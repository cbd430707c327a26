package gitstore

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFileBytesModes: a repository reads the same read with pread, mapped,
// and switching from one to the other midway (mapAfter), and each mode is
// the one asked for: the walk, from the commit-graph, and every note, by
// the Window's path look-ups and by Repo's whole notes tree.
func TestFileBytesModes(t *testing.T) {
	g, hashes := windowRepo(t, 2000)
	wantNotes := map[string]string{}
	for _, line := range strings.Split(g.run("notes", "--ref", "twokey", "list"), "\n") {
		blob, commit, _ := strings.Cut(line, " ")
		wantNotes[commit] = g.run("cat-file", "blob", blob) + "\n"
	}
	if len(wantNotes) < 600 {
		t.Fatalf("%d notes, want about 667", len(wantNotes))
	}
	old := mapAfter
	t.Cleanup(func() { mapAfter = old })
	for _, tt := range []struct {
		name     string
		after    int64
		mapped   bool
		minReads int64
	}{
		{"read", 1 << 40, false, 1000},
		{"mapped", 0, true, 0},
		{"read then mapped", 300, true, 300},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mapAfter = tt.after
			r := openWorkers(t, g.dir)
			if r.graph == nil || len(r.objects.packs) != 1 {
				t.Fatalf("graph %v, %d packs; want a commit-graph and one pack", r.graph != nil, len(r.objects.packs))
			}
			w := r.Window()
			ctx := context.Background()
			lines, err := walkLines(t, r, "main")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(gitLogLines(g, "main"), lines); diff != "" {
				t.Errorf("FirstParent differs from git log (-want +got):\n%s", diff)
			}
			for _, h := range hashes {
				want := wantNotes[h]
				for name, notes := range map[string]interface {
					Note(context.Context, string) ([]byte, error)
				}{"Window": w, "Repo": r} {
					got, err := notes.Note(ctx, h)
					if err != nil {
						t.Fatalf("%s.Note(%s): %v", name, h, err)
					}
					if string(got) != want {
						t.Fatalf("%s.Note(%s) = %q, git notes show: %q", name, h, got, want)
					}
				}
			}
			p, l := r.objects.packs[0], r.graph.layers[0]
			for _, f := range []*fileBytes{p.idx, p.data, l.file} {
				if got := f.mapped() != nil; got != tt.mapped || f.reads.Load() < tt.minReads {
					t.Errorf("%s: mapped %v after %d reads; want mapped %v, at least %d reads", f.name, got, f.reads.Load(), tt.mapped, tt.minReads)
				}
			}
		})
	}
}
