package gitstore

import (
	"context"
	"crypto/sha1"
	"fmt"
	"strconv"
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
	const n = 600
	buildNotedHistory(t, g, n)
	g.run("repack", "-adfq", "--depth=50", "--window=50")
	g.run("commit-graph", "write", "--reachable")
	want := gitLogRows(t, g)
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
	if diff := cmp.Diff(want, auditRows(rep)); diff != "" {
		t.Errorf("Audit diff with git log --notes (-want +got):\n%s", diff)
	}
	if want := n/7 - n/70 - n/91 + n/910; len(rep.Warnings) != want {
		t.Errorf("Audit warnings = %d, want %d", len(rep.Warnings), want)
	}
}

// buildNotedHistory writes n commits on main with fast-import, and a notes
// commit on refs/notes/twokey holding a record on most of them: none on
// every tenth, an empty note on every 13th, a line that is not a record
// after it on every 7th.
func buildNotedHistory(t *testing.T, g *gitRepo, n int) {
	t.Helper()
	var fi strings.Builder
	fmt.Fprintf(&fi, "commit refs/heads/main\nmark :1\ncommitter A <a@example.com> %d +0000\ndata <<EOF\nroot\nEOF\n\n", epoch.Unix())
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&fi, "commit refs/heads/main\nmark :%d\ncommitter A <a@example.com> %d +0000\ndata <<EOF\nchange %d\nEOF\nfrom :%d\n\n", i, epoch.Unix()+int64(i), i, i-1)
	}
	fmt.Fprintf(&fi, "commit refs/notes/twokey\ncommitter twokey <t@example.com> %d +0000\ndata <<EOF\nnotes\nEOF\n", epoch.Unix()+int64(n)+1)
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
}

// auditRow is what TestAuditMatchesGitLog compares of each commit.
type auditRow struct {
	Commit string
	PR     int
	Class  tracker.AuditClass
}

// gitLogRows classifies the notes git log --first-parent --notes shows.
func gitLogRows(t *testing.T, g *gitRepo) []auditRow {
	t.Helper()
	var rows []auditRow
	for _, l := range strings.Split(strings.TrimSuffix(g.run("log", "--first-parent", "--notes=twokey", "--format=%H%x00%N%x01", "main"), "\x01"), "\x01\n") {
		hash, note, _ := strings.Cut(l, "\x00")
		e := tracker.ClassifyRecords(hash, recordsOf(tracker.ParseRecords([]byte(note))))
		rows = append(rows, auditRow{hash, e.PR, e.Class})
	}
	return rows
}

func auditRows(rep *tracker.AuditReport) []auditRow {
	var rows []auditRow
	for _, e := range rep.Entries {
		rows = append(rows, auditRow{e.Commit, e.PR, e.Class})
	}
	return rows
}

// TestAuditNotesLayouts: with the notes objects packed, loose (as git
// notes writes them), or spread over 70 packs (two words of the pack
// filter's bits), the audit is git log's, and each note reads the same,
// a note larger than the loose reader's first read included.
func TestAuditNotesLayouts(t *testing.T) {
	g := newGitRepo(t, true)
	const n = 300
	buildNotedHistory(t, g, n)
	main := strings.Fields(g.run("rev-list", "--first-parent", "main"))
	big := strings.Repeat(fmt.Sprintf("%x", sha1Of("big")), 400) // 16 kB, a line that is not a record
	g.run("notes", "--ref=twokey", "append", "-m", big, main[5])
	g.run("repack", "-adq")
	want := gitLogRows(t, g)
	notes := func(layout string) map[string]string {
		r := openWorkers(t, g.dir)
		rep, err := tracker.Audit(context.Background(), r, r, "main", tracker.AuditOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, auditRows(rep)); diff != "" {
			t.Errorf("%s: audit diff with git log --notes (-want +got):\n%s", layout, diff)
		}
		m := map[string]string{}
		for _, c := range main {
			note, err := r.Note(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			m[c] = string(note)
		}
		if r.objects.fallbacks != 0 {
			t.Errorf("%s: %d objects read through go-git, want none", layout, r.objects.fallbacks)
		}
		return m
	}
	packed := notes("packed")
	if !strings.Contains(packed[main[5]], big) {
		t.Fatalf("note of %s = %.80q…, want the 16 kB line", main[5], packed[main[5]])
	}

	// Loose: the notes history unpacked, everything else packed.
	tip := g.run("rev-parse", "refs/notes/twokey")
	objects := g.run("rev-list", "--objects", "refs/notes/twokey")
	var ids strings.Builder
	for l := range strings.Lines(objects) {
		ids.WriteString(strings.Fields(l)[0] + "\n")
	}
	pack := g.runRaw(strings.NewReader(ids.String()), "pack-objects", "-q", "--stdout")
	g.run("update-ref", "-d", "refs/notes/twokey")
	g.run("repack", "-adq")
	g.runIn(strings.NewReader(pack), "unpack-objects", "-q")
	g.run("update-ref", "refs/notes/twokey", tip)
	loose := looseCount(t, g)
	if wantLoose := strings.Count(objects, "\n") + 1; loose != wantLoose {
		t.Fatalf("%d loose objects, want the %d of the notes history", loose, wantLoose)
	}
	if diff := cmp.Diff(packed, notes("loose")); diff != "" {
		t.Errorf("loose notes differ from packed (-packed +loose):\n%s", diff)
	}

	// 70 packs of notes objects, the rest in one.
	lines := strings.Split(strings.TrimSpace(ids.String()), "\n")
	for i := range 70 {
		var chunk strings.Builder
		for j := i; j < len(lines); j += 70 {
			chunk.WriteString(lines[j] + "\n")
		}
		g.runIn(strings.NewReader(chunk.String()), "pack-objects", "-q", "objects/pack/pack")
	}
	g.run("prune-packed")
	if c := looseCount(t, g); c != 0 {
		t.Fatalf("%d loose objects left, want 0", c)
	}
	r := openWorkers(t, g.dir)
	if f := r.objects.filter; f == nil || len(f.sparse) != 71 || f.words != 2 {
		t.Fatalf("pack filter = %+v, want 71 packs in 2 words", f)
	}
	if diff := cmp.Diff(packed, notes("70 packs")); diff != "" {
		t.Errorf("notes in 70 packs differ from packed (-packed +packs):\n%s", diff)
	}
}

func sha1Of(s string) [20]byte { return sha1.Sum([]byte(s)) }

// looseCount is the number of loose objects git counts.
func looseCount(t *testing.T, g *gitRepo) int {
	t.Helper()
	for l := range strings.Lines(g.run("count-objects", "-v")) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "count: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("git count-objects -v printed no count")
	return 0
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

// TestAuditReleasingMappedPages: a walk that hands back the mapped pages of
// the packs and the commit-graph every few commits (as a million-commit
// walk does every 65,536) reads the same history and notes as git.
func TestAuditReleasingMappedPages(t *testing.T) {
	g := newGitRepo(t, true)
	buildNotedHistory(t, g, 200)
	g.run("repack", "-adq")
	g.run("commit-graph", "write", "--reachable")
	want := gitLogRows(t, g)
	old := releaseEvery
	releaseEvery = 3
	t.Cleanup(func() { releaseEvery = old })
	r := openWorkers(t, g.dir)
	if r.graph == nil {
		t.Fatal("no commit-graph read: the walk would not release anything")
	}
	rep, err := tracker.Audit(context.Background(), r, r, "main", tracker.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, auditRows(rep)); diff != "" {
		t.Errorf("audit diff with git log --notes (-want +got):\n%s", diff)
	}
}
