package gitstore

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
type notesStore struct {
	*memory.ObjectStorage
	objs *objectReader
}

func newNotesStore() *notesStore {
	o := &objectReader{}
	o.cache.init(4096)
	return &notesStore{ObjectStorage: &memory.NewStorage().ObjectStorage, objs: o}
}

func (s *notesStore) inPacks(h plumbing.Hash) bool {
	k := [20]byte(h)
	for _, p := range s.objs.packs {
		if _, ok := p.find(&k); ok {
			return true
		}
	}
	return false
}

// EncodedObject returns object h, written here or fetched.
func (s *notesStore) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, err := s.ObjectStorage.EncodedObject(t, h); err == nil {
		return o, nil
	}
	if !s.inPacks(h) {
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
	if s.ObjectStorage.HasEncodedObject(h) == nil || s.inPacks(h) {
		return nil
	}
	return plumbing.ErrObjectNotFound
}

// EncodedObjectSize returns the size of object h.
func (s *notesStore) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	o, err := s.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, err
	}
	return o.Size(), nil
}

// addPack reads a pack from r and indexes it.
func (s *notesStore) addPack(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("fetched pack %d", len(s.objs.packs)+1)
	idx, err := indexPack(s.objs, len(s.objs.packs), name, data)
	if err != nil {
		s.objs.cache.init(4096) // it may hold objects of the pack refused
		return fmt.Errorf("%s: %w", name, err)
	}
	p, err := newPack(name, data, idx, func() error { return nil })
	if err != nil {
		return err
	}
	s.objs.packs = append(s.objs.packs, p)
	return nil
}

var typeNames = [...]string{objCommit: "commit", objTree: "tree", objBlob: "blob", objTag: "tag"}

// indexPack reads every object of pack data, which will be pack number pi
// of o, and returns a version 2 index of it, as `git index-pack` writes
// (without CRCs, which nothing here reads). Each object is inflated once;
// a delta's base comes from o's cache of recent objects, or is read again.
func indexPack(o *objectReader, pi int, name string, data []byte) ([]byte, error) {
	if len(data) < 32 || string(data[:4]) != "PACK" {
		return nil, errors.New("not a pack")
	}
	if v := binary.BigEndian.Uint32(data[4:]); v != 2 && v != 3 {
		return nil, fmt.Errorf("pack version %d", v)
	}
	if sum := sha1.Sum(data[:len(data)-20]); !bytes.Equal(sum[:], data[len(data)-20:]) {
		return nil, errors.New("pack checksum mismatch")
	}
	n := int(binary.BigEndian.Uint32(data[8:]))
	if n > len(data)/2 {
		return nil, fmt.Errorf("%d objects in %d bytes", n, len(data))
	}
	type entry struct {
		hash [20]byte
		off  int64
	}
	entries := make([]entry, 0, n)
	var offsets map[[20]byte]int64 // by name, from the first ref-delta on
	byHash := func(h *[20]byte) (int64, bool) {
		if offsets == nil {
			offsets = make(map[[20]byte]int64, n)
			for _, e := range entries {
				offsets[e.hash] = e.off
			}
		}
		off, ok := offsets[*h]
		return off, ok
	}
	// The pack being indexed is reachable by number for readPacked.
	p := &pack{name: name, data: data}
	o.packs = append(o.packs, p)
	defer func() { o.packs = o.packs[:pi] }()
	end := int64(len(data) - 20)
	off := int64(12)
	var z inflater
	for range n {
		if off >= end {
			return nil, fmt.Errorf("truncated at object %d", len(entries))
		}
		i := off
		c := data[i]
		i++
		typ := int(c>>4) & 7
		size := uint64(c & 15)
		for shift := uint(4); c&0x80 != 0; shift += 7 {
			if i >= end || shift > 57 {
				return nil, fmt.Errorf("truncated object at %d", off)
			}
			c = data[i]
			i++
			size |= uint64(c&0x7f) << shift
		}
		if size > uint64(len(data))*1032 {
			return nil, fmt.Errorf("object at %d: size %d beyond what the pack can hold", off, size)
		}
		baseOff := int64(-1)
		switch typ {
		case objCommit, objTree, objBlob, objTag:
		case objOfsDelta:
			rel := int64(-1)
			for {
				if i >= end || rel > 1<<55 {
					return nil, fmt.Errorf("truncated delta at %d", off)
				}
				c = data[i]
				i++
				rel = (rel+1)<<7 | int64(c&0x7f)
				if c&0x80 == 0 {
					break
				}
			}
			if rel <= 0 || rel > off {
				return nil, fmt.Errorf("delta at %d: base offset out of range", off)
			}
			baseOff = off - rel
		case objRefDelta:
			if i+20 > end {
				return nil, fmt.Errorf("truncated delta at %d", off)
			}
			bh := [20]byte(data[i : i+20])
			i += 20
			var ok bool
			if baseOff, ok = byHash(&bh); !ok {
				return nil, fmt.Errorf("delta at %d: base %x is not in the pack", off, bh)
			}
		default:
			return nil, fmt.Errorf("unknown object type %d at %d", typ, off)
		}
		// Inflate, and learn where the next object starts: the bytes the
		// zlib stream used, its checksum included.
		z.br.Reset(data[i:end])
		if z.zr == nil {
			zr, err := zlib.NewReader(&z.br)
			if err != nil {
				return nil, fmt.Errorf("object at %d: %w", off, err)
			}
			z.zr = zr
		} else if err := z.zr.(zlib.Resetter).Reset(&z.br, nil); err != nil {
			return nil, fmt.Errorf("object at %d: %w", off, err)
		}
		raw := make([]byte, size)
		if _, err := io.ReadFull(z.zr, raw); err != nil {
			return nil, fmt.Errorf("object at %d: %w", off, err)
		}
		var one [1]byte
		if k, err := z.zr.Read(one[:]); k != 0 || err != io.EOF {
			return nil, fmt.Errorf("object at %d: longer than its size %d", off, size)
		}
		content := raw
		if baseOff >= 0 {
			baseType, base, err := o.readPacked(pi, baseOff, 1, nil)
			if err != nil {
				return nil, err
			}
			if content, err = applyDelta(base, raw, nil); err != nil {
				return nil, fmt.Errorf("delta at %d: %w", off, err)
			}
			typ = baseType
		}
		h := sha1.New()
		h.Write([]byte(typeNames[typ] + " " + strconv.Itoa(len(content)) + "\x00"))
		h.Write(content)
		var e entry
		h.Sum(e.hash[:0])
		e.off = off
		entries = append(entries, e)
		if offsets != nil {
			offsets[e.hash] = off
		}
		o.cache.put(pi, off, typ, content)
		off = i + int64(len(data[i:end])-z.br.Len())
	}
	if off != end {
		return nil, fmt.Errorf("%d bytes after the last object", end-off)
	}
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
	idx = append(idx, data[len(data)-20:]...)
	sum := sha1.Sum(idx)
	return append(idx, sum[:]...), nil
}
