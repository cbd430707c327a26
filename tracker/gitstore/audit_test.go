package gitstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twokey/twokey/tracker"
)

// TestAuditMatchesGitLog: the audit of a packed history with a
// commit-graph and delta-compressed notes (read on several goroutines)
// joins each commit with the note git log --notes shows for it.
func TestAuditMatchesGitLog(t *testing.T) {
	g := newGitRepo(t, true)
	var fi strings.Builder
	fmt.Fprintf(&fi, "commit refs/heads/main\nmark :1\ncommitter A <a@example.com> %d +0000\ndata <<EOF\nroot\nEOF\n\n", epoch.Unix())
	const n = 600
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&fi, "commit refs/heads/main\nmark :%d\ncommitter A <a@example.com> %d +0000\ndata <<EOF\nchange %d\nEOF\nfrom :%d\n\n", i, epoch.Unix()+int64(i), i, i-1)
	}
	fmt.Fprintf(&fi, "commit refs/notes/twokey\ncommitter twokey <t@example.com> %d +0000\ndata <<EOF\nnotes\nEOF\n", epoch.Unix()+n+1)
	for i := 1; i <= n; i++ {
		switch {
		case i%10 == 0: // no note
		case i%13 == 0:
			fmt.Fprintf(&fi, "N inline :%d\ndata 0\n\n", i) // an empty note
		default:
			line, err := mergeRecord("", fmt.Sprintf("%040d", i), i, "merge").MarshalLine()
			if err != nil {
				t.Fatal(err)
			}
			if i%7 == 0 {
				line = append(line, "reviewed on paper\n"...)
			}
			fmt.Fprintf(&fi, "N inline :%d\ndata %d\n%s\n", i, len(line), line)
		}
	}
	g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet")
	g.run("repack", "-adfq", "--depth=50", "--window=50")
	g.run("commit-graph", "write", "--reachable")

	type row struct {
		Commit string
		PR     int
		Class  tracker.AuditClass
	}
	var want []row
	for _, l := range strings.Split(strings.TrimSuffix(g.run("log", "--first-parent", "--notes=twokey", "--format=%H%x00%N%x01", "main"), "\x01"), "\x01\n") {
		hash, note, _ := strings.Cut(l, "\x00")
		e := tracker.ClassifyRecords(hash, recordsOf(tracker.ParseRecords([]byte(note))))
		want = append(want, row{hash, e.PR, e.Class})
	}
	if len(want) != n {
		t.Fatalf("git log = %d commits, want %d", len(want), n)
	}
	r := openWorkers(t, g.dir)
	if r.graph == nil {
		t.Fatal("no commit-graph")
	}
	var wg sync.WaitGroup // Note on several goroutines besides the audit
	for range 3 {
		wg.Go(func() {
			for _, w := range want[:100] {
				if _, err := r.Note(context.Background(), w.Commit); err != nil {
					t.Errorf("Note(%s): %v", w.Commit, err)
				}
			}
		})
	}
	rep, err := tracker.Audit(context.Background(), r, r, "main", tracker.AuditOptions{})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for _, e := range rep.Entries {
		got = append(got, row{e.Commit, e.PR, e.Class})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Audit diff with git log --notes (-want +got):\n%s", diff)
	}
	if want := n/7 - n/70 - n/91 + n/910; len(rep.Warnings) != want {
		t.Errorf("Audit warnings = %d, want %d", len(rep.Warnings), want)
	}
}

// recordsOf drops the skipped count of ParseRecords.
func recordsOf(recs []tracker.Record, _ int) []tracker.Record { return recs }

// TestAuditLandings: merge, squash and a two-commit rebase merge, recorded as
// the action records them, and a direct push, on a real git history: the
// audit classes every commit the merges put on main ok, the push
// direct_push, and the commit before twokey no_record.
func TestAuditLandings(t *testing.T) {
	g := newGitRepo(t, false)
	l := g.buildLandings()
	ctx := context.Background()
	rebase := mergeRecord(l.rebase, l.rebase, 3, "rebase")
	rebase.Landed = []string{l.rebaseFirst}
	push := tracker.Record{V: 1, Type: tracker.RecordPush, Repo: "acme/site", Commit: l.push, MergedBy: "root", MergedAt: epoch, Verdict: tracker.VerdictDirectPush}
	for c, rec := range map[string]tracker.Record{
		l.merge: mergeRecord(l.merge, l.merge, 1, "merge"), l.squash: mergeRecord(l.squash, l.squash, 2, "squash"),
		l.rebase: rebase, l.push: push,
	} {
		if err := fixedLocal(g.dir).AppendRecord(ctx, c, rec); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Open(g.dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := tracker.Audit(ctx, r, r, "main", tracker.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rep.Entries {
		got = append(got, fmt.Sprintf("%s %d", e.Class, e.PR))
	}
	want := []string{"direct_push 0", "ok 3", "ok 3", "ok 2", "ok 1", "no_record 0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit classes, newest first (-want +got):\n%s", diff)
	}
	if rep.Entries[2].Commit != l.rebaseFirst {
		t.Errorf("third entry = %s, want the rebase merge's first commit %s", rep.Entries[2].Commit, l.rebaseFirst)
	}
}
