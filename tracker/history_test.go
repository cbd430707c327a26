package tracker

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestHeadAt proves which head a comment written at a time is bound to,
// from GitHub's records only.
func TestHeadAt(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	at := func(sec int) time.Time { return gT0.Add(time.Duration(sec) * time.Second) }
	push := func(sec int, before, after string) TimelineEvent {
		return TimelineEvent{Type: EventForcePushed, At: at(sec), Actor: gActor("dev"), Before: before, After: after}
	}
	tests := []struct {
		name string
		pr   PullRequest
		t    int // when the comment was written
		want string
	}{
		{
			name: "twokey saw the head before the comment and it is the head now",
			pr:   PullRequest{HeadSHA: a, ReadAt: at(100), HeadSeen: []HeadSeen{{a, at(10)}}},
			t:    20, want: a,
		},
		{
			name: "twokey's status in the same second as the comment proves nothing",
			pr:   PullRequest{HeadSHA: a, ReadAt: at(100), HeadSeen: []HeadSeen{{a, at(20)}}},
			t:    20, want: "",
		},
		{
			// Attack: no earlier twokey state; uma comments on A, dev pushes B
			// (a fast-forward) before the comment's run reads the pull request.
			name: "no record of the head before the comment: unbound",
			pr:   PullRequest{HeadSHA: b, ReadAt: at(100)},
			t:    20, want: "",
		},
		{
			name: "twokey first saw the new head after the comment: unbound",
			pr:   PullRequest{HeadSHA: b, ReadAt: at(100), HeadSeen: []HeadSeen{{b, at(30)}}},
			t:    20, want: "",
		},
		{
			// Attack: force pushes A→B→A→B between runs.
			name: "force pushes back and forth after the head was seen: unbound",
			pr: PullRequest{HeadSHA: b, ReadAt: at(100), HeadSeen: []HeadSeen{{b, at(5)}},
				Timeline: []TimelineEvent{push(10, b, a), push(30, a, b)}},
			t: 20, want: a, // the comment came between the two pushes: A, by the pushes' own records
		},
		{
			name: "a comment after the last force push is on its head",
			pr: PullRequest{HeadSHA: b, ReadAt: at(100),
				Timeline: []TimelineEvent{push(10, b, a), push(30, a, b)}},
			t: 40, want: b,
		},
		{
			name: "a comment in the second of a force push is unbound",
			pr: PullRequest{HeadSHA: b, ReadAt: at(100),
				Timeline: []TimelineEvent{push(10, b, a), push(30, a, b)}},
			t: 30, want: "",
		},
		{
			name: "seen before a force push away and back: the status no longer proves the head",
			pr: PullRequest{HeadSHA: b, ReadAt: at(100), HeadSeen: []HeadSeen{{b, at(5)}},
				Timeline: []TimelineEvent{push(10, b, a), {Type: EventHeadRestored, At: at(50)}}},
			t: 60, want: "",
		},
		{
			// The author may review, naming any commit: a review of the head
			// posted before a comment proves nothing about the head then.
			name: "a review's commit is not evidence of the head",
			pr:   PullRequest{HeadSHA: a, ReadAt: at(100), Reviews: []Review{{ID: 1, CommitID: a, SubmittedAt: at(10)}}},
			t:    20, want: "",
		},
		{
			name: "a reopening may have moved the head",
			pr: PullRequest{HeadSHA: a, ReadAt: at(100), HeadSeen: []HeadSeen{{a, at(10)}},
				Timeline: []TimelineEvent{{Type: EventReopened, At: at(15)}}},
			t: 20, want: "",
		},
		{
			name: "the head read in the same second as the comment still counts",
			pr:   PullRequest{HeadSHA: a, ReadAt: at(20), HeadSeen: []HeadSeen{{a, at(10)}}},
			t:    20, want: a,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newHistory(&tt.pr).headAt(at(tt.t)); got != tt.want {
				t.Errorf("headAt(%d) = %q, want %q", tt.t, short(got), short(tt.want))
			}
		})
	}
}

// TestCommentBoundByRecordsNotText: a /signoff without a SHA counts only on
// the head GitHub's records establish; nothing in the comment itself binds.
func TestCommentBoundByRecordsNotText(t *testing.T) {
	p := gatePolicy(t)
	pr := gatePR()
	pr.Timeline, pr.HeadSeen = nil, nil // twokey never saw a head: installed late
	pr.Comments = []Comment{
		{ID: 1, User: gActor("alice"), Body: "/signoff usability", CreatedAt: gAt(1)},
		{ID: 2, User: gActor("bob"), Body: "/signoff backend " + gHead[:7], CreatedAt: gAt(2)},
	}
	v, err := Evaluate(context.Background(), p, pr, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := summarizeVerdict(v).Kinds; got != "usability=stale(alice) backend=satisfied(bob)" {
		t.Errorf("kinds = %q; want alice's SHA-less sign-off unbound (stale) and bob's named one counted", got)
	}
	if c := v.Comment(); !strings.Contains(c, "@alice signed (GitHub's records do not establish which head it was written on)") ||
		!strings.Contains(c, "then approve again or comment `/signoff usability aaaaaaa`") {
		t.Errorf("comment does not tell alice why and how to sign:\n%s", c)
	}
	// The same comment after twokey's status on the head counts.
	pr.HeadSeen = []HeadSeen{{SHA: gHead, At: gAt(0)}}
	v, err = Evaluate(context.Background(), p, pr, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := summarizeVerdict(v).Kinds; got != "usability=satisfied(alice) backend=satisfied(bob)" {
		t.Errorf("kinds with twokey's status seen first = %q; want both", got)
	}
}

// TestIgnoredListIsBounded: 1,500 comments by a non-signer do not grow
// twokey's comment past a readable list.
func TestIgnoredListIsBounded(t *testing.T) {
	pr := gatePR()
	for i := 0; i < 1500; i++ {
		pr.Comments = append(pr.Comments, gComment(int64(i+1), "mallory", "/signoff ![x](https://evil.example/p.png)", gHead, 1))
	}
	v, err := Evaluate(context.Background(), gatePolicy(t), pr, gateBriefs, newGateDir())
	if err != nil {
		t.Fatal(err)
	}
	c := v.Comment()
	if n := strings.Count(c, "| @mallory |"); n != maxIgnoredRows {
		t.Errorf("comment lists %d ignored rows, want %d", n, maxIgnoredRows)
	}
	if !strings.Contains(c, "and 1450 more") || len(c) > 20000 {
		t.Errorf("comment is %d bytes, or lacks the count of the rest", len(c))
	}
	if strings.Contains(c, "![x](") {
		t.Errorf("a commenter's image renders in twokey's comment:\n%s", c)
	}
}

// Finding, not fixed: twokey's mark says it saw the head at the Date of
// GitHub's answer, but GitHub read headRefOid earlier in the same request
// (a large query takes seconds; the Date is stamped when the answer is
// sent). dev starts a twokey run on H, force-pushes H→B (B = H's parent)
// while the query runs, and checks the status: its mark is after the force
// push (dev can retry until the race is won). uma reviews B and signs
// without a SHA; dev pushes H again, a fast-forward that GitHub does not
// put on the timeline. The mark "H seen after the force push" and the head
// read now make H the head when uma signed: her key on B binds to H, which
// has a commit she never saw.
//
// A fix: a mark from a status proves the head only when no break (force
// push, deletion, restoration, reopening) came within GitHub's request
// timeout (10 s, documented for the REST API; GraphQL's is not documented)
// before it, and setStatus must then not carry such a mark on (a head seen
// that close to a break would otherwise never bind again). Left open: the
// bound is GitHub's to state, not twokey's to guess.
func TestHeadAtMarkStampedAfterTheRead(t *testing.T) {
	h, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	at := func(sec int) time.Time { return gT0.Add(time.Duration(sec) * time.Second) }
	pr := &PullRequest{
		HeadSHA: h, ReadAt: at(100),
		HeadSeen: []HeadSeen{{h, at(12)}}, // read at 10, answered at 12
		Timeline: []TimelineEvent{{Type: EventForcePushed, At: at(11), Actor: gActor("dev"), Before: h, After: b}},
	}
	if got := newHistory(pr).headAt(at(20)); got != "" {
		t.Errorf("head at 20 = %q, want unbound: B was the head then, and H came back by a fast-forward", got)
	}
}
