package tracker

import (
	"strings"
	"testing"
	"time"
)

func TestResolveSHA(t *testing.T) {
	head := "1234567" + strings.Repeat("b", 33)
	old := "1234567" + strings.Repeat("a", 33)
	other := "89abcde" + strings.Repeat("c", 33)
	// pr builds a pull request at head whose history also names known, each
	// in one of the places GitHub names commits.
	pr := func(known ...string) *PullRequest {
		p := &PullRequest{HeadSHA: head, Commits: []PRCommit{{SHA: head, InPR: true}}}
		for i, k := range known {
			switch i % 4 {
			case 0:
				p.Commits = append(p.Commits, PRCommit{SHA: k, InPR: true})
			case 1:
				p.Reviews = append(p.Reviews, Review{ID: int64(i), CommitID: k, State: ReviewCommented})
			case 2:
				p.Timeline = append(p.Timeline, TimelineEvent{Type: EventForcePushed, Before: k, After: head, At: time.Unix(int64(i), 0)})
			case 3:
				p.HeadSeen = append(p.HeadSeen, HeadSeen{SHA: k, At: time.Unix(int64(i), 0)})
			}
		}
		return p
	}
	tests := []struct {
		arg   string
		known []string
		want  string
		why   string
	}{
		{"1234567", nil, head, ""},
		{"89ABCDE", []string{other}, other, ""},
		{other, nil, other, ""}, // a full SHA is taken as it is
		// A head made to share the prefix of an older commit is ambiguous,
		// wherever GitHub named the older one: the head gets no precedence.
		{"1234567", []string{old}, "", "names more than one commit"},
		{"1234567", []string{other, old}, "", "names more than one commit"},
		{"1234567", []string{other, other, old}, "", "names more than one commit"},
		{"1234567", []string{other, other, other, old}, "", "names more than one commit"},
		{"1234567b", []string{old}, head, ""},
		{"fedcba9", nil, "", "no commit of this pull request starts with fedcba9"},
		{"12345", nil, "", "not a commit SHA"},
		{"xyz1234", nil, "", "not a commit SHA"},
	}
	for _, tt := range tests {
		got, why := resolveSHA(tt.arg, pr(tt.known...))
		if got != tt.want || (tt.why == "") != (why == "") || !strings.Contains(why, tt.why) {
			t.Errorf("resolveSHA(%q, known %d) = %q, %q; want %q, %q", tt.arg, len(tt.known), got, why, tt.want, tt.why)
		}
	}
	incomplete := pr()
	incomplete.CommitsIncomplete = true
	if got, why := resolveSHA("1234567", incomplete); got != "" || !strings.Contains(why, "more commits than twokey reads") {
		t.Errorf("resolveSHA with commits incomplete = %q, %q; want a refusal", got, why)
	}
	if got, _ := resolveSHA(head, incomplete); got != head {
		t.Errorf("resolveSHA(full sha) with commits incomplete = %q, want it as written", got)
	}
}
