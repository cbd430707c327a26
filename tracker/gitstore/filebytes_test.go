package gitstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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

// TestFileBytesReadsTheFileOpened: a file replaced on disk (git replaces
// a commit-graph by renaming a new one over it) is still read as the file
// opened, whether read or mapped: its header, read when opened, and its
// mapping must be one file.
func TestFileBytesReadsTheFileOpened(t *testing.T) {
	old := mapAfter
	mapAfter = 1 << 40
	t.Cleanup(func() { mapAfter = old })
	dir := t.TempDir()
	path := filepath.Join(dir, "commit-graph")
	opened := bytes.Repeat([]byte("the file opened "), 1000)
	if err := os.WriteFile(path, opened, 0o644); err != nil {
		t.Fatal(err)
	}
	fb, err := openFileBytes(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.close()
	if b, err := fb.at(0, 16, nil); err != nil || string(b) != "the file opened " {
		t.Fatalf("at(0, 16) = %q, %v; want the file opened", b, err)
	}
	// Replaced by one of the same size, as git does: a new file renamed.
	tmp := filepath.Join(dir, "commit-graph.lock")
	if err := os.WriteFile(tmp, bytes.Repeat([]byte("another file... "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	all, err := fb.all()
	if err != nil {
		t.Fatalf("all: %v", err)
	}
	if !bytes.Equal(all, opened) {
		t.Errorf("all() = %q…, want the file opened, %q…", all[:16], opened[:16])
	}
	if b, err := fb.at(16, 16, nil); err != nil || string(b) != "the file opened " {
		t.Errorf("at(16, 16), mapped = %q, %v; want the file opened", b, err)
	}
}

// TestFileBytesShrunk: a file cut shorter after it was opened is an error
// where a read reaches past its new end, never a buffer half filled with
// what it held before.
func TestFileBytesShrunk(t *testing.T) {
	old := mapAfter
	mapAfter = 1 << 40
	t.Cleanup(func() { mapAfter = old })
	path := filepath.Join(t.TempDir(), "pack")
	if err := os.WriteFile(path, bytes.Repeat([]byte{'p'}, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	fb, err := openFileBytes(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.close()
	if err := os.Truncate(path, 90); err != nil {
		t.Fatal(err)
	}
	buf := bytes.Repeat([]byte{'!'}, 20) // what a pooled buffer held before
	if b, err := fb.at(80, 20, buf); err == nil {
		t.Errorf("at(80, 20) of a file cut to 90 bytes = %q, nil; want an error", b)
	}
	var p []byte
	if b, err := fb.from(80, 20, &p); err == nil {
		t.Errorf("from(80, 20) of a file cut to 90 bytes = %q, nil; want an error", b)
	}
}

// TestFileBytesCountsEachRead: at and from each count one read toward
// mapAfter, so that a file is mapped after exactly mapAfter reads of
// either kind.
func TestFileBytesCountsEachRead(t *testing.T) {
	old := mapAfter
	mapAfter = 4
	t.Cleanup(func() { mapAfter = old })
	path := filepath.Join(t.TempDir(), "pack")
	if err := os.WriteFile(path, bytes.Repeat([]byte("0123456789"), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, read := range []struct {
		name string
		fn   func(fb *fileBytes, off int64) ([]byte, error)
	}{
		{"at", func(fb *fileBytes, off int64) ([]byte, error) { return fb.at(off, 10, nil) }},
		{"from", func(fb *fileBytes, off int64) ([]byte, error) {
			var buf []byte
			return fb.from(off, 10, &buf)
		}},
	} {
		t.Run(read.name, func(t *testing.T) {
			fb, err := openFileBytes(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer fb.close()
			for i := range mapAfter + 1 {
				b, err := read.fn(fb, i*10)
				if err != nil || string(b[:10]) != "0123456789" {
					t.Fatalf("%s(%d, 10) = %q, %v; want 0123456789", read.name, i*10, b, err)
				}
				if got, want := fb.mapped() != nil, i == mapAfter; got != want || fb.reads.Load() != i+1 {
					t.Fatalf("after %d reads: mapped %v, %d counted; want mapped %v, %d counted", i+1, got, fb.reads.Load(), want, i+1)
				}
			}
		})
	}
}
