package gitstore

import (
	"context"
	"os"
	"testing"

	"github.com/twokey/twokey/tracker"
)

// BenchmarkAudit audits the repository named by TWOKEY_BENCH_REPO (make one
// with go run ./scripts/genhistory -dir DIR -n 10000, or run
// scripts/bench-audit.sh): the walk, the notes and the classification,
// without output.
func BenchmarkAudit(b *testing.B) {
	dir := os.Getenv("TWOKEY_BENCH_REPO")
	if dir == "" {
		b.Skip("set TWOKEY_BENCH_REPO to a repository made by scripts/genhistory")
	}
	for b.Loop() {
		r, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := tracker.Audit(context.Background(), r, r, "main", tracker.AuditOptions{})
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
		b.ReportMetric(float64(rep.Summary.Total), "commits")
	}
}
