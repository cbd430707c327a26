package gitstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/twokey/twokey/internal/gitserver"
	"github.com/twokey/twokey/tracker"
)

// addPullRefs adds refs/pull/N/head and refs/pull/N/merge for n pull
// requests to g's packed-refs, all naming main, as GitHub keeps them.
func addPullRefs(t *testing.T, g *gitRepo, n int) {
	t.Helper()
	g.run("pack-refs", "--all")
	path := filepath.Join(g.dir, "packed-refs")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.Lines(string(old)) {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	main := g.run("rev-parse", "main")
	for i := 1; i <= n; i++ {
		lines = append(lines, fmt.Sprintf("%s refs/pull/%d/head\n", main, i), fmt.Sprintf("%s refs/pull/%d/merge\n", main, i))
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(strings.Fields(a)[1], strings.Fields(b)[1]) })
	data := "# pack-refs with: peeled fully-peeled sorted \n" + strings.Join(lines, "")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(g.run("for-each-ref", "refs/pull"), "\n") + 1; got != 2*n {
		t.Fatalf("git for-each-ref refs/pull = %d refs, want %d", got, 2*n)
	}
}

// TestAppendManyPullRefs: a repository with 20,000 pull requests
// (40,000 refs under refs/pull, as GitHub advertises them). In protocol v2
// an append downloads a few KB whatever the number of refs: ls-refs names
// the notes ref alone, and the push's advertisement leaves out refs/pull,
// hidden from receive-pack as on GitHub. In v0 every fetch downloads the
// advertisement of every ref.
func TestAppendManyPullRefs(t *testing.T) {
	bare, commits := notesHistory(t, 20, 10)
	addPullRefs(t, bare, 20000)
	for _, c := range []struct {
		proto string
		serve func(*testing.T, *gitRepo, string) (string, *gitserver.Calls)
		check func(bytes int64) bool
		want  string
	}{
		{"v2", serveAs, func(b int64) bool { return b < 16<<10 }, "under 16 KB"},
		{"v0", serveV0, func(b int64) bool { return b > 2<<20 }, "over 2 MB (every ref, in each of the 4 fetches)"},
	} {
		t.Run(c.proto, func(t *testing.T) {
			url, calls := c.serve(t, bare, serveGitHub)
			r := OpenRemote(url, testAuth())
			target := commits[3+len(c.proto)] // a note of its own for each protocol
			if err := r.AppendRecord(context.Background(), target, mergeRecord(target, target, 7, "merge")); err != nil {
				t.Fatalf("AppendRecord: %v", err)
			}
			if got := calls.Bytes.Load(); !c.check(got) {
				t.Errorf("an append in %s downloaded %d bytes, want %s", c.proto, got, c.want)
			}
			t.Logf("an append in %s downloaded %d bytes", c.proto, calls.Bytes.Load())
			if got := bare.run("notes", "--ref=twokey", "show", target); !strings.Contains(got, `"pr":7,`) {
				t.Errorf("note = %q, want our record", got)
			}
			bare.run("fsck", "--strict", "--no-progress")
		})
	}
}

// TestProtoV2Errors: what a v2 remote refuses becomes an error saying
// what failed and where: an object it does not have (an ERR pkt), a pack
// it cannot make (band 3 of the packfile section), bad credentials and a
// missing repository (the errors go-git's v0 transport gives, which the
// append does not retry).
func TestProtoV2Errors(t *testing.T) {
	bare, commits := notesHistory(t, 20, 10)
	url, _ := serveAs(t, bare, serveGitHub)
	ctx := context.Background()
	c, err := dial(url, testAuth())
	if err != nil {
		t.Fatal(err)
	}
	s := newNotesStore()
	if _, err := c.fetch(ctx, s, nil, 1, filterTrees); err != nil {
		t.Fatal(err)
	}
	if c.v2 == nil {
		t.Fatal("the remote was not spoken to in protocol v2")
	}
	missing := plumbing.NewHash(strings.Repeat("ab", 20))
	err = c.fetchObject(ctx, s, missing)
	if err == nil || !strings.Contains(err.Error(), "protocol v2 fetch: remote error: ") || !strings.Contains(err.Error(), "not our ref "+missing.String()) {
		t.Errorf("fetchObject(missing object) = %v, want the remote's ERR pkt", err)
	}

	// pack-objects fails: upload-pack says so on band 3
	hook := filepath.Join(bare.home, "fail-pack")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho broken >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bare.home, ".gitconfig"), []byte("[uploadpack]\n\tpackObjectsHook = "+hook+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := OpenRemote(url, testAuth())
	err = r.AppendRecord(ctx, commits[2], mergeRecord(commits[2], commits[2], 3, "merge"))
	// upload-pack sends its band-3 error as it dies; on a loaded machine
	// the CGI answer can end before it arrives, and the cut-off pack is
	// the error then. Either way the append fails, saying where.
	if err == nil || !strings.Contains(err.Error(), "protocol v2 fetch: read pack: ") ||
		!strings.Contains(err.Error(), "remote error: aborting due to possible repository corruption") && !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("AppendRecord when the remote cannot make a pack = %v, want the remote's band-3 error (or the cut-off pack)", err)
	}
	if err := os.Remove(filepath.Join(bare.home, ".gitconfig")); err != nil {
		t.Fatal(err)
	}

	for _, e := range []struct {
		name string
		url  string
		auth *githttp.BasicAuth
		want error
	}{
		{"bad token", url, &githttp.BasicAuth{Username: "x-access-token", Password: "wrong"}, transport.ErrAuthenticationRequired},
		{"missing repository", url + "-gone", testAuth(), transport.ErrRepositoryNotFound},
	} {
		r := OpenRemote(e.url, e.auth)
		sleeps := 0
		r.Sleep = func(context.Context, time.Duration) error { sleeps++; return nil }
		err := r.AppendRecord(ctx, commits[2], mergeRecord(commits[2], commits[2], 3, "merge"))
		if !errors.Is(err, e.want) || sleeps != 0 || !strings.Contains(err.Error(), "fetch "+tracker.NotesRef+" from "+e.url+": protocol v2 capabilities: ") {
			t.Errorf("%s: AppendRecord = %v after %d retries, want %v at once", e.name, err, sleeps, e.want)
		}
	}
}

// pkt encodes payload as a pkt-line.
func pkt(payload string) string {
	return fmt.Sprintf("%04x%s", len(payload)+4, payload)
}

// TestReadFetchAnswer: answers a v2 fetch may not give: each is an error
// saying what is wrong with it.
func TestReadFetchAnswer(t *testing.T) {
	shallow := pkt("shallow-info\n") + pkt("shallow "+strings.Repeat("ab", 20)+"\n")
	for _, c := range []struct {
		answer, want string
	}{
		{shallow + "0000", "section shallow-info: the answer ends before its packfile section"},
		{shallow + "0001" + pkt("acknowledgments\n") + pkt("NAK\n") + "0000", "section acknowledgments: the answer ends before its packfile section"},
		{"0000", "the answer has no packfile section"},
		{pkt("ERR upload-pack: not our ref\n"), "remote error: upload-pack: not our ref"},
		{shallow + "0001" + pkt("packfile\n") + pkt("\x02counting\n") + pkt("\x03pack-objects died\n"), "read pack: remote error: pack-objects died"},
		{pkt("packfile\n") + pkt("\x05PACK"), "read pack: packfile section: unknown band 5"},
		{pkt("packfile\n") + "0003", `read pack: read pkt-line: bad length "0003"`},
		{pkt("packfile\n") + "zz", "read pack: read pkt-line: unexpected EOF"},
		{"00zz", `read pkt-line: bad length "00zz"`},
		{pkt("packfile\n") + pkt("\x01PACK"), "read pack: read pkt-line: unexpected EOF"}, // no flush-pkt
	} {
		err := readFetchAnswer(newPktReader(strings.NewReader(c.answer)), newNotesStore())
		if err == nil || err.Error() != c.want {
			t.Errorf("readFetchAnswer(%q) = %v, want %q", c.answer, err, c.want)
		}
	}
}
