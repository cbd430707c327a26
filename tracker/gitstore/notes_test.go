package gitstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twokey/twokey/tracker"
)

// TestTwokeyWritesGitReads: records twokey writes are what `git notes show`
// and `git log --notes=twokey` print, and writing the same record again
// changes nothing.
func TestTwokeyWritesGitReads(t *testing.T) {
	g := newGitRepo(t, false)
	l := g.buildLandings()
	ctx := context.Background()
	for i, c := range []string{l.merge, l.squash, l.rebase} {
		rec := mergeRecord(c, c, i+1, []string{"merge", "squash", "rebase"}[i])
		line, err := rec.MarshalLine()
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second write must be a no-op
			if err := fixedLocal(g.dir).AppendRecord(ctx, c, rec); err != nil {
				t.Fatalf("AppendRecord(%s): %v", c, err)
			}
		}
		if got, want := g.run("notes", "--ref=twokey", "show", c), strings.TrimSpace(string(line)); got != want {
			t.Errorf("git notes show %s = %q, want %q", c, got, want)
		}
		if got := g.run("log", "-1", "--notes=twokey", "--format=%N", c); got != strings.TrimSpace(string(line)) {
			t.Errorf("git log --notes=twokey %s = %q, want the record line", c, got)
		}
	}
	if n := g.run("rev-list", "--count", tracker.NotesRef); n != "3" {
		t.Errorf("notes commits = %s, want 3 (re-runs must not write)", n)
	}
	if got := g.run("log", "-1", "--format=%an <%ae>", tracker.NotesRef); got != "twokey <twokey@users.noreply.github.com>" {
		t.Errorf("notes commit author = %q", got)
	}
	// git itself is happy with what we wrote.
	g.run("fsck", "--strict", "--no-progress")
}

// TestGitWritesTwokeyReads: notes added by `git notes add` and `git notes
// append` are read by twokey, loose and packed.
func TestGitWritesTwokeyReads(t *testing.T) {
	g := newGitRepo(t, false)
	l := g.buildLandings()
	rec := mergeRecord(l.squash, l.squash, 2, "squash")
	line, _ := rec.MarshalLine()
	push := tracker.Record{V: 1, Type: tracker.RecordPush, Repo: "acme/site", Commit: l.push, MergedBy: "root", Verdict: tracker.VerdictDirectPush}
	pline, _ := push.MarshalLine()
	g.run("notes", "--ref=twokey", "add", "-m", "reviewed on paper", l.push)
	g.run("notes", "--ref=twokey", "append", "-m", strings.TrimSpace(string(pline)), l.push)
	g.run("notes", "--ref=twokey", "add", "-m", strings.TrimSpace(string(line)), l.squash)

	for _, packed := range []bool{false, true} {
		if packed {
			g.run("repack", "-adq")
			g.run("prune-packed")
		}
		t.Run(fmt.Sprintf("packed=%v", packed), func(t *testing.T) {
			r, err := Open(g.dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			note, err := r.Note(context.Background(), l.squash)
			if err != nil {
				t.Fatal(err)
			}
			recs, skipped := tracker.ParseRecords(note)
			if skipped != 0 || len(recs) != 1 || recs[0].PR != 2 || recs[0].Head != l.squash {
				t.Errorf("Note(squash) = %d records %+v, skipped %d; want the PR 2 record", len(recs), recs, skipped)
			}
			note, _ = r.Note(context.Background(), l.push)
			recs, skipped = tracker.ParseRecords(note)
			if skipped != 1 || len(recs) != 1 || recs[0].Type != tracker.RecordPush {
				t.Errorf("Note(push) = %+v, skipped %d; want one push record and one skipped line", recs, skipped)
			}
			if note, _ := r.Note(context.Background(), l.merge); note != nil {
				t.Errorf("Note(merge) = %q, want nil", note)
			}
		})
	}
}

// TestFirstParent compares the walk with git log --first-parent, loose
// objects and packed (with deltas).
func TestFirstParent(t *testing.T) {
	g := newGitRepo(t, false)
	g.buildLandings()
	g.commit("multi.txt", "x\n", "A subject\nspread on two lines\n\nAnd a body.")
	want := g.run("log", "--first-parent", "--format=%H %ct %p|%s", "main")
	for _, packed := range []bool{false, true} {
		if packed {
			g.run("repack", "-adfq", "--depth=50", "--window=50")
			g.run("prune-packed")
		}
		r, err := Open(g.dir)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		err = r.FirstParent(context.Background(), "", func(c tracker.Commit) error {
			lines = append(lines, fmt.Sprintf("%s %d %d|%s", c.Hash, c.Time.Unix(), c.Parents, c.Subject))
			return nil
		})
		r.Close()
		if err != nil {
			t.Fatalf("FirstParent: %v", err)
		}
		// git prints abbreviated parents; compare counts instead.
		var wantLines []string
		for _, l := range strings.Split(want, "\n") {
			h, rest, _ := strings.Cut(l, " ")
			ct, rest, _ := strings.Cut(rest, " ")
			parents, subj, _ := strings.Cut(rest, "|")
			wantLines = append(wantLines, fmt.Sprintf("%s %s %d|%s", h, ct, len(strings.Fields(parents)), subj))
		}
		if diff := cmp.Diff(wantLines, lines); diff != "" {
			t.Errorf("FirstParent (packed=%v) diff (-want +got):\n%s", packed, diff)
		}
	}
}

func TestResolveRefErrors(t *testing.T) {
	g := newGitRepo(t, false)
	g.commit("a", "a\n", "one")
	r, err := Open(g.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, _, err := r.ResolveRef("nope"); err == nil || !strings.Contains(err.Error(), "fetch-depth") {
		t.Errorf("ResolveRef(nope) = %v, want ErrUnknownRef with a hint", err)
	}
	if name, _, err := r.ResolveRef(""); err != nil || name != "main" {
		t.Errorf("ResolveRef(\"\") = %q, %v; want main", name, err)
	}
	if _, err := Open(t.TempDir()); err == nil {
		t.Errorf("Open(empty dir) = nil error, want ErrNotRepository")
	}
}

// TestFanout: git switches notes trees to fan-out (ab/cdef…) as notes pile
// up; twokey reads them, and git reads what twokey writes back.
func TestFanout(t *testing.T) {
	g := newGitRepo(t, false)
	// 320 commits in one fast-import stream.
	var fi strings.Builder
	const n = 320
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&fi, "commit refs/heads/main\nmark :%d\ncommitter A <a@example.com> %d +0000\ndata <<EOF\nchange %d\nEOF\n", i, epoch.Unix()+int64(i), i)
		if i > 1 {
			fmt.Fprintf(&fi, "from :%d\n", i-1)
		}
		fmt.Fprintf(&fi, "M 644 inline page.txt\ndata <<EOF\n%d\nEOF\n\n", i)
	}
	g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet")
	shas := strings.Split(g.run("rev-list", "main"), "\n")
	if len(shas) != n {
		t.Fatalf("rev-list = %d commits, want %d", len(shas), n)
	}
	// git writes a note on each commit: one add, then copy to the rest.
	g.run("notes", "--ref=twokey", "add", "-m", "{\"v\":1,\"type\":\"push\",\"verdict\":\"direct_push\"}", shas[0])
	var copies strings.Builder
	for _, s := range shas[1:] {
		fmt.Fprintf(&copies, "%s %s\n", shas[0], s)
	}
	g.runIn(strings.NewReader(copies.String()), "notes", "--ref=twokey", "copy", "--stdin")
	top := g.run("ls-tree", "--name-only", tracker.NotesRef)
	if len(strings.Split(top, "\n")) > 256 || len(strings.Split(top, "\n")[0]) != 2 {
		t.Fatalf("git wrote a flat notes tree for %d notes; the test needs fan-out", n)
	}
	check := func(stage string) {
		t.Helper()
		r, err := Open(g.dir)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if c, err := r.NoteCount(); err != nil || c != n {
			t.Fatalf("%s: NoteCount = %d, %v; want %d", stage, c, err, n)
		}
		for _, s := range shas {
			note, err := r.Note(context.Background(), s)
			if recs, _ := tracker.ParseRecords(note); err != nil || len(recs) == 0 {
				t.Fatalf("%s: Note(%s) = %q, %v; want a record", stage, s, note, err)
			}
		}
	}
	check("git fan-out")
	// twokey appends to one note and rewrites the tree in its own layout.
	rec := mergeRecord(shas[5], shas[5], 9, "merge")
	if err := fixedLocal(g.dir).AppendRecord(context.Background(), shas[5], rec); err != nil {
		t.Fatal(err)
	}
	check("twokey rewrite")
	if got := strings.Count(g.run("notes", "--ref=twokey", "list"), "\n") + 1; got != n {
		t.Errorf("git notes list after twokey wrote = %d notes, want %d", got, n)
	}
	if got := g.run("notes", "--ref=twokey", "show", shas[5]); strings.Count(got, "\n") != 1 || !strings.Contains(got, `"pr":9`) {
		t.Errorf("git notes show after append = %q, want the old line and the record", got)
	}
	// And git writes on top of twokey's layout.
	g.run("notes", "--ref=twokey", "append", "-m", "by git again", shas[7])
	g.run("repack", "-adq")
	check("git after twokey, packed")
}

func TestNoteLines(t *testing.T) {
	tests := []struct {
		note, line, want string
		changed          bool
	}{
		{"", "{\"a\":1}\n", "{\"a\":1}\n", true},
		{"free text", "{\"a\":1}\n", "free text\n{\"a\":1}\n", true},
		{"{\"a\":1}\nother\n", "{\"a\":1}\n", "{\"a\":1}\nother\n", false},
	}
	for _, tt := range tests {
		got, changed := appendLine([]byte(tt.note), []byte(tt.line))
		if string(got) != tt.want || changed != tt.changed {
			t.Errorf("appendLine(%q, %q) = %q, %v; want %q, %v", tt.note, tt.line, got, changed, tt.want, tt.changed)
		}
	}
	if got, want := string(catSortUniq([]byte("b\na\n\n"), []byte("c\na\n"))), "a\nb\nc\n"; got != want {
		t.Errorf("catSortUniq = %q, want %q", got, want)
	}
}

// TestFetchNotesMerges: local and remote notes diverged; fetching merges
// them line by line like `git notes merge -s cat_sort_uniq`, and git agrees.
func TestFetchNotesMerges(t *testing.T) {
	ctx := context.Background()
	up := newGitRepo(t, false)
	l := up.buildLandings()
	if err := fixedLocal(up.dir).AppendRecord(ctx, l.merge, mergeRecord(l.merge, l.merge, 1, "merge")); err != nil {
		t.Fatal(err)
	}
	down := newGitRepo(t, false)
	down.run("fetch", "-q", up.dir, "main:refs/heads/up", "+refs/notes/twokey:refs/notes/twokey")
	// Both sides write after the common point: the same note and others.
	if err := fixedLocal(up.dir).AppendRecord(ctx, l.squash, mergeRecord(l.squash, l.squash, 2, "squash")); err != nil {
		t.Fatal(err)
	}
	up.run("notes", "--ref=twokey", "append", "-m", "upstream line", l.merge)
	if err := fixedLocal(down.dir).AppendRecord(ctx, l.rebase, mergeRecord(l.rebase, l.rebase, 3, "rebase")); err != nil {
		t.Fatal(err)
	}
	down.run("notes", "--ref=twokey", "append", "-m", "local line", l.merge)
	want := down.run("notes", "--ref=twokey", "show", l.merge) + "\n" + "upstream line"

	moved, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir)
	if err != nil || !moved {
		t.Fatalf("FetchNotes = %v, %v; want moved", moved, err)
	}
	for _, c := range []string{l.squash, l.rebase} {
		if !strings.Contains(down.run("notes", "--ref=twokey", "show", c), c) {
			t.Errorf("after FetchNotes, note of %s lacks its record", c)
		}
	}
	got := strings.Split(down.run("notes", "--ref=twokey", "show", l.merge), "\n")
	wantLines := strings.Split(strings.ReplaceAll(want, "\n\n", "\n"), "\n")
	if diff := cmp.Diff(sortedUniq(wantLines), got); diff != "" {
		t.Errorf("merged note diff (-want +got):\n%s", diff)
	}
	if p := down.run("log", "-1", "--format=%p", tracker.NotesRef); len(strings.Fields(p)) != 2 {
		t.Errorf("merged notes commit parents = %q, want two", p)
	}
	// Fetching again changes nothing.
	if moved, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil || moved {
		t.Errorf("second FetchNotes = %v, %v; want not moved", moved, err)
	}
}

// TestFetchNotesFirstAtDepthOne: a clone without notes fetches the
// remote's notes tip alone (shallow, as git fetch --depth 1 leaves it): it
// holds every record. The next fetch brings what was written since, on top
// of it, and git reads the notes throughout.
func TestFetchNotesFirstAtDepthOne(t *testing.T) {
	ctx := context.Background()
	up := newGitRepo(t, false)
	l := up.buildLandings()
	for i, c := range []string{l.merge, l.squash} {
		if err := fixedLocal(up.dir).AppendRecord(ctx, c, mergeRecord(c, c, i+1, "merge")); err != nil {
			t.Fatal(err)
		}
	}
	down := newGitRepo(t, false)
	down.run("fetch", "-q", up.dir, "main:refs/heads/up")

	if moved, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil || !moved {
		t.Fatalf("FetchNotes = %v, %v; want moved", moved, err)
	}
	if got, want := down.run("rev-parse", tracker.NotesRef), up.run("rev-parse", tracker.NotesRef); got != want {
		t.Errorf("notes = %s, want the remote's %s", got, want)
	}
	if n := down.run("rev-list", "--count", tracker.NotesRef); n != "1" {
		t.Errorf("the first fetch brought %s notes commits, want 1 (the tip)", n)
	}
	if sh := down.run("rev-parse", "--is-shallow-repository"); sh != "true" {
		t.Errorf("after the first fetch the clone is shallow %q, want true", sh)
	}
	for _, c := range []string{l.merge, l.squash} {
		if !strings.Contains(down.run("notes", "--ref=twokey", "show", c), c) {
			t.Errorf("git notes show %s lacks its record", c)
		}
	}

	if err := fixedLocal(up.dir).AppendRecord(ctx, l.rebase, mergeRecord(l.rebase, l.rebase, 3, "rebase")); err != nil {
		t.Fatal(err)
	}
	if moved, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil || !moved {
		t.Fatalf("second FetchNotes = %v, %v; want moved", moved, err)
	}
	if got, want := down.run("rev-parse", tracker.NotesRef), up.run("rev-parse", tracker.NotesRef); got != want {
		t.Errorf("notes after the second fetch = %s, want the remote's %s (a fast-forward)", got, want)
	}
	for _, c := range []string{l.merge, l.squash, l.rebase} {
		if !strings.Contains(down.run("notes", "--ref=twokey", "show", c), c) {
			t.Errorf("after the second fetch, git notes show %s lacks its record", c)
		}
	}
	// Both sides write: they merge at the commit both have, above the
	// shallow boundary, line by line, and git reads the merge.
	if err := fixedLocal(down.dir).AppendRecord(ctx, l.merge, mergeRecord(l.merge, l.merge, 4, "merge")); err != nil {
		t.Fatal(err)
	}
	if err := fixedLocal(up.dir).AppendRecord(ctx, l.squash, mergeRecord(l.squash, l.squash, 5, "squash")); err != nil {
		t.Fatal(err)
	}
	if moved, err := fixedLocal(down.dir).FetchNotes(ctx, up.dir); err != nil || !moved {
		t.Fatalf("FetchNotes after both wrote = %v, %v; want moved", moved, err)
	}
	if p := down.run("log", "-1", "--format=%p", tracker.NotesRef); len(strings.Fields(p)) != 2 {
		t.Errorf("merged notes commit parents = %q, want two", p)
	}
	for c, pr := range map[string]string{l.merge: `"pr":4`, l.squash: `"pr":5`} {
		if !strings.Contains(down.run("notes", "--ref=twokey", "show", c), pr) {
			t.Errorf("after the merge, git notes show %s lacks the record with %s", c, pr)
		}
	}
}

func sortedUniq(lines []string) []string {
	b := catSortUniq([]byte(strings.Join(lines, "\n")), nil)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestCheckCommit(t *testing.T) {
	for _, c := range []string{"", "abc", strings.Repeat("g", 40), strconv.Itoa(1)} {
		if _, err := checkCommit(c); err == nil {
			t.Errorf("checkCommit(%q) = nil error, want ErrBadCommit", c)
		}
	}
}

// TestOpenBareInsideWorkTree: a bare repository kept inside another
// repository's work tree opens as itself, not as the outer repository.
func TestOpenBareInsideWorkTree(t *testing.T) {
	g := newGitRepo(t, false)
	g.commit("a", "a\n", "outer")
	inner := g.dir + "/inner.git"
	g.run("init", "-q", "--bare", "-b", "main", inner)
	g.run("push", "-q", inner, "HEAD:refs/heads/only-inner")
	r, err := Open(inner)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, _, err := r.ResolveRef("only-inner"); err != nil {
		t.Errorf("Open(bare inside work tree).ResolveRef(only-inner) = %v, want found", err)
	}
}
