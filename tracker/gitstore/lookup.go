package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/twokey/twokey/tracker"
)

// NotesTip returns the commit refs/notes/twokey points to, "" when there is
// no such ref.
func (r *Repo) NotesTip() (string, error) {
	ref, err := r.repo.Reference(tracker.NotesRef, true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", tracker.NotesRef, err)
	}
	return ref.Hash().String(), nil
}

// Window reads a repository for an audit that may stop early (a --since
// range): its walk and its notes cost what the audit reads, not the whole
// history. It implements tracker.History and tracker.Notes over a Repo, and
// is safe for concurrent use.
//
// The walk is Repo.FirstParent's: it takes the first-parent chain from the
// commit-graph a batch (128 commits) at a time, a few batches ahead of fn,
// and reads each batch's commits on several goroutines; past Since (see
// below), and without a commit-graph, it reads commit by commit. A note is
// looked up by its path in the notes tree, reading only the trees on that
// path (each once), instead of loading the whole notes tree.
type Window struct {
	r *Repo

	// Since, when set, bounds the walk's read-ahead: past the first commit
	// the commit-graph dates before it, commits are read one at a time, as
	// the walk's caller takes them. It is a hint and decides nothing: a
	// commit dated before Since is still given when asked for.
	Since time.Time

	rootOnce func() error
	root     *notesDir // nil without notes

	mu    sync.Mutex
	trees map[dirKey]*notesDir // the trees down to cachedDepth
	spare sync.Pool            // *notesDir, for the deeper trees
}

// dirKey names a notes tree read at a depth: the same tree object can sit
// at two depths, where different entries of it are notes.
type dirKey struct {
	tree  [20]byte
	depth int
}

// notesDir is one tree of the notes, as read: the raw tree (never written
// to), where its note entries start, and where its fan-out subtrees start,
// by the byte their two hex digits spell, so that a look-up reads no more
// than that.
type notesDir struct {
	data  []byte
	depth int          // hex digits of a note's name the path to it spells
	files []uint32     // where each note entry starts in data, in tree order
	dirs  *[256]uint32 // where the last subtree of each two digits starts in data, plus one; 0: none
	more  []uint32     // where the others start: a tree with two subtrees for the same digits ("ab" and "AB")

	spareDirs *[256]uint32 // dirs' memory, kept for reuse when the tree has no subtrees
	reused    bool         // a pooled notesDir, whose memory is read into again
}

// Window returns a Window over r.
func (r *Repo) Window() *Window {
	w := &Window{r: r, trees: map[dirKey]*notesDir{}}
	w.rootOnce = sync.OnceValue(w.loadRoot)
	return w
}

func (w *Window) loadRoot() error {
	tree, ok, err := w.r.notesTree()
	if err != nil || !ok {
		return err
	}
	w.root, _, err = w.dir(&tree, 0)
	return err
}

// cachedDepth is the deepest a notes tree is kept once read: the root and
// its subtrees (256 of them in a fan-out notes tree) serve every look-up;
// a tree deeper down holds the notes of a handful of commits, and a window
// rarely asks for two of them, so it is read into reused memory and let go.
const cachedDepth = 2

// dir returns the notes tree at depth hex digits, and the function that
// lets it go (its memory is reused). Trees down to cachedDepth are read
// once.
func (w *Window) dir(tree *[20]byte, depth int) (*notesDir, func(), error) {
	if depth > cachedDepth {
		d, _ := w.spare.Get().(*notesDir)
		if d == nil {
			d = &notesDir{reused: true}
		}
		if err := w.readDir(tree, depth, d); err != nil {
			return nil, nil, err
		}
		return d, func() { w.spare.Put(d) }, nil
	}
	key := dirKey{*tree, depth}
	w.mu.Lock()
	d := w.trees[key]
	w.mu.Unlock()
	if d != nil {
		return d, func() {}, nil
	}
	d = new(notesDir)
	if err := w.readDir(tree, depth, d); err != nil {
		return nil, nil, err
	}
	w.mu.Lock()
	w.trees[key] = d
	w.mu.Unlock()
	return d, func() {}, nil
}

// readDir reads the notes tree at depth hex digits into d, reusing the
// memory of a d that was read before (a pooled one: readDir never writes
// into memory it was not given).
func (w *Window) readDir(tree *[20]byte, depth int, d *notesDir) error {
	buf := d.data[:0]
	if d.reused && buf == nil {
		buf = make([]byte, 0, 1024) // own memory: nil could hand back a cached base, shared
	}
	typ, data, err := w.r.objects.readHinted(tree, buf, &w.r.notesAt)
	if err != nil {
		return fmt.Errorf("notes tree %x: %w", tree[:], err)
	}
	if typ != objTree {
		return fmt.Errorf("notes tree %x is not a tree", tree[:])
	}
	dirs := d.dirs
	if dirs == nil {
		dirs = d.spareDirs
	}
	*d = notesDir{data: data, depth: depth, files: d.files[:0], more: d.more[:0], spareDirs: dirs, reused: d.reused}
	if dirs != nil {
		clear(dirs[:])
	}
	for off := 0; off < len(data); {
		rest := data[off:]
		sp := bytes.IndexByte(rest, ' ')
		nul := bytes.IndexByte(rest, 0)
		if sp < 0 || nul < sp || len(rest) < nul+21 {
			return fmt.Errorf("notes tree %x: malformed", tree[:])
		}
		mode, name := rest[:sp], rest[sp+1:nul]
		switch {
		case string(mode) != "40000":
			if depth+len(name) == 40 {
				d.files = append(d.files, uint32(off))
			}
		case len(name) == 2 && depth+2 < 40 && isHex(string(name)):
			if d.dirs == nil {
				if d.spareDirs == nil {
					d.spareDirs = new([256]uint32)
				}
				d.dirs = d.spareDirs
			}
			b := unhex(name[0])<<4 | unhex(name[1])
			if d.dirs[b] != 0 {
				d.more = append(d.more, d.dirs[b]-1)
			}
			d.dirs[b] = uint32(off) + 1
		}
		off += nul + 21
	}
	return nil
}

// candidates appends to dst where the entries of d that may hold the note
// on the object named name (40 lowercase hex digits) start, in tree order:
// the notes stored whole in d under that name, and the fan-out subtrees
// its next two digits name. Names are compared without regard to case, as
// hex digits.
func (d *notesDir) candidates(name string, dst []uint32) []uint32 {
	rest := name[d.depth:]
	for _, off := range d.files {
		e := d.data[off:]
		sp := bytes.IndexByte(e, ' ')
		if hexEqual(e[sp+1:sp+1+len(rest)], rest) && e[sp+1+len(rest)] == 0 {
			dst = append(dst, off)
		}
	}
	if d.dirs == nil || len(rest) < 2 {
		return dst
	}
	b := unhex(rest[0])<<4 | unhex(rest[1])
	if d.dirs[b] == 0 {
		return dst
	}
	n := len(dst)
	dst = append(dst, d.dirs[b]-1)
	for _, off := range d.more {
		if e := d.data[off:]; unhex(e[6])<<4|unhex(e[7]) == b {
			dst = append(dst, off)
		}
	}
	if len(dst) > n+1 || n > 0 {
		slices.Sort(dst)
	}
	return dst
}

// unhex is the value of hex digit c, in either case.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// hexEqual reports whether a and the lowercase hex digits b spell the same
// digits, a in either case.
func hexEqual(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		c := a[i]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			return false
		}
	}
	return true
}

// Note returns the note on commit under refs/notes/twokey, nil when there is
// none (tracker.Notes). Of the entries of a tree that hold the note (a
// note stored whole, a fan-out subtree that holds it), the last in tree
// order wins, as it does for Repo.Note: the whole one over its fan-out
// copy, where names are lowercase as git writes them.
func (w *Window) Note(ctx context.Context, commit string) ([]byte, error) {
	if err := w.rootOnce(); err != nil {
		return nil, err
	}
	if len(commit) != 40 || !isHex(commit) {
		return nil, fmt.Errorf("commit %q: %w", commit, ErrBadCommit)
	}
	if w.root == nil {
		return nil, nil
	}
	var seen []dirKey
	h, ok, err := w.find(w.root, strings.ToLower(commit), &seen)
	if err != nil || !ok {
		return nil, err
	}
	typ, data, err := w.r.objects.readHinted(&h, nil, &w.r.notesAt)
	if err != nil {
		return nil, fmt.Errorf("note of %s: %w", commit, err)
	}
	if typ != objBlob {
		return nil, fmt.Errorf("note of %s: %x is not a blob", commit, h)
	}
	return data, nil
}

// find returns the note blob on the object named name in d and its
// subtrees: of d's entries that hold it, the last in tree order. seen
// holds the subtrees searched in vain since the search first had two
// ways to go (before that, each was on the one path there is): a tree
// that names one subtree twice ("ab" and "AB") at every level would
// otherwise cost 2^levels searches.
func (w *Window) find(d *notesDir, name string, seen *[]dirKey) (blob [20]byte, ok bool, err error) {
	var buf [2]uint32
	c := d.candidates(name, buf[:0])
	for i := len(c) - 1; i >= 0; i-- {
		e := d.data[c[i]:]
		nul := bytes.IndexByte(e, 0)
		h := [20]byte(e[nul+1 : nul+21])
		if !bytes.HasPrefix(e, []byte("40000 ")) {
			return h, true, nil
		}
		if len(c) > 1 || *seen != nil {
			key := dirKey{h, d.depth + 2}
			if slices.Contains(*seen, key) {
				continue // the same subtree at the same depth holds no note on name
			}
			*seen = append(*seen, key)
		}
		sub, release, err := w.dir(&h, d.depth+2)
		if err != nil {
			return blob, false, err
		}
		blob, ok, err = w.find(sub, name, seen)
		release()
		if ok || err != nil {
			return blob, ok, err
		}
	}
	return blob, false, nil
}

// FirstParent calls fn for each commit on the first-parent chain of ref,
// newest first (tracker.History), and stops when fn returns an error,
// having read little more than what fn was given. Like Repo.FirstParent, it
// checks the commit-graph against the commits and ends with ErrShallow at a
// shallow clone's boundary.
func (w *Window) FirstParent(ctx context.Context, ref string, fn func(tracker.Commit) error) error {
	// Repo's walk reads the commit-graph's chain a batch at a time as fn
	// takes the commits, so stopping early costs what was read.
	var hold int64
	if !w.Since.IsZero() {
		hold = w.Since.Unix()
	}
	return w.r.firstParent(ctx, ref, hold, fn)
}
