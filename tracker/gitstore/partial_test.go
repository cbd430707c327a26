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
	case serveFilter:
		g.run("config", "uploadpack.allowFilter", "true")
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

// TestFetchWithoutBlobs: against a remote that serves filters, a depth-1
// fetch without blobs brings the tip commit and its trees, no note; a note
// is then fetched by its name alone (no haves: the remote would take the
// tip as proof that we hold it). A remote without the filter capability
// sends the notes anyway, and one that serves no object by its name says so.
func TestFetchWithoutBlobs(t *testing.T) {
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
	tip, err := c.fetch(ctx, s, nil, 1, true)
	if err != nil {
		t.Fatalf("fetch --depth 1 --filter=blob:none: %v", err)
	}
	if got := countObjects(t, s, 0); got[objCommit] != 1 || got[objTree] != 1 || got[objBlob] != 0 {
		t.Errorf("depth-1 fetch without blobs holds %v objects by type, want 1 commit, 1 tree, no blob", got)
	}
	blob := noteBlob(commits[5])
	if s.HasEncodedObject(blob) == nil {
		t.Fatalf("note blob %s fetched with the filter", blob)
	}
	if err := c.fetchBlob(ctx, s, blob); err != nil {
		t.Fatalf("fetchBlob: %v", err)
	}
	if got := countObjects(t, s, 1); got[objBlob] != 1 || len(got) != 1 {
		t.Errorf("blob fetch holds %v objects by type, want the one blob", got)
	}
	if note, err := readBlob(s, blob); err != nil || !strings.Contains(string(note), `"pr":6}`) {
		t.Errorf("fetched note = %q, %v; want the record of PR 6", note, err)
	}
	if got, err := lookupNote(s, mustTree(t, s, tip), commits[5]); err != nil || got != blob {
		t.Errorf("lookupNote in the filtered tree = %s, %v; want %s", got, err, blob)
	}

	bare.run("config", "--unset", "uploadpack.allowReachableSHA1InWant") // serveFilter
	s = newNotesStore()
	if _, err := c.fetch(ctx, s, nil, 1, true); err != nil {
		t.Fatal(err)
	}
	if err := c.fetchBlob(ctx, s, noteBlob(commits[6])); !errors.Is(err, errNoBlobWant) {
		t.Errorf("fetchBlob from a remote without allow-*-sha1-in-want = %v, want errNoBlobWant", err)
	}

	bare.run("config", "--unset", "uploadpack.allowFilter") // servePlain
	s = newNotesStore()
	if _, err := c.fetch(ctx, s, nil, 1, true); err != nil {
		t.Fatalf("fetch asking for no blobs from a remote without filters: %v", err)
	}
	if got := countObjects(t, s, 0); got[objBlob] != 30 {
		t.Errorf("depth-1 fetch from a remote without filters holds %d blobs, want all 30 notes", got[objBlob])
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

// TestAppendRecordServers: the record job against each kind of server, on
// flat and fan-out notes trees. A record on a commit that has a note is
// appended to it (the note's blob fetched by its name where the remote
// allows, else the whole append done again with the blobs), a re-run
// changes nothing and pushes nothing, a record on a commit without a note
// needs no blob at all, and git finds the remote whole and reads the notes.
func TestAppendRecordServers(t *testing.T) {
	for _, c := range []struct {
		kind  string
		notes int
		// upload-pack POSTs of an append to a note that exists, of its
		// re-run, and of an append of a new note
		existing, rerun, fresh int64
	}{
		{serveGitHub, 10, 2, 2, 1},  // the tip without blobs, then the note
		{serveGitHub, 300, 2, 2, 1}, // the same through fan-out trees
		{serveFilter, 10, 2, 2, 1},  // the tip without blobs, then again with them
		{servePlain, 10, 1, 1, 1},   // the tip with every note
	} {
		t.Run(fmt.Sprintf("%s/%d notes", c.kind, c.notes), func(t *testing.T) {
			bare, commits := notesHistory(t, c.notes+10, c.notes)
			url, calls := serveAs(t, bare, c.kind)
			r := OpenRemote(url, testAuth())
			r.Now = func() time.Time { return epoch }
			ctx := context.Background()
			target := commits[3] // notesHistory's note: {"v":1,"type":"merge","pr":4}
			rec := mergeRecord(target, target, 7, "merge")
			line, _ := rec.MarshalLine()
			want := "{\"v\":1,\"type\":\"merge\",\"pr\":4}\n" + strings.TrimSpace(string(line))

			step := func(name string, commit string, rec tracker.Record, fetches, pushes int64) {
				t.Helper()
				f0, p0 := calls.Fetches.Load(), calls.Pushes.Load()
				if err := r.AppendRecord(ctx, commit, rec); err != nil {
					t.Fatalf("%s: AppendRecord: %v", name, err)
				}
				if f, p := calls.Fetches.Load()-f0, calls.Pushes.Load()-p0; f != fetches || p != pushes {
					t.Errorf("%s: %d fetches and %d pushes, want %d and %d", name, f, p, fetches, pushes)
				}
			}
			step("existing note", target, rec, c.existing, 1)
			if got := bare.run("notes", "--ref=twokey", "show", target); got != want {
				t.Errorf("note after the append = %q, want the old line then ours: %q", got, want)
			}
			step("re-run", target, rec, c.rerun, 0)
			if got := bare.run("notes", "--ref=twokey", "show", target); got != want {
				t.Errorf("note after the re-run = %q, want it unchanged: %q", got, want)
			}
			fresh := commits[c.notes+5]
			step("new note", fresh, mergeRecord(fresh, fresh, 8, "merge"), c.fresh, 1)
			if got := bare.run("notes", "--ref=twokey", "show", fresh); !strings.Contains(got, `"pr":8,`) {
				t.Errorf("new note = %q, want the record of PR 8", got)
			}
			if got := strings.Count(bare.run("notes", "--ref=twokey", "list"), "\n") + 1; got != c.notes+1 {
				t.Errorf("git notes list = %d notes, want %d", got, c.notes+1)
			}
			if c.notes > 256 {
				if top := bare.run("ls-tree", "--name-only", tracker.NotesRef); len(strings.Split(top, "\n")[0]) != 2 {
					t.Errorf("notes tree of %d notes is not fanned out: %q…", c.notes, top[:40])
				}
			}
			bare.run("fsck", "--strict", "--no-progress")
		})
	}
}
