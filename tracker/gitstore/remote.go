package gitstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/twokey/twokey/tracker"
)

// DefaultName and DefaultEmail sign the notes commits twokey writes.
const (
	DefaultName  = "twokey"
	DefaultEmail = "twokey@users.noreply.github.com"
)

// ErrPushRejected is returned when the notes could not be pushed after every
// retry (each rejected because another writer pushed first).
var ErrPushRejected = errors.New("notes push rejected")

// Remote writes records to refs/notes/twokey of a remote repository without a
// checkout: it fetches the notes tip into memory, adds the record and
// pushes. Its fields may be changed before the first call.
type Remote struct {
	URL  string
	Auth transport.AuthMethod // for GitHub: &http.BasicAuth{Username: "x-access-token", Password: token}

	Name, Email string           // signature of the notes commits; DefaultName, DefaultEmail
	Now         func() time.Time // clock for the notes commits; time.Now
	// Attempts bounds the fetch-merge-push rounds (default 24). Sleep waits
	// between them (default: time.Sleep unless ctx ends); the n-th wait is
	// Backoff(n) (default: random, up to 200ms doubling to 3.2s, so that
	// writers rejected together do not come back together).
	Attempts int
	Sleep    func(ctx context.Context, d time.Duration) error
	Backoff  func(attempt int) time.Duration
}

// OpenRemote returns a Remote for the repository at url (https, ssh, file or
// a local path). auth may be nil for a transport that needs none.
func OpenRemote(url string, auth transport.AuthMethod) *Remote {
	return &Remote{URL: url, Auth: auth}
}

func (r *Remote) signature() object.Signature {
	name, email, now := r.Name, r.Email, r.Now
	if name == "" {
		name = DefaultName
	}
	if email == "" {
		email = DefaultEmail
	}
	if now == nil {
		now = time.Now
	}
	return object.Signature{Name: name, Email: email, When: now()}
}

func (r *Remote) attempts() int {
	if r.Attempts > 0 {
		return r.Attempts
	}
	return defaultAttempts
}

// defaultAttempts rounds are enough for 20 writers pushing at once (see
// TestConcurrentAppend, which runs with the defaults); together they wait
// at most about 64s, half that on average, besides the rounds themselves.
const defaultAttempts = 24

// backoff is the default wait before round attempt+2: full jitter over a
// window that doubles from 200ms to 3.2s, plus 20ms.
func backoff(attempt int) time.Duration {
	window := 200 * time.Millisecond << min(attempt, 4)
	return 20*time.Millisecond + rand.N(window)
}

func (r *Remote) wait(ctx context.Context, attempt int) error {
	d := backoff(attempt)
	if r.Backoff != nil {
		d = r.Backoff(attempt)
	}
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

const (
	remoteName = "origin"
	fetchedRef = plumbing.ReferenceName("refs/notes/remotes/origin/twokey")
	pendingRef = plumbing.ReferenceName("refs/twokey/pending")
)

// AppendRecord adds rec as one line of JSON to the note on commit under
// refs/notes/twokey of the remote, keeping the note's other lines and every
// other note. A line already in the note is not added again, so a re-run is
// a no-op. It never force-pushes, so nothing partial or lost reaches the
// remote.
//
// Its cost does not depend on the length of the notes history: it fetches
// the notes tip alone (`git fetch --depth 1`), writes new copies of the
// trees on the note's path only, and pushes those objects only. When the
// push is rejected because another writer got there first, it fetches the
// commits written since (the history down to the merge base: the commit it
// built on) and merges line by line (`git notes merge -s cat_sort_uniq`),
// reading and writing that one note's path again, then retries with
// backoff. Only when the remote's notes history was rewritten, so that the
// commit it built on is gone from it, does it fetch the whole history and
// merge trees in full.
//
// The append reads one path of the notes tree (the root and the fan-out
// trees down to the note on commit, and that note when there is one), at
// the tip and, in a merge, at the remote's new tip. So when the remote
// filters and sends objects by name (the filter and
// allow-reachable-sha1-in-want capabilities, both of which GitHub
// advertises), its fetches bring commits only (`--filter=tree:0`) and it
// fetches each tree and note of that path by name as it reads it, as a
// partial clone does: at 90,000 notes, the root, a fan-out tree and the
// subtree holding the note, whatever the number of notes. A remote that
// filters but sends nothing by name is fetched from with
// `--filter=blob:none`, which spares the notes when the commit has none
// yet. Whenever the remote does not send what is asked for (a filter it
// refuses, an object by name), the append starts again from a fresh fetch
// with less filtered fetches, down to no filter.
//
// Over HTTP(S) its fetches speak git's protocol v2 where the remote does
// (GitHub does): the remote names the notes ref alone, where in v0 it
// lists every ref, two for each pull request on GitHub. Its pushes, and
// fetches from other remotes, speak v0.
func (r *Remote) AppendRecord(ctx context.Context, commit string, rec tracker.Record) error {
	commit, line, err := recordLine(commit, rec)
	if err != nil {
		return err
	}
	c, err := dial(r.URL, r.Auth)
	if err != nil {
		return err
	}
	// The least the remote will send first; less filtered fetches when
	// it would not send what the append then asked for by name.
	f := filterTrees
	for {
		err := r.appendRounds(ctx, c, commit, line, f)
		if f == filterNone || !errors.Is(err, errUnfetched) {
			return err
		}
		f = max(min(f, c.filter)-1, filterNone)
	}
}

// appendRounds is AppendRecord over c: fetch, add the line, push, and on
// a rejection fetch, merge and push again. Its fetches leave on the remote
// what f says where the remote allows, and fetch by name the trees and
// blobs the append reads.
func (r *Remote) appendRounds(ctx context.Context, c *conn, commit string, line []byte, f filter) error {
	s := newNotesStore()
	if f != filterNone {
		s.missing = func(h plumbing.Hash) error {
			if err := c.fetchObject(ctx, s, h); err != nil {
				if !retryable(ctx, err) {
					return fmt.Errorf("fetch %s from %s: %w", h, r.URL, err)
				}
				return fmt.Errorf("%s from %s, by its name: %w: %w", h, r.URL, errUnfetched, err)
			}
			return nil
		}
	}
	var (
		base    plumbing.Hash   // the remote's notes commit ours is built on
		ours    plumbing.Hash   // base plus our line; zero until built
		oursObj []plumbing.Hash // the objects of ours, none on the remote
		fetched []plumbing.Hash // remote tips fetched (their trees and notes too, less what f leaves on the remote)
		lastErr error
	)
	for attempt := 0; attempt < r.attempts(); attempt++ {
		if attempt > 0 {
			if err := r.wait(ctx, attempt-1); err != nil {
				return err
			}
		}
		// The first fetch, or any while the remote had no notes when ours
		// was built, is shallow; later ones bring what was written since.
		have, depth := fetched, 1
		if !base.IsZero() {
			have, depth = append([]plumbing.Hash{base}, fetched...), 0
		}
		theirs, err := c.fetch(ctx, s, have, depth, f)
		if err != nil {
			return fmt.Errorf("fetch %s from %s: %w", tracker.NotesRef, r.URL, err)
		}
		if !theirs.IsZero() {
			fetched = append(fetched, theirs)
		}
		sig := r.signature()
		next, objs := ours, oursObj
		switch {
		case ours.IsZero():
			rs := &recorder{EncodedObjectStorer: s}
			h, changed, err := addRecord(rs, theirs, commit, line, sig)
			if err != nil {
				return err
			}
			if !changed {
				return nil
			}
			base, ours, oursObj = theirs, h, rs.created
			next, objs = ours, oursObj
		case theirs != base:
			done, err := holdsLine(s, theirs, commit, line)
			if err != nil || done {
				return err // another writer, or a push whose answer was lost, put our line there
			}
			if !base.IsZero() {
				ok, err := descends(s, theirs, base)
				if err != nil {
					return err
				}
				if !ok {
					return r.appendFull(ctx, commit, line)
				}
			}
			rs := &recorder{EncodedObjectStorer: s}
			if next, err = mergeNote(rs, base, ours, theirs, commit, sig); err != nil {
				return err
			}
			objs = append(slices.Clip(oursObj), rs.created...)
		}
		err = c.push(ctx, s, theirs, next, objs)
		if err == nil {
			return nil
		}
		if !retryable(ctx, err) {
			return fmt.Errorf("push %s to %s: %w", tracker.NotesRef, r.URL, err)
		}
		lastErr = err
	}
	return fmt.Errorf("push %s to %s after %d attempts: %w: %w", tracker.NotesRef, r.URL, r.attempts(), ErrPushRejected, lastErr)
}

// holdsLine reports whether the note on commit in notes commit c holds line.
func holdsLine(s storer.EncodedObjectStorer, c plumbing.Hash, commit string, line []byte) (bool, error) {
	root, err := notesTreeOf(s, c)
	if err != nil {
		return false, err
	}
	blob, err := lookupNote(s, root, commit)
	if err != nil {
		return false, err
	}
	note, err := readBlob(s, blob)
	if err != nil {
		return false, err
	}
	_, changed := appendLine(note, line)
	return !changed, nil
}

// descends reports whether notes commit tip has base in its history, from
// the commits s holds: those fetched since base, which the remote sent
// because they are not in base's history. A commit missing from s is in
// base's history, or the remote's history was rewritten.
func descends(s storer.EncodedObjectStorer, tip, base plumbing.Hash) (bool, error) {
	seen := map[plumbing.Hash]bool{tip: true}
	queue := []plumbing.Hash{tip}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if h == base {
			return true, nil
		}
		c, err := object.GetCommit(s, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("notes commit %s: %w", h, err)
		}
		for _, p := range c.ParentHashes {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return false, nil
}

// mergeNote writes the merge of notes commits ours and theirs, where ours
// is base plus a change to the note on commit alone and theirs descends
// from base (base may be zero: no notes). Every note but that one is
// theirs; that one is merged as `git notes merge -s cat_sort_uniq` merges
// a note changed on both sides. The merge commit's parents are ours then
// theirs, as `git notes merge` writes them.
func mergeNote(s storer.EncodedObjectStorer, base, ours, theirs plumbing.Hash, commit string, sig object.Signature) (plumbing.Hash, error) {
	var blobs [3]plumbing.Hash
	var theirsRoot plumbing.Hash
	for i, h := range []plumbing.Hash{base, ours, theirs} {
		root, err := notesTreeOf(s, h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if blobs[i], err = lookupNote(s, root, commit); err != nil {
			return plumbing.ZeroHash, err
		}
		theirsRoot = root
	}
	b, o, t := blobs[0], blobs[1], blobs[2]
	merged := o
	if t != b && t != o {
		ob, err := readBlob(s, o)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		tb, err := readBlob(s, t)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if merged, err = writeBlob(s, catSortUniq(ob, tb)); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	tree, err := setNote(s, theirsRoot, commit, merged)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return writeCommit(s, tree, "Notes merged by twokey (cat_sort_uniq)\n", sig, ours, theirs)
}

// appendFull is the append for a remote whose notes history was rewritten
// since the commit a first push was built on: it fetches the whole notes
// history, and merges whole trees on their true merge base. Its cost grows
// with the history; nothing else calls it.
func (r *Remote) appendFull(ctx context.Context, commit string, line []byte) error {
	s := memory.NewStorage()
	rem := git.NewRemote(s, &config.RemoteConfig{Name: remoteName, URLs: []string{r.URL}})
	var ours plumbing.Hash // our notes commit not yet accepted by the remote
	var lastErr error
	for attempt := 0; attempt < r.attempts(); attempt++ {
		if attempt > 0 {
			if err := r.wait(ctx, attempt-1); err != nil {
				return err
			}
		}
		theirs, err := r.fetch(ctx, rem, s)
		if err != nil {
			return err
		}
		sig := r.signature()
		var next plumbing.Hash
		if ours.IsZero() {
			h, changed, err := addRecord(s, theirs, commit, line, sig)
			if err != nil {
				return err
			}
			if !changed {
				return nil
			}
			next = h
		} else {
			if next, err = mergeCommits(s, ours, theirs, sig); err != nil {
				return err
			}
			if next == theirs {
				return nil
			}
		}
		if err := s.SetReference(plumbing.NewHashReference(pendingRef, next)); err != nil {
			return err
		}
		err = rem.PushContext(ctx, &git.PushOptions{
			RemoteName: remoteName,
			RefSpecs:   []config.RefSpec{config.RefSpec(pendingRef + ":" + tracker.NotesRef)},
			Auth:       r.Auth,
		})
		if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil
		}
		if !retryable(ctx, err) {
			return fmt.Errorf("push %s to %s: %w", tracker.NotesRef, r.URL, err)
		}
		ours, lastErr = next, err
	}
	return fmt.Errorf("push %s to %s after %d attempts: %w: %w", tracker.NotesRef, r.URL, r.attempts(), ErrPushRejected, lastErr)
}

// fetch brings the remote's notes ref (and only it) into s and returns its
// commit, zero when the remote has no notes yet.
func (r *Remote) fetch(ctx context.Context, rem *git.Remote, s *memory.Storage) (plumbing.Hash, error) {
	err := rem.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + tracker.NotesRef + ":" + string(fetchedRef))},
		Auth:       r.Auth,
		Tags:       git.NoTags,
	})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case errors.Is(err, git.NoMatchingRefSpecError{}), errors.Is(err, transport.ErrEmptyRemoteRepository):
		return plumbing.ZeroHash, nil
	default:
		return plumbing.ZeroHash, fmt.Errorf("fetch %s from %s: %w", tracker.NotesRef, r.URL, err)
	}
	ref, err := s.Reference(fetchedRef)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return ref.Hash(), nil
}

// retryable reports whether a failed push may succeed after a fetch and
// merge: anything but a cancelled context or a refusal to talk to us.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	for _, fatal := range []error{
		transport.ErrAuthenticationRequired, transport.ErrAuthorizationFailed,
		transport.ErrRepositoryNotFound, transport.ErrInvalidAuthMethod,
		context.Canceled, context.DeadlineExceeded,
	} {
		if errors.Is(err, fatal) {
			return false
		}
	}
	return true
}
