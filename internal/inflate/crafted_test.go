package inflate

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomCode returns the lengths of a random complete code of n symbols
// of alphabet size, those of must among them, at most 15 bits long; deep
// makes it lopsided, with codes of 15 bits. One symbol gets the one-bit
// code zlib accepts alone.
func randomCode(rng *rand.Rand, size, n int, must []int, deep bool) []uint8 {
	lens := make([]uint8, size)
	var syms []int
	for _, s := range append(slices.Clone(must), rng.Perm(size)...) {
		if len(syms) >= n {
			break
		}
		if !slices.Contains(syms, s) {
			syms = append(syms, s)
		}
	}
	if len(syms) == 1 {
		lens[syms[0]] = 1
		return lens
	}
	// Split leaves of a tree, from its root, until there are n.
	leaves := []uint8{0}
	for len(leaves) < len(syms) {
		i := rng.IntN(len(leaves))
		if deep && rng.IntN(3) == 0 {
			i = 0
			for j, l := range leaves {
				if l < 15 && (leaves[i] == 15 || l > leaves[i]) {
					i = j
				}
			}
		}
		if leaves[i] == 15 {
			continue
		}
		leaves[i]++
		leaves = append(leaves, leaves[i])
	}
	for i, s := range syms {
		lens[s] = leaves[i]
	}
	return lens
}

// craftedStream writes blocks of every kind into a zlib stream: stored
// (empty ones too), fixed, and dynamic with random codes (15-bit codes,
// codes long enough for subtables, all 286 and 30 symbols, one distance
// code or none), made of literals and copies of every length and distance
// symbol (258 and 32,768 included), after prefix random bytes stored. It
// returns the stream and its content, and counts in cov what it wrote.
func craftedStream(rng *rand.Rand, blocks, prefix int, cov *coverage) (stream, content []byte) {
	w := &bitWriter{}
	var out []byte
	for prefix > 0 {
		n := min(prefix, 0xffff)
		w.bits(0, 1)
		out = storedBlock(w, rng, n, out)
		prefix -= n
	}
	for b := range blocks {
		final := uint64(0)
		if b == blocks-1 {
			final = 1
		}
		w.bits(final, 1)
		switch kind := rng.IntN(6); {
		case kind == 0: // stored, often empty
			n := 0
			if rng.IntN(2) == 0 {
				n = rng.IntN(300)
			}
			out = storedBlock(w, rng, n, out)
			if n == 0 {
				cov.emptyStored++
			}
		case kind == 1: // fixed
			w.bits(1, 2)
			lit := make([]uint8, 288)
			for i := range lit {
				lit[i] = [...]uint8{8, 9, 7, 8}[btoi(i >= 144)+btoi(i >= 256)+btoi(i >= 280)]
			}
			dist := make([]uint8, 32)
			for i := range dist {
				dist[i] = 5
			}
			out = symbols(rng, w, lit, dist, out, cov)
		default: // dynamic
			w.bits(2, 2)
			nlit := 257 + rng.IntN(30)
			ndist := 1 + rng.IntN(30)
			if rng.IntN(3) == 0 {
				nlit, ndist = 286, 30
			}
			deep := rng.IntN(2) == 0
			lit := randomCode(rng, nlit, 2+rng.IntN(nlit-1), []int{256, nlit - 1, int('a')}, deep)
			var dist []uint8
			switch rng.IntN(8) {
			case 0:
				dist = make([]uint8, ndist) // no distance code: literals only
				for i := 257; i < len(lit); i++ {
					lit[i] = 0
				}
				lit = randomCode(rng, nlit, 2+rng.IntN(200), []int{256}, deep)
				for i := 257; i < len(lit); i++ {
					if lit[i] != 0 {
						lit = nil
						break
					}
				}
				if lit == nil { // a length symbol drawn: take literals only
					lit = make([]uint8, nlit)
					lit[256], lit['a'] = 1, 1
				}
			case 1:
				dist = randomCode(rng, ndist, 1, []int{ndist - 1}, false)
			default:
				dist = randomCode(rng, ndist, 1+rng.IntN(ndist), []int{ndist - 1}, deep)
			}
			w.bits(uint64(nlit-257), 5)
			w.bits(uint64(ndist-1), 5)
			w.bits(19-4, 4)
			for _, s := range preOrder {
				w.bits(uint64(prePlain[s]), 3)
			}
			codes := canonical(prePlain)
			for _, l := range append(slices.Clone(lit), dist...) {
				w.code(uint64(codes[l]), uint(prePlain[l]))
			}
			if nlit == 286 && ndist == 30 {
				cov.allSymbols++
			}
			if slices.Max(lit) == 15 || slices.Max(dist) == 15 {
				cov.fifteen++
			}
			if slices.Max(lit) > litBits || slices.Max(dist) > distBits {
				cov.subtables++
			}
			out = symbols(rng, w, lit, dist, out, cov)
		}
	}
	return w.zlib(out), out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// symbols writes a block's literals and copies, coded with lit and dist
// (the fixed code's have symbols past the alphabet, never written), then
// its end, and returns out with what they make.
func symbols(rng *rand.Rand, w *bitWriter, lit, dist []uint8, out []byte, cov *coverage) []byte {
	litCodes, distCodes := canonical(lit), canonical(dist)
	var lits, lengths, dists []int
	for s, l := range lit {
		switch {
		case l == 0 || s == 256 || s >= maxLit:
		case s < 256:
			lits = append(lits, s)
		default:
			lengths = append(lengths, s)
		}
	}
	for s, l := range dist {
		if l > 0 && s < maxDist {
			dists = append(dists, s)
		}
	}
	for range rng.IntN(400) {
		if len(lengths) > 0 && len(dists) > 0 && len(out) > 0 && rng.IntN(3) > 0 {
			ls := lengths[rng.IntN(len(lengths))]
			ds := dists[rng.IntN(len(dists))]
			if int(distBase[ds]) > len(out) {
				continue
			}
			lx := uint32(rng.IntN(1 << lengthExtra[ls-257]))
			dmax := min(int(distBase[ds])+1<<distExtra[ds]-1, len(out))
			d := int(distBase[ds]) + rng.IntN(dmax-int(distBase[ds])+1)
			if rng.IntN(2) == 0 {
				d = dmax // the farthest: 32,768 where out is that long
			}
			w.code(uint64(litCodes[ls]), uint(lit[ls]))
			w.bits(uint64(lx), uint(lengthExtra[ls-257]))
			w.code(uint64(distCodes[ds]), uint(dist[ds]))
			w.bits(uint64(d-int(distBase[ds])), uint(distExtra[ds]))
			for range int(lengthBase[ls-257]) + int(lx) {
				out = append(out, out[len(out)-d])
			}
			if ls == 285 {
				cov.len258++
			}
			if d == 32768 {
				cov.dist32K++
			}
			if lit[ls] > litBits || dist[ds] > distBits {
				cov.longCodes++
			}
			continue
		}
		if len(lits) == 0 {
			continue
		}
		s := lits[rng.IntN(len(lits))]
		w.code(uint64(litCodes[s]), uint(lit[s]))
		out = append(out, byte(s))
	}
	w.code(uint64(litCodes[256]), uint(lit[256]))
	return out
}

// coverage counts what craftedStream wrote.
type coverage struct {
	emptyStored, allSymbols, fifteen, subtables, len258, dist32K, longCodes int
}

// TestZlibCrafted: streams no encoder makes, of blocks of every kind with
// random codes, read as they were written, as compress/zlib reads them;
// cut anywhere, they are ErrShort; a bit flipped, an error or (where the
// flip still makes a valid stream) what compress/zlib reads.
func TestZlibCrafted(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var d Decoder
	var cov coverage
	for i := range 400 {
		prefix := 0
		if i%20 == 0 { // long enough for distances of 32,768
			prefix = 33000 + rng.IntN(40000)
		}
		src, want := craftedStream(rng, 1+rng.IntN(12), prefix, &cov)
		out := make([]byte, len(want))
		used, err := d.Zlib(out, append(bytes.Clone(src), "garbage after"...))
		if err != nil || used != len(src) || !bytes.Equal(out, want) {
			t.Fatalf("stream %d (%d bytes, %d of content): Zlib = %d, %v; content equal %v", i, len(src), len(want), used, err, bytes.Equal(out, want))
		}
		checkStd(t, src, want)
		for range 20 {
			cut := rng.IntN(len(src))
			if _, err := d.Zlib(out, src[:cut]); !errors.Is(err, ErrShort) {
				t.Fatalf("stream %d cut at %d of %d: Zlib = %v, want ErrShort", i, cut, len(src), err)
			}
		}
		for range 20 {
			bad := bytes.Clone(src)
			bad[2+rng.IntN(len(bad)-2)] ^= 1 << rng.IntN(8)
			_, err := d.Zlib(out, bad)
			r, zerr := zlib.NewReader(bytes.NewReader(bad))
			var std []byte
			if zerr == nil {
				std, zerr = io.ReadAll(r)
			}
			if err == nil && (zerr != nil || !bytes.Equal(std, out)) {
				t.Fatalf("stream %d, a bit flipped: Zlib reads it, compress/zlib: %v", i, zerr)
			}
		}
	}
	t.Logf("%+v", cov)
	for name, n := range map[string]int{"empty stored blocks": cov.emptyStored, "HLIT 286 and HDIST 30": cov.allSymbols, "15-bit codes": cov.fifteen,
		"codes in subtables": cov.subtables, "copies of 258": cov.len258, "distances of 32,768": cov.dist32K, "copies coded in subtables": cov.longCodes} {
		if n < 5 {
			t.Errorf("%d streams with %s, want at least 5", n, name)
		}
	}
}

// storedBlock writes the type and the rest of a stored block of n random
// bytes (its final bit written before), and returns out with them.
func storedBlock(w *bitWriter, rng *rand.Rand, n int, out []byte) []byte {
	w.bits(0, 2)
	w.bits(0, (8-w.nacc)&7)
	w.bits(uint64(n), 16)
	w.bits(uint64(^uint16(n)), 16)
	for range n {
		c := byte(rng.Uint32())
		w.bits(uint64(c), 8)
		out = append(out, c)
	}
	return out
}
