package gitstore

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	mapped []byte // the whole file, as mapped
	fanout []byte // OIDF: 256 big-endian counts
	oids   []byte // OIDL: sorted 20-byte names
	cdat   []byte // CDAT: 36 bytes per commit
	n      uint32 // commits in this layer
	base   uint32 // commits in the layers below
	unmap  func() error
}

const (
	graphParentNone = 0x70000000
	graphDataWidth  = 36
)

// openCommitGraph opens the commit-graph of the objects directory. It
// returns nil, and no error, when there is none or git would not use it
// either (another hash, an unknown version, a broken file): the walk then
// reads commit by commit.
func openCommitGraph(objectsDir string) *commitGraph {
	if l, err := openGraphLayer(filepath.Join(objectsDir, "info", "commit-graph"), 0, 0); err == nil {
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
		l, err := openGraphLayer(filepath.Join(dir, "graph-"+name+".graph"), g.total, len(g.layers))
		if err != nil || uint64(g.total)+uint64(l.n) >= graphParentNone {
			if l != nil {
				l.unmap()
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
func openGraphLayer(path string, base uint32, bases int) (*graphLayer, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < 8 || int(data[7]) != bases {
		unmap()
		return nil, errBadGraph // a layer of another chain: its positions mean other commits
	}
	l, err := parseGraphLayer(data, base)
	if err != nil {
		unmap()
		return nil, err
	}
	l.mapped = data
	l.unmap = unmap
	return l, nil
}

// parseGraphLayer reads the header and chunk table of one commit-graph file.
func parseGraphLayer(data []byte, base uint32) (*graphLayer, error) {
	if len(data) < 8 || string(data[:4]) != "CGPH" || data[4] != 1 || data[5] != 1 {
		return nil, errBadGraph // not version 1, or not SHA-1
	}
	chunks := int(data[6])
	if len(data) < 8+(chunks+1)*12 {
		return nil, errBadGraph
	}
	l := &graphLayer{base: base}
	for i := range chunks {
		e := data[8+i*12:]
		id := string(e[:4])
		start := binary.BigEndian.Uint64(e[4:])
		end := binary.BigEndian.Uint64(e[16:])
		if start > end || end > uint64(len(data)) {
			return nil, errBadGraph
		}
		c := data[start:end]
		switch id {
		case "OIDF":
			l.fanout = c
		case "OIDL":
			l.oids = c
		case "CDAT":
			l.cdat = c
		}
	}
	if len(l.fanout) != 256*4 {
		return nil, errBadGraph
	}
	l.n = binary.BigEndian.Uint32(l.fanout[255*4:])
	if l.n >= graphParentNone || uint64(len(l.oids)) != uint64(l.n)*20 || uint64(len(l.cdat)) != uint64(l.n)*graphDataWidth {
		return nil, errBadGraph
	}
	return l, nil
}

func (g *commitGraph) close() {
	if g == nil {
		return
	}
	for _, l := range g.layers {
		l.unmap()
	}
	g.layers = nil
}

// lookup returns the position of commit h in the graph.
func (g *commitGraph) lookup(h *[20]byte) (uint32, bool) {
	for i := len(g.layers) - 1; i >= 0; i-- {
		l := g.layers[i]
		lo := uint32(0)
		if h[0] > 0 {
			lo = binary.BigEndian.Uint32(l.fanout[(int(h[0])-1)*4:])
		}
		hi := binary.BigEndian.Uint32(l.fanout[int(h[0])*4:])
		if hi > l.n || lo > hi {
			continue
		}
		for lo < hi {
			mid := lo + (hi-lo)/2
			if bytes.Compare(l.oids[mid*20:mid*20+20], h[:]) < 0 {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo < l.n && bytes.Equal(l.oids[lo*20:lo*20+20], h[:]) {
			return l.base + lo, true
		}
	}
	return 0, false
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
		if c.hold != 0 && c.steps > 0 && l.date(i) < c.hold {
			c.held = true
			break
		}
		dst = append(dst, [20]byte(l.oids[i*20:i*20+20]))
		c.steps++
		parent := binary.BigEndian.Uint32(l.cdat[i*graphDataWidth+20:])
		if parent == graphParentNone || parent >= c.g.total {
			c.end = true
		}
		c.pos = parent
	}
	return dst
}

// date returns the committer date the layer gives commit i, in Unix
// seconds: the low 34 bits of the last 8 bytes of its CDAT entry.
func (l *graphLayer) date(i uint32) int64 {
	e := l.cdat[i*graphDataWidth+28:]
	return int64(binary.BigEndian.Uint32(e)&3)<<32 | int64(binary.BigEndian.Uint32(e[4:]))
}

// peek returns the name of the next commit, without moving on; false when
// the chain has ended.
func (c *graphChain) peek() ([20]byte, bool) {
	if c.end {
		return [20]byte{}, false
	}
	l, i := c.g.layer(c.pos)
	return [20]byte(l.oids[i*20 : i*20+20]), true
}
