package gitstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

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

	rootOnce func() error
	root     *notesDir // nil without notes

	mu    sync.Mutex
	trees map[[20]byte]*notesDir
}

// notesDir is one tree of the notes: its notes by the rest of their name,
// and its fan-out subtrees by the byte their two hex digits spell.
type notesDir struct {
	files  map[string][20]byte
	dirs   [256][20]byte
	hasDir [256]bool
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
	d = &notesDir{}
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+21 {
			return nil, fmt.Errorf("notes tree %x: malformed", tree[:])
		}
		mode, name := data[:sp], data[sp+1:nul]
		h := [20]byte(data[nul+1 : nul+21])
		data = data[nul+21:]
		isDir := string(mode) == "40000"
		switch {
		case isDir && len(name) == 2 && depth+2 < 40:
			var b [1]byte
			if _, err := hex.Decode(b[:], name); err == nil {
				d.dirs[b[0]], d.hasDir[b[0]] = h, true
			}
		case !isDir && depth+len(name) == 40 && isHex(string(name)):
			if d.files == nil {
				d.files = map[string][20]byte{}
			}
			d.files[strings.ToLower(string(name))] = h // a later entry wins, as in Repo's notes
		}
	}
	w.mu.Lock()
	w.trees[*tree] = d
	w.mu.Unlock()
	return d, nil
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
	d := w.root
	for depth := 0; d != nil; depth += 2 {
		if blob, ok := d.files[name[depth:]]; ok {
			typ, data, err := w.r.objects.readHinted(&blob, nil, &w.r.notesAt)
			if err != nil {
				return nil, fmt.Errorf("note of %s: %w", commit, err)
			}
			if typ != objBlob {
				return nil, fmt.Errorf("note of %s: %x is not a blob", commit, blob)
			}
			return data, nil
		}
		var b [1]byte
		if _, err := hex.Decode(b[:], []byte(name[depth:depth+2])); err != nil || !d.hasDir[b[0]] {
			return nil, nil
		}
		sub := d.dirs[b[0]]
		var err error
		if d, err = w.dir(&sub, depth+2); err != nil {
			return nil, err
		}
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
	return w.r.FirstParent(ctx, ref, fn)
}
