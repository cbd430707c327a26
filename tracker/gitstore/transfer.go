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

// fetch asks the remote where its notes ref is and, unless s has that
// commit already, fetches it into s: the history down to depth commits
// (0: all of it, less what have reaches), the objects of the commits
// fetched that the commits in have do not hold. It returns the remote's
// notes commit, zero when the remote has no notes yet.
//
// A depth of 1 is `git fetch --depth 1`: the tip commit and its whole tree,
// whatever the length of the history behind it. A fetch with have and no
// depth brings the commits between have and the tip, which is what a merge
// needs: the remote does not learn that s is shallow, so it assumes s holds
// what have reaches, and the caller checks that the tip descends from have.
//
// With noBlobs, and a remote that advertises the filter capability, the
// fetch is `git fetch --filter=blob:none`: commits and trees only, the notes
// themselves left on the remote (fetchBlob brings the few the append reads).
func (c *conn) fetch(ctx context.Context, s *notesStore, have []plumbing.Hash, depth int, noBlobs bool) (plumbing.Hash, error) {
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
	tip, err := notesTip(ar)
	if err != nil || tip.IsZero() {
		return tip, err
	}
	if s.has(tip, false) == nil {
		return tip, nil
	}
	req, err := uploadRequest(ar, tip)
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
	if noBlobs && ar.Capabilities.Supports(capability.Filter) {
		// go-git writes the filter line but leaves the capability to us.
		req.Filter = packp.FilterBlobNone()
		if err := req.Capabilities.Set(capability.Filter); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if err := c.receive(ctx, sess, req, s); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := s.HasEncodedObject(tip); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("notes commit %s: not in the pack the remote sent: %w", tip, err)
	}
	return tip, nil
}

// errNoBlobWant is returned by fetchBlob when the remote does not serve an
// object by its name.
var errNoBlobWant = errors.New("the remote serves no object by its name (it advertises neither allow-reachable-sha1-in-want nor allow-tip-sha1-in-want)")

// fetchBlob fetches blob h, which a commit of the remote's notes reaches,
// into s, as git's partial clone fetches a missing object: a want of h and
// no haves (a have whose tree holds h would tell the remote s has it). It
// needs a remote that advertises allow-reachable-sha1-in-want (GitHub does)
// or allow-tip-sha1-in-want, and returns errNoBlobWant otherwise.
func (c *conn) fetchBlob(ctx context.Context, s *notesStore, h plumbing.Hash) error {
	sess, err := c.cl.NewUploadPackSession(c.ep, c.auth)
	if err != nil {
		return err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	if !ar.Capabilities.Supports(capability.AllowReachableSHA1InWant) && !ar.Capabilities.Supports(capability.AllowTipSHA1InWant) {
		return errNoBlobWant
	}
	req, err := uploadRequest(ar, h)
	if err != nil {
		return err
	}
	if err := c.receive(ctx, sess, req, s); err != nil {
		return err
	}
	if err := s.HasEncodedObject(h); err != nil {
		return fmt.Errorf("not in the pack the remote sent: %w", err)
	}
	return nil
}

// uploadRequest returns a request for want, with the capabilities of ar
// that the notes fetches use.
func uploadRequest(ar *packp.AdvRefs, want plumbing.Hash) (*packp.UploadPackRequest, error) {
	req := packp.NewUploadPackRequestFromCapabilities(ar.Capabilities)
	// A thin pack's deltas may name bases outside it: the parser would
	// look for them in s, but nothing is gained for packs this small.
	req.Capabilities.Delete(capability.ThinPack)
	if ar.Capabilities.Supports(capability.NoProgress) {
		if err := req.Capabilities.Set(capability.NoProgress); err != nil {
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
