package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// notesTree is a notes tree read into memory: each annotated object's full
// hex name maps to its note blob, whatever fan-out the tree used on disk
// (flat "abcdef…", or "ab/cdef…", "ab/cd/ef…"). Entries that are not notes
// (git calls them non-notes; a person may keep a README there) are kept by
// path and written back where they were.
type notesTree struct {
	notes map[string]plumbing.Hash
	other map[string]object.TreeEntry // full path → entry (Name is the base name)
}

func newNotesTree() *notesTree {
	return &notesTree{notes: map[string]plumbing.Hash{}, other: map[string]object.TreeEntry{}}
}

// readNotesTree loads the tree of the notes commit at h; a zero h is an
// empty tree (the notes ref does not exist yet).
func readNotesTree(s storer.EncodedObjectStorer, commit plumbing.Hash) (*notesTree, error) {
	nt := newNotesTree()
	if commit.IsZero() {
		return nt, nil
	}
	c, err := object.GetCommit(s, commit)
	if err != nil {
		return nil, fmt.Errorf("notes commit %s: %w", commit, err)
	}
	t, err := object.GetTree(s, c.TreeHash)
	if err != nil {
		return nil, fmt.Errorf("notes tree %s: %w", c.TreeHash, err)
	}
	if err := nt.load(s, t, "", ""); err != nil {
		return nil, err
	}
	return nt, nil
}

func (nt *notesTree) load(s storer.EncodedObjectStorer, t *object.Tree, dir, hexPrefix string) error {
	for _, e := range t.Entries {
		path := dir + e.Name
		hex := hexPrefix + e.Name
		switch {
		case e.Mode == filemode.Dir && len(e.Name) == 2 && isHex(e.Name) && len(hex) < 40:
			sub, err := object.GetTree(s, e.Hash)
			if err != nil {
				return fmt.Errorf("notes subtree %s: %w", path, err)
			}
			if err := nt.load(s, sub, path+"/", hex); err != nil {
				return err
			}
		case e.Mode.IsFile() && len(hex) == 40 && isHex(e.Name):
			nt.notes[strings.ToLower(hex)] = e.Hash
		default:
			nt.other[path] = e
		}
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// fanout is the number of two-hex-digit directory levels twokey writes for n
// notes: none up to 256 notes, one up to 65,536, then two. git reads every
// layout, and rewrites the tree in its own when it next writes a note.
func fanout(n int) int {
	switch {
	case n <= 256:
		return 0
	case n <= 65536:
		return 1
	default:
		return 2
	}
}

// treeNode is a tree being written.
type treeNode struct {
	files map[string]object.TreeEntry
	dirs  map[string]*treeNode
}

func (n *treeNode) dir(name string) *treeNode {
	if n.dirs == nil {
		n.dirs = map[string]*treeNode{}
	}
	d := n.dirs[name]
	if d == nil {
		d = &treeNode{}
		n.dirs[name] = d
	}
	return d
}

func (n *treeNode) put(path string, e object.TreeEntry) {
	parts := strings.Split(path, "/")
	cur := n
	for _, p := range parts[:len(parts)-1] {
		cur = cur.dir(p)
	}
	if cur.files == nil {
		cur.files = map[string]object.TreeEntry{}
	}
	e.Name = parts[len(parts)-1]
	cur.files[e.Name] = e
}

// write stores the notes tree and returns its hash, laid out with
// fanout(len(notes)) directory levels.
func (nt *notesTree) write(s storer.EncodedObjectStorer) (plumbing.Hash, error) {
	root := &treeNode{}
	f := fanout(len(nt.notes))
	for hex, blob := range nt.notes {
		var path strings.Builder
		for i := 0; i < f; i++ {
			path.WriteString(hex[2*i : 2*i+2])
			path.WriteByte('/')
		}
		path.WriteString(hex[2*f:])
		root.put(path.String(), object.TreeEntry{Mode: filemode.Regular, Hash: blob})
	}
	for path, e := range nt.other {
		root.put(path, e)
	}
	return writeNode(s, root)
}

func writeNode(s storer.EncodedObjectStorer, n *treeNode) (plumbing.Hash, error) {
	entries := make([]object.TreeEntry, 0, len(n.files)+len(n.dirs))
	for _, e := range n.files {
		entries = append(entries, e)
	}
	for name, d := range n.dirs {
		h, err := writeNode(s, d)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	return writeEntries(s, entries)
}

func readBlob(s storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	if h.IsZero() {
		return nil, nil
	}
	o, err := s.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, fmt.Errorf("note blob %s: %w", h, err)
	}
	r, err := o.Reader()
	if err != nil {
		return nil, fmt.Errorf("note blob %s: %w", h, err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

func writeBlob(s storer.EncodedObjectStorer, b []byte) (plumbing.Hash, error) {
	o := s.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(b)))
	w, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(b); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(o)
}

// appendLine returns note with line added at the end, and false when the
// note already holds that line (so re-running changes nothing).
func appendLine(note, line []byte) ([]byte, bool) {
	want := bytes.TrimSpace(line)
	for l := range bytes.SplitSeq(note, []byte("\n")) {
		if bytes.Equal(bytes.TrimSpace(l), want) {
			return note, false
		}
	}
	out := make([]byte, 0, len(note)+len(want)+2)
	out = append(out, note...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, want...)
	return append(out, '\n'), true
}

// catSortUniq combines two notes like `git notes merge -s cat_sort_uniq`:
// the lines of both, sorted, without duplicates or empty lines.
func catSortUniq(a, b []byte) []byte {
	var lines []string
	for _, note := range [][]byte{a, b} {
		for l := range strings.SplitSeq(string(note), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// mergeNotes merges theirs into ours given their merge base, note by note,
// like `git notes merge -s cat_sort_uniq`: a note changed on one side only
// takes that side (a deletion included); a note changed on both sides gets
// the sorted union of their lines. Non-notes take ours unless only theirs
// changed.
func mergeNotes(s storer.EncodedObjectStorer, base, ours, theirs *notesTree) (*notesTree, error) {
	out := newNotesTree()
	keys := map[string]bool{}
	for k := range ours.notes {
		keys[k] = true
	}
	for k := range theirs.notes {
		keys[k] = true
	}
	for k := range keys {
		b, o, t := base.notes[k], ours.notes[k], theirs.notes[k]
		var h plumbing.Hash
		switch {
		case o == t, t == b:
			h = o
		case o == b:
			h = t
		default:
			ob, err := readBlob(s, o)
			if err != nil {
				return nil, err
			}
			tb, err := readBlob(s, t)
			if err != nil {
				return nil, err
			}
			merged := catSortUniq(ob, tb)
			if merged == nil {
				continue
			}
			if h, err = writeBlob(s, merged); err != nil {
				return nil, err
			}
		}
		if !h.IsZero() {
			out.notes[k] = h
		}
	}
	for p, e := range ours.other {
		out.other[p] = e
	}
	for p, e := range theirs.other {
		if be, ok := base.other[p]; !ok || be.Hash != e.Hash {
			out.other[p] = e
		}
	}
	return out, nil
}

// mergeBase returns the merge base of two notes commits, or zero when they
// share no history.
func mergeBase(s storer.EncodedObjectStorer, a, b plumbing.Hash) (plumbing.Hash, error) {
	ca, err := object.GetCommit(s, a)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("notes commit %s: %w", a, err)
	}
	cb, err := object.GetCommit(s, b)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("notes commit %s: %w", b, err)
	}
	bases, err := ca.MergeBase(cb)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("merge base of notes commits %s and %s: %w", a, b, err)
	}
	if len(bases) == 0 {
		return plumbing.ZeroHash, nil
	}
	return bases[0].Hash, nil
}

// mergeBaseHere is a merge base of notes commits a and b from the commits
// this repository holds: of b's history, the first commit, breadth first,
// that is in a's; zero when they share none. Where a history is whole it
// is mergeBase's answer; where it was fetched shallow, mergeBase fails at
// the boundary.
func mergeBaseHere(s storer.EncodedObjectStorer, a, b plumbing.Hash) (plumbing.Hash, error) {
	inA := map[plumbing.Hash]bool{}
	if err := walkHere(s, a, func(h plumbing.Hash) bool { inA[h] = true; return true }); err != nil {
		return plumbing.ZeroHash, err
	}
	var base plumbing.Hash
	err := walkHere(s, b, func(h plumbing.Hash) bool {
		if inA[h] {
			base = h
			return false
		}
		return true
	})
	return base, err
}

// walkHere calls fn for from and each commit of its history that this
// repository holds, breadth first, until fn returns false.
func walkHere(s storer.EncodedObjectStorer, from plumbing.Hash, fn func(plumbing.Hash) bool) error {
	seen := map[plumbing.Hash]bool{from: true}
	for queue := []plumbing.Hash{from}; len(queue) > 0; queue = queue[1:] {
		h := queue[0]
		c, err := object.GetCommit(s, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			continue // past a shallow boundary
		}
		if err != nil {
			return fmt.Errorf("notes commit %s: %w", h, err)
		}
		if !fn(h) {
			return nil
		}
		for _, p := range c.ParentHashes {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return nil
}

// mergeCommits writes the merge of two notes commits: a commit whose parents
// are ours then theirs (as `git notes merge` does) and whose tree is
// mergeNotes of the three trees. When one contains the other it returns the
// newer one without writing anything.
func mergeCommits(s storer.EncodedObjectStorer, ours, theirs plumbing.Hash, sig object.Signature) (plumbing.Hash, error) {
	switch {
	case ours.IsZero() || ours == theirs:
		return theirs, nil
	case theirs.IsZero():
		return ours, nil
	}
	// theirs written on top of ours: known without ours' history, which a
	// clone that fetched the notes at depth 1 does not have.
	if ff, err := descends(s, theirs, ours); err != nil || ff {
		return theirs, err
	}
	base, err := mergeBase(s, ours, theirs)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// A history cut short (notes fetched at depth 1): the newest
		// commit of theirs that ours has, of the commits here.
		base, err = mergeBaseHere(s, ours, theirs)
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	switch base {
	case theirs:
		return ours, nil
	case ours:
		return theirs, nil
	}
	trees := make([]*notesTree, 3)
	for i, h := range []plumbing.Hash{base, ours, theirs} {
		if trees[i], err = readNotesTree(s, h); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	merged, err := mergeNotes(s, trees[0], trees[1], trees[2])
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return writeNotesCommit(s, merged, "Notes merged by twokey (cat_sort_uniq)\n", sig, ours, theirs)
}

func writeNotesCommit(s storer.EncodedObjectStorer, nt *notesTree, msg string, sig object.Signature, parents ...plumbing.Hash) (plumbing.Hash, error) {
	tree, err := nt.write(s)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return writeCommit(s, tree, msg, sig, parents...)
}

func writeCommit(s storer.EncodedObjectStorer, tree plumbing.Hash, msg string, sig object.Signature, parents ...plumbing.Hash) (plumbing.Hash, error) {
	var ps []plumbing.Hash
	for _, p := range parents {
		if !p.IsZero() {
			ps = append(ps, p)
		}
	}
	c := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree, ParentHashes: ps}
	o := s.NewEncodedObject()
	if err := c.Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode notes commit: %w", err)
	}
	return s.SetEncodedObject(o)
}

// addRecord writes a notes commit on top of parent whose tree adds line to
// the note of commit, rewriting only the trees on the note's path. It
// returns the parent itself, changed false, when the note already holds the
// line.
func addRecord(s storer.EncodedObjectStorer, parent plumbing.Hash, commit string, line []byte, sig object.Signature) (plumbing.Hash, bool, error) {
	root, err := notesTreeOf(s, parent)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	blob, err := lookupNote(s, root, commit)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	old, err := readBlob(s, blob)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	note, changed := appendLine(old, line)
	if !changed {
		return parent, false, nil
	}
	if blob, err = writeBlob(s, note); err != nil {
		return plumbing.ZeroHash, false, err
	}
	if root, err = setNote(s, root, commit, blob); err != nil {
		return plumbing.ZeroHash, false, err
	}
	h, err := writeCommit(s, root, "Notes added by twokey\n", sig, parent)
	return h, true, err
}

// ErrBadCommit is returned for a commit name that is not a full hex object
// name.
var ErrBadCommit = errors.New("not a full 40-hex commit SHA")

func checkCommit(commit string) (string, error) {
	c := strings.ToLower(commit)
	if len(c) != 40 || !isHex(c) {
		return "", fmt.Errorf("commit %q: %w", commit, ErrBadCommit)
	}
	return c, nil
}
