package gitstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"

	"github.com/twokey/twokey/tracker"
)

// ErrNotRepository is returned for a directory that is not in a git
// repository.
var ErrNotRepository = errors.New("not a git repository")

// Local writes records to refs/notes/twokey of a repository on disk, the way
// `git notes --ref=twokey append` would, but keeping one record per line.
type Local struct {
	Dir         string           // the repository, or any directory inside its work tree
	Name, Email string           // signature of the notes commits; DefaultName, DefaultEmail
	Now         func() time.Time // clock for the notes commits; time.Now
}

// OpenLocal returns a Local for the repository at dir.
func OpenLocal(dir string) *Local { return &Local{Dir: dir} }

// hasRef reports whether repo has the ref name.
func hasRef(repo *git.Repository, name plumbing.ReferenceName) bool {
	_, err := repo.Storer.Reference(name)
	return err == nil
}

func openRepo(dir string) (*git.Repository, error) {
	// dir itself first (a work tree's root or a bare repository), then its
	// parents: a bare repository inside another's work tree is itself.
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	}
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s: %w (run the command inside a clone, or pass --repo DIR)", dir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	return r, nil
}

func (l *Local) signature() object.Signature {
	return (&Remote{Name: l.Name, Email: l.Email, Now: l.Now}).signature()
}

// AppendRecord adds rec as one line to the note on commit, keeping the
// note's other lines; a line already there is not added again. The notes ref
// moves with a compare-and-swap, retried when another process moved it.
func (l *Local) AppendRecord(ctx context.Context, commit string, rec tracker.Record) error {
	commit, line, err := recordLine(commit, rec)
	if err != nil {
		return err
	}
	repo, err := openRepo(l.Dir)
	if err != nil {
		return err
	}
	for range 20 {
		if err := ctx.Err(); err != nil {
			return err
		}
		old, err := repo.Storer.Reference(tracker.NotesRef)
		if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return fmt.Errorf("read %s: %w", tracker.NotesRef, err)
		}
		var parent plumbing.Hash
		if old != nil {
			parent = old.Hash()
		}
		h, changed, err := addRecord(repo.Storer, parent, commit, line, l.signature())
		if err != nil {
			return err
		}
		if !changed {
			return nil
		}
		err = repo.Storer.CheckAndSetReference(plumbing.NewHashReference(tracker.NotesRef, h), old)
		if errors.Is(err, storage.ErrReferenceHasChanged) {
			continue
		}
		if err != nil {
			return fmt.Errorf("update %s: %w", tracker.NotesRef, err)
		}
		return nil
	}
	return fmt.Errorf("update %s in %s: %w", tracker.NotesRef, l.Dir, storage.ErrReferenceHasChanged)
}

// FetchNotes fetches refs/notes/twokey from remote (a configured remote's
// name, or a URL or path) into refs/notes/remotes/<name>/twokey and merges it
// into the local refs/notes/twokey: a fast-forward when possible, otherwise a
// merge commit whose notes are merged line by line (cat_sort_uniq), so local
// notes are never clobbered. It reports whether the local ref moved.
func (l *Local) FetchNotes(ctx context.Context, remote string) (bool, error) {
	repo, err := openRepo(l.Dir)
	if err != nil {
		return false, err
	}
	rem, err := repo.Remote(remote)
	name := remote
	if errors.Is(err, git.ErrRemoteNotFound) {
		if !strings.ContainsAny(remote, "/:.") {
			return false, fmt.Errorf("remote %q: not configured (see git remote -v) and not a URL", remote)
		}
		name = "url"
		rem = git.NewRemote(repo.Storer, &config.RemoteConfig{Name: name, URLs: []string{remote}})
	} else if err != nil {
		return false, fmt.Errorf("remote %q: %w", remote, err)
	}
	tracking := plumbing.ReferenceName("refs/notes/remotes/" + name + "/twokey")
	theirsRef, err := fetchNotesRef(ctx, repo, rem, name, tracking, remote)
	if err != nil {
		return false, err
	}
	for range 20 {
		old, err := repo.Storer.Reference(tracker.NotesRef)
		if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return false, fmt.Errorf("read %s: %w", tracker.NotesRef, err)
		}
		var ours plumbing.Hash
		if old != nil {
			ours = old.Hash()
		}
		next, err := mergeCommits(repo.Storer, ours, theirsRef.Hash(), l.signature())
		if err != nil {
			return false, err
		}
		if next == ours {
			return false, nil
		}
		err = repo.Storer.CheckAndSetReference(plumbing.NewHashReference(tracker.NotesRef, next), old)
		if errors.Is(err, storage.ErrReferenceHasChanged) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("update %s: %w", tracker.NotesRef, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("update %s: %w", tracker.NotesRef, storage.ErrReferenceHasChanged)
}

// unshallowDepth is the depth git fetch --unshallow asks for.
const unshallowDepth = 0x7fffffff

// fetchNotesRef fetches the remote's notes into tracking and returns it.
//
// A clone with no notes here (a fresh clone) fetches the remote's tip
// alone, at depth 1: the tip holds every record. A shallow clone fetches at
// a depth as well, from 1 up, each time deeper, until the remote's notes
// history here meets the local notes or is whole: go-git sends the shallow
// list only with a depth, and without it the remote takes the clone to hold
// every parent of a shallow notes tip and sends commits that lean on
// parents the clone lacks (git log, fsck and gc then fail). The notes
// commits whose parents a deeper fetch brought leave the shallow list, as
// git's unshallow does (go-git keeps them).
func fetchNotesRef(ctx context.Context, repo *git.Repository, rem *git.Remote, name string, tracking plumbing.ReferenceName, remote string) (*plumbing.Reference, error) {
	shallow, err := repo.Storer.Shallow()
	if err != nil {
		return nil, fmt.Errorf("read shallow list: %w", err)
	}
	var ours plumbing.Hash
	if r, err := repo.Storer.Reference(tracker.NotesRef); err == nil {
		ours = r.Hash()
	}
	depth := 0
	if len(shallow) > 0 || ours.IsZero() && !hasRef(repo, tracking) {
		depth = 1
	}
	for {
		err := rem.FetchContext(ctx, &git.FetchOptions{
			RemoteName: name,
			RefSpecs:   []config.RefSpec{config.RefSpec("+" + tracker.NotesRef + ":" + string(tracking))},
			Tags:       git.NoTags,
			Depth:      depth,
		})
		switch {
		case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		case errors.Is(err, git.NoMatchingRefSpecError{}):
			return nil, fmt.Errorf("remote %q has no %s yet: nothing recorded there", remote, tracker.NotesRef)
		default:
			return nil, fmt.Errorf("fetch %s from %q: %w", tracker.NotesRef, remote, err)
		}
		theirs, err := repo.Storer.Reference(tracking)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", tracking, err)
		}
		if depth == 0 {
			return theirs, nil
		}
		enough := ours.IsZero() || depth >= unshallowDepth
		if !enough {
			if enough, err = notesMeet(repo.Storer, ours, theirs.Hash()); err != nil {
				return nil, err
			}
		}
		if enough {
			return theirs, unshallowHeld(repo, theirs.Hash(), ours)
		}
		if depth *= 16; depth > 1<<16 {
			depth = unshallowDepth
		}
	}
}

// notesMeet reports whether the history here of notes commit theirs meets
// ours' (they have a commit in common, so they merge as they are) or is
// whole (they share none, and a deeper fetch would not change it).
func notesMeet(s storer.EncodedObjectStorer, ours, theirs plumbing.Hash) (bool, error) {
	// theirs on top of ours, the usual case, is known from the few
	// commits fetched, without walking ours' history.
	if ff, err := descends(s, theirs, ours); err != nil || ff {
		return ff, err
	}
	base, err := mergeBaseHere(s, ours, theirs)
	if err != nil || !base.IsZero() {
		return err == nil, err
	}
	whole := true
	err = walkHere(s, theirs, func(h plumbing.Hash) bool {
		whole = allParentsHere(s, h)
		return whole
	})
	return whole, err
}

// allParentsHere reports whether commit h and every parent of it are here.
func allParentsHere(s storer.EncodedObjectStorer, h plumbing.Hash) bool {
	c, err := object.GetCommit(s, h)
	if err != nil {
		return false
	}
	for _, p := range c.ParentHashes {
		if _, err := s.EncodedObject(plumbing.CommitObject, p); err != nil {
			return false
		}
	}
	return true
}

// unshallowHeld drops from the shallow list the commits of the notes
// histories of from that now have every parent here. Only a shallow
// commit with every parent here is looked for in the histories, so the
// walk is skipped when there is none (the usual depth-1 fetch), and a
// branch's boundary is never dropped.
func unshallowHeld(repo *git.Repository, from ...plumbing.Hash) error {
	shallow, err := repo.Storer.Shallow()
	if err != nil || len(shallow) == 0 {
		return err
	}
	candidates := map[plumbing.Hash]bool{}
	for _, h := range shallow {
		if allParentsHere(repo.Storer, h) {
			candidates[h] = true
		}
	}
	held := map[plumbing.Hash]bool{}
	for _, f := range from {
		if f.IsZero() || len(held) == len(candidates) {
			continue
		}
		err := walkHere(repo.Storer, f, func(h plumbing.Hash) bool {
			if candidates[h] {
				held[h] = true
			}
			return len(held) < len(candidates)
		})
		if err != nil {
			return err
		}
	}
	if len(held) == 0 {
		return nil
	}
	var keep []plumbing.Hash
	for _, h := range shallow {
		if !held[h] {
			keep = append(keep, h)
		}
	}
	if len(keep) == 0 {
		// git takes an empty shallow list for a shallow clone.
		dir, err := objectsDir(repo)
		if err != nil {
			return err
		}
		if err := os.Remove(filepath.Join(filepath.Dir(dir), "shallow")); err != nil {
			return fmt.Errorf("remove the shallow list: %w", err)
		}
		return nil
	}
	if err := repo.Storer.SetShallow(keep); err != nil {
		return fmt.Errorf("write the shallow list: %w", err)
	}
	return nil
}

// recordLine checks commit (a full SHA) and encodes rec as the note line for
// it; a record without a commit names the one it is written on.
func recordLine(commit string, rec tracker.Record) (string, []byte, error) {
	commit, err := checkCommit(commit)
	if err != nil {
		return "", nil, err
	}
	if rec.Commit == "" {
		rec.Commit = commit
	}
	line, err := rec.MarshalLine()
	return commit, line, err
}

// OriginRepo is the owner/name the clone at dir's remote "origin" points
// at (https://host/owner/name.git, git@host:owner/name.git, ssh://…), ""
// when it has no such remote or its URL does not end in owner/name.
func OriginRepo(dir string) string {
	r, err := openRepo(dir)
	if err != nil {
		return ""
	}
	rem, err := r.Remote("origin")
	if err != nil || len(rem.Config().URLs) == 0 {
		return ""
	}
	u := strings.TrimSuffix(strings.TrimRight(rem.Config().URLs[0], "/"), ".git")
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.Index(u, "/"); j >= 0 {
			u = u[j+1:] // the host
		} else {
			return ""
		}
	} else if _, path, ok := strings.Cut(u, ":"); ok {
		u = path // scp-like: git@host:owner/name
	} else {
		return "" // a local path
	}
	parts := strings.Split(u, "/")
	if len(parts) < 2 || parts[len(parts)-2] == "" || parts[len(parts)-1] == "" {
		return ""
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1]
}
