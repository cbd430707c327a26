package gitstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// once into a map. When the repository has a commit-graph, the walk reads
// commits on several goroutines. Safe for concurrent use; Close it when
// done.
type Repo struct {
	repo    *git.Repository
	objects *objectReader
	graph   *commitGraph // nil without one
	shallow map[[20]byte]bool
	workers int // goroutines that read commits; 1 reads them in order
	// commitsRead counts the commits the walks read, for tests of how far
	// a walk that stops early reads ahead.
	commitsRead atomic.Int64

	notesOnce func() error
	notes     noteIndex // annotated object → note blob, once notesOnce ran
	notesAt   readHint  // where the last notes object read was: loose or which pack
}

// releaseEvery is how many commits a walk reads between two releases of the
// mapped pack and commit-graph pages it touched (see releaseMapped).
var releaseEvery = 1 << 16

// releaseMapped hands back the pages of the packs and the commit-graph the
// walk touched so far; the page cache keeps them for the next read.
func (r *Repo) releaseMapped() {
	for _, p := range r.objects.packs {
		releaseMapped(p.data.mapped())
	}
	if r.graph != nil {
		for _, l := range r.graph.layers {
			releaseMapped(l.file.mapped())
		}
	}
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
	r := &Repo{repo: repo, objects: objs, shallow: map[[20]byte]bool{}, workers: runtime.GOMAXPROCS(0)}
	r.notesOnce = sync.OnceValue(r.loadNotes)
	sh, err := repo.Storer.Shallow()
	if err != nil {
		objs.close()
		return nil, fmt.Errorf("read shallow list: %w", err)
	}
	for _, h := range sh {
		r.shallow[h] = true
	}
	// git ignores the commit-graph of any shallow clone; twokey only of one
	// whose graph holds a shallow commit, whose chain would lead on to
	// parents the clone does not have. The notes alone fetched shallow
	// (git fetch --depth 1 origin refs/notes/twokey) leave the branch's
	// graph in use.
	if g := openCommitGraph(objectsDir, &objs.reads); g != nil && g.holdsAny(sh) {
		g.close()
	} else {
		r.graph = g
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

// Close closes the repository's packs, their indexes and its commit-graph,
// unmapping those that were mapped.
func (r *Repo) Close() error {
	r.graph.close()
	return r.objects.close()
}

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
//
// With a commit-graph that knows the starting commit, the chain is taken
// from the graph and the commits are read and parsed on several goroutines;
// fn is still called in order from the caller's goroutine. Each commit's
// first parent, as the commit itself names it, must be the next in the
// chain: where the graph is wrong (stale, rewritten history), the walk goes
// on from the true parent commit by commit.
func (r *Repo) FirstParent(ctx context.Context, ref string, fn func(tracker.Commit) error) error {
	return r.firstParent(ctx, ref, 0, fn)
}

// firstParent is FirstParent; a hold (Unix seconds, 0: none) stops the
// commit-graph walk's read-ahead at the first commit the graph dates
// before it, from where the walk reads commit by commit, only as fn takes
// them.
func (r *Repo) firstParent(ctx context.Context, ref string, hold int64, fn func(tracker.Commit) error) error {
	_, h, err := r.ResolveRef(ref)
	if err != nil {
		return err
	}
	cur := [20]byte(h)
	useGraph := r.graph != nil && r.workers > 1
	var buf []byte // the raw commit, reused
	var at readHint
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if useGraph {
			if pos, ok := r.graph.lookup(&cur); ok {
				useGraph = false // once: a wrong graph is not asked again
				chain := r.graph.chainFrom(pos)
				chain.hold = hold
				next, walked, done, err := r.walkChain(ctx, chain, n, fn)
				if err != nil || done {
					return err
				}
				cur = next
				n += walked - 1 // the loop counts the last
				continue
			}
		}
		c, first, err := r.readCommit(&cur, n, &buf, &at)
		if err != nil {
			return err
		}
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

// readCommit reads and parses commit h, the n-th of the walk (for the
// message when it is missing), looking first where at says the last commit
// was. *buf holds the raw commit and is reused from call to call: nothing in
// the result points into it.
func (r *Repo) readCommit(h *[20]byte, n int, buf *[]byte, at *readHint) (tracker.Commit, [20]byte, error) {
	r.commitsRead.Add(1)
	if *buf == nil {
		// Own memory: read with a nil buffer, a delta base is handed
		// back from the cache, shared, and the next commit would be
		// read into it.
		*buf = make([]byte, 0, 1024)
	}
	typ, data, err := r.objects.readHinted(h, *buf, at)
	if cap(data) > cap(*buf) {
		*buf = data[:0]
	}
	if err != nil {
		if errors.Is(err, errObjectNotFound) && n > 0 {
			return tracker.Commit{}, [20]byte{}, fmt.Errorf("commit %x: %w (the history is incomplete; fetch it all with git fetch --unshallow, or fetch-depth: 0 in CI)", h[:], err)
		}
		return tracker.Commit{}, [20]byte{}, fmt.Errorf("commit %x: %w", h[:], err)
	}
	if typ != objCommit {
		return tracker.Commit{}, [20]byte{}, fmt.Errorf("%x is not a commit", h[:])
	}
	c, first, err := parseCommit(data)
	if err != nil {
		return tracker.Commit{}, [20]byte{}, fmt.Errorf("commit %x: %w", h[:], err)
	}
	c.Hash = hex.EncodeToString(h[:])
	return c, first, nil
}

// chainBatch is a run of consecutive commits of a chain, read by one worker.
type chainBatch struct {
	start   int // position of hashes[0] in the walk
	hashes  [][20]byte
	next    [20]byte // the graph's first parent of the last commit
	hasNext bool     // false: the graph says the last commit is the root
	commits []tracker.Commit
	firsts  [][20]byte
	err     error // reading commits[len(commits)] failed
	done    chan struct{}
}

// walkChain reads the commits of chain (the n-th commit of the walk first)
// on r.workers goroutines and calls fn for each in order, checking that
// each commit's first parent is the next in the chain. It returns done when
// the history ended (or fn or a read failed: err); otherwise the chain and
// the commits disagree, or the chain was held (see graphChain.hold), and
// next is the true first parent of the last commit passed to fn, from where
// the walk goes on. walked is how many commits it passed to fn. The chain
// is read from the graph a batch at a time, as the workers need it.
func (r *Repo) walkChain(ctx context.Context, chain *graphChain, n int, fn func(tracker.Commit) error) (next [20]byte, walked int, done bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait() // the workers skip what is left
	}()
	const batchSize = 128
	work := make(chan *chainBatch, r.workers)
	queue := make(chan *chainBatch, 4*r.workers)
	for range r.workers {
		wg.Go(func() {
			var buf []byte
			var at readHint
			for b := range work {
				if err := ctx.Err(); err != nil {
					b.err = err
				}
				for i := range b.hashes {
					if b.err != nil {
						break
					}
					c, first, err := r.readCommit(&b.hashes[i], b.start+i, &buf, &at)
					if err != nil {
						b.err = err
						break
					}
					b.commits = append(b.commits, c)
					b.firsts = append(b.firsts, first)
				}
				close(b.done)
			}
		})
	}
	wg.Go(func() { // the producer: batches in order, to the workers and to the queue
		defer close(work)
		defer close(queue)
		for start := n; !chain.end; {
			b := &chainBatch{start: start, hashes: chain.next(make([][20]byte, 0, batchSize), batchSize), done: make(chan struct{})}
			if len(b.hashes) == 0 {
				return
			}
			start += len(b.hashes)
			b.next, b.hasNext = chain.peek()
			b.commits = make([]tracker.Commit, 0, len(b.hashes))
			b.firsts = make([][20]byte, 0, len(b.hashes))
			select {
			case queue <- b:
			case <-ctx.Done():
				return
			}
			work <- b // the workers drain work until it closes
		}
	})
	var last [20]byte // the first parent of the last commit passed to fn
	for b := range queue {
		<-b.done
		for j, c := range b.commits {
			last = b.firsts[j]
			if err := fn(c); err != nil {
				return next, walked, true, err
			}
			if walked++; walked%releaseEvery == 0 {
				r.releaseMapped()
			}
			if c.Parents == 0 {
				return next, walked, true, nil // the root, whatever the graph says
			}
			want, ok := b.next, b.hasNext
			if j+1 < len(b.hashes) {
				want, ok = b.hashes[j+1], true
			}
			if !ok || b.firsts[j] != want {
				return b.firsts[j], walked, false, nil // the graph is wrong from here
			}
		}
		if b.err != nil {
			return next, walked, true, b.err
		}
	}
	if err := ctx.Err(); err != nil {
		return next, walked, true, err
	}
	if chain.held && walked > 0 { // the producer is done: chain is ours again
		return last, walked, false, nil
	}
	return next, walked, true, fmt.Errorf("commit-graph walk ended early after %d commits", walked)
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
	rest := bytes.TrimLeft(line[gt+1:], " \t")
	end := bytes.IndexAny(rest, " \t")
	if end < 0 {
		end = len(rest)
	}
	if end == 0 {
		return time.Time{}, fmt.Errorf("bad committer line %q", line)
	}
	sec, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad committer date in %q", line)
	}
	loc := time.UTC
	tz := bytes.TrimLeft(rest[end:], " \t")
	if i := bytes.IndexAny(tz, " \t"); i >= 0 {
		tz = tz[:i]
	}
	if len(tz) == 5 {
		hh, err1 := strconv.Atoi(string(tz[1:3]))
		mm, err2 := strconv.Atoi(string(tz[3:5]))
		if err1 == nil && err2 == nil {
			off := hh*3600 + mm*60
			if tz[0] == '-' {
				off = -off
			}
			loc = fixedZone(off)
		}
	}
	return time.Unix(sec, 0).In(loc), nil
}

// fixedZone is time.FixedZone("", off), the same *time.Location for the
// zones most commits are in, so that 100,000 commits do not make 100,000.
func fixedZone(off int) *time.Location {
	if z := commonZones[off]; z != nil {
		return z
	}
	return time.FixedZone("", off)
}

// commonZones holds a zone for each whole hour from -12:00 to +14:00, and
// the half hours of India and Newfoundland. It is only ever read.
var commonZones = func() map[int]*time.Location {
	m := map[int]*time.Location{}
	for h := -12; h <= 14; h++ {
		m[h*3600] = time.FixedZone("", h*3600)
	}
	for _, off := range []int{5*3600 + 1800, -(3*3600 + 1800), -(2*3600 + 1800)} {
		m[off] = time.FixedZone("", off)
	}
	return m
}()

// notesTree returns the tree of the notes commit refs/notes/twokey points
// to; ok is false when there are no notes.
func (r *Repo) notesTree() (tree [20]byte, ok bool, err error) {
	ref, err := r.repo.Reference(tracker.NotesRef, true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return tree, false, nil
	}
	if err != nil {
		return tree, false, fmt.Errorf("read %s: %w", tracker.NotesRef, err)
	}
	h := [20]byte(ref.Hash())
	typ, data, err := r.objects.readHinted(&h, nil, &r.notesAt)
	if err != nil {
		return tree, false, fmt.Errorf("notes commit %x: %w", h, err)
	}
	if typ != objCommit || !bytes.HasPrefix(data, []byte("tree ")) || len(data) < 45 {
		return tree, false, fmt.Errorf("%s points to %x, which is not a commit", tracker.NotesRef, h)
	}
	if _, err := hex.Decode(tree[:], data[5:45]); err != nil {
		return tree, false, fmt.Errorf("notes commit %x: bad tree line", h)
	}
	return tree, true, nil
}

// loadNotes reads the whole notes tree once: each annotated object mapped to
// its note blob, across any fan-out. The subtrees of a fan-out tree are read
// on r.workers goroutines; when the tree names an object twice, the later
// entry in tree order wins, as it did when read in order.
func (r *Repo) loadNotes() error {
	tree, ok, err := r.notesTree()
	if err != nil || !ok {
		return err
	}
	// The root's notes and subtrees, in tree order; then each subtree read.
	var parts []notesPart
	if _, err := r.readNotesTree(&tree, nil, nil, &parts); err != nil {
		return err
	}
	var next atomic.Int64
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for range min(r.workers, len(parts)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(parts); i = int(next.Add(1) - 1) {
				if p := &parts[i]; p.sub {
					p.notes, errs[i] = r.readNotesTree(&p.tree, p.prefix, nil, nil)
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	n := 0
	for _, p := range parts {
		n += len(p.notes)
	}
	all := make([]noteEntry, 0, n)
	for i := range parts {
		all = append(all, parts[i].notes...)
		parts[i].notes = nil
	}
	r.notes = newNoteIndex(all)
	return nil
}

// noteEntry is one note: the annotated object and the note blob.
type noteEntry struct{ obj, blob [20]byte }

// notesPart is a run of the root notes tree: notes, or a fan-out subtree
// (sub) whose notes are read later.
type notesPart struct {
	sub    bool
	tree   [20]byte
	prefix []byte // the hex digits the subtree's path spells
	notes  []noteEntry
}

// readNotesTree appends the notes of tree, whose path spells prefix, to
// out, reading fan-out subtrees in turn; or, when parts is not nil, appends
// the notes and the subtrees to *parts for the caller to read.
func (r *Repo) readNotesTree(tree *[20]byte, prefix []byte, out []noteEntry, parts *[]notesPart) ([]noteEntry, error) {
	typ, data, err := r.objects.readHinted(tree, nil, &r.notesAt)
	if err != nil {
		return out, fmt.Errorf("notes tree %x: %w", tree[:], err)
	}
	if typ != objTree {
		return out, fmt.Errorf("notes tree %x is not a tree", tree[:])
	}
	var full [40]byte
	copy(full[:], prefix)
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+21 {
			return out, fmt.Errorf("notes tree %x: malformed", tree[:])
		}
		mode, name := data[:sp], data[sp+1:nul]
		h := [20]byte(data[nul+1 : nul+21])
		data = data[nul+21:]
		if len(prefix)+len(name) > 40 || !isHex(string(name)) {
			continue // a non-note
		}
		path := full[:copy(full[len(prefix):], name)+len(prefix)]
		isDir := string(mode) == "40000"
		switch {
		case isDir && len(name) == 2 && len(path) < 40:
			if parts == nil {
				if out, err = r.readNotesTree(&h, path, out, nil); err != nil {
					return out, err
				}
				continue
			}
			*parts = append(*parts, notesPart{sub: true, tree: h, prefix: bytes.Clone(path)})
		case !isDir && len(path) == 40:
			var e noteEntry
			if _, err := hex.Decode(e.obj[:], path); err != nil {
				continue
			}
			e.blob = h
			if parts == nil {
				out = append(out, e)
				continue
			}
			if n := len(*parts); n == 0 || (*parts)[n-1].sub {
				*parts = append(*parts, notesPart{})
			}
			last := &(*parts)[len(*parts)-1]
			last.notes = append(last.notes, e)
		}
	}
	return out, nil
}

// Note returns the note on commit under refs/notes/twokey, nil when there is
// none (tracker.Notes). The bytes are read-only: they may be shared with
// the reader's cache of delta bases.
func (r *Repo) Note(ctx context.Context, commit string) ([]byte, error) {
	if err := r.notesOnce(); err != nil {
		return nil, err
	}
	var obj [20]byte
	if len(commit) != 40 {
		return nil, fmt.Errorf("commit %q: %w", commit, ErrBadCommit)
	}
	if _, err := hex.Decode(obj[:], []byte(commit)); err != nil {
		return nil, fmt.Errorf("commit %q: %w", commit, ErrBadCommit)
	}
	blob, ok := r.notes.lookup(&obj)
	if !ok {
		return nil, nil
	}
	typ, data, err := r.objects.readHinted(&blob, nil, &r.notesAt)
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
	if err := r.notesOnce(); err != nil {
		return 0, err
	}
	return r.notes.len(), nil
}
