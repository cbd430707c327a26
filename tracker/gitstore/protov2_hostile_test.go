package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/twokey/twokey/tracker"
)

// pkts frames lines as pkt-lines; "0000" and "0001" are sent as they are.
func pkts(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		if l == "0000" || l == "0001" {
			b.WriteString(l)
			continue
		}
		fmt.Fprintf(&b, "%04x%s", len(l)+4, l)
	}
	return b.String()
}

// v2Caps is a protocol v2 capability advertisement, as GitHub sends it.
var v2Caps = pkts("# service=git-upload-pack\n", "0000", "version 2\n", "agent=git/github-2.0\n",
	"ls-refs=unborn\n", "fetch=shallow wait-for-done filter\n", "object-format=sha1\n", "0000")

// hostileServer answers GET with get (the request's path and query in),
// by default the capabilities in v2, and POST with post (the command's
// body in); with get and no post, get answers every request.
func hostileServer(t *testing.T, get, post func(w http.ResponseWriter, body string)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch {
		case get != nil && (r.Method == http.MethodGet || post == nil):
			get(w, r.URL.String())
		case r.Method == http.MethodGet:
			io.WriteString(w, v2Caps)
		default:
			post(w, string(b))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/acme/site.git"
}

// TestProtoV2HostileAnswers: a remote that answers the v2 capabilities
// and then something else (a v0 advertisement, an ERR pkt, a 401, an
// answer without its packfile section, a pkt longer than the answer)
// gives an error naming what was wrong, never a panic and never "the
// remote has no notes".
func TestProtoV2HostileAnswers(t *testing.T) {
	tip := strings.Repeat("ab", 20)
	lsRefs := pkts(tip+" "+tracker.NotesRef+"\n", "0000")
	answerLsRefs := func(fetch string) func(w http.ResponseWriter, body string) {
		return func(w http.ResponseWriter, body string) {
			if strings.Contains(body, "command=ls-refs") {
				io.WriteString(w, lsRefs)
				return
			}
			io.WriteString(w, fetch)
		}
	}
	for _, c := range []struct {
		name string
		post func(w http.ResponseWriter, body string)
		want string
		is   error
	}{
		{"v0 advertisement to ls-refs", func(w http.ResponseWriter, _ string) {
			io.WriteString(w, pkts("# service=git-upload-pack\n", "0000", tip+" HEAD\x00multi_ack\n", tip+" "+tracker.NotesRef+"\n", "0000"))
		}, "not a protocol v2 ls-refs answer", nil},
		{"text to ls-refs", func(w http.ResponseWriter, _ string) {
			io.WriteString(w, pkts("hello world\n", "0000"))
		}, "not a protocol v2 ls-refs answer", nil},
		{"ls-refs ends with a delim-pkt", func(w http.ResponseWriter, _ string) {
			io.WriteString(w, "0001")
		}, "not a protocol v2 ls-refs answer", nil},
		{"ERR pkt to ls-refs", func(w http.ResponseWriter, _ string) {
			io.WriteString(w, pkts("ERR access denied\n"))
		}, "remote error: access denied", nil},
		{"401 to the POST", func(w http.ResponseWriter, _ string) {
			w.WriteHeader(http.StatusUnauthorized)
		}, "401", transport.ErrAuthenticationRequired},
		{"ls-refs cut short", func(w http.ResponseWriter, _ string) {
			io.WriteString(w, lsRefs[:30])
		}, "unexpected EOF", nil},
		{"fetch without a packfile section", answerLsRefs(pkts("shallow-info\n", "0000")), "packfile section", nil},
		{"fetch with sections and no end", answerLsRefs(pkts("shallow-info\n", "0001", "wanted-refs\n", "0001")), "unexpected EOF", nil},
		{"pkt longer than the answer", answerLsRefs(pkts("packfile\n") + "ffff\x01PACK"), "unexpected EOF", nil},
		{"bad pkt length", answerLsRefs(pkts("packfile\n") + "zzzz"), "bad length", nil},
		{"band 3", answerLsRefs(pkts("packfile\n", "\x03out of memory", "0000")), "remote error: out of memory", nil},
		{"unknown band", answerLsRefs(pkts("packfile\n", "\x07oops", "0000")), "unknown band 7", nil},
		{"not a pack", answerLsRefs(pkts("packfile\n", "\x01oops", "0000")), "not a pack", nil},
		{"v0 answer to fetch", answerLsRefs(pkts("NAK\n")), "unexpected EOF", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			c2, err := dial(hostileServer(t, nil, c.post), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c2.fetch(context.Background(), newNotesStore(), nil, 1, filterTrees)
			if c2.v2 == nil {
				t.Fatal("the remote was not spoken to in protocol v2")
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("fetch = %v, %v; want an error with %q (is %v)", got, err, c.want, c.is)
			}
		})
	}
}

// TestProtoV2RedirectKeepsCredentials: a redirect to another host does
// not take the credentials along, and what comes back from there is
// judged as any answer (a capability advertisement is no ls-refs answer);
// a redirect on the same host, as GitHub's for a renamed repository, is
// followed.
func TestProtoV2RedirectKeepsCredentials(t *testing.T) {
	var leaked string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok {
			leaked = u + ":" + p
		}
		io.WriteString(w, v2Caps)
	}))
	t.Cleanup(other.Close)
	auth := &githttp.BasicAuth{Username: "x-access-token", Password: "secret"}

	url := hostileServer(t, func(w http.ResponseWriter, path string) {
		// another host: localhost, where the remote is 127.0.0.1
		w.Header().Set("Location", strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+path)
		w.WriteHeader(http.StatusFound)
	}, nil)
	c, err := dial(url, auth)
	if err != nil {
		t.Fatal(err)
	}
	if tip, err := c.fetch(context.Background(), newNotesStore(), nil, 1, filterTrees); err == nil {
		// The POST is redirected too, as a GET: its answer is the
		// capabilities, not an ls-refs answer.
		t.Errorf("fetch from a remote that redirects every request to another host = %v, nil; want an error", tip)
	}
	if leaked != "" {
		t.Errorf("the credentials went to the other host: %s", leaked)
	}

	renamed := false
	url = hostileServer(t, func(w http.ResponseWriter, path string) {
		if strings.HasPrefix(path, "/acme/old.git") {
			w.Header().Set("Location", strings.Replace(path, "/acme/old.git", "/acme/site.git", 1))
			w.WriteHeader(http.StatusMovedPermanently)
			renamed = true
			return
		}
		io.WriteString(w, v2Caps)
	}, func(w http.ResponseWriter, _ string) { io.WriteString(w, "0000") })
	c, err = dial(strings.Replace(url, "/acme/site.git", "/acme/old.git", 1), auth)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.protoV2(context.Background()); err != nil || v == nil || !renamed {
		t.Errorf("protoV2 redirected on the same host = %v, %v (redirected %v); want protocol v2", v, err, renamed)
	}
}
