package gitstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// mapAfter is how many reads the files of a repository serve with pread,
// together, before each is mapped.
var mapAfter int64 = 1 << 14

// fileBytes is a large file read in place: a pack, its index, a
// commit-graph. It is read with pread until the files of its repository
// have served mapAfter reads together, and mapped from then on. An audit
// of a short range reads a few thousand places, far apart, of files of
// hundreds of MB: through a mapping each cost a page fault that maps
// sixteen pages, and the teardown of all of them when the file is
// unmapped (measured on a 1,000-commit window of a million merges: 44-49
// ms mapped against 38 ms read). An audit of the whole history reads most
// of each file, and is faster mapped, however many packs it is spread
// over: hence one count for all. Safe for concurrent use.
type fileBytes struct {
	name  string
	f     *os.File // nil when the bytes were given
	size  int64
	m     atomic.Pointer[[]byte] // the mapping, once made, or the bytes given
	reads *atomic.Int64          // the reads of all the repository's files
	mu    sync.Mutex             // making the mapping
	unmap func() error
}

// openFileBytes opens the file at path, without mapping it, its reads
// counted in reads (nil: its own count).
func openFileBytes(path string, reads *atomic.Int64) (*fileBytes, error) {
	if reads == nil {
		reads = new(atomic.Int64)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileBytes{name: path, f: f, size: st.Size(), reads: reads}, nil
}

// bytesFile is a fileBytes over b, already in memory.
func bytesFile(name string, b []byte) *fileBytes {
	fb := &fileBytes{name: name, size: int64(len(b)), reads: new(atomic.Int64)}
	fb.m.Store(&b)
	return fb
}

// mapped returns the mapping, nil when there is none yet.
func (fb *fileBytes) mapped() []byte {
	if m := fb.m.Load(); m != nil {
		return *m
	}
	return nil
}

// all returns the whole file, mapping it now if need be.
func (fb *fileBytes) all() ([]byte, error) {
	if m := fb.m.Load(); m != nil {
		return *m, nil
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if m := fb.m.Load(); m != nil {
		return *m, nil
	}
	if fb.f == nil {
		return nil, fmt.Errorf("%s: %w", fb.name, os.ErrClosed)
	}
	// The file opened, not the one at its path now: git replaces a
	// commit-graph by renaming a new one over it.
	b, unmap, err := mapFile(fb.f, fb.size)
	if err != nil {
		return nil, err
	}
	fb.unmap = unmap
	fb.m.Store(&b)
	return b, nil
}

// at returns the n bytes at off: the mapping's, or read into buf (grown
// when short). Bytes past the end of the file are an error.
func (fb *fileBytes) at(off int64, n int, buf []byte) ([]byte, error) {
	if off < 0 || n < 0 || off > fb.size-int64(n) {
		return nil, fmt.Errorf("%s: %d bytes at %d: past its end (%d bytes)", fb.name, n, off, fb.size)
	}
	if m := fb.source(); m != nil {
		return m[off : off+int64(n)], nil
	}
	return fb.pread(off, n, buf)
}

// pread reads the n bytes at off, within the file, into buf (grown when
// short), without counting the read: at and from count it.
func (fb *fileBytes) pread(off int64, n int, buf []byte) ([]byte, error) {
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := fb.f.ReadAt(buf, off); err == io.EOF {
		// A short read: never half a buffer of what it held before.
		return nil, fmt.Errorf("%s: %d bytes at %d: the file is shorter than when it was opened (%d bytes): %w", fb.name, n, off, fb.size, io.ErrUnexpectedEOF)
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", fb.name, err)
	}
	return buf, nil
}

// from returns at least min(n, size-off) bytes from off: all the rest of
// the mapping, or as many read into *buf, which it grows when short.
func (fb *fileBytes) from(off int64, n int, buf *[]byte) ([]byte, error) {
	if off < 0 || off > fb.size {
		return nil, fmt.Errorf("%s: offset %d past its end (%d bytes)", fb.name, off, fb.size)
	}
	if m := fb.source(); m != nil {
		return m[off:], nil
	}
	n = int(min(int64(n), fb.size-off))
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	return fb.pread(off, n, *buf)
}

// source returns the mapping to read from, making it when the file has
// been read mapAfter times; nil: read with pread.
func (fb *fileBytes) source() []byte {
	if m := fb.m.Load(); m != nil {
		return *m
	}
	if fb.reads.Add(1) <= mapAfter {
		return nil
	}
	m, err := fb.all()
	if err != nil {
		return nil // reading on with pread is slower, not wrong
	}
	return m
}

// close unmaps and closes the file.
func (fb *fileBytes) close() error {
	var err error
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.unmap != nil {
		err = fb.unmap()
		fb.unmap = nil
	}
	fb.m.Store(nil)
	if fb.f != nil {
		if cerr := fb.f.Close(); err == nil {
			err = cerr
		}
		fb.f = nil
	}
	return err
}

// nameWindow is how many names a pread look-up reads at a time: 4 KB,
// where an interpolated guess falls within about 80 names of the name
// sought in a bucket of a million-merge pack's 23,000.
const nameWindow = 204

// findName looks h up in a sorted table of 20-byte names that starts at
// base in fb, between positions lo and hi (the fan-out bucket of h's first
// byte): its position, and whether it is there. Object names are uniformly
// distributed, so a guess interpolated on their first 8 bytes lands near
// the name: mapped, a few interpolation steps narrow the bucket to a
// handful of names before a binary search (each probe is a cache miss in
// a large index); read, a window of names around the guess usually holds
// it.
func findName(fb *fileBytes, base int64, lo, hi int, h *[20]byte) (int, bool) {
	if lo >= hi {
		return lo, false
	}
	key := binary.BigEndian.Uint64(h[:8])
	if m := fb.mapped(); m != nil {
		return findNameMapped(m[base:], lo, hi, h, key)
	}
	// The bucket's names share h's first byte: they lie between these.
	klo, khi := uint64(h[0])<<56, uint64(h[0])<<56|(1<<56-1)
	var buf [nameWindow * 20]byte
	for lo < hi {
		start, n := lo, hi-lo
		if n > nameWindow {
			guess := lo + int(float64(key-klo)/(float64(khi-klo)+1)*float64(n))
			start, n = min(max(guess-nameWindow/2, lo), hi-nameWindow), nameWindow
		}
		b, err := fb.at(base+int64(start)*20, n*20, buf[:])
		if err != nil {
			return lo, false
		}
		switch {
		case bytes.Compare(h[:], b[:20]) < 0:
			hi, khi = start, binary.BigEndian.Uint64(b)
		case bytes.Compare(h[:], b[len(b)-20:]) > 0:
			lo, klo = start+n, binary.BigEndian.Uint64(b[len(b)-20:])
		default:
			i := searchNames(b, 0, n, h)
			return start + i, i < n && bytes.Equal(b[i*20:i*20+20], h[:])
		}
	}
	return lo, false
}

// findNameMapped is findName in the mapped table names.
func findNameMapped(names []byte, lo, hi int, h *[20]byte, key uint64) (int, bool) {
	for range 4 {
		if hi-lo < 16 {
			break
		}
		kl := binary.BigEndian.Uint64(names[lo*20:])
		kh := binary.BigEndian.Uint64(names[(hi-1)*20:])
		if key < kl || key > kh {
			return lo, false
		}
		if kh == kl {
			break
		}
		mid := lo + int(float64(key-kl)/float64(kh-kl)*float64(hi-1-lo))
		mid = min(max(mid, lo), hi-1)
		mk := binary.BigEndian.Uint64(names[mid*20:])
		if mk == key {
			break // equal prefixes: the full comparison decides
		}
		if mk < key {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	end := hi
	lo = searchNames(names, lo, hi, h)
	return lo, lo < end && bytes.Equal(names[lo*20:lo*20+20], h[:])
}

// searchNames returns the position among names[lo:hi] (20 bytes each,
// sorted) of the first name not below h.
func searchNames(names []byte, lo, hi int, h *[20]byte) int {
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if bytes.Compare(names[mid*20:mid*20+20], h[:]) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
