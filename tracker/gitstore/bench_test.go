package gitstore

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/twokey/twokey/tracker"
)

// BenchmarkAudit audits the repository named by TWOKEY_BENCH_REPO (make one
// with go run ./scripts/genhistory -dir DIR -n 10000, or run
// scripts/bench-audit.sh): the walk, the notes and the classification, then
// (json) the report written as `twokey audit --format json` writes it. Run it
// with GOGC=400, as twokey audit sets.
func BenchmarkAudit(b *testing.B) {
	dir := benchRepo(b, "set TWOKEY_BENCH_REPO to a repository made by scripts/genhistory")
	audit := func(b *testing.B) *tracker.AuditReport {
		r, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		rep, err := tracker.Audit(context.Background(), r, r, "main", tracker.AuditOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.Summary.Total), "commits")
		return rep
	}
	b.Run("walk", func(b *testing.B) {
		for b.Loop() {
			audit(b)
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			rep := audit(b)
			w := bufio.NewWriterSize(io.Discard, 64*1024)
			if err := rep.WriteJSON(w); err != nil {
				b.Fatal(err)
			}
			w.Flush()
		}
	})
}

// benchRepo is the repository TWOKEY_BENCH_REPO names, a relative path
// taken from the module's root, where the scripts run (go test runs in
// this package's directory, from which Open would find twokey's own
// repository above); without it the benchmark is skipped, saying skip.
func benchRepo(b *testing.B, skip string) string {
	dir := os.Getenv("TWOKEY_BENCH_REPO")
	if dir == "" {
		b.Skip(skip)
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir)
	}
	if _, err := os.Stat(dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkLooseObjects reads every loose object of the repository named by
// TWOKEY_BENCH_REPO (scripts/bench-records.sh makes
// scripts/bench-data/history-100000-loose, whose notes objects are loose)
// on one goroutine, to say what a loose object costs and where: "files"
// opens, reads and closes each file (the system calls, the floor of any
// reader of loose objects), "inflate" inflates the files' bytes held in
// memory, "read" is both as the audit reads a note (readHinted). Each
// reports ns/object.
func BenchmarkLooseObjects(b *testing.B) {
	dir := benchRepo(b, "set TWOKEY_BENCH_REPO to a repository with loose objects")
	r, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	o := r.objects
	var names []string // ab/cdef…
	var hashes [][20]byte
	for i := range 256 {
		sub := fmt.Sprintf("%02x", i)
		files, _ := os.ReadDir(filepath.Join(o.dir, sub))
		for _, f := range files {
			var h [20]byte
			if _, err := hex.Decode(h[:], []byte(sub+f.Name())); err != nil || len(f.Name()) != 38 {
				continue
			}
			names, hashes = append(names, sub+"/"+f.Name()), append(hashes, h)
		}
	}
	if len(names) == 0 {
		b.Skip("no loose objects in " + dir)
	}
	perObject := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/object")
	}
	b.Run("files", func(b *testing.B) {
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			for _, name := range names {
				data, _, err := o.loose.read(name, buf)
				if err != nil {
					b.Fatal(err)
				}
				buf = data[:0]
			}
		}
		perObject(b)
	})
	b.Run("inflate", func(b *testing.B) {
		raw := make([][]byte, len(names))
		for i, name := range names {
			if raw[i], err = os.ReadFile(filepath.Join(o.dir, name)); err != nil {
				b.Fatal(err)
			}
		}
		var buf []byte
		b.ResetTimer()
		for b.Loop() {
			for _, f := range raw {
				_, data, err := o.inflateLoose(f, buf)
				if err != nil {
					b.Fatal(err)
				}
				buf = data[:0]
			}
		}
		perObject(b)
	})
	b.Run("read", func(b *testing.B) {
		var at readHint
		at.store(hintLoose)
		var buf []byte
		for b.Loop() {
			for i := range hashes {
				_, data, err := o.readHinted(&hashes[i], buf, &at)
				if err != nil {
					b.Fatal(err)
				}
				buf = data[:0]
			}
		}
		perObject(b)
	})
}
