package gitstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/twokey/twokey/tracker"
)

// ErrUnknownRef is returned for a ref that names no branch, tag or commit.
var ErrUnknownRef = errors.New("unknown ref")

// ErrShallow is returned when the history ends at a shallow clone's
// boundary before reaching the root.
var ErrShallow = errors.New("shallow clone")

// Repo reads a repository on disk for the audit: the first-parent history
// of a branch and the notes under refs/notes/twokey. It implements
// tracker.History and tracker.Notes. It reads objects straight from the
// pack files and parses only what the audit needs from each commit (first
// parent, parent count, committer date, subject); the notes tree is loaded
// once into a map. Not safe for concurrent use; Close it when done.
type Repo struct {
	repo    *git.Repository
	objects *objectReader
	shallow map[[20]byte]bool
	notes   map[[20]byte][20]byte // annotated object → note blob; nil until loaded
}

// Open opens the repository at dir (a work tree, any directory inside it, or
// a bare repository).
func Open(dir string) (*Repo, error) {
	repo, err := openRepo(dir)
	if err != nil {
		return nil, err
	}
	objectsDir, err := objectsDir(repo)
	if err != nil {
		return nil, err
	}
	objs, err := newObjectReader(objectsDir, repo.Storer)
	if err != nil {
		return nil, err
	}
	r := &Repo{repo: repo, objects: objs, shallow: map[[20]byte]bool{}}
	sh, err := repo.Storer.Shallow()
	if err != nil {
		objs.close()
		return nil, fmt.Errorf("read shallow list: %w", err)
	}
	for _, h := range sh {
		r.shallow[h] = true
	}
	return r, nil
}

// objectsDir finds the objects directory: the git dir's, or its common
// dir's for a linked work tree.
func objectsDir(repo *git.Repository) (string, error) {
	fs, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return "", errors.New("repository is not on disk")
	}
	var root string
	if r, ok := fs.Filesystem().(interface{ Root() string }); ok {
		root = r.Root()
	}
	if root == "" {
		return "", errors.New("repository has no directory on disk")
	}
	if c, err := os.ReadFile(filepath.Join(root, "commondir")); err == nil {
		common := strings.TrimSpace(string(c))
		if !filepath.IsAbs(common) {
			common = filepath.Join(root, common)
		}
		return filepath.Join(common, "objects"), nil
	}
	return filepath.Join(root, "objects"), nil
}

// Close releases the mapped pack files.
func (r *Repo) Close() error { return r.objects.close() }

// ResolveRef resolves ref to a full ref name (or a commit SHA when ref is
// one) and its commit. An empty ref means the branch HEAD points to. A short
// name is tried as a branch, a remote-tracking branch, then a tag.
func (r *Repo) ResolveRef(ref string) (string, plumbing.Hash, error) {
	if ref == "" || ref == "HEAD" {
		head, err := r.repo.Storer.Reference(plumbing.HEAD)
		if err != nil {
			return "", plumbing.ZeroHash, fmt.Errorf("HEAD: %w (pass --ref BRANCH)", err)
		}
		if head.Type() == plumbing.SymbolicReference {
			name := head.Target()
			h, err := r.repo.Reference(name, true)
			if err != nil {
				return "", plumbing.ZeroHash, fmt.Errorf("HEAD points to %s, which has no commits yet: %w", name.Short(), ErrUnknownRef)
			}
			return name.Short(), h.Hash(), nil
		}
		return "HEAD", head.Hash(), nil
	}
	for _, name := range []string{ref, "refs/heads/" + ref, "refs/remotes/" + ref, "refs/tags/" + ref} {
		h, err := r.repo.Reference(plumbing.ReferenceName(name), true)
		if err != nil {
			continue
		}
		hash := h.Hash()
		if strings.HasPrefix(name, "refs/tags/") { // peel an annotated tag
			if t, err := r.repo.TagObject(hash); err == nil {
				c, err := t.Commit()
				if err != nil {
					return "", plumbing.ZeroHash, fmt.Errorf("tag %s: %w", ref, err)
				}
				hash = c.Hash
			}
		}
		return ref, hash, nil
	}
	if len(ref) == 40 && isHex(ref) {
		return ref, plumbing.NewHash(ref), nil
	}
	return "", plumbing.ZeroHash, fmt.Errorf("%q: %w: not a branch, remote-tracking branch, tag or full commit SHA here (list them with git branch -a; in CI check out with fetch-depth: 0)", ref, ErrUnknownRef)
}

// FirstParent calls fn for each commit on the first-parent chain of ref,
// newest first (tracker.History). It ends with ErrShallow when the chain
// reaches a shallow clone's boundary, after calling fn for the boundary.
func (r *Repo) FirstParent(ctx context.Context, ref string, fn func(tracker.Commit) error) error {
	_, h, err := r.ResolveRef(ref)
	if err != nil {
		return err
	}
	cur := [20]byte(h)
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		typ, data, err := r.objects.read(&cur)
		if err != nil {
			if errors.Is(err, errObjectNotFound) && n > 0 {
				return fmt.Errorf("commit %x: %w (the history is incomplete; fetch it all with git fetch --unshallow, or fetch-depth: 0 in CI)", cur, err)
			}
			return fmt.Errorf("commit %x: %w", cur, err)
		}
		if typ != objCommit {
			return fmt.Errorf("%x is not a commit", cur)
		}
		c, first, err := parseCommit(data)
		if err != nil {
			return fmt.Errorf("commit %x: %w", cur, err)
		}
		c.Hash = hex.EncodeToString(cur[:])
		if err := fn(c); err != nil {
			return err
		}
		if c.Parents == 0 {
			return nil
		}
		if r.shallow[cur] {
			return fmt.Errorf("history of %s ends at %s: %w (fetch it all with git fetch --unshallow, or fetch-depth: 0 in CI)", ref, c.Hash[:12], ErrShallow)
		}
		cur = first
	}
}

// parseCommit reads what the audit needs from a raw commit: the number of
// parents and the first, the committer date and the subject (the first
// paragraph of the message on one line, as git's %s).
func parseCommit(data []byte) (tracker.Commit, [20]byte, error) {
	var c tracker.Commit
	var first [20]byte
	rest := data
	haveTime := false
	for {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return c, first, errors.New("truncated header")
		}
		line := rest[:nl]
		rest = rest[nl+1:]
		if len(line) == 0 {
			break
		}
		switch {
		case bytes.HasPrefix(line, []byte("parent ")):
			if c.Parents == 0 {
				if _, err := hex.Decode(first[:], line[7:]); err != nil || len(line) != 47 {
					return c, first, fmt.Errorf("bad parent line %q", line)
				}
			}
			c.Parents++
		case bytes.HasPrefix(line, []byte("committer ")):
			t, err := parseSigTime(line)
			if err != nil {
				return c, first, err
			}
			c.Time, haveTime = t, true
		}
	}
	if !haveTime {
		return c, first, errors.New("no committer line")
	}
	for len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	if end := bytes.Index(rest, []byte("\n\n")); end >= 0 {
		rest = rest[:end]
	}
	subj := bytes.TrimRight(rest, "\n")
	if bytes.IndexByte(subj, '\n') >= 0 {
		subj = bytes.Join(bytes.Fields(subj), []byte(" "))
	}
	c.Subject = string(subj)
	return c, first, nil
}

// parseSigTime reads the date at the end of "committer Name <email> 1700000000 +0100".
func parseSigTime(line []byte) (time.Time, error) {
	gt := bytes.LastIndexByte(line, '>')
	if gt < 0 {
		return time.Time{}, fmt.Errorf("bad committer line %q", line)
	}
	f := bytes.Fields(line[gt+1:])
	if len(f) < 1 {
		return time.Time{}, fmt.Errorf("bad committer line %q", line)
	}
	sec, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad committer date in %q", line)
	}
	loc := time.UTC
	if len(f) > 1 && len(f[1]) == 5 {
		tz := f[1]
		hh, err1 := strconv.Atoi(string(tz[1:3]))
		mm, err2 := strconv.Atoi(string(tz[3:5]))
		if err1 == nil && err2 == nil {
			off := hh*3600 + mm*60
			if tz[0] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		}
	}
	return time.Unix(sec, 0).In(loc), nil
}

// loadNotes reads the whole notes tree once: each annotated object mapped to
// its note blob, across any fan-out.
func (r *Repo) loadNotes() error {
	r.notes = map[[20]byte][20]byte{}
	ref, err := r.repo.Reference(tracker.NotesRef, true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", tracker.NotesRef, err)
	}
	h := [20]byte(ref.Hash())
	typ, data, err := r.objects.read(&h)
	if err != nil {
		return fmt.Errorf("notes commit %x: %w", h, err)
	}
	if typ != objCommit || !bytes.HasPrefix(data, []byte("tree ")) || len(data) < 45 {
		return fmt.Errorf("%s points to %x, which is not a commit", tracker.NotesRef, h)
	}
	var tree [20]byte
	if _, err := hex.Decode(tree[:], data[5:45]); err != nil {
		return fmt.Errorf("notes commit %x: bad tree line", h)
	}
	var prefix [40]byte
	return r.loadNotesTree(&tree, prefix[:0])
}

func (r *Repo) loadNotesTree(tree *[20]byte, prefix []byte) error {
	typ, data, err := r.objects.read(tree)
	if err != nil {
		return fmt.Errorf("notes tree %x: %w", tree[:], err)
	}
	if typ != objTree {
		return fmt.Errorf("notes tree %x is not a tree", tree[:])
	}
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+21 {
			return fmt.Errorf("notes tree %x: malformed", tree[:])
		}
		mode, name := data[:sp], data[sp+1:nul]
		var h [20]byte
		copy(h[:], data[nul+1:nul+21])
		data = data[nul+21:]
		full := append(prefix[:len(prefix):len(prefix)], name...)
		if !isHex(string(name)) {
			continue // a non-note
		}
		isDir := string(mode) == "40000"
		switch {
		case isDir && len(name) == 2 && len(full) < 40:
			if err := r.loadNotesTree(&h, full); err != nil {
				return err
			}
		case !isDir && len(full) == 40:
			var obj [20]byte
			if _, err := hex.Decode(obj[:], full); err == nil {
				r.notes[obj] = h
			}
		}
	}
	return nil
}

// Note returns the note on commit under refs/notes/twokey, nil when there is
// none (tracker.Notes).
func (r *Repo) Note(ctx context.Context, commit string) ([]byte, error) {
	if r.notes == nil {
		if err := r.loadNotes(); err != nil {
			return nil, err
		}
	}
	var obj [20]byte
	if len(commit) != 40 {
		return nil, fmt.Errorf("commit %q: %w", commit, ErrBadCommit)
	}
	if _, err := hex.Decode(obj[:], []byte(commit)); err != nil {
		return nil, fmt.Errorf("commit %q: %w", commit, ErrBadCommit)
	}
	blob, ok := r.notes[obj]
	if !ok {
		return nil, nil
	}
	typ, data, err := r.objects.read(&blob)
	if err != nil {
		return nil, fmt.Errorf("note of %s: %w", commit, err)
	}
	if typ != objBlob {
		return nil, fmt.Errorf("note of %s: %x is not a blob", commit, blob)
	}
	return data, nil
}

// NoteCount returns how many objects have a note.
func (r *Repo) NoteCount() (int, error) {
	if r.notes == nil {
		if err := r.loadNotes(); err != nil {
			return 0, err
		}
	}
	return len(r.notes), nil
}
