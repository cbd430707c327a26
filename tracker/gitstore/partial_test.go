package gitstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/twokey/twokey/internal/gitserver"
	"github.com/twokey/twokey/tracker"
)

// The servers the record job meets, by what their upload-pack serves.
const (
	serveGitHub = "github" // filter and allow-reachable-sha1-in-want, as GitHub advertises
	serveFilter = "filter" // filter alone: a blob cannot be asked for by its name
	servePlain  = "plain"  // neither: git's defaults
	serveNoTree = "notree" // as GitHub, but no tree:<depth> filter (uploadpackfilter.tree.allow=false)
	serveTips   = "tips"   // filter, and by name only the refs' tips (allow-tip-sha1-in-want): never a tree or a note
)

// serveAs serves the bare repository g over smart HTTP as the server kind
// serves it, counting fetches and pushes.
func serveAs(t *testing.T, g *gitRepo, kind string) (url string, calls *gitserver.Calls) {
	t.Helper()
	g.run("config", "http.receivepack", "true")
	switch kind {
	case serveGitHub:
		g.run("config", "uploadpack.allowFilter", "true")
		g.run("config", "uploadpack.allowReachableSHA1InWant", "true")
	case serveNoTree:
		g.run("config", "uploadpack.allowFilter", "true")
		g.run("config", "uploadpack.allowReachableSHA1InWant", "true")
		g.run("config", "uploadpackfilter.tree.allow", "false")
	case serveFilter:
		g.run("config", "uploadpack.allowFilter", "true")
	case serveTips:
		g.run("config", "uploadpack.allowFilter", "true")
		g.run("config", "uploadpack.allowTipSHA1InWant", "true")
	case servePlain:
	default:
		t.Fatalf("unknown server kind %q", kind)
	}
	base, calls := gitserver.ServeCalls(t, filepath.Dir(g.dir), g.home, testToken)
	return base + "/" + filepath.Base(g.dir), calls
}

func testAuth() *githttp.BasicAuth {
	return &githttp.BasicAuth{Username: "x-access-token", Password: testToken}
}

// TestFilteredFetch: against a remote that filters, a depth-1 fetch with
// --filter=tree:0 brings the tip commit alone and one with blob:none the
// commit and its trees; a tree asked for by name comes alone, and so does a
// note (no haves: the remote would take the tip as proof that we hold it).
// A remote without the filter capability sends every note anyway, and one
// that serves no object by its name says so.
func TestFilteredFetch(t *testing.T) {
	bare, commits := notesHistory(t, 40, 30)
	ctx := context.Background()
	noteBlob := func(commit string) plumbing.Hash {
		return plumbing.NewHash(bare.run("rev-parse", tracker.NotesRef+":"+commit))
	}

	url, _ := serveAs(t, bare, serveGitHub)
	c, err := dial(url, testAuth())
	if err != nil {
		t.Fatal(err)
	}
	s := newNotesStore()
	tip, err := c.fetch(ctx, s, nil, 1, filterTrees)
	if err != nil {
		t.Fatalf("fetch --depth 1 --filter=tree:0: %v", err)
	}
	if got := countObjects(t, s, 0); got[objCommit] != 1 || len(got) != 1 || c.filter != filterTrees {
		t.Errorf("depth-1 fetch with tree:0 holds %v objects by type (filter %s), want the commit alone", got, c.filter)
	}
	root := mustTree(t, s, tip)
	if err := c.fetchObject(ctx, s, root); err != nil {
		t.Fatalf("fetchObject(root): %v", err)
	}
	if got := countObjects(t, s, 1); got[objTree] != 1 || len(got) != 1 {
		t.Errorf("root tree fetched by name: %v objects by type, want the tree alone", got)
	}
	blob := noteBlob(commits[5])
	if got, err := lookupNote(s, root, commits[5]); err != nil || got != blob {
		t.Errorf("lookupNote in the fetched root = %s, %v; want %s", got, err, blob)
	}
	if s.HasEncodedObject(blob) == nil {
		t.Fatalf("note blob %s fetched with the tree", blob)
	}
	if err := c.fetchObject(ctx, s, blob); err != nil {
		t.Fatalf("fetchObject(note): %v", err)
	}
	if got := countObjects(t, s, 2); got[objBlob] != 1 || len(got) != 1 {
		t.Errorf("note fetched by name: %v objects by type, want the one blob", got)
	}
	if note, err := readBlob(s, blob); err != nil || !strings.Contains(string(note), `"pr":6}`) {
		t.Errorf("fetched note = %q, %v; want the record of PR 6", note, err)
	}

	s = newNotesStore()
	if _, err := c.fetch(ctx, s, nil, 1, filterBlobs); err != nil {
		t.Fatalf("fetch --depth 1 --filter=blob:none: %v", err)
	}
	if got := countObjects(t, s, 0); got[objCommit] != 1 || got[objTree] != 1 || len(got) != 2 {
		t.Errorf("depth-1 fetch without blobs holds %v objects by type, want 1 commit, 1 tree", got)
	}

	bare.run("config", "--unset", "uploadpack.allowReachableSHA1InWant") // serveFilter
	s = newNotesStore()
	if _, err := c.fetch(ctx, s, nil, 1, filterTrees); err != nil {
		t.Fatal(err)
	}
	if got := countObjects(t, s, 0); c.filter != filterBlobs || got[objTree] != 1 || got[objBlob] != 0 {
		t.Errorf("fetch asking for tree:0 from a remote that sends nothing by name used %s and holds %v; want blob:none", c.filter, got)
	}
	if err := c.fetchObject(ctx, s, noteBlob(commits[6])); !errors.Is(err, errNoWantByName) {
		t.Errorf("fetchObject from a remote without allow-*-sha1-in-want = %v, want errNoWantByName", err)
	}

	bare.run("config", "--unset", "uploadpack.allowFilter") // servePlain
	s = newNotesStore()
	if _, err := c.fetch(ctx, s, nil, 1, filterTrees); err != nil {
		t.Fatalf("fetch asking for a filter from a remote without filters: %v", err)
	}
	if got := countObjects(t, s, 0); c.filter != filterNone || got[objBlob] != 30 {
		t.Errorf("depth-1 fetch from a remote without filters used %s and holds %d blobs, want none and all 30 notes", c.filter, got[objBlob])
	}
}

func mustTree(t *testing.T, s *notesStore, commit plumbing.Hash) plumbing.Hash {
	t.Helper()
	root, err := notesTreeOf(s, commit)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// notePath returns how many trees lead to the note on commit in the notes
// tree of g (the root, then fan-out trees) and whether there is a note, as
// git lists them.
func notePath(g *gitRepo, commit string) (trees int, note bool) {
	tree, rest := tracker.NotesRef+"^{tree}", commit
	for tree != "" {
		trees++
		next := ""
		for l := range strings.Lines(g.runRaw(nil, "ls-tree", tree)) {
			f := strings.Fields(l) // mode type name path
			switch {
			case f[1] == "blob" && f[3] == rest:
				return trees, true
			case f[1] == "tree" && len(rest) > 2 && f[3] == rest[:2]:
				next = f[2]
			}
		}
		if next != "" {
			rest = rest[2:]
		}
		tree = next
	}
	return trees, false
}

// TestAppendRecordServers: the record job against each kind of server, on
// flat and fan-out notes trees. A record on a commit that has a note is
// appended to it, a re-run changes nothing and pushes nothing, and a
// record on a commit without a note adds one; git finds the remote whole
// (the pushes named trees and notes the pusher never had) and reads the
// notes. Served as GitHub serves, the fetch brings the tip commit alone and
// each tree on the note's path and the note are fetched by name; served
// with filters but nothing by name, the tip comes without notes and an
// existing note makes the append start again with them; served by a remote
// that refuses tree:0, the append starts again with blob:none; served
// plain, the tip comes whole.
func TestAppendRecordServers(t *testing.T) {
	for _, c := range []struct {
		kind  string
		notes int
	}{
		{serveGitHub, 10},
		{serveGitHub, 300}, // fan-out trees
		{serveNoTree, 10},
		{serveFilter, 10},
		{serveTips, 10}, // served as filter alone: no round asks for a tree by name
		{servePlain, 10},
	} {
		t.Run(fmt.Sprintf("%s/%d notes", c.kind, c.notes), func(t *testing.T) {
			bare, commits := notesHistory(t, c.notes+10, c.notes)
			url, calls := serveAs(t, bare, c.kind)
			r := OpenRemote(url, testAuth())
			r.Now = func() time.Time { return epoch }
			ctx := context.Background()
			// upload-pack POSTs of an append to the note on commit
			fetches := func(commit string) int64 {
				trees, note := notePath(bare, commit)
				switch {
				case c.kind == serveGitHub && note:
					return int64(1 + trees + 1)
				case c.kind == serveGitHub:
					return int64(1 + trees)
				case c.kind == serveNoTree && note:
					return 3 // tree:0 refused, blob:none, the note
				case c.kind == serveNoTree, (c.kind == serveFilter || c.kind == serveTips) && note:
					return 2
				}
				return 1
			}
			step := func(name string, commit string, rec tracker.Record, pushes int64) {
				t.Helper()
				want := fetches(commit)
				f0, p0 := calls.Fetches.Load(), calls.Pushes.Load()
				if err := r.AppendRecord(ctx, commit, rec); err != nil {
					t.Fatalf("%s: AppendRecord: %v", name, err)
				}
				if f, p := calls.Fetches.Load()-f0, calls.Pushes.Load()-p0; f != want || p != pushes {
					t.Errorf("%s: %d fetches and %d pushes, want %d and %d", name, f, p, want, pushes)
				}
			}
			target := commits[3] // notesHistory's note: {"v":1,"type":"merge","pr":4}
			if trees, note := notePath(bare, target); !note || (c.notes > 256) != (trees > 1) {
				t.Fatalf("notesHistory's note on %s: %d trees on its path, note %v", target, trees, note)
			}
			rec := mergeRecord(target, target, 7, "merge")
			line, _ := rec.MarshalLine()
			want := "{\"v\":1,\"type\":\"merge\",\"pr\":4}\n" + strings.TrimSpace(string(line))
			step("existing note", target, rec, 1)
			if got := bare.run("notes", "--ref=twokey", "show", target); got != want {
				t.Errorf("note after the append = %q, want the old line then ours: %q", got, want)
			}
			step("re-run", target, rec, 0)
			if got := bare.run("notes", "--ref=twokey", "show", target); got != want {
				t.Errorf("note after the re-run = %q, want it unchanged: %q", got, want)
			}
			fresh := commits[c.notes+5]
			step("new note", fresh, mergeRecord(fresh, fresh, 8, "merge"), 1)
			if got := bare.run("notes", "--ref=twokey", "show", fresh); !strings.Contains(got, `"pr":8,`) {
				t.Errorf("new note = %q, want the record of PR 8", got)
			}
			if got := strings.Count(bare.run("notes", "--ref=twokey", "list"), "\n") + 1; got != c.notes+1 {
				t.Errorf("git notes list = %d notes, want %d", got, c.notes+1)
			}
			bare.run("fsck", "--strict", "--no-progress")
		})
	}
}
