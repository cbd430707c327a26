package gitstore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
)

// commitGraph is a repository's commit-graph (objects/info/commit-graph, or
// the split chain under objects/info/commit-graphs/), which git writes on gc,
// fetch or `git commit-graph write`. The audit takes only the first parent
// of each commit from it, to know the whole first-parent chain before
// reading a single commit and so read the commits in parallel. Everything
// it says is checked against the commits themselves (see Repo.FirstParent).
type commitGraph struct {
	layers []*graphLayer // base layer first
	total  uint32        // commits in all layers
}

type graphLayer struct {
	file   *fileBytes
	fanout [256]uint32 // OIDF
	oids   int64       // where OIDL starts: sorted 20-byte names
	cdat   int64       // where CDAT starts: 36 bytes per commit
	n      uint32      // commits in this layer
	base   uint32      // commits in the layers below
}

const (
	graphParentNone = 0x70000000
	graphDataWidth  = 36
)

// openCommitGraph opens the commit-graph of the objects directory. It
// returns nil, and no error, when there is none or git would not use it
// either (another hash, an unknown version, a broken file): the walk then
// reads commit by commit.
func openCommitGraph(objectsDir string, reads *atomic.Int64) *commitGraph {
	if l, err := openGraphLayer(filepath.Join(objectsDir, "info", "commit-graph"), 0, 0, reads); err == nil {
		return &commitGraph{layers: []*graphLayer{l}, total: l.n}
	}
	dir := filepath.Join(objectsDir, "info", "commit-graphs")
	f, err := os.Open(filepath.Join(dir, "commit-graph-chain"))
	if err != nil {
		return nil
	}
	defer f.Close()
	g := &commitGraph{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		if len(name) != 40 || !isHex(name) {
			g.close()
			return nil
		}
		l, err := openGraphLayer(filepath.Join(dir, "graph-"+name+".graph"), g.total, len(g.layers), reads)
		if err != nil || uint64(g.total)+uint64(l.n) >= graphParentNone {
			if l != nil {
				l.file.close()
			}
			g.close()
			return nil
		}
		g.layers = append(g.layers, l)
		g.total += l.n
	}
	if sc.Err() != nil || len(g.layers) == 0 {
		g.close()
		return nil
	}
	return g
}

var errBadGraph = errors.New("unusable commit-graph")

// openGraphLayer opens one commit-graph file that should sit on bases
// layers holding base commits.
func openGraphLayer(path string, base uint32, bases int, reads *atomic.Int64) (*graphLayer, error) {
	f, err := openFileBytes(path, reads)
	if err != nil {
		return nil, err
	}
	l, err := parseGraphLayer(f, base, bases)
	if err != nil {
		f.close()
		return nil, err
	}
	return l, nil
}

// parseGraphLayer reads the header and chunk table of one commit-graph
// file that should sit on bases layers holding base commits.
func parseGraphLayer(f *fileBytes, base uint32, bases int) (*graphLayer, error) {
	head, err := f.at(0, min(8+40*12, int(f.size)), nil)
	if err != nil || len(head) < 8 || string(head[:4]) != "CGPH" || head[4] != 1 || head[5] != 1 {
		return nil, errBadGraph // not version 1, or not SHA-1
	}
	if int(head[7]) != bases {
		return nil, errBadGraph // a layer of another chain: its positions mean other commits
	}
	chunks := int(head[6])
	if len(head) < 8+(chunks+1)*12 {
		return nil, errBadGraph
	}
	l := &graphLayer{file: f, base: base}
	var oidf, oidl, cdat [2]uint64
	for i := range chunks {
		e := head[8+i*12:]
		start := binary.BigEndian.Uint64(e[4:])
		end := binary.BigEndian.Uint64(e[16:])
		if start > end || end > uint64(f.size) {
			return nil, errBadGraph
		}
		switch string(e[:4]) {
		case "OIDF":
			oidf = [2]uint64{start, end}
		case "OIDL":
			oidl = [2]uint64{start, end}
		case "CDAT":
			cdat = [2]uint64{start, end}
		}
	}
	if oidf[1]-oidf[0] != 256*4 {
		return nil, errBadGraph
	}
	fan, err := f.at(int64(oidf[0]), 256*4, nil)
	if err != nil {
		return nil, errBadGraph
	}
	for i := range 256 {
		l.fanout[i] = binary.BigEndian.Uint32(fan[i*4:])
	}
	l.n = l.fanout[255]
	l.oids, l.cdat = int64(oidl[0]), int64(cdat[0])
	if l.n >= graphParentNone || oidl[1]-oidl[0] != uint64(l.n)*20 || cdat[1]-cdat[0] != uint64(l.n)*graphDataWidth {
		return nil, errBadGraph
	}
	return l, nil
}

func (g *commitGraph) close() {
	if g == nil {
		return
	}
	for _, l := range g.layers {
		l.file.close()
	}
	g.layers = nil
}

// lookup returns the position of commit h in the graph.
func (g *commitGraph) lookup(h *[20]byte) (uint32, bool) {
	for i := len(g.layers) - 1; i >= 0; i-- {
		l := g.layers[i]
		lo := uint32(0)
		if h[0] > 0 {
			lo = l.fanout[h[0]-1]
		}
		hi := l.fanout[h[0]]
		if hi > l.n || lo > hi {
			continue
		}
		if j, ok := findName(l.file, l.oids, int(lo), int(hi), h); ok {
			return l.base + uint32(j), true
		}
	}
	return 0, false
}

// oid returns the name of commit i of the layer; false when the file
// cannot be read.
func (l *graphLayer) oid(i uint32) ([20]byte, bool) {
	var buf [20]byte
	b, err := l.file.at(l.oids+int64(i)*20, 20, buf[:])
	if err != nil {
		return buf, false
	}
	return [20]byte(b), true
}

// data returns the CDAT entry of commit i of the layer.
func (l *graphLayer) data(i uint32, buf *[graphDataWidth]byte) ([]byte, bool) {
	b, err := l.file.at(l.cdat+int64(i)*graphDataWidth, graphDataWidth, buf[:])
	return b, err == nil
}

// holdsAny reports whether the graph holds one of commits.
func (g *commitGraph) holdsAny(commits []plumbing.Hash) bool {
	for _, c := range commits {
		h := [20]byte(c)
		if _, ok := g.lookup(&h); ok {
			return true
		}
	}
	return false
}

// layer returns the layer holding position pos and its index there.
func (g *commitGraph) layer(pos uint32) (*graphLayer, uint32) {
	for i := len(g.layers) - 1; i >= 0; i-- {
		if l := g.layers[i]; pos >= l.base {
			return l, pos - l.base
		}
	}
	return g.layers[0], pos
}

// graphChain reads the first-parent chain that starts at a position of
// the graph, newest first, a run at a time, so that the chain of a million
// commits is never held whole.
type graphChain struct {
	g     *commitGraph
	pos   uint32 // the next commit's position
	steps uint32
	end   bool // the chain reached a root, or the graph contradicted itself
	// hold, when set, pauses the chain before the first commit the graph
	// dates before it (Unix seconds): held is then set and next returns
	// nothing more. The walk goes on from there commit by commit.
	hold int64
	held bool
}

func (g *commitGraph) chainFrom(pos uint32) *graphChain {
	return &graphChain{g: g, pos: pos}
}

// next appends up to n commit names of the chain to dst. When it returns
// fewer, or when the chain ends right after them, c.end is set. Where the
// graph contradicts itself (a parent out of range, a cycle) the chain ends
// there: the walk checks each commit's parent against the next name, and
// goes on without the graph when they differ.
func (c *graphChain) next(dst [][20]byte, n int) [][20]byte {
	for range n {
		if c.end || c.held {
			break
		}
		if c.pos >= c.g.total || c.steps >= c.g.total {
			c.end = true
			break
		}
		l, i := c.g.layer(c.pos)
		var buf [graphDataWidth]byte
		e, ok := l.data(i, &buf)
		oid, ok2 := l.oid(i)
		if !ok || !ok2 {
			c.end = true // the walk reads on without the graph
			break
		}
		if c.hold != 0 && c.steps > 0 && entryDate(e) < c.hold {
			c.held = true
			break
		}
		dst = append(dst, oid)
		c.steps++
		parent := binary.BigEndian.Uint32(e[20:])
		if parent == graphParentNone || parent >= c.g.total {
			c.end = true
		}
		c.pos = parent
	}
	return dst
}

// entryDate returns the committer date a CDAT entry gives, in Unix
// seconds: the low 34 bits of its last 8 bytes.
func entryDate(e []byte) int64 {
	return int64(binary.BigEndian.Uint32(e[28:])&3)<<32 | int64(binary.BigEndian.Uint32(e[32:]))
}

// peek returns the name of the next commit, without moving on; false when
// the chain has ended.
func (c *graphChain) peek() ([20]byte, bool) {
	if c.end {
		return [20]byte{}, false
	}
	l, i := c.g.layer(c.pos)
	return l.oid(i)
}
