package tracker

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// history answers "which commit was the pull request's head at time t?"
// from GitHub's own records only: twokey's own statuses, reviews' commits,
// force-push events and the head read now. No comment text, twokey's own
// included, takes part.
//
// The reasoning: a push that is not a fast-forward (a force push, a branch
// deleted and restored, a reopening) is on the timeline with GitHub's time.
// Between two such events the head only moves forward, to commits that did
// not exist before, so it never comes back to a commit it left. Hence if the
// head was H at some moment before t and again at some moment at or after t,
// with no such event in between, the head was H at t. Evidence that the head
// was H at a moment before t ("lower" marks): twokey's own status on H for
// this pull request (twokey read H as the head before GitHub stamped the
// status), a force push to H (the head was H right after). Evidence that it
// was H at or after t ("upper" marks): the head read now, a force push away
// from H (the head was H right before). A review's commit is not evidence:
// the reviewer names it, and the pull request's author may review.
//
// Times are compared in whole seconds, as GitHub gives them, and a tie is
// never taken as an order: a comment in the same second as a force push is
// not known to be before or after it.
type history struct {
	lower, upper []mark
	breaks       []mark // events that may move the head other than forward, by time
}

// mark is evidence about the head at a time; ev is the index of the timeline
// event it comes from (-1 for none), so that an event is not counted as a
// break of its own evidence.
type mark struct {
	sha  string
	at   int64 // Unix seconds
	ev   int
	read bool // the head read now: a comment read with it is at or before it
	// slack is how long before at the head may have been read: a status's
	// mark is the Date of GitHub's answer, stamped after GitHub read the
	// head, up to readSlack before.
	slack int64
}

// readSlack bounds how long before the Date of its answer GitHub read what
// it answered: it terminates a request that takes more than 10 seconds
// ("Timeouts" in GitHub's GraphQL rate limit documentation), plus a second
// for the Date's truncation to whole seconds. A push that is not a
// fast-forward within it of twokey's mark leaves the mark's head unproven.
const readSlack = 11

func newHistory(pr *PullRequest) *history {
	h := &history{}
	lower := func(sha string, at time.Time, ev int) {
		if sha != "" && !at.IsZero() {
			h.lower = append(h.lower, mark{sha: strings.ToLower(sha), at: at.Unix(), ev: ev})
		}
	}
	for _, s := range pr.HeadSeen {
		if s.SHA != "" && !s.At.IsZero() {
			h.lower = append(h.lower, mark{sha: strings.ToLower(s.SHA), at: s.At.Unix(), ev: -1, slack: readSlack})
		}
	}
	for i, e := range pr.Timeline {
		switch e.Type {
		case EventForcePushed:
			lower(e.After, e.At, i)
			if e.Before != "" {
				h.upper = append(h.upper, mark{sha: strings.ToLower(e.Before), at: e.At.Unix(), ev: i})
			}
			h.breaks = append(h.breaks, mark{at: e.At.Unix(), ev: i})
		case EventHeadDeleted, EventHeadRestored, EventReopened:
			h.breaks = append(h.breaks, mark{at: e.At.Unix(), ev: i})
		}
	}
	if pr.HeadSHA != "" && !pr.ReadAt.IsZero() {
		h.upper = append(h.upper, mark{sha: strings.ToLower(pr.HeadSHA), at: pr.ReadAt.Unix(), ev: -1, read: true})
	}
	sort.Slice(h.breaks, func(i, j int) bool { return h.breaks[i].at < h.breaks[j].at })
	return h
}

// headAt returns the head at t, or "" when GitHub's records do not establish
// it.
func (h *history) headAt(t time.Time) string {
	ts := t.Unix()
	// The window around t in which no break happened: after the last break
	// strictly before t's second, up to the first break at or after it.
	i := sort.Search(len(h.breaks), func(i int) bool { return h.breaks[i].at >= ts })
	var prev, next *mark
	if i > 0 {
		prev = &h.breaks[i-1]
	}
	if i < len(h.breaks) {
		next = &h.breaks[i]
	}
	inWindow := func(m mark) bool {
		if prev != nil && m.slack > 0 && prev.at >= m.at-m.slack {
			return false // the break may have come after GitHub read the head
		}
		if prev != nil && (m.at < prev.at || (m.at == prev.at && !h.soleBreak(m.ev, m.at))) {
			return false
		}
		if next != nil && (m.at > next.at || (m.at == next.at && !h.soleBreak(m.ev, m.at))) {
			return false
		}
		return true
	}
	found := ""
	for _, lo := range h.lower {
		if lo.at >= ts || !inWindow(lo) {
			continue
		}
		for _, up := range h.upper {
			if up.sha != lo.sha || !inWindow(up) {
				continue
			}
			if up.at < ts || (up.at == ts && !up.read) {
				continue
			}
			if found != "" && found != lo.sha {
				return "" // records that contradict each other establish nothing
			}
			found = lo.sha
		}
	}
	return found
}

// soleBreak reports whether the break at second at is event ev and no other
// break happened in that second.
func (h *history) soleBreak(ev int, at int64) bool {
	if ev < 0 {
		return false
	}
	n := 0
	for _, b := range h.breaks {
		if b.at == at {
			if b.ev != ev {
				return false
			}
			n++
		}
	}
	return n == 1
}

// candidates are every commit GitHub named as part of the pull request's
// history: its commits as read, its head, the heads before and after each
// force push, the commits reviews were given on and the heads twokey's
// statuses name. A short SHA must name exactly one of them.
func candidates(pr *PullRequest) []string {
	var k shaSet
	k.add(pr.HeadSHA)
	for _, c := range pr.Commits {
		k.add(c.SHA)
	}
	for _, e := range pr.Timeline {
		k.add(e.Before)
		k.add(e.After)
	}
	for _, r := range pr.Reviews {
		k.add(r.CommitID)
	}
	for _, s := range pr.HeadSeen {
		k.add(s.SHA)
	}
	return k.list
}

// resolveSHA turns the sha a person typed into a full SHA. A full SHA is
// taken as written. A prefix of at least 7 must name exactly one commit of
// the pull request's history as it is when judged (see candidates), and only
// when every commit of the pull request was read: a prefix that a pushed
// commit was made to share is ambiguous, never a match. why says what is
// wrong otherwise.
func resolveSHA(arg string, pr *PullRequest) (sha, why string) {
	if !shaRe().MatchString(arg) {
		return "", "not a commit SHA (7 to 40 hex digits)"
	}
	arg = strings.ToLower(arg)
	if len(arg) == 40 {
		return arg, ""
	}
	if pr.CommitsIncomplete {
		return "", fmt.Sprintf("this pull request has more commits than twokey reads, so a short SHA may name more than one of them; give the full SHA (the head is %s)", pr.HeadSHA)
	}
	match := ""
	for _, k := range candidates(pr) {
		if strings.HasPrefix(k, arg) {
			if match != "" {
				return "", fmt.Sprintf("%s names more than one commit of this pull request (%s and %s); give the full SHA", arg, short12(match), short12(k))
			}
			match = k
		}
	}
	if match == "" {
		return "", fmt.Sprintf("no commit of this pull request starts with %s (the head is %s); give the full SHA", arg, short(pr.HeadSHA))
	}
	return match, ""
}

func short12(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// sameChange reports whether a key given on signed still covers head
// (signoffs.keep_on_same_tree): head has the same tree and the same parents
// as signed, so the diff that would merge is the one signed whatever the
// base (an amended message, author or date). A rebase or a merge of the base
// branch changes the parents and is a new change; an identical tree on a
// moved base is not the same change.
func sameChange(pr *PullRequest, signed, head string) bool {
	var s, h *PRCommit
	for i := range pr.Commits {
		switch c := &pr.Commits[i]; {
		case strings.EqualFold(c.SHA, signed):
			s = c
		case strings.EqualFold(c.SHA, head):
			h = c
		}
	}
	if s == nil || h == nil || s.Tree == "" || s.Tree != h.Tree || len(s.Parents) == 0 || len(s.Parents) != len(h.Parents) {
		return false
	}
	for i := range s.Parents {
		if !strings.EqualFold(s.Parents[i], h.Parents[i]) {
			return false
		}
	}
	return true
}

// baseChangedAfter returns the last base change or base force push at or
// after t (by seconds), if any: a key given before it covered another
// change.
func baseChangedAfter(pr *PullRequest, t time.Time) *TimelineEvent {
	var last *TimelineEvent
	for i := range pr.Timeline {
		e := &pr.Timeline[i]
		if (e.Type == EventBaseChanged || e.Type == EventBaseForcePushed) && e.At.Unix() >= t.Unix() {
			if last == nil || e.At.After(last.At) {
				last = e
			}
		}
	}
	return last
}

// baseChangeText says what a base change did, after "the base branch":
// "changed to main", or "changed" (a force push of the base).
func baseChangeText(b *TimelineEvent) string {
	if b.Type == EventBaseChanged && b.To != "" {
		return "changed to " + b.To
	}
	return "changed"
}
