package tracker

import (
	"strings"
	"time"
)

// RequiredHistory is what GitHub's records and twokey's own say of when the
// kinds a pull request needs came to be needed: the caller gathers it, and
// RequiredSince applies the require rules to it.
type RequiredHistory struct {
	// LabeledAt is, by lower-cased name, when each label was last added to
	// the pull request (GitHub's labeled events).
	LabeledAt map[string]time.Time
	// Before is what twokey recorded when it last judged the pull request
	// (its own status says it); nil when there is no such record.
	Before *RequiredBefore
	// HeadSeenAt is when twokey first saw the current head (GitHub's clock,
	// twokey's status mark; the time of this read when it has not judged the
	// head before): as near as GitHub's records come to when the push that
	// brought it happened (GitHub times a force push, not a fast-forward).
	HeadSeenAt time.Time
}

// RequiredBefore is what twokey recorded of a pull request's required kinds
// when it last judged it.
type RequiredBefore struct {
	// Head is the head it judged.
	Head string
	// Since holds each kind required then, and when it had become required
	// (zero: since the pull request was ready).
	Since map[string]time.Time
}

// RequiredSince returns, for each kind pull request pr requires (as
// Evaluate computes them from p's require rules and the linked briefs), when
// it became required; zero means "since the pull request was ready"
// (TimeFacts.ReadyAt), which ApplyTime also takes when it is later.
//
// A kind twokey recorded as required when it last judged the pull request
// keeps the time it recorded. A kind required now and not then (or with no
// record) counts from the earliest time one of the rules that add it began to
// hold, and a rule holds from the latest of its conditions:
//   - labels: when the matching label on the pull request was last added
//     (the earliest such label); a label on a linked brief counts from ready;
//   - paths: when twokey first saw the head, if it last judged another head
//     without the kind (the push brought the files); otherwise from ready;
//   - brief answers, and a rule with no condition: from ready (a brief's
//     last edit is part of when the pull request became ready).
//
// A kind that a change of the policy added counts from its conditions, and
// so from ready when it has none of these.
func RequiredSince(p *Policy, pr *PullRequest, briefs []LinkedBrief, h RequiredHistory) map[string]time.Time {
	out := map[string]time.Time{}
	for _, kind := range requiredKinds(p, pr, briefs) {
		if h.Before != nil {
			if at, ok := h.Before.Since[kind]; ok {
				out[kind] = at
				continue
			}
		}
		var since time.Time
		first := true
		for _, r := range p.Require {
			if !contains(r.Kinds, kind) || !ruleHolds(r, pr, briefs) {
				continue
			}
			if start := ruleStart(r, pr, h); first || start.Before(since) {
				since, first = start, false
			}
		}
		out[kind] = since
	}
	return out
}

// ruleStart is when a rule that holds began to hold, as far as h tells
// (zero: since ready).
func ruleStart(r Requirement, pr *PullRequest, h RequiredHistory) time.Time {
	var start time.Time
	later := func(t time.Time) {
		if t.After(start) {
			start = t
		}
	}
	if len(r.Labels) > 0 && hasAnyLabel(pr.Labels, r.Labels) {
		var first time.Time
		for _, l := range pr.Labels {
			if !hasAnyLabel([]string{l}, r.Labels) {
				continue
			}
			at, ok := h.LabeledAt[strings.ToLower(l)]
			if !ok {
				first = time.Time{} // added when GitHub does not say: since ready
				break
			}
			if first.IsZero() || at.Before(first) {
				first = at
			}
		}
		later(first)
	}
	if len(r.Paths) > 0 && h.Before != nil && !strings.EqualFold(h.Before.Head, pr.HeadSHA) {
		later(h.HeadSeenAt)
	}
	return start
}
