package gitstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/twokey/twokey/internal/inflate"
)

// Object types as stored in packs.
const (
	objCommit   = 1
	objTree     = 2
	objBlob     = 3
	objTag      = 4
	objOfsDelta = 6
	objRefDelta = 7
)

var errObjectNotFound = errors.New("object not found")

// objectReader reads raw objects straight from a repository's pack files
// (read with pread, then mapped: see fileBytes; looked up through their
// .idx) and loose objects, inflating only the objects asked for. It is the
// audit's hot path: go-git's object decoding costs several times more per
// commit. Objects it cannot
// find (alternates, a repository layout it does not know) come from go-git.
// Safe for concurrent use: the packs are read-only, decoders come from a
// pool, and the delta-base cache and go-git are behind locks.
type objectReader struct {
	dir      string // the objects directory
	loose    looseDir
	packs    []*pack
	decoders sync.Pool // *inflate.Decoder
	scratch  sync.Pool // *[]byte, for deltas being applied

	fallbackMu sync.Mutex
	fallback   storer.EncodedObjectStorer
	fallbacks  int // objects read through go-git, for the tests

	filter *packFilter // nil with fewer than two packs on disk
	cache  baseCache
	reads  atomic.Int64 // of the packs' files and the commit-graph's (see fileBytes)
}

type pack struct {
	name   string
	data   *fileBytes // the .pack file
	idx    *fileBytes // the .idx file (version 2)
	n      int
	fanout [256]uint32
}

func newObjectReader(objectsDir string, fallback storer.EncodedObjectStorer) (*objectReader, error) {
	o := &objectReader{dir: objectsDir, fallback: fallback, loose: openLooseDir(objectsDir)}
	o.cache.init(4096)
	idxs, err := filepath.Glob(filepath.Join(objectsDir, "pack", "*.idx"))
	if err != nil {
		return nil, err
	}
	for _, idx := range idxs {
		p, err := openPack(idx, &o.reads)
		if err != nil {
			o.close()
			return nil, err
		}
		if p != nil {
			o.packs = append(o.packs, p)
		}
	}
	if len(o.packs) > 1 {
		if o.filter, err = newPackFilter(o.packs, denseObjects); err != nil {
			o.close()
			return nil, err
		}
	}
	return o, nil
}

func (o *objectReader) close() error {
	var errs []error
	for _, p := range o.packs {
		errs = append(errs, p.close())
	}
	o.packs = nil
	o.filter = nil
	errs = append(errs, o.loose.close())
	return errors.Join(errs...)
}

func (p *pack) close() error {
	return errors.Join(p.idx.close(), p.data.close())
}

func openPack(idxPath string, reads *atomic.Int64) (*pack, error) {
	packPath := strings.TrimSuffix(idxPath, ".idx") + ".pack"
	if _, err := os.Stat(packPath); err != nil {
		return nil, nil // an .idx without its pack (being written or removed): skip it
	}
	idx, err := openFileBytes(idxPath, reads)
	if err != nil {
		return nil, err
	}
	data, err := openFileBytes(packPath, reads)
	if err != nil {
		idx.close()
		return nil, err
	}
	return newPack(packPath, data, idx)
}

// newPack checks a pack and its version 2 index; it closes them when they
// do not check.
func newPack(name string, data, idx *fileBytes) (*pack, error) {
	p, err := checkPack(name, data, idx)
	if err != nil {
		idx.close()
		data.close()
		return nil, err
	}
	return p, nil
}

func checkPack(name string, data, idx *fileBytes) (*pack, error) {
	idxPath, packPath := strings.TrimSuffix(name, ".pack")+".idx", name
	p := &pack{name: packPath, data: data, idx: idx}
	head, err := idx.at(0, 8+256*4, nil)
	if err != nil || !bytes.Equal(head[:4], []byte{0xff, 't', 'O', 'c'}) || binary.BigEndian.Uint32(head[4:]) != 2 {
		return nil, fmt.Errorf("pack index %s: not a version 2 index (run git gc)", idxPath)
	}
	if ph, err := data.at(0, 12, nil); err != nil || string(ph[:4]) != "PACK" {
		return nil, fmt.Errorf("pack %s: bad header", packPath)
	}
	for i := range 256 {
		p.fanout[i] = binary.BigEndian.Uint32(head[8+4*i:])
	}
	p.n = int(p.fanout[255])
	if idx.size < int64(8+256*4)+int64(p.n)*(20+4+4) {
		return nil, fmt.Errorf("pack index %s: truncated", idxPath)
	}
	return p, nil
}

// names returns the index's table of object names, mapping it.
func (p *pack) names() ([]byte, error) {
	idx, err := p.idx.all()
	if err != nil {
		return nil, err
	}
	return idx[8+256*4 : 8+256*4+p.n*20], nil
}

// find returns the offset of h in the pack.
func (p *pack) find(h *[20]byte) (int64, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(p.fanout[h[0]-1])
	}
	hi := int(p.fanout[h[0]])
	if hi > p.n || lo > hi {
		return 0, false
	}
	i, ok := findName(p.idx, 8+256*4, lo, hi, h)
	if !ok {
		return 0, false
	}
	var buf [8]byte
	b, err := p.idx.at(int64(8+256*4+p.n*24+i*4), 4, buf[:])
	if err != nil {
		return 0, false
	}
	off := binary.BigEndian.Uint32(b)
	if off&0x80000000 == 0 {
		return int64(off), true
	}
	j := int64(off & 0x7fffffff)
	b, err = p.idx.at(int64(8+256*4+p.n*28)+j*8, 8, buf[:])
	if err != nil {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b)), true
}

// A readHint remembers where a run of reads last found an object, to look
// there first for the next, as git tries the pack it last found an object
// in first: a walk's commits all come from one pack, and the objects of a
// notes tree are mostly loose (as git notes writes them) or mostly packed.
// A hint that is wrong costs one look-up; a read without one searches the
// packs, then the loose objects. Safe for concurrent use.
type readHint struct {
	at atomic.Int32 // 0: nothing found yet; hintLoose; otherwise a pack's position + 1
}

const hintLoose = -1

func (h *readHint) load() int32 {
	if h == nil {
		return 0
	}
	return h.at.Load()
}

func (h *readHint) store(at int32) {
	if h != nil && h.at.Load() != at {
		h.at.Store(at)
	}
}

// read returns the type and content of object h. The content may be shared
// with the delta-base cache and later calls: never write to it.
func (o *objectReader) read(h *[20]byte) (int, []byte, error) {
	return o.readHinted(h, nil, nil)
}

// readHinted is read with a buffer and a hint. The content is written to
// buf's memory when it fits, so the caller must be done with the content
// before reusing buf; with a nil buf it may be the delta-base cache's, so
// it must never become a buffer to read into. It looks first where hint
// (nil: none) says the last object was found, and remembers in hint where
// h was. An object both loose and packed reads the same from either; of a
// loose copy that does not read (a broken file) the packed one is read, as
// git reads packs first.
func (o *objectReader) readHinted(h *[20]byte, buf []byte, hint *readHint) (int, []byte, error) {
	at := hint.load()
	var looseErr error
	switch {
	case at == hintLoose:
		typ, data, err := o.readLoose(h, buf)
		if err == nil {
			return typ, data, nil
		}
		if !errors.Is(err, errObjectNotFound) {
			looseErr = err
		}
	case at > 0 && int(at) <= len(o.packs):
		if off, ok := o.packs[at-1].find(h); ok {
			return o.readPacked(int(at-1), off, 0, buf)
		}
	}
	if pi, off, ok := o.findPacked(h); ok {
		hint.store(int32(pi + 1))
		return o.readPacked(pi, off, 0, buf)
	}
	if looseErr != nil {
		return 0, nil, looseErr
	}
	if at != hintLoose {
		if typ, data, err := o.readLoose(h, buf); err == nil {
			hint.store(hintLoose)
			return typ, data, nil
		} else if !errors.Is(err, errObjectNotFound) {
			return 0, nil, err
		}
	}
	if o.fallback != nil {
		if typ, data, err := o.readFallback(h); err == nil {
			return typ, data, nil
		} else if !errors.Is(err, plumbing.ErrObjectNotFound) {
			return 0, nil, fmt.Errorf("object %x: %w", h[:], err)
		}
	}
	return 0, nil, fmt.Errorf("object %x: %w", h[:], errObjectNotFound)
}

// readFallback reads h through go-git, one caller at a time.
func (o *objectReader) readFallback(h *[20]byte) (int, []byte, error) {
	o.fallbackMu.Lock()
	defer o.fallbackMu.Unlock()
	o.fallbacks++
	obj, err := o.fallback.EncodedObject(plumbing.AnyObject, plumbing.Hash(*h))
	if err != nil {
		return 0, nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	return int(obj.Type()), data, err
}

// readChunk is how much of a pack readPacked reads at first, when the pack
// is not mapped: the header and the whole stream of most objects.
const readChunk = 4096

// readPacked reads the object at off in pack pi, resolving deltas. The
// object asked for (depth 0) is written into buf when it fits; the bases of
// its delta chain are fresh memory, kept in the cache and never written to.
func (o *objectReader) readPacked(pi int, off int64, depth int, buf []byte) (int, []byte, error) {
	if depth > 0 {
		buf = nil
	}
	if depth > 10000 {
		return 0, nil, fmt.Errorf("pack %s: delta chain too long at %d", o.packs[pi].name, off)
	}
	p := o.packs[pi]
	if off < 12 || off >= p.data.size {
		return 0, nil, fmt.Errorf("pack %s: offset %d out of range", p.name, off)
	}
	// A base read before, maybe asked for itself now (a delta chain walked
	// from its deepest object).
	if typ, data, ok := o.cache.get(pi, off); ok {
		if depth > 0 || buf == nil {
			return typ, data, nil
		}
		return typ, append(buf[:0], data...), nil
	}
	raw := o.getScratch()
	defer o.putScratch(raw)
	d, err := p.data.from(off, readChunk, raw)
	if err != nil {
		return 0, nil, fmt.Errorf("pack %s: %w", p.name, err)
	}
	typ, size, i, ok := entryHeader(d)
	if !ok {
		return 0, nil, fmt.Errorf("pack %s: truncated object at %d", p.name, off)
	}
	if size > uint64(p.data.size)*1032 { // deflate expands at most 1032:1
		return 0, nil, fmt.Errorf("pack %s: object at %d: size %d beyond what the pack can hold", p.name, off, size)
	}
	var baseType int
	var base []byte
	switch typ {
	case objCommit, objTree, objBlob, objTag:
	case objOfsDelta, objRefDelta:
		var n int
		if baseType, base, n, err = o.deltaBase(pi, off, typ, d[i:], depth); err != nil {
			return 0, nil, err
		}
		i += n
	default:
		return 0, nil, fmt.Errorf("pack %s: unknown object type %d at %d", p.name, typ, off)
	}
	// The stream, whole: what was read holds it unless it is longer than
	// the chunk. zlib never makes a stream longer than 1.14 times its
	// content and 11 bytes; one that is, read short, fails to inflate and
	// is read again from the mapped pack.
	stream := d[i:]
	if bound := int64(size) + int64(size>>3) + int64(size>>6) + 64; int64(len(stream)) < bound && p.data.mapped() == nil {
		if d, err = p.data.from(off, i+int(min(bound, p.data.size)), raw); err != nil {
			return 0, nil, fmt.Errorf("pack %s: %w", p.name, err)
		}
		stream = d[i:]
	}
	data, err := o.inflateObject(typ, stream, int(size), base, buf)
	if err != nil && int64(i+len(stream)) < p.data.size-off {
		if all, merr := p.data.all(); merr == nil {
			data, err = o.inflateObject(typ, all[off+int64(i):], int(size), base, buf)
		}
	}
	if err != nil {
		return 0, nil, fmt.Errorf("pack %s: object at %d: %w", p.name, off, err)
	}
	if typ == objOfsDelta || typ == objRefDelta {
		typ = baseType
	}
	if depth > 0 {
		o.cache.put(pi, off, typ, data)
	}
	return typ, data, nil
}

// entryHeader reads the type and size a pack entry d starts with, and
// how many bytes they took; false when d ends first.
func entryHeader(d []byte) (typ int, size uint64, n int, ok bool) {
	c := d[0]
	n = 1
	typ = int(c>>4) & 7
	size = uint64(c & 15)
	for shift := uint(4); c&0x80 != 0; shift += 7 {
		if n >= len(d) || shift > 57 {
			return 0, 0, 0, false
		}
		c = d[n]
		n++
		size |= uint64(c&0x7f) << shift
	}
	return typ, size, n, true
}

// ofsDistance reads the distance back to its base that an ofs-delta's
// entry d goes on with (past its type and size), and how many bytes it
// took; false when d ends first.
func ofsDistance(d []byte) (rel int64, n int, ok bool) {
	rel = -1
	for {
		if n >= len(d) || rel > 1<<55 {
			return 0, 0, false
		}
		c := d[n]
		n++
		rel = (rel+1)<<7 | int64(c&0x7f)
		if c&0x80 == 0 {
			return rel, n, true
		}
	}
}

// deltaBase reads the base of the delta of type typ at off in pack pi,
// whose entry goes on with d (past its type and size): its type, its
// content, and how many bytes of d named it.
func (o *objectReader) deltaBase(pi int, off int64, typ int, d []byte, depth int) (int, []byte, int, error) {
	p := o.packs[pi]
	var baseType int
	var base []byte
	var err error
	i := 0
	if typ == objOfsDelta {
		rel, n, ok := ofsDistance(d)
		if !ok {
			return 0, nil, 0, fmt.Errorf("pack %s: truncated delta at %d", p.name, off)
		}
		i = n
		if rel <= 0 || rel > off {
			return 0, nil, 0, fmt.Errorf("pack %s: delta at %d: base offset out of range", p.name, off)
		}
		baseType, base, err = o.readPacked(pi, off-rel, depth+1, nil)
	} else {
		if len(d) < 20 {
			return 0, nil, 0, fmt.Errorf("pack %s: truncated delta at %d", p.name, off)
		}
		bh := [20]byte(d[:20])
		i = 20
		if boff, ok := p.find(&bh); ok {
			baseType, base, err = o.readPacked(pi, boff, depth+1, nil)
		} else if bpi, boff, ok := o.findPacked(&bh); ok {
			// In another pack: still a link of the chain, counted (two
			// packs' ref-deltas can name each other's objects).
			baseType, base, err = o.readPacked(bpi, boff, depth+1, nil)
		} else {
			baseType, base, err = o.read(&bh) // loose, or through go-git: never a delta here
		}
	}
	if err != nil {
		return 0, nil, 0, err
	}
	return baseType, base, i, nil
}

// inflateObject inflates an object of type typ from stream: a delta, of
// size bytes, applied to base, or the content itself.
func (o *objectReader) inflateObject(typ int, stream []byte, size int, base, buf []byte) ([]byte, error) {
	if typ != objOfsDelta && typ != objRefDelta {
		return o.inflate(stream, size, buf)
	}
	scratch := o.getScratch()
	defer o.putScratch(scratch)
	delta, err := o.inflate(stream, size, *scratch)
	if err != nil {
		return nil, err
	}
	if cap(delta) > cap(*scratch) {
		*scratch = delta[:0]
	}
	data, err := applyDelta(base, delta, buf)
	if err != nil {
		return nil, fmt.Errorf("delta: %w", err)
	}
	return data, nil
}

// inflate decompresses the zlib stream at the start of src, which must
// hold size bytes, into buf when it fits.
func (o *objectReader) inflate(src []byte, size int, buf []byte) ([]byte, error) {
	out := buf
	if cap(out) < size {
		out = make([]byte, size)
	}
	out = out[:size]
	if _, err := o.inflateUsed(src, out); err != nil {
		return nil, err
	}
	return out, nil
}

// inflateUsed decompresses the zlib stream at the start of src into out,
// which it must fill exactly, and returns how many bytes of src it took.
func (o *objectReader) inflateUsed(src, out []byte) (int, error) {
	d, _ := o.decoders.Get().(*inflate.Decoder)
	if d == nil {
		d = new(inflate.Decoder)
	}
	defer o.decoders.Put(d)
	return d.Zlib(out, src)
}

// getScratch returns a pooled buffer (for deltas being applied, loose
// files being read); putScratch returns it, unless it grew past 64 KiB.
func (o *objectReader) getScratch() *[]byte {
	if b, _ := o.scratch.Get().(*[]byte); b != nil {
		return b
	}
	return new([]byte)
}

func (o *objectReader) putScratch(b *[]byte) {
	if cap(*b) <= 64<<10 {
		o.scratch.Put(b)
	}
}

func deltaVarint(b []byte) (uint64, []byte, error) {
	var v uint64
	var shift uint
	for i := 0; i < len(b); i++ {
		v |= uint64(b[i]&0x7f) << shift
		shift += 7
		if b[i]&0x80 == 0 {
			return v, b[i+1:], nil
		}
	}
	return 0, nil, errors.New("truncated size")
}

// applyDelta applies a git delta to base, writing the result into buf when
// it fits.
func applyDelta(base, delta, buf []byte) ([]byte, error) {
	srcSize, delta, err := deltaVarint(delta)
	if err != nil {
		return nil, err
	}
	if int(srcSize) != len(base) {
		return nil, fmt.Errorf("base is %d bytes, delta wants %d", len(base), srcSize)
	}
	dstSize, delta, err := deltaVarint(delta)
	if err != nil {
		return nil, err
	}
	if dstSize > uint64(len(delta))*0x10000+uint64(len(delta)) {
		return nil, fmt.Errorf("result of %d bytes is more than the delta can make", dstSize)
	}
	out := buf[:0]
	if uint64(cap(out)) < dstSize {
		out = make([]byte, 0, dstSize)
	}
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		switch {
		case op&0x80 != 0:
			var off, n uint32
			for bit := range 4 {
				if op&(1<<bit) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("truncated copy")
					}
					off |= uint32(delta[0]) << (8 * bit)
					delta = delta[1:]
				}
			}
			for bit := range 3 {
				if op&(0x10<<bit) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("truncated copy")
					}
					n |= uint32(delta[0]) << (8 * bit)
					delta = delta[1:]
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if uint64(off)+uint64(n) > uint64(len(base)) {
				return nil, errors.New("copy out of range")
			}
			out = append(out, base[off:off+n]...)
		case op != 0:
			if int(op) > len(delta) {
				return nil, errors.New("truncated insert")
			}
			out = append(out, delta[:op]...)
			delta = delta[op:]
		default:
			return nil, errors.New("reserved opcode 0")
		}
	}
	if uint64(len(out)) != dstSize {
		return nil, fmt.Errorf("result is %d bytes, want %d", len(out), dstSize)
	}
	return out, nil
}

// baseCache keeps recently resolved delta bases, so that walking a delta
// chain object by object does not resolve the chain again each time. Safe
// for concurrent use; the cached contents are never written to.
type baseCache struct {
	mu   sync.Mutex
	m    map[cacheKey]cacheVal
	ring []cacheKey // the keys in m, oldest at next once full
	next int
	size int // the most kept
}

type cacheKey struct {
	pack int
	off  int64
}

type cacheVal struct {
	typ  int
	data []byte
}

// init sets how many bases c keeps. Its memory grows as bases come: a
// short audit keeps a few hundred, and a map sized for 4,096 up front
// cost it half a MB of fresh pages.
func (c *baseCache) init(n int) {
	c.m = map[cacheKey]cacheVal{}
	c.size = n
}

func (c *baseCache) get(pack int, off int64) (int, []byte, bool) {
	if c.size == 0 {
		return 0, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[cacheKey{pack, off}]
	return v.typ, v.data, ok
}

func (c *baseCache) put(pack int, off int64, typ int, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey{pack, off}
	if c.size == 0 {
		return // not set up: keeps nothing
	}
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.ring) < c.size {
		c.ring = append(c.ring, k)
	} else {
		delete(c.m, c.ring[c.next])
		c.ring[c.next] = k
		c.next = (c.next + 1) % len(c.ring)
	}
	c.m[k] = cacheVal{typ, data}
}
