package gitstore

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// This file reads and writes one note of a notes tree without loading the
// others: a lookup reads the trees on the note's path only (a root and, in
// a fan-out tree, one or two subtrees of at most a few hundred entries),
// and an edit writes new copies of those trees only. The cost of appending
// a record therefore depends neither on the notes history nor, beyond the
// size of one path, on the number of notes.

// maxNoteFanout is the deepest fan-out setNote creates: two levels
// ("ab/cd/ef…"), as fanout() does for more than 65,536 notes. Deeper trees
// written by git are read and edited in place.
const maxNoteFanout = 2

// splitAt is the number of notes in one tree above which setNote moves that
// tree's notes one fan-out level down (flat up to 256 notes, as fanout()).
const splitAt = 256

func treeEntries(s storer.EncodedObjectStorer, h plumbing.Hash) ([]object.TreeEntry, error) {
	if h.IsZero() {
		return nil, nil
	}
	t, err := object.GetTree(s, h)
	if err != nil {
		return nil, fmt.Errorf("notes tree %s: %w", h, err)
	}
	return t.Entries, nil
}

// notesTreeOf returns the tree of notes commit c; zero for a zero c.
func notesTreeOf(s storer.EncodedObjectStorer, c plumbing.Hash) (plumbing.Hash, error) {
	if c.IsZero() {
		return plumbing.ZeroHash, nil
	}
	commit, err := object.GetCommit(s, c)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("notes commit %s: %w", c, err)
	}
	return commit.TreeHash, nil
}

// isNoteDir reports whether e is a fan-out directory on the way to the note
// whose remaining path is rest.
func isNoteDir(e object.TreeEntry, rest string) bool {
	return e.Mode == filemode.Dir && len(rest) > 2 && strings.EqualFold(e.Name, rest[:2])
}

// lookupNote returns the note blob on obj (40 lowercase hex digits) in the
// notes tree root, whatever its fan-out, or zero when obj has no note.
func lookupNote(s storer.EncodedObjectStorer, root plumbing.Hash, obj string) (plumbing.Hash, error) {
	rest := obj
	for h := root; !h.IsZero(); {
		entries, err := treeEntries(s, h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		h = plumbing.ZeroHash
		for _, e := range entries {
			if e.Mode.IsFile() && strings.EqualFold(e.Name, rest) {
				return e.Hash, nil
			}
			if isNoteDir(e, rest) {
				h = e.Hash
			}
		}
		if !h.IsZero() {
			rest = rest[2:]
		}
	}
	return plumbing.ZeroHash, nil
}

// setNote writes a copy of the notes tree root (zero: empty) in which obj's
// note is blob, and returns its hash. Only the trees on obj's path are
// written: the note is replaced where it is, or added in the deepest
// existing fan-out directory on its path; a tree that then holds more than
// splitAt notes, above maxNoteFanout levels, moves its notes one level down
// (as git does when notes pile up).
func setNote(s storer.EncodedObjectStorer, root plumbing.Hash, obj string, blob plumbing.Hash) (plumbing.Hash, error) {
	return setNoteIn(s, root, obj, 0, blob)
}

func setNoteIn(s storer.EncodedObjectStorer, tree plumbing.Hash, rest string, depth int, blob plumbing.Hash) (plumbing.Hash, error) {
	old, err := treeEntries(s, tree)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries := slices.Clone(old)
	for i, e := range entries {
		if e.Mode.IsFile() && strings.EqualFold(e.Name, rest) {
			entries[i].Hash = blob
			return writeEntries(s, entries)
		}
	}
	for i, e := range entries {
		if isNoteDir(e, rest) {
			h, err := setNoteIn(s, e.Hash, rest[2:], depth+1, blob)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries[i].Hash = h
			return writeEntries(s, entries)
		}
	}
	entries = append(entries, object.TreeEntry{Name: rest, Mode: filemode.Regular, Hash: blob})
	if depth < maxNoteFanout && countNotes(entries, len(rest)) > splitAt {
		if entries, err = splitNotes(s, entries, len(rest), depth); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return writeEntries(s, entries)
}

// countNotes counts the entries of a tree that are notes whose remaining
// path is n hex digits long.
func countNotes(entries []object.TreeEntry, n int) int {
	c := 0
	for _, e := range entries {
		if e.Mode.IsFile() && len(e.Name) == n && isHex(e.Name) {
			c++
		}
	}
	return c
}

// splitNotes moves the notes of a tree (remaining paths n hex digits long)
// into two-hex-digit subdirectories, into those that exist already too.
func splitNotes(s storer.EncodedObjectStorer, entries []object.TreeEntry, n, depth int) ([]object.TreeEntry, error) {
	moved := map[string][]object.TreeEntry{} // subdirectory → its new notes
	var kept []object.TreeEntry
	for _, e := range entries {
		if e.Mode.IsFile() && len(e.Name) == n && isHex(e.Name) {
			dir := strings.ToLower(e.Name[:2])
			moved[dir] = append(moved[dir], object.TreeEntry{Name: e.Name[2:], Mode: e.Mode, Hash: e.Hash})
			continue
		}
		kept = append(kept, e)
	}
	for i, e := range kept {
		notes, ok := moved[strings.ToLower(e.Name)]
		if !ok || e.Mode != filemode.Dir {
			continue
		}
		h := e.Hash
		for _, note := range notes {
			var err error
			if h, err = setNoteIn(s, h, note.Name, depth+1, note.Hash); err != nil {
				return nil, err
			}
		}
		kept[i].Hash = h
		delete(moved, strings.ToLower(e.Name))
	}
	for dir, notes := range moved {
		h, err := writeEntries(s, notes)
		if err != nil {
			return nil, err
		}
		kept = append(kept, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
	}
	return kept, nil
}

// writeEntries stores a tree of entries in git's order and returns its hash.
func writeEntries(s storer.EncodedObjectStorer, entries []object.TreeEntry) (plumbing.Hash, error) {
	// git orders tree entries by name, a directory sorting as if its name
	// ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	t := &object.Tree{Entries: entries}
	o := s.NewEncodedObject()
	if err := t.Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode notes tree: %w", err)
	}
	return s.SetEncodedObject(o)
}

// recorder is an object store that remembers the objects written through
// it: what a push must send.
type recorder struct {
	storer.EncodedObjectStorer
	created []plumbing.Hash
}

func (r *recorder) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	h, err := r.EncodedObjectStorer.SetEncodedObject(o)
	if err == nil {
		r.created = append(r.created, h)
	}
	return h, err
}
