package gitstore

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/twokey/twokey/internal/gitserver"
	"github.com/twokey/twokey/tracker"
)

const testToken = "ghs_test_token"

// httpRemote serves the bare repository g over smart HTTP with the real `git
// http-backend`, behind the basic auth GitHub uses for tokens. It counts
// pushes (receive-pack POSTs).
func httpRemote(t *testing.T, g *gitRepo) (url string, pushes *atomic.Int64) {
	t.Helper()
	g.run("config", "http.receivepack", "true")
	base, pushes := gitserver.Serve(t, filepath.Dir(g.dir), g.home, testToken)
	return base + "/" + filepath.Base(g.dir), pushes
}

// TestConcurrentAppend: 20 writers record 20 merges at once on one remote
// served as GitHub serves it (fetches without blobs), over HTTPS-style
// token auth with the default retry settings (what the action runs with);
// every record lands exactly once.
func TestConcurrentAppend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many git http-backend processes")
	}
	work := newGitRepo(t, false)
	var commits []string
	for i := range 20 {
		commits = append(commits, work.commit("page.txt", strings.Repeat("x", i+1), "change"))
	}
	bare := newGitRepo(t, true)
	work.run("push", "-q", bare.dir, "main")
	url, calls := serveAs(t, bare, serveGitHub)
	pushes := &calls.Pushes
	auth := testAuth()

	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, len(commits))
	for i, c := range commits {
		wg.Go(func() {
			r := OpenRemote(url, auth)
			r.Now = func() time.Time { return epoch }
			errs[i] = r.AppendRecord(ctx, c, mergeRecord(c, c, i+1, "merge"))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: AppendRecord: %v", i, err)
		}
	}
	list := bare.run("notes", "--ref=twokey", "list")
	if got := len(strings.Split(list, "\n")); got != len(commits) {
		t.Errorf("notes on the remote = %d, want %d:\n%s", got, len(commits), list)
	}
	for i, c := range commits {
		note := bare.run("notes", "--ref=twokey", "show", c)
		recs, skipped := tracker.ParseRecords([]byte(note))
		if len(recs) != 1 || skipped != 0 || recs[0].PR != i+1 {
			t.Errorf("note of writer %d = %q, want exactly its one record", i, note)
		}
	}
	bare.run("fsck", "--strict", "--no-progress")
	// The writers raced: some pushes were rejected and retried after a
	// fetch and merge, which is what this test is about.
	if pushes.Load() <= int64(len(commits)) {
		t.Errorf("%d pushes for %d writers: no push was rejected, so the retry path was not exercised", pushes.Load(), len(commits))
	}
	t.Logf("%d writers, %d pushes (retries after rejections: %d)", len(commits), pushes.Load(), pushes.Load()-int64(len(commits)))

	// A re-run of one writer changes nothing and pushes nothing.
	before := pushes.Load()
	r := OpenRemote(url, auth)
	if err := r.AppendRecord(ctx, commits[3], mergeRecord(commits[3], commits[3], 4, "merge")); err != nil {
		t.Fatalf("re-run AppendRecord: %v", err)
	}
	if pushes.Load() != before {
		t.Errorf("re-run pushed %d times, want 0", pushes.Load()-before)
	}
}

func TestAppendRecordErrors(t *testing.T) {
	work := newGitRepo(t, false)
	c := work.commit("a", "a\n", "one")
	bare := newGitRepo(t, true)
	work.run("push", "-q", bare.dir, "main")
	url, pushes := httpRemote(t, bare)
	ctx := context.Background()

	sleeps := 0
	r := OpenRemote(url, &githttp.BasicAuth{Username: "x-access-token", Password: "wrong"})
	r.Sleep = func(context.Context, time.Duration) error { sleeps++; return nil }
	err := r.AppendRecord(ctx, c, mergeRecord(c, c, 1, "merge"))
	if err == nil || sleeps != 0 {
		t.Errorf("AppendRecord(bad token) = %v after %d retries, want an immediate error", err, sleeps)
	}
	if err := OpenRemote(url, nil).AppendRecord(ctx, "HEAD", tracker.Record{}); !errors.Is(err, ErrBadCommit) {
		t.Errorf("AppendRecord(HEAD) = %v, want ErrBadCommit", err)
	}
	if pushes.Load() != 0 {
		t.Errorf("failed calls pushed %d times", pushes.Load())
	}
	if out, err := exec.Command("git", "-C", bare.dir, "show-ref").Output(); err != nil || strings.Contains(string(out), "notes") {
		t.Errorf("remote refs after failures = %q, want no notes ref", out)
	}

	// The first record on a remote without notes, over HTTP, then git reads it.
	ok := OpenRemote(url, &githttp.BasicAuth{Username: "x-access-token", Password: testToken})
	ok.Now = func() time.Time { return epoch }
	if err := ok.AppendRecord(ctx, c, mergeRecord(c, c, 1, "merge")); err != nil {
		t.Fatalf("AppendRecord: %v", err)
	}
	if note := bare.run("notes", "--ref=twokey", "show", c); !strings.Contains(note, `"pr":1`) {
		t.Errorf("git notes show = %q, want the record", note)
	}
}
