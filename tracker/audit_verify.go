package tracker

import (
	"fmt"
	"strings"
	"time"
)

// ForgePull is what GitHub says of a pull request, as CheckRecord compares
// it with a record.
type ForgePull struct {
	Found       bool // false: no pull request of that number
	Merged      bool
	MergedAt    time.Time
	MergedBy    string
	MergeCommit string // the commit the merge put on the base branch
	Head        string // the head SHA when it merged
	Base        string
	Reviews     []ForgeReview
	Comments    []ForgeComment
	// Gate is the state of the latest twokey/gate status on Head, lower
	// case ("" when there is none); GateKnown says GitHub named it (the
	// pull request's last commit is its head).
	Gate      string
	GateKnown bool
	// Commits is how many commits the pull request has: a rebase merge
	// lands at most that many.
	Commits int
	// MoreReviews and MoreComments are true when GitHub has more than it
	// gave.
	MoreReviews, MoreComments bool
}

// ForgeReview is a review of a pull request on GitHub.
type ForgeReview struct {
	Login, Commit, State, Body string
}

// ForgeComment is a comment on a pull request on GitHub.
type ForgeComment struct {
	Login, Body string
}

// CheckRecord compares merge record r with what GitHub says of its pull
// request and returns every difference, nothing when they agree: the pull
// request exists and was merged by r.MergedBy, at r.MergedAt (to the
// second), into r.Commit from the head r.Head on r.Base; and each sign-off
// exists on GitHub: a review by its signer on its commit (approving, or
// carrying "/signoff <kind>"), or a comment by its signer carrying
// "/signoff <kind>"; and a rebase merge's record names no more commits than
// the pull request has. A record whose verdict is pass needs the twokey/gate
// status GitHub keeps on the head to be a success: nothing else GitHub
// keeps says the gate passed, and a record is easily rewritten to say so
// (verdict pass, no kinds required) for a merge made past the gate.
func CheckRecord(r Record, p ForgePull) []string {
	pr := fmt.Sprintf("#%d", r.PR)
	if !p.Found {
		return []string{fmt.Sprintf("GitHub has no pull request %s in %s", pr, r.Repo)}
	}
	if !p.Merged {
		return []string{fmt.Sprintf("GitHub says %s was never merged", pr)}
	}
	var d []string
	if !strings.EqualFold(p.MergeCommit, r.Commit) {
		d = append(d, fmt.Sprintf("GitHub says %s was merged as %s, not this commit", pr, auditOrNone(auditShort(p.MergeCommit))))
	}
	if !strings.EqualFold(p.MergedBy, r.MergedBy) {
		d = append(d, fmt.Sprintf("GitHub says %s was merged by %s, not %s", pr, auditOrNone(p.MergedBy), auditOrNone(r.MergedBy)))
	}
	if !r.MergedAt.IsZero() && !p.MergedAt.Truncate(time.Second).Equal(r.MergedAt.Truncate(time.Second)) {
		d = append(d, fmt.Sprintf("GitHub says %s was merged at %s, not %s", pr, p.MergedAt.UTC().Format(time.RFC3339), r.MergedAt.UTC().Format(time.RFC3339)))
	}
	if !strings.EqualFold(p.Head, r.Head) {
		d = append(d, fmt.Sprintf("GitHub says the head of %s was %s, not %s", pr, auditOrNone(auditShort(p.Head)), auditShort(r.Head)))
	}
	if r.Base != "" && p.Base != r.Base {
		d = append(d, fmt.Sprintf("GitHub says %s was merged into %s, not %s", pr, auditOrNone(p.Base), r.Base))
	}
	if n := len(r.Landed) + 1; len(r.Landed) > 0 && n > p.Commits {
		// The landed commits are classed with the record; a claim on more
		// commits than the pull request has covers commits it never had (a
		// direct push just below the merge).
		d = append(d, fmt.Sprintf("the record says %d commits landed with the rebase merge of %s; GitHub says it has %d", n, pr, p.Commits))
	}
	if r.Verdict == VerdictPass {
		switch {
		case !p.GateKnown:
			d = append(d, fmt.Sprintf("GitHub does not name the twokey/gate status of %s's head %s, which says whether the gate passed: check by hand", pr, auditOrNone(auditShort(p.Head))))
		case p.Gate != StateSuccess:
			d = append(d, fmt.Sprintf("GitHub's twokey/gate status on the head of %s is %s, not success: the gate did not pass it", pr, auditOrNone(p.Gate)))
		}
	}
	for _, s := range r.Signoffs {
		if signedOnForge(s, p) {
			continue
		}
		var msg string
		more := false
		if s.Via == ViaReview {
			msg = fmt.Sprintf("GitHub has no review by %s on %s of %s for the %s sign-off", s.Login, auditShort(s.SHA), pr, s.Kind)
			more = p.MoreReviews
		} else {
			msg = fmt.Sprintf("GitHub has no comment by %s with /signoff %s on %s", s.Login, s.Kind, pr)
			more = p.MoreComments
		}
		if more {
			msg += " among the first 100 (it has more; check by hand)"
		}
		d = append(d, msg)
	}
	return d
}

// signedOnForge reports whether sign-off s is on GitHub.
func signedOnForge(s RecordSignoff, p ForgePull) bool {
	hasCommand := func(body string) bool {
		for _, c := range parseCommands(body) {
			if c.name == "/signoff" && len(c.args) > 0 && strings.EqualFold(c.args[0], s.Kind) {
				return true
			}
		}
		return false
	}
	if s.Via == ViaReview {
		for _, rv := range p.Reviews {
			if strings.EqualFold(rv.Login, s.Login) && strings.EqualFold(rv.Commit, s.SHA) &&
				(rv.State == ReviewApproved || hasCommand(rv.Body)) {
				return true
			}
		}
		return false
	}
	for _, c := range p.Comments {
		if strings.EqualFold(c.Login, s.Login) && hasCommand(c.Body) {
			return true
		}
	}
	return false
}
