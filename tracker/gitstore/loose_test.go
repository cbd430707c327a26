package gitstore

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeLoose writes raw (the header and content, uncompressed) as a loose
// object under dir and returns its name (the SHA-1 of raw); cut drops that
// many bytes from the end of the file.
func writeLoose(t *testing.T, dir string, raw []byte, cut int) [20]byte {
	t.Helper()
	h := sha1.Sum(raw)
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(raw)
	w.Close()
	hex := fmt.Sprintf("%x", h)
	if err := os.MkdirAll(filepath.Join(dir, hex[:2]), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, hex[:2], hex[2:]), z.Bytes()[:z.Len()-cut], 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestReadLoose: loose objects are read whole, whatever their size (a file
// larger than the first read's buffer included) and into the caller's
// buffer; a broken one is an error naming the object and what is wrong.
func TestReadLoose(t *testing.T) {
	dir := t.TempDir()
	o, err := newObjectReader(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	rng := rand.New(rand.NewPCG(5, 6))
	big := make([]byte, 100000) // incompressible: a 100 kB file
	for i := range big {
		big[i] = byte(rng.UintN(256))
	}
	for _, c := range []struct {
		name    string
		typ     string
		content []byte
		want    int
	}{
		{"blob", "blob", []byte("a note\n"), objBlob},
		{"empty blob", "blob", nil, objBlob},
		{"big blob", "blob", big, objBlob},
		{"zeros", "blob", make([]byte, 1<<20), objBlob}, // 1,000:1, past the first buffer (4:1)
		{"tree", "tree", []byte("100644 f\x00" + strings.Repeat("\x01", 20)), objTree},
		{"commit", "commit", []byte("tree " + strings.Repeat("0", 40) + "\n\nmsg\n"), objCommit},
		{"tag", "tag", []byte("object x\n"), objTag},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := writeLoose(t, dir, fmt.Appendf(nil, "%s %d\x00%s", c.typ, len(c.content), c.content), 0)
			for _, buf := range [][]byte{nil, make([]byte, 0, 200000)} {
				typ, data, err := o.readHinted(&h, buf, nil)
				if err != nil || typ != c.want || !bytes.Equal(data, c.content) {
					t.Fatalf("readHinted(%x, cap %d) = %d, %d bytes, %v; want %d, %d bytes", h, cap(buf), typ, len(data), err, c.want, len(c.content))
				}
				if cap(buf) >= len(c.content) && len(c.content) > 0 && &data[0] != &buf[:1][0] {
					t.Errorf("readHinted(%x, cap %d) did not read into the buffer", h, cap(buf))
				}
			}
		})
	}
	for _, c := range []struct {
		name string
		raw  string
		cut  int
		want string
	}{
		{"unknown type", "blub 3\x00abc", 0, `unknown type "blub"`},
		{"no size", "blob \x00abc", 0, "no size"},
		{"bad size", "blob 3x\x00abc", 0, `size "3x"`},
		{"size with a leading zero", "blob 03\x00abc", 0, `size "03"`},
		{"no header end", "blob 3 abc", 0, "unexpected EOF"},
		{"content shorter than its size", "blob 5\x00abc", 0, "unexpected EOF"},
		{"content longer than its size", "blob 2\x00abc", 0, "longer than the 2 bytes"},
		{"content much longer than its size", "blob 2\x00" + strings.Repeat("abc", 100), 0, "longer than the 2 bytes"},
		{"size beyond what the file can hold", "blob 99999999999\x00abc", 0, `size "99999999999"`},
		{"zeros longer than their size", "blob 1048575\x00" + strings.Repeat("\x00", 1<<20), 0, "longer than the 1048575 bytes"},
		{"zeros shorter than their size", "blob 1048577\x00" + strings.Repeat("\x00", 1<<20), 0, "unexpected EOF"},
		{"zeros cut short", "blob 1048576\x00" + strings.Repeat("\x00", 1<<20), 10, "unexpected EOF"},
		{"truncated file", "blob 3\x00abc", 6, "unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := writeLoose(t, dir, []byte(c.raw), c.cut)
			_, _, err := o.read(&h)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), fmt.Sprintf("loose object %x", h)) {
				t.Fatalf("read(%x) = %v; want an error naming the object and %q", h, err, c.want)
			}
		})
	}
	t.Run("not zlib", func(t *testing.T) {
		h := [20]byte{0xee, 1}
		os.MkdirAll(filepath.Join(dir, "ee"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, "ee", fmt.Sprintf("%x", h[1:])), []byte("plain text"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := o.read(&h); err == nil || !strings.Contains(err.Error(), "zlib") {
			t.Fatalf("read(%x) = %v; want a zlib error", h, err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		h := [20]byte{0xdd}
		if _, _, err := o.read(&h); !errors.Is(err, errObjectNotFound) {
			t.Fatalf("read(%x) = %v; want %v", h, err, errObjectNotFound)
		}
	})
}

// TestReadLooseLargeMemory: a large loose object is inflated into the
// memory it is returned in, once more after the first, bounded, attempt:
// not into a first buffer four times its file.
func TestReadLooseLargeMemory(t *testing.T) {
	dir := t.TempDir()
	o, err := newObjectReader(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	rng := rand.New(rand.NewPCG(7, 8))
	content := make([]byte, 3<<20) // incompressible: a 3 MB file
	for i := range content {
		content[i] = byte(rng.UintN(256))
	}
	h := writeLoose(t, dir, fmt.Appendf(nil, "blob %d\x00%s", len(content), content), 0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	typ, data, err := o.read(&h)
	runtime.ReadMemStats(&after)
	if err != nil || typ != objBlob || !bytes.Equal(data, content) {
		t.Fatalf("read(%x) = %d, %d bytes, %v; want the 3 MB blob", h, typ, len(data), err)
	}
	// The file read (the buffer doubling to 4 MB: 8 MB in all), the first
	// attempt (1 MB), the content (3 MB): 13 MB (17 under -race); with a
	// first buffer of four times the file, 24 MB.
	if got := after.TotalAlloc - before.TotalAlloc; got > 20<<20 {
		t.Errorf("reading a 3 MB loose object allocated %d MB, want at most 20", got>>20)
	}
}
