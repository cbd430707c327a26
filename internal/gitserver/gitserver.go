// Package gitserver serves bare git repositories over smart HTTP for tests:
// the real `git http-backend` behind the basic auth GitHub takes for tokens
// (user x-access-token, the token as password), as github.com serves a
// repository to the action's notes push.
package gitserver

import (
	"bytes"
	"io"
	"log"
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
// and fetches (upload-pack POSTs that ask for a pack: in protocol v2, the
// fetch commands); LsRefs counts the protocol v2 ls-refs commands, V2 the
// requests that asked for protocol v2 (the Git-Protocol header), and Bytes
// the bytes of the answers' bodies.
type Calls struct {
	Pushes, Fetches, LsRefs, V2 atomic.Int64
	Bytes                       atomic.Int64
}

// Options changes how a server serves.
type Options struct {
	// V0Only drops the Git-Protocol header, so that git answers every
	// request in protocol v0, as a server that does not speak v2.
	V0Only bool
}

// Serve serves the bare repositories under root (enable pushes with `git
// config http.receivepack true` in each) and returns the server's URL, to
// which a repository's path under root is appended, and a count of pushes
// (receive-pack POSTs). home is the HOME git runs with. It skips the test
// when git is not installed. The server closes with the test.
func Serve(t testing.TB, root, home, token string) (url string, pushes *atomic.Int64) {
	t.Helper()
	url, calls := ServeWith(t, root, home, token, Options{})
	return url, &calls.Pushes
}

// ServeWith is Serve with options, counting every kind of call (see
// Calls), not pushes alone. git http-backend answers in protocol v2 when
// the request asks for it: Go's CGI handler passes the Git-Protocol header
// as HTTP_GIT_PROTOCOL, which http-backend passes on to upload-pack as
// GIT_PROTOCOL.
func ServeWith(t testing.TB, root, home, token string, opts Options) (url string, calls *Calls) {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skipf("git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path:   filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Stderr: io.Discard,                 // rejected pushes log "cannot lock ref"; tests provoke them
		Logger: log.New(io.Discard, "", 0), // a client that stops reading (the v2 probe of a v0 server) logs a broken pipe
		Env:    []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + home},
	}
	calls = &Calls{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "x-access-token" || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		if opts.V0Only {
			r.Header.Del("Git-Protocol")
		}
		if r.Header.Get("Git-Protocol") == "version=2" {
			calls.V2.Add(1)
		}
		if r.Method == http.MethodPost {
			switch {
			case strings.HasSuffix(r.URL.Path, "/git-receive-pack"):
				calls.Pushes.Add(1)
			case strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
				body, err := io.ReadAll(r.Body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				if bytes.HasPrefix(body, []byte("0014command=ls-refs")) {
					calls.LsRefs.Add(1)
				} else {
					calls.Fetches.Add(1)
				}
			}
		}
		backend.ServeHTTP(countingWriter{w, &calls.Bytes}, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

// countingWriter counts the bytes of a response's body.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

func (w countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
