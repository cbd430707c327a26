package gitstore

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// A handObject is one entry of a pack written by hand: a whole object, an
// ofs-delta on an earlier entry, or a ref-delta on a name.
type handObject struct {
	typ     int    // objCommit…objTag, objOfsDelta, objRefDelta
	content []byte // a whole object's content, or the delta
	name    [20]byte
	base    int      // objOfsDelta: the position of its base in the pack
	baseRef [20]byte // objRefDelta: its base's name
	stream  []byte   // the zlib stream, when not zlibOf(content)
}

// wholeObject is the entry of an object of type typ whose name is its
// SHA-1, as git names it.
func wholeObject(typ int, content []byte) handObject {
	h := sha1.Sum(fmt.Appendf(nil, "%s %d\x00%s", typeNames[typ], len(content), content))
	return handObject{typ: typ, content: content, name: h}
}

// packHeader is a pack entry's type and size header.
func packHeader(typ, size int) []byte {
	c := byte(typ<<4) | byte(size&15)
	size >>= 4
	var b []byte
	for size > 0 {
		b = append(b, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(b, c)
}

// ofsBytes encodes an ofs-delta's distance to its base as git does.
func ofsBytes(rel int64) []byte {
	b := []byte{byte(rel & 0x7f)}
	for rel >>= 7; rel > 0; rel >>= 7 {
		rel--
		b = append([]byte{0x80 | byte(rel&0x7f)}, b...)
	}
	return b
}

// handPackBytes writes objs as a pack and its index.
func handPackBytes(t testing.TB, objs ...handObject) (data, idx []byte) {
	t.Helper()
	var entries [][]byte
	var offs []int64
	var table []entry
	off := int64(12)
	for _, o := range objs {
		e := packHeader(o.typ, len(o.content))
		switch o.typ {
		case objOfsDelta:
			e = append(e, ofsBytes(off-offs[o.base])...)
		case objRefDelta:
			e = append(e, o.baseRef[:]...)
		}
		stream := o.stream
		if stream == nil {
			stream = zlibOf(o.content)
		}
		e = append(e, stream...)
		entries = append(entries, e)
		offs = append(offs, off)
		table = append(table, entry{hash: o.name, off: off})
		off += int64(len(e))
	}
	data = packOf(t, len(objs), entries...)
	return data, packIndex(table, data[len(data)-20:])
}

// handRepo writes packs of objs (one pack per slice) into a new objects
// directory and opens an objectReader on it.
func handRepo(t *testing.T, packs ...[]handObject) *objectReader {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pack"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, objs := range packs {
		data, idx := handPackBytes(t, objs...)
		name := filepath.Join(dir, "pack", fmt.Sprintf("pack-%040d", i))
		if err := os.WriteFile(name+".pack", data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name+".idx", idx, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o, err := newObjectReader(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.close() })
	return o
}

// deltaOf is a git delta that makes target from base: copies of the
// prefix and suffix they share, and target's middle inserted.
func deltaOf(base, target []byte) []byte {
	varint := func(b []byte, v int) []byte {
		for v >= 0x80 {
			b = append(b, byte(v)|0x80)
			v >>= 7
		}
		return append(b, byte(v))
	}
	copyOp := func(d []byte, off, n int) []byte {
		if n == 0 {
			return d
		}
		return append(d, 0x80|0x0f|0x30, byte(off), byte(off>>8), byte(off>>16), byte(off>>24), byte(n), byte(n>>8))
	}
	p := 0
	for p < len(base) && p < len(target) && base[p] == target[p] {
		p++
	}
	s := 0
	for s < len(base)-p && s < len(target)-p && base[len(base)-1-s] == target[len(target)-1-s] {
		s++
	}
	d := varint(varint(nil, len(base)), len(target))
	d = copyOp(d, 0, p)
	for rest := target[p : len(target)-s]; len(rest) > 0; {
		k := min(len(rest), 127)
		d = append(d, byte(k))
		d = append(d, rest[:k]...)
		rest = rest[k:]
	}
	return copyOp(d, len(base)-s, s)
}

// testCommit is a commit's content, its message made of msg.
func testCommit(msg string) []byte {
	return []byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" +
		"author A U Thor <a@example.com> 1700000000 +0000\n" +
		"committer A U Thor <a@example.com> 1700000000 +0000\n\n" + msg + "\n")
}

// TestReadCommitDoesNotAdoptCachedBase: a walk's commit buffer, nil at
// its first read, must not become the memory of a cached delta base (a
// commit that is another commit's base, read through that commit first):
// the next commit read into it would overwrite the cached base, and every
// later read of that base, or of an object deltified on it, would be
// another object's bytes.
func TestReadCommitDoesNotAdoptCachedBase(t *testing.T) {
	base := wholeObject(objCommit, testCommit("Merge pull request #1 from acme/brief-1\n\n"+string(bytes.Repeat([]byte("signed off by both keys\n"), 20))))
	onBase := testCommit("Merge pull request #2 from acme/brief-2\n\n" + string(bytes.Repeat([]byte("signed off by both keys\n"), 20)))
	delta := handObject{typ: objOfsDelta, content: deltaOf(base.content, onBase), base: 0, name: wholeObject(objCommit, onBase).name}
	other := wholeObject(objCommit, testCommit("Merge pull request #3 from acme/brief-3, which is rather longer than the others\n\n"+string(bytes.Repeat([]byte("x"), 400))))
	o := handRepo(t, []handObject{base, delta, other})
	r := &Repo{objects: o}

	// The delta first: its base is cached.
	if typ, data, err := o.read(&delta.name); err != nil || typ != objCommit || !bytes.Equal(data, onBase) {
		t.Fatalf("read(delta) = %d, %q, %v; want the commit it makes", typ, data, err)
	}
	// A walk then reads the base with a fresh buffer, then another commit.
	var buf []byte
	var at readHint
	for _, h := range [][20]byte{base.name, other.name} {
		if _, _, err := r.readCommit(&h, 1, &buf, &at); err != nil {
			t.Fatalf("readCommit(%x): %v", h, err)
		}
	}
	for _, c := range []struct {
		name [20]byte
		want []byte
	}{{base.name, base.content}, {delta.name, onBase}, {other.name, other.content}} {
		if _, data, err := o.read(&c.name); err != nil || !bytes.Equal(data, c.want) {
			t.Errorf("after the walk, read(%x) = a commit %q, %v; want %q", c.name, subject(data), err, subject(c.want))
		}
	}
}

// subject is the first line of a commit's message.
func subject(c []byte) []byte {
	_, msg, _ := bytes.Cut(c, []byte("\n\n"))
	line, _, _ := bytes.Cut(msg, []byte("\n"))
	return line
}

// TestRefDeltaCycle: ref-deltas whose bases lead back to themselves, in
// one pack or across two (where the base is looked up by name among all
// the objects), are an error, not an endless recursion.
func TestRefDeltaCycle(t *testing.T) {
	// A stack overflow is fatal: keep a regression quick and small.
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	a, b := sha1Of("a"), sha1Of("b")
	d := deltaOf([]byte("x"), []byte("y"))
	aOnB := handObject{typ: objRefDelta, content: d, name: a, baseRef: b}
	bOnA := handObject{typ: objRefDelta, content: d, name: b, baseRef: a}
	for name, packs := range map[string][][]handObject{
		"one pack":  {{aOnB, bOnA}},
		"two packs": {{aOnB}, {bOnA}},
		"itself":    {{{typ: objRefDelta, content: d, name: a, baseRef: a}}},
	} {
		o := handRepo(t, packs...)
		if typ, data, err := o.read(&a); err == nil || !strings.Contains(err.Error(), "delta chain too long") {
			t.Errorf("%s: read = %d, %q, %v; want an error: delta chain too long", name, typ, data, err)
		}
	}
}

// paddedStream is a zlib stream of content, without its checksum, longer
// than any encoder makes it: empty stored blocks, then content stored.
func paddedStream(content []byte, empty int) []byte {
	z := []byte{0x78, 0x01}
	for range empty {
		z = append(z, 0x00, 0x00, 0x00, 0xff, 0xff) // not final, stored, 0 bytes
	}
	for {
		n := min(len(content), 0xffff)
		final := byte(0)
		if n == len(content) {
			final = 1
		}
		z = append(z, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		z = append(z, content[:n]...)
		if content = content[n:]; final == 1 {
			return z
		}
	}
}

// TestReadPackedLongStreams: objects whose zlib stream is longer than the
// bound readPacked reads at first (zlib accepts them, git reads them) read
// right, in the middle of a pack and at its end, whole or as a delta, with
// the pack read or mapped.
func TestReadPackedLongStreams(t *testing.T) {
	small := []byte("a note\n")
	big := bytes.Repeat([]byte("0123456789abcdef"), 700) // past the 4 KB chunk
	padded := func(typ int, content []byte, empty int) handObject {
		o := wholeObject(typ, content)
		o.stream = withAdler(paddedStream(content, empty), content)
		return o
	}
	first := padded(objBlob, small, 1000)
	bigBlob := padded(objBlob, big, 3)
	onBig := append(bytes.Clone(big), "and a line more\n"...)
	d := deltaOf(big, onBig)
	delta := handObject{typ: objOfsDelta, content: d, base: 1, name: wholeObject(objBlob, onBig).name, stream: withAdler(paddedStream(d, 2000), d)}
	empty := padded(objBlob, nil, 900)
	last := padded(objBlob, small[:3], 5000)
	objs := []handObject{first, bigBlob, delta, empty, last}
	want := [][]byte{small, big, onBig, {}, small[:3]}
	old := mapAfter
	t.Cleanup(func() { mapAfter = old })
	for _, after := range []int64{1 << 40, 0} {
		mapAfter = after
		o := handRepo(t, objs)
		for i, obj := range objs {
			for _, buf := range [][]byte{nil, make([]byte, 0, 10)} {
				typ, data, err := o.readHinted(&obj.name, buf, nil)
				if err != nil || typ != objBlob || !bytes.Equal(data, want[i]) {
					t.Errorf("mapAfter %d: object %d: read = %d, %d bytes, %v; want a blob of %d bytes", after, i, typ, len(data), err, len(want[i]))
				}
			}
		}
	}
}

// withAdler ends stream with the checksum of content.
func withAdler(stream, content []byte) []byte {
	return binary.BigEndian.AppendUint32(stream, adler32.Checksum(content))
}
