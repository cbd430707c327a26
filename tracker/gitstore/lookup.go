package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
// The walk takes the first-parent chain from the commit-graph in chunks
// (64 commits, doubling up to 65,536) instead of the whole chain at once,
// and reads each chunk's commits on several goroutines as Repo.FirstParent
// does; without a commit-graph it reads commit by commit. A note is looked
// up by its path in the notes tree, reading only the trees on that path
// (each once), instead of loading the whole notes tree.
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
	trees map[[20]byte]*notesDir
}

// notesDir is one tree of the notes, as read: the raw tree (never written
// to), where its note entries start, and its fan-out subtrees by the byte
// their two hex digits spell, so that a look-up reads no more than that.
type notesDir struct {
	data  []byte
	depth int      // hex digits of a note's name the path to it spells
	files []uint32 // where each note entry starts in data, in tree order
	dirs  *[256][20]byte
	has   [256]bool
}

// Window returns a Window over r.
func (r *Repo) Window() *Window {
	w := &Window{r: r, trees: map[[20]byte]*notesDir{}}
	w.rootOnce = sync.OnceValue(w.loadRoot)
	return w
}

func (w *Window) loadRoot() error {
	tree, ok, err := w.r.notesTree()
	if err != nil || !ok {
		return err
	}
	w.root, err = w.dir(&tree, 0)
	return err
}

// dir reads the notes tree at depth hex digits, once.
func (w *Window) dir(tree *[20]byte, depth int) (*notesDir, error) {
	w.mu.Lock()
	d := w.trees[*tree]
	w.mu.Unlock()
	if d != nil {
		return d, nil
	}
	typ, data, err := w.r.objects.readHinted(tree, nil, &w.r.notesAt)
	if err != nil {
		return nil, fmt.Errorf("notes tree %x: %w", tree[:], err)
	}
	if typ != objTree {
		return nil, fmt.Errorf("notes tree %x is not a tree", tree[:])
	}
	d = &notesDir{data: data, depth: depth}
	for off := 0; off < len(data); {
		rest := data[off:]
		sp := bytes.IndexByte(rest, ' ')
		nul := bytes.IndexByte(rest, 0)
		if sp < 0 || nul < sp || len(rest) < nul+21 {
			return nil, fmt.Errorf("notes tree %x: malformed", tree[:])
		}
		mode, name := rest[:sp], rest[sp+1:nul]
		switch {
		case string(mode) != "40000":
			if depth+len(name) == 40 {
				d.files = append(d.files, uint32(off))
			}
		case len(name) == 2 && depth+2 < 40 && isHex(string(name)):
			if d.dirs == nil {
				d.dirs = new([256][20]byte)
			}
			b := unhex(name[0])<<4 | unhex(name[1])
			d.dirs[b], d.has[b] = [20]byte(rest[nul+1:nul+21]), true // a later one wins
		}
		off += nul + 21
	}
	w.mu.Lock()
	w.trees[*tree] = d
	w.mu.Unlock()
	return d, nil
}

// find looks up the note on the object named name (40 lowercase hex
// digits) in d: the note stored whole in d when there is one (the last, if
// d names it twice, as in Repo's notes), else the fan-out subtree its next
// two digits name. Names are compared without regard to case, as hex
// digits.
func (d *notesDir) find(name string) (h [20]byte, isDir, ok bool) {
	rest := name[d.depth:]
	for i := len(d.files) - 1; i >= 0; i-- {
		e := d.data[d.files[i]:]
		sp := bytes.IndexByte(e, ' ')
		if hexEqual(e[sp+1:sp+1+len(rest)], rest) && e[sp+1+len(rest)] == 0 {
			return [20]byte(e[sp+2+len(rest):]), false, true
		}
	}
	if d.dirs == nil || len(rest) < 2 {
		return h, false, false
	}
	b := unhex(rest[0])<<4 | unhex(rest[1])
	return d.dirs[b], true, d.has[b]
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
// none (tracker.Notes). Of a note stored both whole in a tree and under its
// fan-out subtree, the whole one wins: it comes later in tree order, as it
// does for Repo.Note.
func (w *Window) Note(ctx context.Context, commit string) ([]byte, error) {
	if err := w.rootOnce(); err != nil {
		return nil, err
	}
	if len(commit) != 40 || !isHex(commit) {
		return nil, fmt.Errorf("commit %q: %w", commit, ErrBadCommit)
	}
	name := strings.ToLower(commit)
	for d, depth := w.root, 0; d != nil; depth += 2 {
		h, isDir, ok := d.find(name)
		if !ok {
			return nil, nil
		}
		if isDir {
			var err error
			if d, err = w.dir(&h, depth+2); err != nil {
				return nil, err
			}
			continue
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
	return nil, nil
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
