package gitstore

import (
	"bufio"
	"context"
	"io"
	"os"
	"testing"

	"github.com/twokey/twokey/tracker"
)

// BenchmarkAudit audits the repository named by TWOKEY_BENCH_REPO (make one
// with go run ./scripts/genhistory -dir DIR -n 10000, or run
// scripts/bench-audit.sh): the walk, the notes and the classification, then
// (json) the report written as `twokey audit --format json` writes it. Run it
// with GOGC=400, as twokey audit sets.
func BenchmarkAudit(b *testing.B) {
	dir := os.Getenv("TWOKEY_BENCH_REPO")
	if dir == "" {
		b.Skip("set TWOKEY_BENCH_REPO to a repository made by scripts/genhistory")
	}
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
