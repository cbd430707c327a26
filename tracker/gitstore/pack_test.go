package gitstore

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeIndex builds a version 2 pack index of names, object i at offset
// 1000+i, the odd ones through the 64-bit offset table.
func fakeIndex(names [][20]byte) *pack {
	n := len(names)
	idx := []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}
	var fanout [256]uint32
	for _, h := range names {
		for b := int(h[0]); b < 256; b++ {
			fanout[b]++
		}
	}
	for _, c := range fanout {
		idx = binary.BigEndian.AppendUint32(idx, c)
	}
	for _, h := range names {
		idx = append(idx, h[:]...)
	}
	idx = append(idx, make([]byte, 4*n)...) // CRCs
	var large []byte
	for i := range n {
		if i%2 == 1 {
			idx = binary.BigEndian.AppendUint32(idx, 0x80000000|uint32(len(large)/8))
			large = binary.BigEndian.AppendUint64(large, uint64(1000+i))
			continue
		}
		idx = binary.BigEndian.AppendUint32(idx, uint32(1000+i))
	}
	p := &pack{name: "fake", idx: bytesFile("fake.idx", append(idx, large...)), n: n, fanout: fanout}
	return p
}

// readIndex is p with its index in a file, read with pread (and never
// mapped: mapAfter is raised for the test).
func readIndex(t *testing.T, p *pack) *pack {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake.idx")
	if err := os.WriteFile(path, p.idx.mapped(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := openFileBytes(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.close() })
	old := mapAfter
	mapAfter = 1 << 40
	t.Cleanup(func() { mapAfter = old })
	q := *p
	q.idx = f
	return &q
}

// TestPackFind: the interpolating look-up finds every name of a large
// index, and none that is not there, including names that share their
// first 8 bytes and names at both ends of a fan-out bucket.
func TestPackFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var names [][20]byte
	for range 60000 {
		var h [20]byte
		for i := range h {
			h[i] = byte(rng.UintN(256))
		}
		names = append(names, h)
	}
	// Clusters that defeat interpolation: 40 names sharing 8 bytes, a run
	// of near-equal names, the lowest and highest names.
	for i := range 40 {
		h := names[0]
		h[19] = byte(i)
		names = append(names, h)
	}
	for i := range 300 {
		h := [20]byte{0x7f, 0xff, 0xff, 0xff}
		binary.BigEndian.PutUint32(h[16:], uint32(i))
		names = append(names, h)
	}
	names = append(names, [20]byte{}, [20]byte{0: 0xff, 19: 0xff})
	slices.SortFunc(names, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
	names = slices.Compact(names)
	mapped := fakeIndex(names)
	for _, p := range []*pack{mapped, readIndex(t, mapped)} {
		findAll(t, p, names)
	}
	if read := readIndex(t, mapped); read.idx.mapped() != nil || read.idx.reads.Load() != 0 {
		t.Fatal("the read index is mapped")
	} else if findAll(t, read, names[:100]); read.idx.mapped() != nil || read.idx.reads.Load() == 0 {
		t.Fatalf("the read index: mapped %v after %d reads; want not mapped, read", read.idx.mapped() != nil, read.idx.reads.Load())
	}
}

// findAll checks that p finds every name of names, its offset the one
// fakeIndex gave it, and no name just above one.
func findAll(t *testing.T, p *pack, names [][20]byte) {
	t.Helper()
	for i, h := range names {
		if off, ok := p.find(&h); !ok || off != int64(1000+i) {
			t.Fatalf("find(%x) = %d, %v; want %d, true", h, off, ok, 1000+i)
		}
		// A name just above h, absent unless it is the next one.
		next := h
		for j := 19; j >= 0; j-- {
			if next[j]++; next[j] != 0 {
				break
			}
		}
		if i+1 < len(names) && names[i+1] == next {
			continue
		}
		if off, ok := p.find(&next); ok {
			t.Fatalf("find(%x) = %d, true; want not found", next, off)
		}
	}
}

// TestPackFindSkewed: the windowed look-up of a read index finds every
// name, and none that is not there, where interpolation guesses badly:
// one bucket holding the whole table, names packed at one end of it,
// keys growing exponentially, buckets of sizes around the window, and
// names at the very edges of their buckets.
func TestPackFindSkewed(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	name := func(first byte, key uint64) [20]byte {
		h := [20]byte{first}
		binary.BigEndian.PutUint64(h[1:], key)
		for i := 9; i < 20; i++ {
			h[i] = byte(rng.UintN(256))
		}
		return h
	}
	tables := map[string][][20]byte{}
	var one, exp, sizes [][20]byte
	for i := range 3000 {
		// One bucket: most names crowded at its low end, a few spread.
		if i%10 == 0 {
			one = append(one, name(0x42, rng.Uint64()))
		} else {
			one = append(one, name(0x42, uint64(i)))
		}
	}
	tables["one crowded bucket"] = one
	for i := range 60 {
		exp = append(exp, name(0x42, 1<<i), name(0x42, 1<<i+1), name(0x42, 1<<i-1))
	}
	tables["exponential keys"] = exp
	for b := range 256 {
		n := []int{0, 1, 2, nameWindow - 1, nameWindow, nameWindow + 1, 2*nameWindow + 3, 500}[b%8]
		for j := range n {
			switch j {
			case 0:
				h := [20]byte{byte(b)} // the lowest name of the bucket
				sizes = append(sizes, h)
			case 1:
				h := [20]byte{byte(b)}
				for k := 1; k < 20; k++ {
					h[k] = 0xff // the highest
				}
				sizes = append(sizes, h)
			default:
				sizes = append(sizes, name(byte(b), rng.Uint64()))
			}
		}
	}
	tables["buckets around the window"] = sizes
	for tname, names := range tables {
		slices.SortFunc(names, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
		names = slices.Compact(names)
		p := fakeIndex(names)
		t.Run(tname, func(t *testing.T) {
			findAll(t, p, names)
			findAll(t, readIndex(t, p), names)
		})
	}
}
