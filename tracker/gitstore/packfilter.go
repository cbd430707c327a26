package gitstore

import "math/bits"

// packFilter says, from the first 16 bits of an object name, which of a
// repository's packs may hold it, so that a look-up searches one or two of
// 50 packs' indexes rather than each in turn. For each of the 65,536
// prefixes it keeps one bit per pack: set when the pack has a name with
// that prefix. A pack of 1,800 objects has 2.7% of the prefixes, so a name
// it does not hold rules it out 97 times in 100. Packs with too many
// objects for that (dense: above denseObjects, nearly every prefix set) get
// no bits and are searched for every name, after the packs the bits name.
// Packs added after the filter was built (packs fetched over the network)
// are searched last, in turn. Read-only once built.
type packFilter struct {
	n      int      // packs covered: objectReader.packs[:n]
	words  int      // uint64 words per prefix
	bits   []uint64 // 65,536 × words; bit i of a prefix's words stands for sparse[i]
	sparse []int    // pack positions the bits stand for
	dense  []int    // pack positions searched for every name
}

const (
	// denseObjects is the size above which a pack gets no bits: with
	// 4 × 65,536 names, 98% of the prefixes would be set anyway.
	denseObjects = 4 << 16
	// maxSparse caps the bits at 4 MiB; more packs are searched as dense.
	maxSparse = 512
)

// newPackFilter builds the filter of packs; those of more than dense
// objects are dense.
func newPackFilter(packs []*pack, dense int) (*packFilter, error) {
	f := &packFilter{n: len(packs)}
	for pi, p := range packs {
		if p.n > dense || len(f.sparse) == maxSparse {
			f.dense = append(f.dense, pi)
			continue
		}
		f.sparse = append(f.sparse, pi)
	}
	f.words = (len(f.sparse) + 63) / 64
	f.bits = make([]uint64, 65536*f.words)
	for i, pi := range f.sparse {
		p := packs[pi]
		names, err := p.names()
		if err != nil {
			return nil, err
		}
		w, bit := i/64, uint64(1)<<(i%64)
		for j := range p.n {
			prefix := int(names[j*20])<<8 | int(names[j*20+1])
			f.bits[prefix*f.words+w] |= bit
		}
	}
	return f, nil
}

// findPacked returns the pack holding h and its offset there.
func (o *objectReader) findPacked(h *[20]byte) (int, int64, bool) {
	f := o.filter
	if f == nil {
		for pi, p := range o.packs {
			if off, ok := p.find(h); ok {
				return pi, off, true
			}
		}
		return 0, 0, false
	}
	prefix := int(h[0])<<8 | int(h[1])
	for w, set := range f.bits[prefix*f.words : (prefix+1)*f.words] {
		for set != 0 {
			pi := f.sparse[w*64+bits.TrailingZeros64(set)]
			set &= set - 1
			if off, ok := o.packs[pi].find(h); ok {
				return pi, off, true
			}
		}
	}
	for _, pi := range f.dense {
		if off, ok := o.packs[pi].find(h); ok {
			return pi, off, true
		}
	}
	for pi := f.n; pi < len(o.packs); pi++ {
		if off, ok := o.packs[pi].find(h); ok {
			return pi, off, true
		}
	}
	return 0, 0, false
}
