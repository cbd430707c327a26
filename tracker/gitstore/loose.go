package gitstore

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// readLoose reads the loose object h (objects/ab/cdef…), into buf when it
// fits. It is the look-up of every note when a repository keeps its notes
// loose (git writes each note so until gc packs it), so it costs one open,
// one read and one close, and inflates with a pooled zlib reader straight
// into the result.
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
	if errors.Is(err, io.ErrUnexpectedEOF) && !complete {
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

// inflateLoose decompresses a loose object file: a zlib stream of
// "<type> <size>\x00" and the content, written into buf when it fits.
func (o *objectReader) inflateLoose(raw, buf []byte) (int, []byte, error) {
	z, err := o.getInflater(raw)
	if err != nil {
		return 0, nil, err
	}
	defer o.inflaters.Put(z)
	var hdr [64]byte
	n, nul := 0, -1
	for nul < 0 && n < len(hdr) {
		m, err := z.zr.Read(hdr[n:])
		n += m
		nul = bytes.IndexByte(hdr[:n], 0)
		if err == io.EOF && nul < 0 {
			return 0, nil, io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return 0, nil, err
		}
	}
	sp := bytes.IndexByte(hdr[:n], ' ')
	if nul < 0 || sp < 0 || sp > nul {
		return 0, nil, errors.New("bad header")
	}
	var typ int
	switch string(hdr[:sp]) {
	case "commit":
		typ = objCommit
	case "tree":
		typ = objTree
	case "blob":
		typ = objBlob
	case "tag":
		typ = objTag
	default:
		return 0, nil, fmt.Errorf("bad header: unknown type %q", hdr[:sp])
	}
	size := 0
	for _, c := range hdr[sp+1 : nul] {
		if c < '0' || c > '9' || size > (len(raw)*1032-int(c-'0'))/10 { // deflate expands at most 1032:1
			return 0, nil, fmt.Errorf("bad header: size %q", hdr[sp+1:nul])
		}
		size = size*10 + int(c-'0')
	}
	if sp+1 == nul {
		return 0, nil, errors.New("bad header: no size")
	}
	rest := hdr[nul+1 : n]
	if len(rest) > size {
		return 0, nil, fmt.Errorf("content longer than the %d bytes of its header", size)
	}
	out := buf
	if cap(out) < size {
		out = make([]byte, size)
	}
	out = out[:size]
	copy(out, rest)
	if _, err := io.ReadFull(z.zr, out[len(rest):]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	// The end of the stream, and its checksum, must follow.
	var one [1]byte
	if m, err := z.zr.Read(one[:]); m != 0 || err != io.EOF {
		if err == nil || m != 0 {
			return 0, nil, fmt.Errorf("content longer than the %d bytes of its header", size)
		}
		return 0, nil, err
	}
	return typ, out, nil
}
