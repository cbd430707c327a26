package gitstore

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/twokey/twokey/internal/inflate"
)

// readLoose reads the loose object h (objects/ab/cdef…), into buf when it
// fits. It is the look-up of every note when a repository keeps its notes
// loose (git writes each note so until gc packs it), so it costs one open,
// one read and one close, and inflates with a pooled inflate.Decoder (see
// inflateLoose).
func (o *objectReader) readLoose(h *[20]byte, buf []byte) (int, []byte, error) {
	if o.dir == "" { // packs received over the network only
		return 0, nil, errObjectNotFound
	}
	var name [41]byte // ab/cdef…
	hex.Encode(name[:2], h[:1])
	name[2] = '/'
	hex.Encode(name[3:], h[1:])
	scratch := o.getScratch()
	defer o.putScratch(scratch)
	raw, complete, err := o.loose.read(string(name[:]), (*scratch)[:0])
	if cap(raw) > cap(*scratch) {
		*scratch = raw[:0]
	}
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, errObjectNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("loose object %x: %w", h[:], err)
	}
	typ, data, err := o.inflateLoose(raw, buf)
	if err != nil && !complete {
		// The one read stopped short of the end of the file: read it all.
		if raw, err = os.ReadFile(filepath.Join(o.dir, string(name[:]))); err == nil {
			typ, data, err = o.inflateLoose(raw, buf)
		}
	}
	if err != nil {
		path := filepath.Join(o.dir, filepath.FromSlash(string(name[:])))
		return 0, nil, fmt.Errorf("loose object %x: file %s is broken (git fsck lists every broken object; fetch or restore a good copy): %w", h[:], path, err)
	}
	return typ, data, nil
}

// looseFirstInflate bounds the memory a loose object is first inflated
// into: most notes, trees and commits fit four times their file, and an
// object that does not is inflated a second time, at the size its header
// gives, into the memory it is returned in.
const looseFirstInflate = 1 << 20

// inflateLoose decompresses a loose object file: a zlib stream of
// "<type> <size>\x00" and the content, written into buf when it fits. The
// stream is inflated into pooled memory of a size most objects fit in
// (four times the file, at most looseFirstInflate: their header tells their
// size, but only once inflated), and inflated again at its size when it
// did not fit.
func (o *objectReader) inflateLoose(raw, buf []byte) (int, []byte, error) {
	d, _ := o.decoders.Get().(*inflate.Decoder)
	if d == nil {
		d = new(inflate.Decoder)
	}
	defer o.decoders.Put(d)
	scratch := o.getScratch()
	defer o.putScratch(scratch)
	guess := min(4*len(raw)+256, looseFirstInflate)
	if cap(*scratch) < guess {
		*scratch = make([]byte, guess)
	}
	all := (*scratch)[:guess]
	n, _, err := d.ZlibUpTo(all, raw)
	tooLong := errors.Is(err, inflate.ErrTooLong)
	if err != nil && !tooLong {
		return 0, nil, looseStreamError(err)
	}
	typ, size, hdr, err := looseHeader(all[:n], len(raw))
	if err != nil {
		return 0, nil, err
	}
	if tooLong {
		// Again, whole, into the memory returned: the content is then
		// moved over its header.
		if hdr+size <= n {
			return 0, nil, fmt.Errorf("content longer than the %d bytes of its header", size)
		}
		if cap(buf) >= hdr+size {
			all = buf[:hdr+size]
		} else {
			all = make([]byte, hdr+size)
		}
		if n, _, err = d.ZlibUpTo(all, raw); errors.Is(err, inflate.ErrTooLong) {
			return 0, nil, fmt.Errorf("content longer than the %d bytes of its header", size)
		} else if err != nil {
			return 0, nil, looseStreamError(err)
		}
		if n-hdr < size {
			return 0, nil, io.ErrUnexpectedEOF
		}
		copy(all, all[hdr:n])
		return typ, all[:size], nil
	}
	switch content := n - hdr; {
	case content > size:
		return 0, nil, fmt.Errorf("content longer than the %d bytes of its header", size)
	case content < size:
		return 0, nil, io.ErrUnexpectedEOF
	}
	out := buf
	if cap(out) < size {
		out = make([]byte, size)
	}
	out = out[:size]
	copy(out, all[hdr:n])
	return typ, out, nil
}

// looseStreamError is err, of a loose object's stream; one that ends
// early is io.ErrUnexpectedEOF too, for readLoose to read the rest of a
// file it read only the start of.
func looseStreamError(err error) error {
	if errors.Is(err, inflate.ErrShort) {
		return fmt.Errorf("%w (%w)", io.ErrUnexpectedEOF, err)
	}
	return err
}

// looseHeader reads the "<type> <size>\x00" a loose object's content
// starts with, of a file of n bytes: the type, the size and where the
// content starts.
func looseHeader(b []byte, n int) (typ, size, hdr int, err error) {
	nul := bytes.IndexByte(b[:min(len(b), 64)], 0)
	if nul < 0 {
		if len(b) < 64 {
			return 0, 0, 0, io.ErrUnexpectedEOF
		}
		return 0, 0, 0, errors.New("bad header")
	}
	sp := bytes.IndexByte(b[:nul], ' ')
	if sp < 0 {
		return 0, 0, 0, errors.New("bad header")
	}
	switch string(b[:sp]) {
	case "commit":
		typ = objCommit
	case "tree":
		typ = objTree
	case "blob":
		typ = objBlob
	case "tag":
		typ = objTag
	default:
		return 0, 0, 0, fmt.Errorf("bad header: unknown type %q", b[:sp])
	}
	for _, c := range b[sp+1 : nul] {
		if c < '0' || c > '9' || size > (n*1032-int(c-'0'))/10 { // deflate expands at most 1032:1
			return 0, 0, 0, fmt.Errorf("bad header: size %q", b[sp+1:nul])
		}
		size = size*10 + int(c-'0')
	}
	if sp+1 == nul {
		return 0, 0, 0, errors.New("bad header: no size")
	}
	if b[sp+1] == '0' && nul > sp+2 {
		return 0, 0, 0, fmt.Errorf("bad header: size %q is not in canonical decimal, as git requires", b[sp+1:nul])
	}
	return typ, size, nul + 1, nil
}
