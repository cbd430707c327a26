package gitstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
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
// checkout: it fetches only the notes ref into memory, adds the record and
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
// a no-op. When the push is rejected because another writer got there first,
// it fetches again, merges line by line (`git notes merge -s
// cat_sort_uniq`) and retries with backoff; it never force-pushes, so
// nothing partial or lost reaches the remote.
func (r *Remote) AppendRecord(ctx context.Context, commit string, rec tracker.Record) error {
	commit, line, err := recordLine(commit, rec)
	if err != nil {
		return err
	}
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
			// Our earlier commit was rejected: merge it with what the
			// remote has now, and check our line survived (it always
			// does; the union keeps it) before pushing the merge.
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
