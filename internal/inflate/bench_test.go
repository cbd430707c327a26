package inflate

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// notesObjects are streams shaped like those a 1,000-commit --since window
// of a million merges inflates: 256 fan-out trees of 256 subtrees, 1,000
// trees of 15 notes, 1,000 merge commits and 900 notes, compressed at
// zlib's default level, as git compresses them.
func notesObjects(b *testing.B) (streams [][]byte, sizes []int) {
	r := rand.New(rand.NewPCG(3, 4))
	sha := func() []byte {
		h := make([]byte, 20)
		for i := range h {
			h[i] = byte(r.Uint32())
		}
		return h
	}
	add := func(content []byte) {
		streams = append(streams, zlibBytes(b, content, flate.DefaultCompression))
		sizes = append(sizes, len(content))
	}
	for range 256 {
		var t bytes.Buffer
		for i := range 256 {
			fmt.Fprintf(&t, "40000 %02x\x00", i)
			t.Write(sha())
		}
		add(t.Bytes())
	}
	for range 1000 {
		var t bytes.Buffer
		for range 15 {
			fmt.Fprintf(&t, "100644 %x\x00", sha()[:19])
			t.Write(sha())
		}
		add(t.Bytes())
	}
	for i := range 1000 {
		add(fmt.Appendf(nil, "tree %x\nparent %x\nparent %x\nauthor Merger <m@example.com> 1700000000 +0000\ncommitter Merger <m@example.com> 1700000000 +0000\n\nMerge pull request #%d from acme/brief-%d\n\n%s\n", sha(), sha(), sha(), i, i, strings.Repeat("body ", 10)))
	}
	for i := range 900 {
		add(fmt.Appendf(nil, `{"v":1,"type":"merge","commit":"%x","pr":%d,"head":"%x","merged_by":"dev","merged_at":"2025-12-20T00:%02d:00Z","keys":[{"key":"usability","login":"ux-lead","sha":"%x","at":"2025-12-19T10:00:00Z"},{"key":"backend","login":"be-lead","sha":"%x","at":"2025-12-19T11:00:00Z"}],"briefs":[%d]}`, sha(), i, sha(), i%60, sha(), sha(), i))
	}
	return streams, sizes
}

// BenchmarkNotesObjects inflates the objects of a --since window
// (notesObjects) with Decoder.Zlib and with compress/zlib, each object into
// a buffer of its size, as the audit does.
func BenchmarkNotesObjects(b *testing.B) {
	streams, sizes := notesObjects(b)
	out := make([]byte, 1<<16)
	b.Run("inflate", func(b *testing.B) {
		var d Decoder
		for b.Loop() {
			for i, s := range streams {
				if _, err := d.Zlib(out[:sizes[i]], s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("compress-zlib", func(b *testing.B) {
		var br bytes.Reader
		zr, err := zlib.NewReader(bytes.NewReader(streams[0]))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			for i, s := range streams {
				br.Reset(s)
				if err := zr.(zlib.Resetter).Reset(&br, nil); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(zr, out[:sizes[i]]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
