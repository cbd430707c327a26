package gitstore

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPackFilter: with the filter over 70 small packs (two words of bits a
// prefix), two dense ones and a pack added after it was built (as a fetched
// pack is), every name is found in its pack at its offset, and names in no
// pack, some sharing a 16-bit prefix with names that are, are not found.
func TestPackFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	randName := func() [20]byte {
		var h [20]byte
		for i := range h {
			h[i] = byte(rng.UintN(256))
		}
		return h
	}
	sizes := make([]int, 70)
	for i := range sizes {
		sizes[i] = 1 + rng.IntN(300)
	}
	sizes = append(sizes, 5000, 4000) // dense at the threshold of 1000 below
	var packs []*pack
	var all [][][20]byte
	for _, n := range sizes {
		names := make([][20]byte, n)
		for i := range names {
			names[i] = randName()
		}
		slices.SortFunc(names, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
		names = slices.Compact(names)
		packs = append(packs, fakeIndex(names))
		all = append(all, names)
	}
	o := &objectReader{packs: packs}
	var err error
	if o.filter, err = newPackFilter(packs, 1000); err != nil {
		t.Fatal(err)
	}
	if len(o.filter.sparse) != 70 || len(o.filter.dense) != 2 || o.filter.words != 2 {
		t.Fatalf("filter: %d sparse, %d dense packs, %d words; want 70, 2, 2", len(o.filter.sparse), len(o.filter.dense), o.filter.words)
	}
	late := [][20]byte{randName(), randName()}
	slices.SortFunc(late, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
	o.packs = append(o.packs, fakeIndex(late))
	all = append(all, late)
	for pi, names := range all {
		for i, h := range names {
			if gotPack, off, ok := o.findPacked(&h); !ok || gotPack != pi || off != int64(1000+i) {
				t.Fatalf("findPacked(%x) = pack %d offset %d, %v; want pack %d offset %d", h, gotPack, off, ok, pi, 1000+i)
			}
			absent := h
			absent[19] ^= 0x5a // same prefix, other name
			if _, _, ok := o.findPacked(&absent); ok && !slices.ContainsFunc(all, func(ns [][20]byte) bool { return slices.Contains(ns, absent) }) {
				t.Fatalf("findPacked(%x) found a name in no pack", absent)
			}
		}
	}
	for range 1000 {
		h := randName()
		if pi, _, ok := o.findPacked(&h); ok {
			t.Fatalf("findPacked(%x) = pack %d; want not found", h, pi)
		}
	}
}

// TestPackFilterRulesOut: a name absent from a small pack whose names
// have no name of its 16-bit prefix is not searched for there: the filter
// names no pack for it.
func TestPackFilterRulesOut(t *testing.T) {
	a := fakeIndex([][20]byte{{0x12, 0x34, 1}, {0x12, 0x35}})
	b := fakeIndex([][20]byte{{0x12, 0x34, 2}, {0xab, 0xcd}})
	f, err := newPackFilter([]*pack{a, b}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name [20]byte
		want []int
	}{
		{[20]byte{0x12, 0x34, 9}, []int{0, 1}},
		{[20]byte{0x12, 0x35, 9}, []int{0}},
		{[20]byte{0xab, 0xcd, 9}, []int{1}},
		{[20]byte{0xab, 0xce}, nil},
	} {
		prefix := int(c.name[0])<<8 | int(c.name[1])
		var got []int
		for i := range f.sparse {
			if f.bits[prefix*f.words+i/64]&(1<<(i%64)) != 0 {
				got = append(got, f.sparse[i])
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("packs for %x = %v, want %v", c.name[:2], got, c.want)
		}
	}
}
