// Package inflate decompresses a zlib stream (RFC 1950, 1951) held whole in
// memory into a buffer: of the size its reader already knows (Zlib), as a
// git pack object declares its size ahead of its stream, or of a bound
// (ZlibUpTo), as for a loose object, whose size is inside its stream.
//
// It exists for the audit's hot path. A --since window of a thousand merges
// inflates about 3,000 small streams (commits, notes trees, notes), and
// compress/flate and github.com/klauspost/compress spend much of that on
// what a reader of a whole buffer does not need: an io.Reader per stream, a
// 32 KiB sliding window, and Huffman tables rebuilt with a fixed large size.
// Here input and output are slices, the output is its own window, and the
// tables are sized to the codes; BenchmarkNotesObjects measures the gain.
//
// Every stream is checked as zlib checks it: the header, every code (over-
// subscribed and incomplete codes are refused, except the single one-bit
// code zlib accepts), every distance against the output so far, the exact
// size, and the Adler-32 checksum. Corrupt input returns an error, never a
// panic (FuzzZlib compares it with compress/zlib).
package inflate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"math/bits"
	"sync"
)

// ErrCorrupt is wrapped by every error about a stream's content.
var ErrCorrupt = errors.New("corrupt zlib stream")

// ErrTooLong is ZlibUpTo's error for a stream that holds more than its
// buffer.
var ErrTooLong = errors.New("zlib stream longer than its buffer")

// ErrShort is wrapped, with ErrCorrupt, by the errors of a stream that
// ends before it is whole: its input was cut short.
var ErrShort = errors.New("input ends early")

// short is the error of a stream cut short, before what.
func short(what string) error {
	return fmt.Errorf("%w: stream ends %s: %w", ErrCorrupt, what, ErrShort)
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// A table entry: how many bits its code takes (low 4 bits), how many extra
// bits follow it (next 4), what it is (flags), and its value (high 16 bits):
// a literal byte, a length or distance base, or, for a code longer than the
// primary table's bits, where its subtable starts.
const (
	fLiteral = 1 << 8
	fLength  = 1 << 9 // a length (litlen table) or a distance (distance table)
	fEnd     = 1 << 10
	fSub     = 1 << 11 // the extra-bits field holds the subtable's bits
)

const (
	maxCodeLen = 15
	litBits    = 10 // primary table bits, at most, for literals/lengths
	distBits   = 8  // and for distances
	preBits    = 7  // code-length codes are at most 7 bits: one table
	maxLit     = 286
	maxDist    = 30
)

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	preOrder    = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// table is a decoding table: a primary part of 1<<bits entries indexed by
// the next bits of the stream, then the subtables of the longer codes.
type table struct {
	e    []uint32
	bits uint
	mask uint64
}

// Largest tables: a primary part, and one subtable of 1<<(15-bits) entries
// for each code longer than the primary part at most.
const (
	litSize  = 1<<litBits + maxLit<<(maxCodeLen-litBits)
	distSize = 1<<distBits + maxDist<<(maxCodeLen-distBits)
)

// A Decoder inflates streams, one at a time, reusing its tables. Its zero
// value is ready; keep one per goroutine (or in a sync.Pool).
type Decoder struct {
	lit, dist, pre table
	litE           [litSize]uint32
	distE          [distSize]uint32
	preE           [1 << preBits]uint32
	lens           [maxLit + maxDist]uint8
}

// The fixed code's tables, built on first use.
var fixed = sync.OnceValue(func() *Decoder {
	d := new(Decoder)
	var lens [288 + 32]uint8
	for i := range 288 {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	for i := range 32 {
		lens[288+i] = 5
	}
	if err := d.lit.build(d.litE[:], lens[:288], litBits, litCodes); err != nil {
		panic(err) // the fixed code is complete
	}
	if err := d.dist.build(d.distE[:], lens[288:], distBits, distCodes); err != nil {
		panic(err)
	}
	return d
})

// What a table decodes.
const (
	litCodes  = iota // literals, lengths and the end of a block
	distCodes        // distances
	lenCodes         // code lengths: the entry's value is the symbol
)

// build makes t the decoding table, in e, of the canonical code whose
// lengths lens gives, for symbols of kind, with a primary part of at most
// maxBits bits. Symbols past the alphabet (286 and 287, distances 30 and
// 31) decode as invalid.
func (t *table) build(e []uint32, lens []uint8, maxBits uint, kind int) error {
	var count [maxCodeLen + 1]int
	max := 0
	for _, l := range lens {
		count[l]++
		if int(l) > max {
			max = int(l)
		}
	}
	count[0] = 0
	if max == 0 {
		// No codes: valid for a distance code never used. Every
		// entry decodes as invalid.
		t.bits, t.mask = 1, 1
		t.e = e[:2]
		t.e[0], t.e[1] = 0, 0
		return nil
	}
	left := 1
	for l := 1; l <= maxCodeLen; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return corrupt("over-subscribed code")
		}
	}
	if left > 0 && !(max == 1 && count[1] == 1) {
		return corrupt("incomplete code")
	}
	bits := min(uint(max), maxBits)
	t.bits, t.mask = bits, 1<<bits-1
	size := 1 << bits
	t.e = e[:size]
	clear(t.e) // unfilled entries (an incomplete code) decode as invalid
	// The first code of each length, in canonical order.
	var next [maxCodeLen + 2]uint32
	code := uint32(0)
	for l := 1; l <= maxCodeLen; l++ {
		code = (code + uint32(count[l-1])) << 1
		next[l] = code
	}
	subBits := uint(0)
	if uint(max) > bits {
		subBits = uint(max) - bits
	}
	for sym, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		rev := reverse(c, uint(l))
		v := entry(sym, kind)
		if uint(l) <= bits {
			for i := rev; i < uint32(size); i += 1 << l {
				t.e[i] = v | uint32(l)
			}
			continue
		}
		// A long code: its first bits lead to a subtable, made when the
		// first code with those bits comes (no shorter code has them).
		p := rev & uint32(t.mask)
		if t.e[p]&fSub == 0 {
			start := len(t.e)
			n := 1 << subBits
			if start+n > len(e) {
				return corrupt("code too large") // cannot happen: e is sized for the longest codes
			}
			t.e = e[:start+n]
			clear(t.e[start:])
			t.e[p] = uint32(start)<<16 | fSub | uint32(subBits)<<4 | uint32(bits)
		}
		start := t.e[p] >> 16
		ll := uint(l) - bits
		for i := rev >> bits; i < 1<<subBits; i += 1 << ll {
			t.e[start+i] = v | uint32(ll)
		}
	}
	return nil
}

// entry is the table entry of sym, a symbol of kind, without its code
// length.
func entry(sym, kind int) uint32 {
	switch {
	case kind == lenCodes:
		return uint32(sym)<<16 | fLength
	case kind == litCodes && sym < 256:
		return uint32(sym)<<16 | fLiteral
	case kind == litCodes && sym == 256:
		return fEnd
	case kind == litCodes && sym < maxLit:
		i := sym - 257
		return uint32(lengthBase[i])<<16 | fLength | uint32(lengthExtra[i])<<4
	case kind == distCodes && sym < maxDist:
		return uint32(distBase[sym])<<16 | fLength | uint32(distExtra[sym])<<4
	}
	return 0 // past the alphabet: invalid
}

func reverse(c uint32, n uint) uint32 {
	return uint32(bits.Reverse16(uint16(c))) >> (16 - n)
}

// bitReader reads src from the least significant bit of each byte. Past
// the end it reads zeros, counted in pos, so that a stream that ends early
// is found out when its end is checked.
type bitReader struct {
	src []byte
	pos int    // next byte of src to load; past len(src) when zeros were read
	buf uint64 // bits loaded, the next in the low bits
	n   uint   // how many bits of buf are loaded
}

// past reports whether bits past the end of src were taken: the stream
// was cut short, whatever its zeros then decoded to.
func (b *bitReader) past() bool {
	return b.pos-int(b.n>>3) > len(b.src)
}

// refill loads at least 56 bits. Bits of buf above n may hold the bytes
// that follow, as the next refill will load them again, unchanged.
func (b *bitReader) refill() {
	if b.pos+8 <= len(b.src) {
		b.buf |= binary.LittleEndian.Uint64(b.src[b.pos:]) << b.n
		b.pos += int((63 - b.n) >> 3)
		b.n |= 56
		return
	}
	for b.n <= 56 {
		if b.pos < len(b.src) {
			b.buf |= uint64(b.src[b.pos]) << b.n
		}
		b.pos++
		b.n += 8
	}
}

// bits returns the next n bits (n <= 32) and drops them. Call refill first.
func (b *bitReader) bits(n uint) uint32 {
	v := uint32(b.buf & (1<<n - 1))
	b.buf >>= n
	b.n -= n
	return v
}

// need refills unless n bits are loaded.
func (b *bitReader) need(n uint) {
	if b.n < n {
		b.refill()
	}
}

// align drops the bits up to the next byte and returns the position of
// that byte in src, the bits loaded past it given back.
func (b *bitReader) align() int {
	b.n -= b.n & 7
	at := b.pos - int(b.n>>3)
	b.buf, b.n = 0, 0
	b.pos = at
	return at
}

// Zlib inflates the zlib stream at the start of src into out, which must
// be exactly as long as the stream's content, and returns how many bytes
// of src the stream took. A stream that is corrupt, ends early, holds more
// or less than len(out), or fails its checksum is an error wrapping
// ErrCorrupt; out's content is then undefined.
func (d *Decoder) Zlib(out, src []byte) (int, error) {
	n, used, err := d.ZlibUpTo(out, src)
	switch {
	case errors.Is(err, ErrTooLong):
		return 0, corrupt("stream holds more than %d bytes", len(out))
	case err != nil:
		return 0, err
	case n != len(out):
		return 0, corrupt("stream holds %d bytes, want %d", n, len(out))
	}
	return used, nil
}

// ZlibUpTo inflates the zlib stream at the start of src into out, for a
// stream whose length is not known ahead (a loose object's is inside it),
// and returns the content's length and how many bytes of src the stream
// took. A stream that holds more than out is ErrTooLong, and n then how
// many of its first bytes out holds; one that is corrupt, ends early or
// fails its checksum is an error wrapping ErrCorrupt.
func (d *Decoder) ZlibUpTo(out, src []byte) (n, used int, err error) {
	if len(src) < 2 {
		return 0, 0, short("before its zlib header")
	}
	cmf, flg := src[0], src[1]
	switch {
	case cmf&15 != 8 || cmf>>4 > 7:
		return 0, 0, corrupt("not deflate (zlib header %02x%02x)", cmf, flg)
	case (uint(cmf)<<8|uint(flg))%31 != 0:
		return 0, 0, corrupt("zlib header check failed")
	case flg&0x20 != 0:
		return 0, 0, corrupt("zlib stream needs a preset dictionary")
	}
	b := bitReader{src: src, pos: 2}
	o := 0
	for {
		b.need(3)
		final := b.bits(1)
		switch b.bits(2) {
		case 0:
			o, err = stored(&b, out, o)
		case 1:
			f := fixed()
			o, err = huffman(&b, out, o, &f.lit, &f.dist)
		case 2:
			if err = d.readTables(&b); err == nil {
				o, err = huffman(&b, out, o, &d.lit, &d.dist)
			}
		default:
			err = corrupt("reserved block type")
		}
		switch {
		case b.past() && !errors.Is(err, ErrShort):
			// Zeros read past the end decode to anything: too long an
			// output, an invalid code, or nothing wrong yet.
			return 0, 0, short("early")
		case errors.Is(err, ErrTooLong):
			return o, 0, err
		case err != nil:
			return 0, 0, err
		}
		if final == 1 {
			break
		}
	}
	at := b.align()
	if at+4 > len(src) {
		return 0, 0, short("before its checksum")
	}
	if binary.BigEndian.Uint32(src[at:]) != adler32.Checksum(out[:o]) {
		return 0, 0, corrupt("checksum mismatch")
	}
	return o, at + 4, nil
}

// stored copies a stored block.
func stored(b *bitReader, out []byte, o int) (int, error) {
	at := b.align()
	if at+4 > len(b.src) {
		return 0, short("early")
	}
	n := int(binary.LittleEndian.Uint16(b.src[at:]))
	if uint16(n) != ^binary.LittleEndian.Uint16(b.src[at+2:]) {
		return 0, corrupt("stored block length check failed")
	}
	at += 4
	if at+n > len(b.src) {
		return 0, short("early")
	}
	if o+n > len(out) {
		return o, ErrTooLong
	}
	copy(out[o:], b.src[at:at+n])
	b.pos = at + n
	return o + n, nil
}

// readTables reads a dynamic block's code lengths and builds its tables.
func (d *Decoder) readTables(b *bitReader) error {
	b.need(14)
	nlit := int(b.bits(5)) + 257
	ndist := int(b.bits(5)) + 1
	npre := int(b.bits(4)) + 4
	if nlit > maxLit || ndist > maxDist {
		return corrupt("too many length or distance codes")
	}
	var pre [19]uint8
	for i := range npre {
		b.need(3)
		pre[preOrder[i]] = uint8(b.bits(3))
	}
	if err := d.pre.build(d.preE[:], pre[:], preBits, lenCodes); err != nil {
		return err
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		b.need(16)
		e := d.pre.e[b.buf&d.pre.mask]
		n := uint(e & 15)
		if n == 0 {
			return corrupt("invalid code length code")
		}
		b.buf >>= n
		b.n -= n
		s := int(e >> 16)
		if s < 16 {
			lens[i] = uint8(s)
			i++
			continue
		}
		var rep int
		var v uint8
		switch s {
		case 16:
			if i == 0 {
				return corrupt("repeated code length with nothing before it")
			}
			v, rep = lens[i-1], 3+int(b.bits(2))
		case 17:
			rep = 3 + int(b.bits(3))
		default:
			rep = 11 + int(b.bits(7))
		}
		if i+rep > len(lens) {
			return corrupt("code lengths overrun")
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if lens[256] == 0 {
		return corrupt("no end-of-block code")
	}
	if err := d.lit.build(d.litE[:], lens[:nlit], litBits, litCodes); err != nil {
		return err
	}
	return d.dist.build(d.distE[:], lens[nlit:], distBits, distCodes)
}

// huffman decodes a Huffman-coded block with tables lit and dist. It
// keeps the bit reader's state in locals: the loop runs once a byte.
func huffman(b *bitReader, out []byte, o int, lit, dist *table) (int, error) {
	src, pos, buf, n := b.src, b.pos, b.buf, b.n
	litE, litMask, litBits := lit.e, lit.mask, lit.bits
	defer func() { b.pos, b.buf, b.n = pos, buf, n }()
	for {
		if n < 15 {
			if pos+8 <= len(src) {
				buf |= binary.LittleEndian.Uint64(src[pos:]) << n
				pos += int((63 - n) >> 3)
				n |= 56
			} else {
				b.pos, b.buf, b.n = pos, buf, n
				b.refill()
				pos, buf, n = b.pos, b.buf, b.n
			}
		}
		e := litE[buf&litMask]
		if e&fSub != 0 {
			buf >>= litBits
			n -= litBits
			e = litE[e>>16+uint32(buf&(1<<(e>>4&15)-1))]
		}
		buf >>= e & 15
		n -= uint(e & 15)
		if e&fLiteral != 0 {
			if o >= len(out) {
				return o, ErrTooLong
			}
			out[o] = byte(e >> 16)
			o++
			continue
		}
		if e&fLength == 0 {
			if e&fEnd != 0 {
				return o, nil
			}
			return 0, corrupt("invalid literal/length code")
		}
		// A length (5 extra bits at most), then a distance (15 bits and 13
		// extra at most): 33 bits.
		if n < 33 {
			b.pos, b.buf, b.n = pos, buf, n
			b.refill()
			pos, buf, n = b.pos, b.buf, b.n
		}
		x := uint(e >> 4 & 15)
		length := int(e>>16) + int(buf&(1<<x-1))
		buf >>= x
		n -= x
		e = dist.e[buf&dist.mask]
		if e&fSub != 0 {
			buf >>= dist.bits
			n -= dist.bits
			e = dist.e[e>>16+uint32(buf&(1<<(e>>4&15)-1))]
		}
		buf >>= e & 15
		n -= uint(e & 15)
		if e&fLength == 0 {
			return 0, corrupt("invalid distance code")
		}
		x = uint(e >> 4 & 15)
		d := int(e>>16) + int(buf&(1<<x-1))
		buf >>= x
		n -= x
		if d > o {
			return 0, corrupt("distance %d before the start", d)
		}
		end := o + length
		if end > len(out) {
			return o, ErrTooLong
		}
		from := o - d
		if d >= length {
			copy(out[o:end], out[from:from+length])
		} else {
			for m := o; m < end; {
				m += copy(out[m:end], out[from:m])
			}
		}
		o = end
		if pos-int(n>>3) > len(src) {
			return 0, short("early") // a run of zeros past the end copies on forever
		}
	}
}
