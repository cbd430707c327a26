package inflate

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// zlibBytes compresses b with compress/zlib at level.
func zlibBytes(t testing.TB, b []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// inputs are contents of the shapes git stores: text, hex, random bytes
// (tree entries' names), runs, and sizes around the block and window edges.
func inputs() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	text := []byte(strings.Repeat("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A U Thor <a@example.com> 1700000000 +0000\n\nMerge pull request #12 from acme/brief-7\n", 40))
	var tree bytes.Buffer
	for i := range 300 {
		tree.WriteString("100644 ")
		tree.WriteString(strings.Repeat(string("0123456789abcdef"[i%16]), 38))
		tree.WriteByte(0)
		tree.Write(random(20))
	}
	return map[string][]byte{
		"empty":           {},
		"one byte":        {'x'},
		"text":            text,
		"tree":            tree.Bytes(),
		"random 1":        random(1),
		"random 100":      random(100),
		"random 64K":      random(65536),
		"random 200K":     random(200_000),
		"zeros 300K":      make([]byte, 300_000),
		"run then random": append(bytes.Repeat([]byte("ab"), 40_000), random(40_000)...),
		"window edge":     append(random(32768), random(32768)[:100]...),
	}
}

func TestZlibMatchesCompressZlib(t *testing.T) {
	var d Decoder
	for name, in := range inputs() {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, 5, flate.DefaultCompression, flate.BestCompression, flate.HuffmanOnly} {
			z := zlibBytes(t, in, level)
			out := make([]byte, len(in))
			used, err := d.Zlib(out, append(z, "trailing"...))
			if err != nil {
				t.Errorf("%s, level %d: Zlib: %v", name, level, err)
				continue
			}
			if used != len(z) {
				t.Errorf("%s, level %d: used %d bytes, want %d", name, level, used, len(z))
			}
			if !bytes.Equal(out, in) {
				t.Errorf("%s, level %d: content differs", name, level)
			}
		}
	}
}

// TestZlibGitObjects inflates loose objects C git wrote (with C zlib).
func TestZlibGitObjects(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q")
	for name, in := range inputs() {
		f := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(f, in, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("add", ".")
	run("commit", "-q", "-m", "objects")
	var d Decoder
	n := 0
	for _, line := range strings.Split(run("rev-list", "--objects", "HEAD"), "\n") {
		h := strings.Fields(line)[0]
		raw, err := os.ReadFile(filepath.Join(dir, ".git", "objects", h[:2], h[2:]))
		if err != nil {
			t.Fatal(err)
		}
		want := []byte(run("cat-file", "-t", h) + " " + run("cat-file", "-s", h) + "\x00")
		content := catFile(t, dir, h)
		want = append(want, content...)
		out := make([]byte, len(want))
		if used, err := d.Zlib(out, raw); err != nil || used != len(raw) {
			t.Errorf("object %s: Zlib = %d, %v; want %d, nil", h, used, err, len(raw))
		} else if !bytes.Equal(out, want) {
			t.Errorf("object %s: content differs from git cat-file", h)
		}
		n++
	}
	if n < len(inputs())+2 {
		t.Fatalf("read %d objects, want at least %d", n, len(inputs())+2)
	}
}

func catFile(t *testing.T, dir, h string) []byte {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "-p", h)
	cmd.Dir = dir
	typ, _ := exec.Command("git", "-C", dir, "cat-file", "-t", h).Output()
	if strings.TrimSpace(string(typ)) == "tree" {
		cmd = exec.Command("git", "cat-file", "tree", h)
		cmd.Dir = dir
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestZlibErrors(t *testing.T) {
	in := inputs()["text"]
	good := zlibBytes(t, in, flate.DefaultCompression)
	stored := zlibBytes(t, in[:1000], flate.NoCompression)
	flip := func(b []byte, i int, mask byte) []byte {
		b = bytes.Clone(b)
		b[i] ^= mask
		return b
	}
	tests := []struct {
		name string
		src  []byte
		size int
		want string
	}{
		{"no header", nil, 0, "before its zlib header"},
		{"not deflate", flip(good, 0, 0x01), len(in), "not deflate"},
		{"header check", flip(good, 1, 0x01), len(in), "header check"},
		{"preset dictionary", []byte{0x78, 0xbb, 0, 0, 0, 0}, 0, "preset dictionary"},
		{"size too small", good, len(in) - 1, "more than"},
		{"size too large", good, len(in) + 1, "want"},
		{"checksum", flip(good, len(good)-1, 0x01), len(in), "checksum"},
		{"no checksum", good[:len(good)-4], len(in), "before its checksum"},
		{"reserved block type", []byte{0x78, 0x9c, 0x07}, 0, "reserved block type"},
		{"stored length check", flip(stored, 5, 0xff), 1000, "length check"},
		{"stored block cut", stored[:50], 1000, "ends early"},
		{"distance before start", distanceFirst(), 3, "before the start"},
	}
	var d Decoder
	for _, tt := range tests {
		out := make([]byte, tt.size)
		_, err := d.Zlib(out, tt.src)
		if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Zlib = %v, want an ErrCorrupt saying %q", tt.name, err, tt.want)
		}
	}
}

// distanceFirst is a fixed-code block that starts with a copy.
func distanceFirst() []byte {
	w := &bitWriter{}
	w.bits(1, 1)         // final
	w.bits(1, 2)         // fixed code
	w.code(0b0000001, 7) // length 3
	w.code(0, 5)         // distance 1
	w.code(0b0000000, 7) // end of block
	return w.zlib([]byte("aaa"))
}

// TestZlibTruncated cuts a stream at every length: each is ErrShort,
// whatever the zeros read past its end decode to, for a reader that read
// only the start of a file to know to read the rest.
func TestZlibTruncated(t *testing.T) {
	var d Decoder
	ins := inputs()
	ins["zeros"] = make([]byte, 3000)
	for _, name := range []string{"text", "tree", "random 100", "zeros"} {
		in := ins[name]
		for _, level := range []int{flate.DefaultCompression, flate.NoCompression, flate.HuffmanOnly} {
			z := zlibBytes(t, in, level)
			out := make([]byte, len(in))
			for n := range len(z) {
				if _, err := d.Zlib(out, z[:n]); !errors.Is(err, ErrShort) {
					t.Fatalf("%s, level %d, cut at %d of %d bytes: %v, want ErrShort", name, level, n, len(z), err)
				}
				if _, _, err := d.ZlibUpTo(make([]byte, len(in)+100), z[:n]); !errors.Is(err, ErrShort) {
					t.Fatalf("ZlibUpTo: %s, level %d, cut at %d of %d bytes: %v, want ErrShort", name, level, n, len(z), err)
				}
			}
		}
	}
}

// TestZlibUpTo: a stream shorter than the buffer reads whole; one longer
// is ErrTooLong with the buffer holding its first bytes.
func TestZlibUpTo(t *testing.T) {
	var d Decoder
	in := inputs()["text"]
	z := zlibBytes(t, in, flate.DefaultCompression)
	out := make([]byte, len(in)+10)
	if n, used, err := d.ZlibUpTo(out, z); err != nil || n != len(in) || used != len(z) || !bytes.Equal(out[:n], in) {
		t.Errorf("ZlibUpTo(%d-byte buffer) = %d, %d, %v; want %d, %d, nil", len(out), n, used, err, len(in), len(z))
	}
	out = make([]byte, 100)
	if n, _, err := d.ZlibUpTo(out, z); !errors.Is(err, ErrTooLong) || n > len(out) || !bytes.Equal(out[:n], in[:n]) || n < 50 {
		t.Errorf("ZlibUpTo(100-byte buffer) = %d, %v; want ErrTooLong and the first bytes", n, err)
	}
}

// bitWriter writes a deflate stream bit by bit, to build streams no
// encoder makes: degenerate and broken codes.
type bitWriter struct {
	b    []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) { w.bits(uint64(reverse(uint32(c), n)), n) }

func (w *bitWriter) zlib(content []byte) []byte {
	if w.nacc > 0 {
		w.bits(0, 8-w.nacc)
	}
	out := append([]byte{0x78, 0x01}, w.b...)
	a := adler(content)
	return append(out, byte(a>>24), byte(a>>16), byte(a>>8), byte(a))
}

func adler(b []byte) uint32 {
	s1, s2 := uint32(1), uint32(0)
	for _, c := range b {
		s1 = (s1 + uint32(c)) % 65521
		s2 = (s2 + s1) % 65521
	}
	return s2<<16 | s1
}

// dynamic writes a final dynamic block header whose literal/length code
// has lit lengths and distance code dist lengths, each code length sent
// as itself (precode: all 19 symbols at 5 bits, an over-full code, unless
// pre says otherwise).
func dynamic(w *bitWriter, lit, dist []uint8, pre []uint8) {
	w.bits(1, 1) // final
	w.bits(2, 2) // dynamic
	w.bits(uint64(len(lit)-257), 5)
	w.bits(uint64(len(dist)-1), 5)
	w.bits(19-4, 4)
	for _, s := range preOrder {
		w.bits(uint64(pre[s]), 3)
	}
	// canonical codes of the precode
	codes := canonical(pre)
	for _, l := range append(append([]uint8{}, lit...), dist...) {
		w.code(uint64(codes[l]), uint(pre[l]))
	}
}

// canonical returns the canonical codes of lengths lens.
func canonical(lens []uint8) []uint32 {
	var count [16]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	c := uint32(0)
	for l := 1; l < 16; l++ {
		c = (c + uint32(count[l-1])) << 1
		next[l] = c
	}
	out := make([]uint32, len(lens))
	for s, l := range lens {
		if l > 0 {
			out[s] = next[l]
			next[l]++
		}
	}
	return out
}

// prePlain is a complete precode giving lengths 0..15 four-bit codes and
// 16..18 none: every code length is sent as itself.
var prePlain = func() []uint8 {
	p := make([]uint8, 19)
	for i := range 16 {
		p[i] = 4
	}
	return p
}()

// TestZlibDegenerateCodes: a distance code of one one-bit code, and a
// block with no distance code at all, are valid (zlib takes both); an
// over-subscribed or incomplete code is not.
func TestZlibDegenerateCodes(t *testing.T) {
	lit := make([]uint8, 257+1) // literals 'a' and 'b', end of block, length 3 (symbol 257)
	lit['a'], lit['b'], lit[256], lit[257] = 2, 2, 2, 2
	var d Decoder

	// "ab" then a copy of length 3 at distance 2: "ababa", one distance code of one bit.
	w := &bitWriter{}
	dynamic(w, lit, []uint8{1}, prePlain)
	litCodes := canonical(lit)
	w.code(uint64(litCodes['a']), 2)
	w.code(uint64(litCodes['b']), 2)
	w.code(uint64(litCodes[257]), 2)
	w.code(0, 1) // distance symbol 0: distance 1
	w.code(uint64(litCodes[256]), 2)
	want := []byte("abbbb")
	out := make([]byte, len(want))
	if _, err := d.Zlib(out, w.zlib(want)); err != nil || !bytes.Equal(out, want) {
		t.Errorf("one one-bit distance code: Zlib = %q, %v; want %q", out, err, want)
	}
	checkStd(t, w.zlib(want), want)

	// No distance codes (one length of zero) and literals only.
	w = &bitWriter{}
	dynamic(w, lit, []uint8{0}, prePlain)
	w.code(uint64(litCodes['b']), 2)
	w.code(uint64(litCodes[256]), 2)
	out = make([]byte, 1)
	if _, err := d.Zlib(out, w.zlib([]byte("b"))); err != nil || string(out) != "b" {
		t.Errorf("no distance code: Zlib = %q, %v; want \"b\"", out, err)
	}

	// The same, using a distance: invalid.
	w = &bitWriter{}
	dynamic(w, lit, []uint8{0}, prePlain)
	w.code(uint64(litCodes['b']), 2)
	w.code(uint64(litCodes[257]), 2)
	w.code(0, 1)
	w.code(uint64(litCodes[256]), 2)
	if _, err := d.Zlib(make([]byte, 4), w.zlib([]byte("bbbb"))); err == nil || !strings.Contains(err.Error(), "invalid distance code") {
		t.Errorf("a distance with no distance code: Zlib = %v, want invalid distance code", err)
	}

	for _, tt := range []struct {
		name string
		lit  []uint8
		want string
	}{
		{"over-subscribed", func() []uint8 { l := bytes.Clone(lit); l['c'] = 2; return l }(), "over-subscribed"},
		{"incomplete", func() []uint8 { l := bytes.Clone(lit); l['a'] = 3; return l }(), "incomplete"},
		{"no end of block", func() []uint8 { l := make([]uint8, 258); l['a'], l['b'] = 1, 1; return l }(), "end-of-block"},
	} {
		w = &bitWriter{}
		dynamic(w, tt.lit, []uint8{1}, prePlain)
		w.bits(0, 16)
		if _, err := d.Zlib(make([]byte, 1), w.zlib([]byte("a"))); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s literal code: Zlib = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// checkStd checks that compress/zlib reads src as want.
func checkStd(t *testing.T, src, want []byte) {
	t.Helper()
	r, err := zlib.NewReader(bytes.NewReader(src))
	if err != nil {
		t.Fatalf("compress/zlib: %v", err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("compress/zlib reads %q, %v; want %q", got, err, want)
	}
}

// FuzzZlib checks Zlib against compress/zlib on any input: where
// compress/zlib reads a whole stream, Zlib reads the same bytes, and where
// it fails, so does Zlib; never a panic.
func FuzzZlib(f *testing.F) {
	for _, in := range inputs() {
		if len(in) < 5000 {
			f.Add(zlibBytes(f, in, flate.DefaultCompression), 0)
			f.Add(zlibBytes(f, in, flate.HuffmanOnly), 1)
			f.Add(zlibBytes(f, in, flate.NoCompression), -1)
		}
	}
	var d Decoder
	f.Fuzz(func(t *testing.T, src []byte, delta int) {
		r, err := zlib.NewReader(bytes.NewReader(src))
		var want []byte
		if err == nil {
			want, err = io.ReadAll(io.LimitReader(r, 1<<20))
		}
		size := len(want) + delta%3
		if size < 0 || size > 1<<20 {
			size = len(want)
		}
		out := make([]byte, size)
		_, got := d.Zlib(out, src)
		switch {
		case err == nil && size == len(want) && got != nil:
			t.Fatalf("compress/zlib reads %d bytes; Zlib: %v", len(want), got)
		case err == nil && size == len(want) && !bytes.Equal(out, want):
			t.Fatalf("content differs from compress/zlib's")
		case (err != nil || size != len(want)) && got == nil:
			t.Fatalf("compress/zlib: %v (size %d of %d); Zlib: no error", err, size, len(want))
		}
	})
}

// FuzzZlibUpTo checks ZlibUpTo against compress/zlib on any input and any
// buffer: a stream that fits reads whole, as many bytes of src as
// compress/zlib takes; one that does not is ErrTooLong with the buffer
// holding its first bytes; a stream compress/zlib rejects is an error;
// and a stream compress/zlib reads, cut anywhere, is ErrShort.
func FuzzZlibUpTo(f *testing.F) {
	for _, in := range inputs() {
		if len(in) < 5000 {
			f.Add(zlibBytes(f, in, flate.DefaultCompression), uint16(len(in)), uint16(len(in)/2))
			f.Add(zlibBytes(f, in, flate.HuffmanOnly), uint16(len(in)/2), uint16(3))
			f.Add(zlibBytes(f, in, flate.NoCompression), uint16(len(in)+1), uint16(len(in)))
		}
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 8 {
		src, want := craftedStream(rng, 1+rng.IntN(4), 0, &coverage{})
		f.Add(src, uint16(len(want)), uint16(rng.IntN(len(src))))
	}
	var d Decoder
	f.Fuzz(func(t *testing.T, src []byte, size, cut uint16) {
		br := bytes.NewReader(src)
		r, err := zlib.NewReader(br)
		var want []byte
		if err == nil {
			want, err = io.ReadAll(io.LimitReader(r, 1<<20))
		}
		if len(want) == 1<<20 {
			return // not read to its end
		}
		stdUsed := len(src) - br.Len()
		out := make([]byte, size)
		n, used, got := d.ZlibUpTo(out, src)
		switch {
		case err != nil:
			if got == nil {
				t.Fatalf("compress/zlib: %v; ZlibUpTo: %d bytes, no error", err, n)
			}
		case len(want) <= len(out):
			if got != nil || n != len(want) || used != stdUsed || !bytes.Equal(out[:n], want) {
				t.Fatalf("compress/zlib reads %d bytes of %d of src; ZlibUpTo = %d, %d, %v", len(want), stdUsed, n, used, got)
			}
		default:
			if !errors.Is(got, ErrTooLong) || n > len(out) || !bytes.Equal(out[:n], want[:n]) {
				t.Fatalf("compress/zlib reads %d bytes; ZlibUpTo(%d-byte buffer) = %d, %v; want ErrTooLong and the first bytes", len(want), len(out), n, got)
			}
		}
		if err == nil && int(cut) < stdUsed {
			if _, _, got := d.ZlibUpTo(make([]byte, len(want)+int(size)), src[:cut]); !errors.Is(got, ErrShort) {
				t.Fatalf("cut at %d of %d: ZlibUpTo = %v; want ErrShort", cut, stdUsed, got)
			}
			if _, got := d.Zlib(make([]byte, len(want)), src[:cut]); !errors.Is(got, ErrShort) {
				t.Fatalf("cut at %d of %d: Zlib = %v; want ErrShort", cut, stdUsed, got)
			}
		}
	})
}
