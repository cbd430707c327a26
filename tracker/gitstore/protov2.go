package gitstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// This file speaks git's protocol v2 to an HTTP(S) remote's upload-pack,
// for the notes fetches alone. In protocol v0 the remote advertises every
// ref before a fetch can start; a GitHub repository advertises two refs a
// pull request (refs/pull/N/head and merge), so an append to a repository
// with 200,000 pull requests downloaded 13 MB before its first pack. In v2
// the client asks for the refs it names (ls-refs with a ref-prefix), as C
// git does. The push stays in v0 (GitHub hides refs/pull from
// receive-pack, so its advertisement is small), and so does every fetch
// from a remote that does not answer in v2, or over ssh, file or a path.

// v2 is an HTTP(S) remote whose upload-pack speaks protocol v2.
type v2 struct {
	url    string // the repository's URL, without credentials
	client *http.Client
	auth   githttp.AuthMethod // nil: none

	agent    bool            // the remote advertised agent=
	sha1     bool            // the remote advertised object-format=sha1
	features map[string]bool // of the fetch command: shallow, filter, ...
}

// protoV2 returns the remote as a protocol v2 upload-pack, or nil when it
// is not reached over HTTP(S) or does not answer in v2 (then the v0 path
// is used). It asks the remote once per conn.
func (c *conn) protoV2(ctx context.Context) (*v2, error) {
	if c.v2Asked {
		return c.v2, nil
	}
	if c.ep.Protocol != "http" && c.ep.Protocol != "https" {
		c.v2Asked = true
		return nil, nil
	}
	v, err := newV2(c.url, c.ep, c.auth)
	if err != nil {
		return nil, err
	}
	ok, err := v.capabilities(ctx)
	if err != nil {
		return nil, err
	}
	c.v2Asked = true
	if ok {
		c.v2 = v
	}
	return c.v2, nil
}

func newV2(rawURL string, ep *transport.Endpoint, auth transport.AuthMethod) (*v2, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("remote %q: %w", rawURL, err)
	}
	u.User = nil
	v := &v2{
		url:    strings.TrimSuffix(u.String(), "/"),
		client: &http.Client{Transport: http.DefaultTransport}, // go-git's default: proxy from the environment
	}
	switch a := auth.(type) {
	case nil:
		if ep.User != "" { // credentials in the URL, as go-git takes them
			v.auth = &githttp.BasicAuth{Username: ep.User, Password: ep.Password}
		}
	case githttp.AuthMethod:
		v.auth = a
	default:
		return nil, fmt.Errorf("remote %s: auth %s: %w", v.url, auth.Name(), transport.ErrInvalidAuthMethod)
	}
	return v, nil
}

// capabilities asks the remote's upload-pack for its protocol v2
// capabilities and reports whether it answered in v2. It reads the answer
// only as far as it needs: a v0 advertisement lists every ref.
func (v *v2) capabilities(ctx context.Context) (bool, error) {
	res, err := v.do(ctx, http.MethodGet, "/info/refs?service=git-upload-pack", nil)
	if err != nil {
		return false, fmt.Errorf("protocol v2 capabilities: %w", err)
	}
	defer res.Body.Close()
	p := newPktReader(res.Body)
	line, kind, err := p.next()
	if err == nil && kind == pktData && strings.HasPrefix(string(line), "# service=") {
		if _, kind, err = p.next(); err == nil && kind == pktFlush {
			line, kind, err = p.next()
		}
	}
	if err != nil || kind != pktData || strings.TrimSpace(string(line)) != "version 2" {
		return false, nil
	}
	v.features = map[string]bool{}
	for {
		line, kind, err := p.next()
		if err != nil {
			return false, fmt.Errorf("protocol v2 capabilities: %w", err)
		}
		if kind != pktData {
			return true, nil
		}
		key, value, _ := strings.Cut(strings.TrimSpace(string(line)), "=")
		switch key {
		case "agent":
			v.agent = true
		case "object-format":
			v.sha1 = value == "sha1"
		case "fetch":
			for _, f := range strings.Fields(value) {
				v.features[f] = true
			}
		}
	}
}

// caps returns what a v0 advertisement would say of the same upload-pack,
// for the choice of filter (see usable). In v2 a want may name any object
// (gitprotocol-v2: "wants can be anything"), so it serves objects by name.
func (v *v2) caps() *capability.List {
	caps := capability.NewList()
	caps.Set(capability.AllowReachableSHA1InWant)
	if v.features["filter"] {
		caps.Set(capability.Filter)
	}
	if v.features["shallow"] {
		caps.Set(capability.Shallow)
	}
	return caps
}

// do sends a request to the repository's path and returns the answer when
// it is a success; 401, 403 and 404 are the errors go-git's v0 transport
// gives, which the append does not retry.
func (v *v2) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, v.url+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Git-Protocol", "version=2")
	req.Header.Set("User-Agent", capability.DefaultAgent())
	if body != nil {
		req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
		req.Header.Set("Accept", "application/x-git-upload-pack-result")
	}
	if v.auth != nil {
		v.auth.SetAuth(req)
	}
	res, err := v.client.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 == 2 {
		return res, nil
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	return nil, statusError(res.Status, res.StatusCode, strings.TrimSpace(string(msg)))
}

func statusError(status string, code int, msg string) error {
	var fatal error
	switch code {
	case http.StatusUnauthorized:
		fatal = transport.ErrAuthenticationRequired
	case http.StatusForbidden:
		fatal = transport.ErrAuthorizationFailed
	case http.StatusNotFound:
		fatal = transport.ErrRepositoryNotFound
	}
	switch {
	case fatal != nil:
		return fmt.Errorf("%s: %w", status, fatal)
	case msg != "":
		return fmt.Errorf("%s: %s", status, msg)
	}
	return errors.New(status)
}

// command sends a v2 command with args (after the delim-pkt) and returns
// the answer's body.
func (v *v2) command(ctx context.Context, name string, args []string) (io.ReadCloser, error) {
	var b bytes.Buffer
	e := pktline.NewEncoder(&b)
	lines := []string{"command=" + name + "\n"}
	if v.agent {
		lines = append(lines, "agent="+capability.DefaultAgent()+"\n")
	}
	if v.sha1 {
		lines = append(lines, "object-format=sha1\n")
	}
	if err := e.EncodeString(lines...); err != nil {
		return nil, err
	}
	b.WriteString("0001") // delim-pkt
	for _, a := range args {
		if err := e.EncodeString(a + "\n"); err != nil {
			return nil, err
		}
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	res, err := v.do(ctx, http.MethodPost, "/git-upload-pack", b.Bytes())
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

// lsRefs returns the commit that ref names on the remote, zero when the
// remote has no such ref.
func (v *v2) lsRefs(ctx context.Context, ref string) (plumbing.Hash, error) {
	body, err := v.command(ctx, "ls-refs", []string{"ref-prefix " + ref})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("protocol v2 ls-refs: %w", err)
	}
	defer body.Close()
	p := newPktReader(body)
	var tip plumbing.Hash
	for {
		line, kind, err := p.next()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("protocol v2 ls-refs: %w", err)
		}
		switch kind {
		case pktFlush:
			return tip, nil
		case pktDelim, pktEnd:
			return plumbing.ZeroHash, fmt.Errorf("protocol v2 ls-refs: not a protocol v2 ls-refs answer (a special pkt-line before its flush-pkt)")
		}
		// Every line is "oid name [attributes]": anything else (a v0
		// advertisement, a page) is not an answer to ls-refs, whose
		// silence about the notes ref would say the remote has none
		// (TestProtoV2HostileAnswers).
		f := strings.Fields(string(line))
		if len(f) < 2 || len(f[0]) != 40 || !isHex(f[0]) || !strings.HasPrefix(f[1], "refs/") {
			return plumbing.ZeroHash, fmt.Errorf("protocol v2 ls-refs: not a protocol v2 ls-refs answer: %.60q", line)
		}
		if f[1] == ref {
			tip = plumbing.NewHash(f[0])
		}
	}
}

// fetchArgs is what a v2 fetch asks for.
type fetchArgs struct {
	want  plumbing.Hash
	have  []plumbing.Hash
	depth int    // 0: no deepen
	f     filter // the filter (usable for the remote)
}

func (a fetchArgs) lines() []string {
	args := []string{"no-progress", "ofs-delta"}
	if a.depth > 0 {
		args = append(args, "deepen "+strconv.Itoa(a.depth))
	}
	if a.f != filterNone {
		args = append(args, "filter "+a.f.String())
	}
	args = append(args, "want "+a.want.String())
	for _, h := range a.have {
		args = append(args, "have "+h.String())
	}
	return append(args, "done")
}

// fetchPack runs the fetch command and adds the pack the remote answers
// with to s.
func (v *v2) fetchPack(ctx context.Context, s *notesStore, a fetchArgs) error {
	if a.depth > 0 && !v.features["shallow"] {
		return errors.New("the remote does not serve shallow fetches")
	}
	body, err := v.command(ctx, "fetch", a.lines())
	if err != nil {
		return fmt.Errorf("protocol v2 fetch: %w", err)
	}
	defer body.Close()
	if err := readFetchAnswer(newPktReader(body), s); err != nil {
		return fmt.Errorf("protocol v2 fetch: %w", err)
	}
	return nil
}

// readFetchAnswer reads the sections of a fetch answer (shallow-info,
// wanted-refs, ...) up to the packfile section and adds its pack to s.
func readFetchAnswer(p *pktReader, s *notesStore) error {
	for {
		line, kind, err := p.next()
		if err != nil {
			return err
		}
		if kind != pktData {
			return errors.New("the answer has no packfile section")
		}
		section := strings.TrimSpace(string(line))
		if section == "packfile" {
			if err := s.addPack(&bandReader{p: p}); err != nil {
				return fmt.Errorf("read pack: %w", err)
			}
			return nil
		}
		if err := p.skipSection(); err != nil {
			return fmt.Errorf("section %s: %w", section, err)
		}
	}
}

type pktKind int

const (
	pktData pktKind = iota
	pktFlush
	pktDelim
	pktEnd // response-end-pkt
)

// pktReader reads pkt-lines, the special ones of v2 (delim, response-end)
// included, which go-git's scanner does not read.
type pktReader struct {
	r   *bufio.Reader
	buf []byte
}

func newPktReader(r io.Reader) *pktReader {
	return &pktReader{r: bufio.NewReaderSize(r, 65536)}
}

// next returns the next pkt's payload (valid until the next call) and
// kind; an ERR pkt is an error with its text.
func (p *pktReader) next() ([]byte, pktKind, error) {
	var head [4]byte
	if _, err := io.ReadFull(p.r, head[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, fmt.Errorf("read pkt-line: %w", err)
	}
	n, err := strconv.ParseUint(string(head[:]), 16, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("read pkt-line: bad length %q", head[:])
	}
	switch {
	case n < 3:
		return nil, pktFlush + pktKind(n), nil
	case n == 3:
		return nil, 0, fmt.Errorf("read pkt-line: bad length %q", head[:])
	}
	if cap(p.buf) < int(n-4) {
		p.buf = make([]byte, n-4)
	}
	p.buf = p.buf[:n-4]
	if _, err := io.ReadFull(p.r, p.buf); err != nil {
		return nil, 0, fmt.Errorf("read pkt-line: %w", io.ErrUnexpectedEOF)
	}
	if text, ok := strings.CutPrefix(string(p.buf), "ERR "); ok {
		return nil, 0, fmt.Errorf("remote error: %s", strings.TrimSpace(text))
	}
	return p.buf, pktData, nil
}

// skipSection reads up to the end of a section: a delim-pkt (another
// section follows) or a flush-pkt (the end of the answer, an error here).
func (p *pktReader) skipSection() error {
	for {
		_, kind, err := p.next()
		switch {
		case err != nil:
			return err
		case kind == pktDelim:
			return nil
		case kind != pktData:
			return errors.New("the answer ends before its packfile section")
		}
	}
}

// bandReader reads the packfile section's sideband-multiplexed pkts: band
// 1 is the pack, 2 progress (dropped), 3 a fatal error; a flush-pkt ends
// it.
type bandReader struct {
	p       *pktReader
	pending []byte
	done    bool
}

func (b *bandReader) Read(out []byte) (int, error) {
	for len(b.pending) == 0 {
		if b.done {
			return 0, io.EOF
		}
		line, kind, err := b.p.next()
		if err != nil {
			return 0, err
		}
		if kind != pktData {
			b.done = true
			continue
		}
		if len(line) == 0 {
			return 0, errors.New("packfile section: an empty pkt-line")
		}
		switch line[0] {
		case 1:
			b.pending = line[1:]
		case 2:
		case 3:
			return 0, fmt.Errorf("remote error: %s", strings.TrimSpace(string(line[1:])))
		default:
			return 0, fmt.Errorf("packfile section: unknown band %d", line[0])
		}
	}
	n := copy(out, b.pending)
	b.pending = b.pending[n:]
	return n, nil
}
