package gitstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/twokey/twokey/tracker"
)

// notesHistory makes a bare repository with n commits on main and, for the
// first notes of them, one notes commit per note (the history the record
// job leaves), written by git fast-import. It returns the commits, oldest
// first.
func notesHistory(t *testing.T, n, notes int) (*gitRepo, []string) {
	t.Helper()
	g := newGitRepo(t, true)
	var fi strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&fi, "commit refs/heads/main\nmark :%d\ncommitter A <a@example.com> %d +0000\ndata <<EOF\nchange %d\nEOF\n", i, epoch.Unix()+int64(i), i)
		if i > 1 {
			fmt.Fprintf(&fi, "from :%d\n", i-1)
		}
		fmt.Fprintf(&fi, "M 644 inline page.txt\ndata <<EOF\n%d\nEOF\n\n", i)
	}
	for i := 1; i <= notes; i++ {
		fmt.Fprintf(&fi, "commit refs/notes/twokey\ncommitter twokey <twokey@users.noreply.github.com> %d +0000\ndata <<EOF\nNotes added by twokey\nEOF\n", epoch.Unix()+int64(n+i))
		fmt.Fprintf(&fi, "N inline :%d\ndata <<EOF\n{\"v\":1,\"type\":\"merge\",\"pr\":%d}\nEOF\n\n", i, i)
	}
	g.runIn(strings.NewReader(fi.String()), "fast-import", "--quiet")
	g.run("repack", "-adq")
	commits := strings.Split(g.run("rev-list", "--reverse", "main"), "\n")
	if len(commits) != n {
		t.Fatalf("rev-list = %d commits, want %d", len(commits), n)
	}
	return g, commits
}

// countObjects counts the objects of each type in pack of those s fetched,
// its blobs included.
func countObjects(t *testing.T, s *notesStore, pack int) map[int]int {
	t.Helper()
	if err := s.nameBlobs(pack); err != nil {
		t.Fatal(err)
	}
	p := s.objs.packs[pack]
	counts := map[int]int{}
	names, err := p.names()
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.n {
		h := [20]byte(names[i*20 : i*20+20])
		typ, _, err := s.objs.read(&h)
		if err != nil {
			t.Fatal(err)
		}
		counts[typ]++
	}
	return counts
}

// looseObjects counts the loose objects of a repository: a push of fewer
// than 100 objects is unpacked into loose objects by the remote.
func looseObjects(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "objects", "[0-9a-f][0-9a-f]", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// TestShallowFetchAndPush: against `git http-backend`, the first fetch
// brings the notes tip alone (one commit, however long the history), a
// fetch that names that tip as had brings only the commits written since,
// and a push from the shallow store sends only the new objects and leaves
// a remote git finds whole and reads.
func TestShallowFetchAndPush(t *testing.T) {
	bare, commits := notesHistory(t, 40, 30)
	url, _ := httpRemote(t, bare)
	c, err := dial(url, &githttp.BasicAuth{Username: "x-access-token", Password: testToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := newNotesStore()
	tip, err := c.fetch(ctx, s, nil, 1, filterNone)
	if err != nil {
		t.Fatalf("fetch --depth 1: %v", err)
	}
	if want := bare.run("rev-parse", tracker.NotesRef); tip.String() != want {
		t.Fatalf("fetched tip %s, want %s", tip, want)
	}
	if got := countObjects(t, s, 0); got[objCommit] != 1 || got[objBlob] != 30 {
		t.Errorf("depth-1 fetch of 30 notes commits holds %d commits and %d blobs, want 1 and 30", got[objCommit], got[objBlob])
	}

	// Three more notes on the remote: a fetch having tip brings those three.
	for i := 30; i < 33; i++ {
		bare.run("notes", "--ref=twokey", "add", "-m", fmt.Sprintf("by git %d", i), commits[i])
	}
	tip2, err := c.fetch(ctx, s, []plumbing.Hash{tip}, 0, filterNone)
	if err != nil {
		t.Fatalf("fetch having the tip: %v", err)
	}
	if got := countObjects(t, s, 1); got[objCommit] != 3 || got[objBlob] != 3 {
		t.Errorf("fetch since the tip holds %d commits and %d blobs, want the 3 new of each", got[objCommit], got[objBlob])
	}
	if ok, err := descends(s, tip2, tip); err != nil || !ok {
		t.Errorf("descends(new tip, old tip) = %v, %v; want true", ok, err)
	}
	if ok, err := descends(s, tip, tip2); err != nil || ok {
		t.Errorf("descends(old tip, new tip) = %v, %v; want false", ok, err)
	}

	// A push from the shallow store: the note's blob, the trees on its
	// path and the commit, nothing else.
	rs := &recorder{EncodedObjectStorer: s}
	line := []byte(`{"v":1,"type":"merge","pr":99}`)
	next, changed, err := addRecord(rs, tip2, commits[35], line, object.Signature{Name: "t", Email: "t@example.com", When: epoch})
	if err != nil || !changed {
		t.Fatalf("addRecord = %v, %v", changed, err)
	}
	before := looseObjects(t, bare.dir)
	if err := c.push(ctx, s, tip2, next, rs.created); err != nil {
		t.Fatalf("push: %v", err)
	}
	if got := looseObjects(t, bare.dir) - before; got != len(rs.created) || got > 4 {
		t.Errorf("push added %d objects to the remote, want the %d written (at most 4)", got, len(rs.created))
	}
	if got := bare.run("notes", "--ref=twokey", "show", commits[35]); got != string(line) {
		t.Errorf("git notes show after push = %q, want %q", got, line)
	}
	if got := strings.Count(bare.run("notes", "--ref=twokey", "list"), "\n") + 1; got != 34 {
		t.Errorf("git notes list = %d notes, want 34", got)
	}
	bare.run("fsck", "--strict", "--no-progress")

	// The ref moved since: push refuses to send and says so.
	if err := c.push(ctx, s, tip2, next, rs.created); err != errRemoteMoved {
		t.Errorf("push on a stale tip = %v, want errRemoteMoved", err)
	}
}

// rejectOnce installs a pre-receive hook in the bare repository that, on
// the first push only, runs script (git commands on the remote, as another
// writer would) and then rejects the push.
func rejectOnce(t *testing.T, g *gitRepo, script string) {
	t.Helper()
	once := filepath.Join(g.dir, "reject-once")
	if err := os.WriteFile(once, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	hook := "#!/bin/sh\n[ -f " + once + " ] || exit 0\nrm -f " + once + "\n" +
		// objects written here must outlive the rejected push's quarantine
		"unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n" +
		"git() { command git -c user.name=Other -c user.email=other@example.com \"$@\"; }\n" +
		script + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(g.dir, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestAppendRecordMergesAfterRejection: another writer changes the same
// note and another between our fetch and our push; the push is rejected,
// and the retry merges the note line by line on top of what the remote
// has now, keeping both writers' lines and the other note. Served as
// GitHub serves, the fetches bring commits only and the paths the merge
// reads (the note we append to, then the other writer's version of it,
// each under a root tree) are fetched by name; served with filters but
// nothing by name (in v0), the append starts again without a filter. In
// protocol v2 each round asks for the notes ref alone (ls-refs).
func TestAppendRecordMergesAfterRejection(t *testing.T) {
	for _, c := range []struct {
		kind    string
		v0      bool
		fetches int64
		lsRefs  int64
	}{
		{serveGitHub, false, 6, 2}, // the tip commit, its root, our note; after the rejection, the commits since, their root and their note
		{serveFilter, false, 6, 2}, // in v2 as GitHub: a want may name any object
		{servePlain, false, 2, 2},  // the tip; after the rejection, the commits since
		{serveGitHub, true, 6, 0},
		{serveFilter, true, 3, 0}, // the tip without blobs; again with them; after the rejection, the commits since
		{servePlain, true, 2, 0},
	} {
		serve, proto := serveAs, "v2"
		if c.v0 {
			serve, proto = serveV0, "v0"
		}
		t.Run(proto+"/"+c.kind, func(t *testing.T) {
			bare, commits := notesHistory(t, 20, 10)
			target, other := commits[3], commits[15]
			rejectOnce(t, bare, fmt.Sprintf("git notes --ref=twokey append -m 'another writer' %s\ngit notes --ref=twokey add -m 'a new note' %s", target, other))
			url, calls := serve(t, bare, c.kind)
			r := OpenRemote(url, testAuth())
			r.Now = func() time.Time { return epoch }
			r.Sleep = func(context.Context, time.Duration) error { return nil }
			rec := mergeRecord(target, target, 7, "merge")
			line, _ := rec.MarshalLine()
			if err := r.AppendRecord(context.Background(), target, rec); err != nil {
				t.Fatalf("AppendRecord: %v", err)
			}
			if got := calls.Pushes.Load(); got != 2 {
				t.Errorf("pushes = %d, want 2 (rejected, then the merge)", got)
			}
			if got := calls.Fetches.Load(); got != c.fetches {
				t.Errorf("fetches = %d, want %d", got, c.fetches)
			}
			if got := calls.LsRefs.Load(); got != c.lsRefs {
				t.Errorf("ls-refs = %d, want %d", got, c.lsRefs)
			}
			want := string(catSortUniq([]byte("{\"v\":1,\"type\":\"merge\",\"pr\":4}\nanother writer\n"), line))
			if got := bare.run("notes", "--ref=twokey", "show", target) + "\n"; got != want {
				t.Errorf("merged note = %q, want %q", got, want)
			}
			if got := bare.run("notes", "--ref=twokey", "show", other); got != "a new note" {
				t.Errorf("other writer's new note = %q", got)
			}
			if parents := strings.Fields(bare.run("log", "-1", "--format=%p", tracker.NotesRef)); len(parents) != 2 {
				t.Errorf("notes tip parents = %v, want a merge", parents)
			}
			if got := strings.Count(bare.run("notes", "--ref=twokey", "list"), "\n") + 1; got != 11 {
				t.Errorf("notes = %d, want 11", got)
			}
			bare.run("fsck", "--strict", "--no-progress")
		})
	}
}

// TestAppendRecordRewrittenRemote: the remote's notes history is replaced
// (a force push) between our fetch and our push; the commit we built on is
// gone from it, so the retry fetches the whole history and merges trees in
// full: our record and the new history's notes are all there.
func TestAppendRecordRewrittenRemote(t *testing.T) {
	for _, kind := range []string{serveGitHub, servePlain} {
		t.Run(kind, func(t *testing.T) {
			bare, commits := notesHistory(t, 20, 10)
			rejectOnce(t, bare, fmt.Sprintf("git update-ref -d %s\ngit notes --ref=twokey add -m 'rewritten' %s", tracker.NotesRef, commits[12]))
			url, calls := serveAs(t, bare, kind)
			r := OpenRemote(url, testAuth())
			r.Sleep = func(context.Context, time.Duration) error { return nil }
			rec := mergeRecord(commits[2], commits[2], 3, "merge")
			if err := r.AppendRecord(context.Background(), commits[2], rec); err != nil {
				t.Fatalf("AppendRecord: %v", err)
			}
			if got := calls.Pushes.Load(); got != 2 {
				t.Errorf("pushes = %d, want 2", got)
			}
			if got := bare.run("notes", "--ref=twokey", "show", commits[12]); got != "rewritten" {
				t.Errorf("note of the new history = %q", got)
			}
			if got := bare.run("notes", "--ref=twokey", "show", commits[2]); !strings.Contains(got, `"pr":3,`) {
				t.Errorf("our note = %q, want our record", got)
			}
			bare.run("fsck", "--strict", "--no-progress")
		})
	}
}

// TestSetNoteFanout: notes added one by one with setNote stay flat up to
// 256 and then move into fan-out directories; git lists every note of each
// tree, and lookupNote finds each.
func TestSetNoteFanout(t *testing.T) {
	g := newGitRepo(t, false)
	g.commit("a", "a\n", "one")
	ctx := context.Background()
	l := fixedLocal(g.dir)
	var objs []string
	for i := range 300 {
		obj := fmt.Sprintf("%040x", uint64(i)*0x9e3779b97f4a7c15)
		objs = append(objs, obj)
		if err := l.AppendRecord(ctx, obj, tracker.Record{V: 1, Type: tracker.RecordPush, PR: i}); err != nil {
			t.Fatal(err)
		}
		if i == 255 || i == 256 {
			top := strings.Split(g.run("ls-tree", "--name-only", tracker.NotesRef), "\n")
			flat := len(top[0]) == 40
			if wantFlat := i == 255; flat != wantFlat || (flat && len(top) != 256) {
				t.Errorf("after %d notes: root has %d entries like %q, want flat=%v", i+1, len(top), top[0], wantFlat)
			}
		}
	}
	list := strings.Split(g.run("notes", "--ref=twokey", "list"), "\n")
	var got []string
	for _, l := range list {
		got = append(got, strings.Fields(l)[1])
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(objs))
	if !slices.Equal(got, want) {
		t.Errorf("git notes list: %d notes, want the %d written", len(got), len(want))
	}
	r, err := Open(g.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, obj := range objs {
		note, err := r.Note(ctx, obj)
		recs, _ := tracker.ParseRecords(note)
		if err != nil || len(recs) != 1 || recs[0].PR != i {
			t.Fatalf("Note(%s) = %q, %v; want PR %d", obj, note, err, i)
		}
	}
	g.run("fsck", "--strict", "--no-progress")
}
