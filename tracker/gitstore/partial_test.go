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
// serves it, counting fetches and pushes. It answers in protocol v2 when
// asked to, as GitHub does; in v2 a want may name any object, so the
// "filter" and "tips" kinds serve objects by name there (see serveV0).
func serveAs(t *testing.T, g *gitRepo, kind string) (url string, calls *gitserver.Calls) {
	t.Helper()
	return serveWith(t, g, kind, gitserver.Options{})
}

// serveV0 is serveAs by a server that speaks protocol v0 alone.
func serveV0(t *testing.T, g *gitRepo, kind string) (url string, calls *gitserver.Calls) {
	t.Helper()
	return serveWith(t, g, kind, gitserver.Options{V0Only: true})
}

func serveWith(t *testing.T, g *gitRepo, kind string, opts gitserver.Options) (url string, calls *gitserver.Calls) {
	t.Helper()
	g.run("config", "http.receivepack", "true")
	switch kind {
	case serveGitHub:
		g.run("config", "uploadpack.allowFilter", "true")
		g.run("config", "uploadpack.allowReachableSHA1InWant", "true")
		g.run("config", "receive.hideRefs", "refs/pull") // pushing to a pull request's refs fails on GitHub
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
	base, calls := gitserver.ServeWith(t, filepath.Dir(g.dir), g.home, testToken, opts)
	return base + "/" + filepath.Base(g.dir), calls
}

func testAuth() *githttp.BasicAuth {
	return &githttp.BasicAuth{Username: "x-access-token", Password: testToken}
}

// TestFilteredFetch: against a remote that filters, a depth-1 fetch with
// --filter=tree:0 brings the tip commit alone and one with blob:none the
// commit and its trees; a tree asked for by name comes alone, and so does a
// note (no haves: the remote would take the tip as proof that we hold it).
// A remote without the filter capability sends every note anyway. In
// protocol v0 a remote that serves no object by its name says so; in v2
// any object may be asked for by name, and the fetches ask for the notes
// ref alone (ls-refs).
func TestFilteredFetch(t *testing.T) {
	for _, proto := range []string{"v2", "v0"} {
		t.Run(proto, func(t *testing.T) {
			testFilteredFetch(t, proto == "v0")
		})
	}
}

func testFilteredFetch(t *testing.T, v0 bool) {
	bare, commits := notesHistory(t, 40, 30)
	ctx := context.Background()
	noteBlob := func(commit string) plumbing.Hash {
		return plumbing.NewHash(bare.run("rev-parse", tracker.NotesRef+":"+commit))
	}
	serve := serveAs
	if v0 {
		serve = serveV0
	}
	url, calls := serve(t, bare, serveGitHub)
	redial := func() *conn { // a conn asks which protocol once
		t.Helper()
		c, err := dial(url, testAuth())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := redial()
	s := newNotesStore()
	tip, err := c.fetch(ctx, s, nil, 1, filterTrees)
	if err != nil {
		t.Fatalf("fetch --depth 1 --filter=tree:0: %v", err)
	}
	if got := countObjects(t, s, 0); got[objCommit] != 1 || len(got) != 1 || c.filter != filterTrees {
		t.Errorf("depth-1 fetch with tree:0 holds %v objects by type (filter %s), want the commit alone", got, c.filter)
	}
	if lsRefs, v2 := calls.LsRefs.Load(), calls.V2.Load(); (v0 && (lsRefs != 0 || v2 != 0 || c.v2 != nil)) || (!v0 && (lsRefs != 1 || v2 != 3 || c.v2 == nil)) {
		t.Errorf("fetch over v0=%v: %d ls-refs, %d requests in v2, conn in v2: %v", v0, lsRefs, v2, c.v2 != nil)
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
	if got, want := calls.Fetches.Load(), int64(3); got != want {
		t.Errorf("%d packs asked for, want %d", got, want)
	}

	s = newNotesStore()
	if _, err := c.fetch(ctx, s, nil, 1, filterBlobs); err != nil {
		t.Fatalf("fetch --depth 1 --filter=blob:none: %v", err)
	}
	if got := countObjects(t, s, 0); got[objCommit] != 1 || got[objTree] != 1 || len(got) != 2 {
		t.Errorf("depth-1 fetch without blobs holds %v objects by type, want 1 commit, 1 tree", got)
	}

	bare.run("config", "--unset", "uploadpack.allowReachableSHA1InWant") // serveFilter
	c, s = redial(), newNotesStore()
	if _, err := c.fetch(ctx, s, nil, 1, filterTrees); err != nil {
		t.Fatal(err)
	}
	got := countObjects(t, s, 0)
	switch {
	case v0 && (c.filter != filterBlobs || got[objTree] != 1 || got[objBlob] != 0):
		t.Errorf("fetch asking for tree:0 from a remote that sends nothing by name used %s and holds %v; want blob:none", c.filter, got)
	case !v0 && (c.filter != filterTrees || len(got) != 1):
		t.Errorf("v2 fetch asking for tree:0 from a remote without allow-reachable-sha1-in-want used %s and holds %v; want tree:0", c.filter, got)
	}
	err = c.fetchObject(ctx, s, noteBlob(commits[6]))
	switch {
	case v0 && !errors.Is(err, errNoWantByName):
		t.Errorf("fetchObject from a remote without allow-*-sha1-in-want = %v, want errNoWantByName", err)
	case !v0 && err != nil:
		t.Errorf("fetchObject in v2 from a remote without allow-*-sha1-in-want = %v, want the note", err)
	}

	bare.run("config", "--unset", "uploadpack.allowFilter") // servePlain
	c, s = redial(), newNotesStore()
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
// flat and fan-out notes trees, in protocol v2 (as GitHub serves) and v0.
// A record on a commit that has a note is appended to it, a re-run changes
// nothing and pushes nothing, and a record on a commit without a note adds
// one; git finds the remote whole (the pushes named trees and notes the
// pusher never had) and reads the notes. Served as GitHub serves, the
// fetch brings the tip commit alone and each tree on the note's path and
// the note are fetched by name; served with filters but nothing by name
// (in v0: in v2 a want may name any object), the tip comes without notes
// and an existing note makes the append start again with them; served by
// a remote that refuses tree:0, the append starts again with blob:none;
// served plain, the tip comes whole. In v2 each round asks for the notes
// ref alone (one ls-refs) and no fetch asks in v0.
func TestAppendRecordServers(t *testing.T) {
	for _, c := range []struct {
		kind  string
		notes int
		v0    bool
	}{
		{serveGitHub, 10, false},
		{serveGitHub, 300, false}, // fan-out trees
		{serveNoTree, 10, false},
		{serveFilter, 10, false},
		{serveTips, 10, false},
		{servePlain, 10, false},
		{serveGitHub, 10, true},
		{serveNoTree, 10, true},
		{serveFilter, 10, true},
		{serveTips, 10, true}, // served as filter alone: no round asks for a tree by name
		{servePlain, 10, true},
	} {
		proto := "v2"
		if c.v0 {
			proto = "v0"
		}
		t.Run(fmt.Sprintf("%s/%s/%d notes", proto, c.kind, c.notes), func(t *testing.T) {
			bare, commits := notesHistory(t, c.notes+10, c.notes)
			serve := serveAs
			if c.v0 {
				serve = serveV0
			}
			url, calls := serve(t, bare, c.kind)
			r := OpenRemote(url, testAuth())
			r.Now = func() time.Time { return epoch }
			ctx := context.Background()
			byName := c.kind == serveGitHub || (!c.v0 && (c.kind == serveFilter || c.kind == serveTips))
			// packs asked for by an append to the note on commit, and
			// the rounds (fresh fetches of the tip) among them
			fetches := func(commit string) (packs, rounds int64) {
				trees, note := notePath(bare, commit)
				switch {
				case byName && note:
					return int64(1 + trees + 1), 1
				case byName:
					return int64(1 + trees), 1
				case c.kind == serveNoTree && note:
					return 3, 2 // tree:0 refused, blob:none, the note
				case c.kind == serveNoTree:
					return 2, 2
				case (c.kind == serveFilter || c.kind == serveTips) && note:
					return 2, 2
				}
				return 1, 1
			}
			step := func(name string, commit string, rec tracker.Record, pushes int64) {
				t.Helper()
				want, rounds := fetches(commit)
				if c.v0 {
					rounds = 0
				}
				f0, p0, l0, q0 := calls.Fetches.Load(), calls.Pushes.Load(), calls.LsRefs.Load(), calls.V2.Load()
				if err := r.AppendRecord(ctx, commit, rec); err != nil {
					t.Fatalf("%s: AppendRecord: %v", name, err)
				}
				if f, p := calls.Fetches.Load()-f0, calls.Pushes.Load()-p0; f != want || p != pushes {
					t.Errorf("%s: %d fetches and %d pushes, want %d and %d", name, f, p, want, pushes)
				}
				if l := calls.LsRefs.Load() - l0; l != rounds {
					t.Errorf("%s: %d ls-refs, want %d", name, l, rounds)
				}
				// in v2, every upload-pack request: the capabilities,
				// each ls-refs, each fetch (the tip's and by name)
				if v2, want := calls.V2.Load()-q0, 1+rounds+want; (c.v0 && v2 != 0) || (!c.v0 && v2 != want) {
					t.Errorf("%s: %d requests in protocol v2, want %d", name, v2, want)
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
