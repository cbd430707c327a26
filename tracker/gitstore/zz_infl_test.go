package gitstore

import (
	"bufio"
	"bytes"
	stdzlib "compress/zlib"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"testing"

	kzlib "github.com/klauspost/compress/zlib"

	"github.com/twokey/twokey/internal/inflate"
)

type zstream struct {
	src  []byte
	size int
	typ  int
}

func loadStreams(b *testing.B) []zstream {
	repo := os.Getenv("INFL_REPO")
	if repo == "" {
		b.Skip("INFL_REPO")
	}
	r, err := Open(repo)
	if err != nil {
		b.Fatal(err)
	}
	f, _ := os.Open("/tmp/objs.txt")
	sc := bufio.NewScanner(f)
	var out []zstream
	for sc.Scan() {
		var h [20]byte
		hex.Decode(h[:], sc.Bytes()[:40])
		p := r.objects.packs[0]
		off, ok := p.find(&h)
		if !ok {
			b.Fatal("missing")
		}
		d, _ := p.data.all()
		i := off
		c := d[i]
		i++
		typ := int(c>>4) & 7
		size := uint64(c & 15)
		shift := uint(4)
		for c&0x80 != 0 {
			c = d[i]
			i++
			size |= uint64(c&0x7f) << shift
			shift += 7
		}
		if typ == objOfsDelta {
			for {
				c = d[i]
				i++
				if c&0x80 == 0 {
					break
				}
			}
		}
		src := bytes.Clone(d[i : i+int64(min(int(size)+1024, len(d)-int(i)))])
		out = append(out, zstream{src, int(size), typ})
	}
	return out
}

func BenchmarkInflateK(b *testing.B) {
	s := loadStreams(b)
	var br bytes.Reader
	zr, _ := kzlib.NewReader(bytes.NewReader(s[0].src))
	buf := make([]byte, 1<<20)
	b.ResetTimer()
	for range b.N {
		for _, z := range s {
			br.Reset(z.src)
			zr.(kzlib.Resetter).Reset(&br, nil)
			if _, err := io.ReadFull(zr, buf[:z.size]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/set")
}

func BenchmarkInflateStd(b *testing.B) {
	s := loadStreams(b)
	var br bytes.Reader
	zr, _ := stdzlib.NewReader(bytes.NewReader(s[0].src))
	buf := make([]byte, 1<<20)
	b.ResetTimer()
	for range b.N {
		for _, z := range s {
			br.Reset(z.src)
			zr.(stdzlib.Resetter).Reset(&br, nil)
			if _, err := io.ReadFull(zr, buf[:z.size]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/set")
}

func BenchmarkInflateMine(b *testing.B) {
	s := loadStreams(b)
	var d inflate.Decoder
	buf := make([]byte, 1<<20)
	b.ResetTimer()
	for range b.N {
		for _, z := range s {
			if _, err := d.Zlib(buf[:z.size], z.src); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/set")
}

func BenchmarkInflateCheck(b *testing.B) {
	s := loadStreams(b)
	var d inflate.Decoder
	for i, z := range s {
		want := make([]byte, z.size)
		zr, err := stdzlib.NewReader(bytes.NewReader(z.src))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(zr, want); err != nil {
			b.Fatal(err)
		}
		got := make([]byte, z.size)
		if _, err := d.Zlib(got, z.src); err != nil {
			b.Fatalf("%d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			b.Fatalf("%d: differ", i)
		}
	}
}

func BenchmarkInflateKinds(b *testing.B) {
	s := loadStreams(b)
	var d inflate.Decoder
	buf := make([]byte, 1<<20)
	groups := map[string][]zstream{}
	for _, z := range s {
		k := fmt.Sprintf("typ%d", z.typ)
		if z.typ == objTree && z.size > 4000 {
			k = "L1tree"
		}
		groups[k] = append(groups[k], z)
	}
	for k, g := range groups {
		tot := 0
		for _, z := range g {
			tot += z.size
		}
		b.Run(fmt.Sprintf("%s-n%d-%dKB", k, len(g), tot>>10), func(b *testing.B) {
			for range b.N {
				for _, z := range g {
					if _, err := d.Zlib(buf[:z.size], z.src); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/set")
		})
		b.Run(fmt.Sprintf("K-%s", k), func(b *testing.B) {
			var br bytes.Reader
			zr, _ := kzlib.NewReader(bytes.NewReader(s[0].src))
			for range b.N {
				for _, z := range g {
					br.Reset(z.src)
					zr.(kzlib.Resetter).Reset(&br, nil)
					if _, err := io.ReadFull(zr, buf[:z.size]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/set")
		})
	}
}
