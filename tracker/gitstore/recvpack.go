package gitstore

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
)

// notesStore is the object store of one AppendRecord: the packs fetched
// from the remote, kept as they came (in memory, with an index built here,
// read by the same objectReader as the audit's), and the few objects the
// append writes, in memory. go-git's pack parser holds every object of a
// pack decoded, several times the pack's size; this holds the pack and 28
// bytes per object.
//
// A pack's blobs (the notes, which the append reads one of at most) are
// left out of its index until a blob is asked for that the indexes do not
// have: then the packs' blobs are named, newest pack first, until it is
// found.
//
// When the fetches left trees and blobs on the remote (a filter), missing
// calls for each tree or blob asked for and not held, to fetch it: the
// store is a partial clone's, and reading a note's path fetches it.
type notesStore struct {
	*memory.ObjectStorage
	objs    *objectReader
	later   []*packScan // of each pack, the scan that left its blobs unnamed; nil once named
	missing func(plumbing.Hash) error
}

func newNotesStore() *notesStore {
	o := &objectReader{}
	o.cache.init(4096)
	return &notesStore{ObjectStorage: &memory.NewStorage().ObjectStorage, objs: o}
}

// inPacks reports whether a fetched pack holds h, naming the packs' blobs
// first when h is not among the objects named and blobs is set.
func (s *notesStore) inPacks(h plumbing.Hash, blobs bool) (bool, error) {
	k := [20]byte(h)
	found := func(p *pack) bool { _, ok := p.find(&k); return ok }
	if slices.ContainsFunc(s.objs.packs, found) {
		return true, nil
	}
	for i := len(s.later) - 1; i >= 0 && blobs; i-- {
		if s.later[i] == nil {
			continue
		}
		if err := s.nameBlobs(i); err != nil {
			return false, err
		}
		if found(s.objs.packs[i]) {
			return true, nil
		}
	}
	return false, nil
}

// nameBlobs names the blobs of pack i, if its index left them out.
func (s *notesStore) nameBlobs(i int) error {
	ps, p := s.later[i], s.objs.packs[i]
	if ps == nil {
		return nil
	}
	if err := ps.nameBlobs(s.objs); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	data := p.data.mapped() // a fetched pack: in memory
	np, err := checkPack(p.name, p.data, bytesFile(p.name, packIndex(ps.entries, data[len(data)-20:])))
	if err != nil {
		return err
	}
	s.objs.packs[i], s.later[i] = np, nil
	return nil
}

// EncodedObject returns object h, written here or fetched.
func (s *notesStore) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, err := s.ObjectStorage.EncodedObject(t, h); err == nil {
		return o, nil
	}
	ok, err := s.inPacks(h, t == plumbing.BlobObject || t == plumbing.AnyObject)
	if err == nil && !ok && s.missing != nil && t != plumbing.CommitObject && t != plumbing.TagObject {
		if err = s.missing(h); err == nil {
			ok, err = s.inPacks(h, true)
		}
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, plumbing.ErrObjectNotFound
	}
	k := [20]byte(h)
	typ, data, err := s.objs.read(&k)
	if err != nil {
		return nil, err
	}
	ot := plumbing.ObjectType(typ)
	if t != plumbing.AnyObject && ot != t {
		return nil, plumbing.ErrObjectNotFound
	}
	o := &plumbing.MemoryObject{}
	o.SetType(ot)
	if _, err := o.Write(data); err != nil { // a copy: data may be cached
		return nil, err
	}
	return o, nil
}

// HasEncodedObject returns nil when the store holds h.
func (s *notesStore) HasEncodedObject(h plumbing.Hash) error {
	return s.has(h, true)
}

// has returns nil when the store holds h; without blobs, it looks among
// the objects named only (a commit or a tree is always named).
func (s *notesStore) has(h plumbing.Hash, blobs bool) error {
	if s.ObjectStorage.HasEncodedObject(h) == nil {
		return nil
	}
	ok, err := s.inPacks(h, blobs)
	switch {
	case err != nil:
		return err
	case !ok:
		return plumbing.ErrObjectNotFound
	}
	return nil
}

// EncodedObjectSize returns the size of object h.
func (s *notesStore) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	o, err := s.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, err
	}
	return o.Size(), nil
}

// addPack reads a pack from r and indexes it, its blobs left for later.
func (s *notesStore) addPack(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("fetched pack %d", len(s.objs.packs)+1)
	idx, ps, err := indexPack(s.objs, data, true)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	p, err := newPack(name, bytesFile(name, data), bytesFile(name, idx))
	if err != nil {
		return err
	}
	s.objs.packs = append(s.objs.packs, p)
	s.later = append(s.later, ps)
	return nil
}

var typeNames = [...]string{objCommit: "commit", objTree: "tree", objBlob: "blob", objTag: "tag"}

// entry is an object of a pack being indexed: its name and offset.
type entry struct {
	hash [20]byte
	off  int64
}

// packObject is what the first pass of indexPack learns of an object, in
// 24 bytes.
type packObject struct {
	off  int64  // where its header starts
	size uint32 // inflated size (of the delta, for a delta)
	base int32  // an ofs-delta's base, by position in the pack; -1 otherwise
	hdr  uint8  // header length: the zlib stream starts at off+hdr
	typ  uint8  // for a delta, the type of its base once resolved
	kind uint8  // its type, known before it is resolved: 0 for a ref-delta, or an ofs-delta on one
	done bool   // named
}

// packScan is an index of a pack being built: what the first pass learned
// of each object, the objects named so far, and the whole blobs not named
// yet (indexPack can leave the notes for later: see nameBlobs).
type packScan struct {
	data    []byte
	objs    []packObject
	entries []entry
	byRef   map[[20]byte][]int32 // unresolved ref-deltas by their base's name
	kids    []int32              // the ofs-deltas of object j: kids[first[j]:first[j+1]]
	first   []int32
	blobs   []int32 // whole blobs not named yet, by position
}

// scanPack is indexPack's work on the n objects of pack data: it returns
// their names and offsets. With laterBlobs, it leaves the blobs unnamed
// where it can (every one a whole object or an ofs-delta on one, as packs
// sent to a client that takes ofs-deltas are) and returns the scan for
// nameBlobs to finish; otherwise, or where it cannot, it names everything
// and returns a nil scan.
func scanPack(o *objectReader, data []byte, n int, laterBlobs bool) ([]entry, *packScan, error) {
	ps := &packScan{data: data, objs: make([]packObject, 0, n), entries: make([]entry, 0, n), byRef: map[[20]byte][]int32{}}
	end := int64(len(data) - 20)
	var content []byte // a whole object's, reused
	off := int64(12)
	for range n {
		if off >= end {
			return nil, nil, fmt.Errorf("truncated at object %d", len(ps.objs))
		}
		ob := packObject{off: off, base: -1}
		typ, size, n, ok := entryHeader(data[off:end])
		if !ok {
			return nil, nil, fmt.Errorf("truncated object at %d", off)
		}
		i := off + int64(n)
		if size > uint64(len(data))*1032 || size > math.MaxUint32 {
			return nil, nil, fmt.Errorf("object at %d: size %d beyond what the pack can hold", off, size)
		}
		switch typ {
		case objCommit, objTree, objBlob, objTag:
			ob.kind = uint8(typ)
		case objOfsDelta:
			rel, n, ok := ofsDistance(data[i:end])
			if !ok {
				return nil, nil, fmt.Errorf("truncated delta at %d", off)
			}
			i += int64(n)
			base, found := slices.BinarySearchFunc(ps.objs, off-rel, func(ob packObject, off int64) int { return cmp.Compare(ob.off, off) })
			if rel <= 0 || rel > off || !found {
				return nil, nil, fmt.Errorf("delta at %d: base offset out of range", off)
			}
			ob.base = int32(base)
			ob.kind = ps.objs[base].kind
		case objRefDelta:
			if i+20 > end {
				return nil, nil, fmt.Errorf("truncated delta at %d", off)
			}
			ref := [20]byte(data[i : i+20])
			ps.byRef[ref] = append(ps.byRef[ref], int32(len(ps.objs)))
			i += 20
		default:
			return nil, nil, fmt.Errorf("unknown object type %d at %d", typ, off)
		}
		ob.hdr, ob.typ, ob.size = uint8(i-off), uint8(typ), uint32(size)
		// Inflate, and learn where the next object starts: the bytes the
		// zlib stream used, its checksum included.
		if cap(content) < int(size) {
			content = make([]byte, size)
		}
		content = content[:size]
		used, err := o.inflateUsed(data[i:end], content)
		if err != nil {
			return nil, nil, fmt.Errorf("object at %d: %w", off, err)
		}
		switch {
		case typ == objBlob && laterBlobs:
			ps.blobs = append(ps.blobs, int32(len(ps.objs)))
		case typ != objOfsDelta && typ != objRefDelta:
			ps.entries = append(ps.entries, entry{objectName(typ, content), off})
			ob.done = true
		}
		ps.objs = append(ps.objs, ob)
		off = i + int64(used)
	}
	if off != end {
		return nil, nil, fmt.Errorf("%d bytes after the last object", end-off)
	}
	if len(ps.entries) == n {
		return ps.entries, nil, nil
	}

	first := make([]int32, n+1)
	for _, ob := range ps.objs {
		if ob.base >= 0 {
			first[ob.base+1]++
		}
	}
	for j := range n {
		first[j+1] += first[j]
	}
	kids := make([]int32, first[n])
	next := slices.Clone(first[:n])
	for j, ob := range ps.objs {
		if ob.base >= 0 {
			kids[next[ob.base]] = int32(j)
			next[ob.base]++
		}
	}
	ps.first, ps.kids = first, kids
	for k, whole := 0, len(ps.entries); k < whole; k++ {
		if err := ps.resolve(o, ps.pos(ps.entries[k].off), ps.entries[k].hash); err != nil {
			return nil, nil, err
		}
	}
	if len(ps.blobs) > 0 && len(ps.byRef) == 0 && ps.unnamedAreBlobs() {
		return ps.entries, ps, nil
	}
	if err := ps.nameBlobs(o); err != nil {
		return nil, nil, err
	}
	return ps.entries, nil, nil
}

// unnamedAreBlobs reports whether every object not named yet is a blob.
func (ps *packScan) unnamedAreBlobs() bool {
	for _, ob := range ps.objs {
		if !ob.done && ob.kind != objBlob {
			return false
		}
	}
	return true
}

// nameBlobs names the whole blobs scanPack left and resolves their deltas,
// then checks that every object of the pack is named.
func (ps *packScan) nameBlobs(o *objectReader) error {
	for _, j := range ps.blobs {
		ob := &ps.objs[j]
		content, err := o.inflate(ps.data[ob.off+int64(ob.hdr):len(ps.data)-20], int(ob.size), nil)
		if err != nil {
			return fmt.Errorf("object at %d: %w", ob.off, err)
		}
		h := objectName(objBlob, content)
		ps.entries = append(ps.entries, entry{h, ob.off})
		ob.done = true
		if err := ps.resolve(o, int(j), h); err != nil {
			return err
		}
	}
	ps.blobs = nil
	if len(ps.entries) != len(ps.objs) {
		for ref := range ps.byRef {
			return fmt.Errorf("delta at %d: base %x is not in the pack", ps.objs[ps.byRef[ref][0]].off, ref)
		}
		for _, ob := range ps.objs {
			if !ob.done {
				return fmt.Errorf("delta at %d: its base is not in the pack", ob.off)
			}
		}
	}
	return nil
}

// pos returns the position of the object at off.
func (ps *packScan) pos(off int64) int {
	j, _ := slices.BinarySearchFunc(ps.objs, off, func(ob packObject, off int64) int { return cmp.Compare(ob.off, off) })
	return j
}

// resolve names the deltas on the whole object j, named hash, depth first:
// a stack of objects whose deltas are still to resolve, with their
// contents, so that memory holds one delta chain's contents at a time.
func (ps *packScan) resolve(o *objectReader, j int, hash [20]byte) error {
	type frame struct {
		typ      uint8
		content  []byte
		children []int32
	}
	var stack []frame
	push := func(j int, hash [20]byte, content []byte) {
		children := ps.kids[ps.first[j]:ps.first[j+1]]
		if refs := ps.byRef[hash]; len(refs) > 0 {
			children = append(slices.Clip(children), refs...)
			delete(ps.byRef, hash)
		}
		if len(children) > 0 {
			stack = append(stack, frame{ps.objs[j].typ, content, children})
		}
	}
	end := len(ps.data) - 20
	ob := &ps.objs[j]
	if ps.first[j] == ps.first[j+1] && len(ps.byRef[hash]) == 0 {
		return nil
	}
	base, err := o.inflate(ps.data[ob.off+int64(ob.hdr):end], int(ob.size), nil)
	if err != nil {
		return fmt.Errorf("object at %d: %w", ob.off, err)
	}
	push(j, hash, base)
	var delta []byte
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if len(top.children) == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 10000 {
			return fmt.Errorf("delta chain too long at %d", ob.off)
		}
		dj := int(top.children[0])
		top.children = top.children[1:]
		d := &ps.objs[dj]
		if delta, err = o.inflate(ps.data[d.off+int64(d.hdr):end], int(d.size), delta); err != nil {
			return fmt.Errorf("delta at %d: %w", d.off, err)
		}
		content, err := applyDelta(top.content, delta, nil)
		if err != nil {
			return fmt.Errorf("delta at %d: %w", d.off, err)
		}
		d.typ, d.done = top.typ, true
		h := objectName(int(d.typ), content)
		ps.entries = append(ps.entries, entry{h, d.off})
		push(dj, h, content)
	}
	return nil
}

// objectName is the SHA-1 name of an object of type typ and content.
func objectName(typ int, content []byte) [20]byte {
	h := sha1.New()
	h.Write([]byte(typeNames[typ] + " " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	var sum [20]byte
	h.Sum(sum[:0])
	return sum
}

// indexPack reads every object of pack data and returns a version 2 index
// of it, as `git index-pack` writes (without CRCs, which nothing here
// reads), in two passes as git's does. The first inflates each object once
// to find where the next starts, names the whole objects, and notes each
// delta's base. The second resolves the deltas from their bases, depth
// first, inflating each base with deltas and each delta once more: memory
// holds one delta chain's contents at a time, however far in the pack a
// delta is from its base (a cache of recent bases missed most of them at
// 90,000 notes, and resolved each missed chain again).
//
// With laterBlobs, the index may leave out the blobs (see scanPack): the
// scan returned, when not nil, names them with nameBlobs, and packIndex
// then writes the whole index.
func indexPack(o *objectReader, data []byte, laterBlobs bool) ([]byte, *packScan, error) {
	if len(data) < 32 || string(data[:4]) != "PACK" {
		return nil, nil, errors.New("not a pack")
	}
	if v := binary.BigEndian.Uint32(data[4:]); v != 2 && v != 3 {
		return nil, nil, fmt.Errorf("pack version %d", v)
	}
	if sum := sha1.Sum(data[:len(data)-20]); !bytes.Equal(sum[:], data[len(data)-20:]) {
		return nil, nil, errors.New("pack checksum mismatch")
	}
	n := int(binary.BigEndian.Uint32(data[8:]))
	if n > len(data)/2 {
		return nil, nil, fmt.Errorf("%d objects in %d bytes", n, len(data))
	}
	entries, ps, err := scanPack(o, data, n, laterBlobs)
	if err != nil {
		return nil, nil, err
	}
	return packIndex(entries, data[len(data)-20:]), ps, nil
}

// packIndex writes the version 2 index of entries, the objects of the
// pack whose checksum is sum; it sorts entries.
func packIndex(entries []entry, sum []byte) []byte {
	n := len(entries)
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	// The index: header, fan-out, names, CRCs (zero), 32-bit offsets,
	// 64-bit offsets for those past 2 GiB.
	idx := make([]byte, 0, 8+256*4+n*28+40)
	idx = append(idx, 0xff, 't', 'O', 'c', 0, 0, 0, 2)
	var fan [256]uint32
	for _, e := range entries {
		fan[e.hash[0]]++
	}
	total := uint32(0)
	for _, c := range fan {
		total += c
		idx = binary.BigEndian.AppendUint32(idx, total)
	}
	for _, e := range entries {
		idx = append(idx, e.hash[:]...)
	}
	idx = append(idx, make([]byte, 4*n)...)
	var large []int64
	for _, e := range entries {
		if e.off < 1<<31 {
			idx = binary.BigEndian.AppendUint32(idx, uint32(e.off))
			continue
		}
		idx = binary.BigEndian.AppendUint32(idx, 1<<31|uint32(len(large)))
		large = append(large, e.off)
	}
	for _, l := range large {
		idx = binary.BigEndian.AppendUint64(idx, uint64(l))
	}
	idx = append(idx, sum...)
	idxSum := sha1.Sum(idx)
	return append(idx, idxSum[:]...)
}
