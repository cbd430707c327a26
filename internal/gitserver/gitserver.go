// Package gitserver serves bare git repositories over smart HTTP for tests:
// the real `git http-backend` behind the basic auth GitHub takes for tokens
// (user x-access-token, the token as password), as github.com serves a
// repository to the action's notes push.
package gitserver

import (
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Calls counts the requests a server answered: pushes (receive-pack POSTs)
// and fetches (upload-pack POSTs, each one pack asked for).
type Calls struct {
	Pushes, Fetches atomic.Int64
}

// Serve serves the bare repositories under root (enable pushes with `git
// config http.receivepack true` in each) and returns the server's URL, to
// which a repository's path under root is appended, and a count of pushes
// (receive-pack POSTs). home is the HOME git runs with. It skips the test
// when git is not installed. The server closes with the test.
func Serve(t testing.TB, root, home, token string) (url string, pushes *atomic.Int64) {
	t.Helper()
	url, calls := ServeCalls(t, root, home, token)
	return url, &calls.Pushes
}

// ServeCalls is Serve, counting fetches as well as pushes.
func ServeCalls(t testing.TB, root, home, token string) (url string, calls *Calls) {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skipf("git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path:   filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Stderr: io.Discard, // rejected pushes log "cannot lock ref"; tests provoke them
		Env:    []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + home},
	}
	calls = &Calls{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "x-access-token" || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			switch {
			case strings.HasSuffix(r.URL.Path, "/git-receive-pack"):
				calls.Pushes.Add(1)
			case strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
				calls.Fetches.Add(1)
			}
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}
