package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"

	"github.com/twokey/twokey/tracker"
)

// This file speaks the git protocol for the notes ref alone, through
// go-git's transport: a fetch that names exactly what it has and how deep
// it wants the history, and a push of a given list of objects. go-git's
// Remote.Fetch and Remote.Push would walk the local history to find what
// to send and what we have, which is what made the record job's cost grow
// with the notes history.

// errRemoteMoved is returned by push when the remote's notes ref is no
// longer the commit the push was built on: fetch, merge and retry.
var errRemoteMoved = errors.New("the remote's notes moved since they were fetched")

// conn is a remote repository to fetch the notes ref from and push it to.
type conn struct {
	url  string
	ep   *transport.Endpoint
	cl   transport.Transport
	auth transport.AuthMethod

	caps   *capability.List // upload-pack's, as the last fetch was advertised them (in v2: see v2.caps)
	filter filter           // the filter the last fetch used

	v2Asked bool // whether protoV2 asked the remote
	v2      *v2  // the remote's upload-pack in protocol v2; nil: v0
}

func dial(url string, auth transport.AuthMethod) (*conn, error) {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, fmt.Errorf("remote %q: %w", url, err)
	}
	cl, err := client.NewClient(ep)
	if err != nil {
		return nil, fmt.Errorf("remote %q: %w", url, err)
	}
	return &conn{url: url, ep: ep, cl: cl, auth: auth}, nil
}

// notesTip returns the commit the advertised refs name for the notes ref,
// zero when there is none.
func notesTip(ar *packp.AdvRefs) (plumbing.Hash, error) {
	refs, err := ar.AllReferences()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ref, err := refs.Reference(plumbing.ReferenceName(tracker.NotesRef))
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return ref.Hash(), nil
}

// filter is what the notes fetches leave on the remote, to be fetched by
// name when the append reads it (as a partial clone does): the fewer
// objects a fetch brings, the less it costs the remote to find and send
// them, whatever the number of notes.
type filter int

const (
	filterNone  filter = iota // every object of the commits fetched
	filterBlobs               // --filter=blob:none: commits and trees
	filterTrees               // --filter=tree:0: commits only
)

func (f filter) String() string {
	return [...]string{"none", "blob:none", "tree:0"}[f]
}

// byName reports whether the remote's upload-pack (its capabilities caps)
// sends an object asked for by its name: one that a ref reaches
// (allow-reachable-sha1-in-want, which GitHub advertises). A remote that
// allows only a ref's tip (allow-tip-sha1-in-want) does not count: the
// trees and notes the append asks for are never tips.
func byName(caps *capability.List) bool {
	return caps.Supports(capability.AllowReachableSHA1InWant)
}

// usable returns the filter of at most f the remote's upload-pack serves
// for the append: none without the filter capability, and without objects
// by name no more than blob:none, which spares the notes of an append that
// reads none.
func usable(f filter, caps *capability.List) filter {
	switch {
	case !caps.Supports(capability.Filter):
		return filterNone
	case !byName(caps):
		return min(f, filterBlobs)
	}
	return f
}

// errUnfetched wraps the error of a fetch with a filter, or of an object
// fetched by name: the append can be done again with less filtered
// fetches.
var errUnfetched = errors.New("the remote did not send what was asked for")

// fetch asks the remote where its notes ref is and, unless s has that
// commit already, fetches it into s: the history down to depth commits
// (0: all of it, less what have reaches), the objects of the commits
// fetched that the commits in have do not hold, less what f leaves on the
// remote (see usable; c.filter says which was used). It returns the
// remote's notes commit, zero when the remote has no notes yet.
//
// A depth of 1 is `git fetch --depth 1`: the tip commit and its whole tree,
// whatever the length of the history behind it. A fetch with have and no
// depth brings the commits between have and the tip, which is what a merge
// needs: the remote does not learn that s is shallow, so it assumes s holds
// what have reaches, and the caller checks that the tip descends from have.
//
// Over HTTP(S) it speaks protocol v2 where the remote does (see protoV2):
// the remote names the notes ref alone, not every ref it has.
func (c *conn) fetch(ctx context.Context, s *notesStore, have []plumbing.Hash, depth int, f filter) (plumbing.Hash, error) {
	v, err := c.protoV2(ctx)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if v != nil {
		return c.fetchV2(ctx, v, s, have, depth, f)
	}
	sess, err := c.cl.NewUploadPackSession(c.ep, c.auth)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c.caps = ar.Capabilities
	c.filter = usable(f, ar.Capabilities)
	tip, err := notesTip(ar)
	if err != nil || tip.IsZero() {
		return tip, err
	}
	if s.has(tip, false) == nil {
		return tip, nil
	}
	req, err := uploadRequest(ar.Capabilities, tip, c.filter)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	req.Haves = have
	if depth > 0 {
		if !ar.Capabilities.Supports(capability.Shallow) {
			return plumbing.ZeroHash, fmt.Errorf("the remote does not serve shallow fetches")
		}
		req.Depth = packp.DepthCommits(depth)
		if err := req.Capabilities.Set(capability.Shallow); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return c.fetched(s, tip, c.receive(ctx, sess, req, s))
}

// fetched returns tip once the pack asked for it has come (err is how
// asking went): a failed filtered fetch is errUnfetched, and the tip must be
// in what came.
func (c *conn) fetched(s *notesStore, tip plumbing.Hash, err error) (plumbing.Hash, error) {
	if err != nil {
		if c.filter != filterNone {
			err = fmt.Errorf("with --filter=%s: %w: %w", c.filter, errUnfetched, err)
		}
		return plumbing.ZeroHash, err
	}
	if err := s.HasEncodedObject(tip); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("notes commit %s: not in the pack the remote sent: %w", tip, err)
	}
	return tip, nil
}

// fetchV2 is fetch in protocol v2.
func (c *conn) fetchV2(ctx context.Context, v *v2, s *notesStore, have []plumbing.Hash, depth int, f filter) (plumbing.Hash, error) {
	tip, err := v.lsRefs(ctx, tracker.NotesRef)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c.caps = v.caps()
	c.filter = usable(f, c.caps)
	if tip.IsZero() || s.has(tip, false) == nil {
		return tip, nil
	}
	return c.fetched(s, tip, v.fetchPack(ctx, s, fetchArgs{want: tip, have: have, depth: depth, f: c.filter}))
}

// errNoWantByName is returned by fetchObject when the remote does not
// serve an object by its name.
var errNoWantByName = errors.New("the remote serves no object by its name (it does not advertise allow-reachable-sha1-in-want)")

// fetchObject fetches the tree or blob h, which a commit of the remote's
// notes reaches, into s, as git's partial clone fetches a missing object: a
// want of h alone, with the last fetch's filter (tree:0 brings a tree
// without what it holds), and no haves (a have whose tree holds h would
// tell the remote s has it). It asks the remote's upload-pack straight
// away (in protocol v2 when the last fetch did), with the capabilities the
// last fetch was advertised. It returns errNoWantByName when the remote
// serves no object by name.
func (c *conn) fetchObject(ctx context.Context, s *notesStore, h plumbing.Hash) error {
	if c.caps == nil || !byName(c.caps) {
		return errNoWantByName
	}
	if c.v2 != nil {
		if err := c.v2.fetchPack(ctx, s, fetchArgs{want: h, f: c.filter}); err != nil {
			return err
		}
		return fetchedByName(s, h)
	}
	sess, err := c.cl.NewUploadPackSession(c.ep, c.auth)
	if err != nil {
		return err
	}
	defer sess.Close()
	req, err := uploadRequest(c.caps, h, c.filter)
	if err != nil {
		return err
	}
	if err := c.receive(ctx, sess, req, s); err != nil {
		return err
	}
	return fetchedByName(s, h)
}

// fetchedByName checks that s holds h, which a fetch by name asked for.
func fetchedByName(s *notesStore, h plumbing.Hash) error {
	if err := s.has(h, true); err != nil {
		return fmt.Errorf("not in the pack the remote sent: %w", err)
	}
	return nil
}

// uploadRequest returns a request for want with filter f, with the
// capabilities of caps (the remote's) that the notes fetches use.
func uploadRequest(caps *capability.List, want plumbing.Hash, f filter) (*packp.UploadPackRequest, error) {
	req := packp.NewUploadPackRequestFromCapabilities(caps)
	// A thin pack's deltas may name bases outside it: the parser would
	// look for them in s, but nothing is gained for packs this small.
	req.Capabilities.Delete(capability.ThinPack)
	if caps.Supports(capability.NoProgress) {
		if err := req.Capabilities.Set(capability.NoProgress); err != nil {
			return nil, err
		}
	}
	if f != filterNone {
		// go-git writes the filter line but leaves the capability to us.
		req.Filter = packp.Filter(f.String())
		if err := req.Capabilities.Set(capability.Filter); err != nil {
			return nil, err
		}
	}
	req.Wants = []plumbing.Hash{want}
	return req, nil
}

// receive sends req and adds the pack the remote answers with to s.
func (c *conn) receive(ctx context.Context, sess transport.UploadPackSession, req *packp.UploadPackRequest, s *notesStore) error {
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Close()
	var r io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		r = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		r = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	if err := s.addPack(r); err != nil {
		return fmt.Errorf("read pack: %w", err)
	}
	return nil
}

// push moves the remote's notes ref from old (zero: it does not exist) to
// next, sending objs, which must be every object reachable from next and
// not from old. When the ref is no longer at old it sends nothing and
// returns errRemoteMoved; a ref moved while the pack was on its way is
// refused by the remote, as `git push` without --force is.
func (c *conn) push(ctx context.Context, s storer.EncodedObjectStorer, old, next plumbing.Hash, objs []plumbing.Hash) (err error) {
	sess, err := c.cl.NewReceivePackSession(c.ep, c.auth)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sess.Close(); err == nil {
			err = cerr
		}
	}()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	tip, err := notesTip(ar)
	if err != nil {
		return err
	}
	if tip != old {
		return errRemoteMoved
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	req.Commands = []*packp.Command{{Name: plumbing.ReferenceName(tracker.NotesRef), Old: old, New: next}}
	rd, wr := io.Pipe()
	req.Packfile = rd
	done := make(chan error, 1)
	go func() {
		e := packfile.NewEncoder(wr, s, !ar.Capabilities.Supports(capability.OFSDelta))
		_, err := e.Encode(objs, 10)
		wr.CloseWithError(err)
		done <- err
	}()
	rs, err := sess.ReceivePack(ctx, req)
	rd.Close() // unblocks the encoder if the remote stopped reading
	if encErr := <-done; err == nil && encErr != nil && !errors.Is(encErr, io.ErrClosedPipe) {
		err = fmt.Errorf("write pack: %w", encErr)
	}
	if err != nil {
		return err
	}
	if rs != nil {
		return rs.Error()
	}
	return nil
}
