package action

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Hidden markers of twokey's sticky comments: one on each brief, one on each
// pull request.
const (
	briefMarker = "<!-- twokey:brief -->"
	gateMarker  = "<!-- twokey:gate -->"
)

// stickyState is the hidden state twokey keeps in its sticky comment, read
// back on every run.
type stickyState struct {
	// C maps a pull request comment's ID to the head SHA when twokey first
	// saw it (the event of that comment), so a /signoff without a SHA
	// covers the commit it was given on, not a later push.
	C map[string]string `json:"c,omitempty"`
	// L are the labels twokey set on a brief, so a run whose payload is older
	// than the last label change still removes them.
	L []string `json:"l,omitempty"`
	// H is the pull request's head when twokey last saw it change, and S
	// (Unix seconds, GitHub's clock) a moment after the push that made it:
	// a comment created at S or later was made on H.
	H string `json:"h,omitempty"`
	S int64  `json:"s,omitempty"`
}

var stateRe = regexp.MustCompile(`<!-- twokey:state (\{.*?\}) -->`)

// findSticky returns twokey's sticky comment: the first comment with marker
// written by twokey's own account. Anyone can type the marker into a comment,
// so the author must be a bot (GITHUB_TOKEN writes as github-actions[bot], an
// App as its bot) or, for a personal token, the token's own login (self).
// A person cannot forge the state.
func findSticky(comments []*github.IssueComment, marker, self string) (*github.IssueComment, stickyState) {
	for _, c := range comments {
		if ownComment(c, self) && strings.HasPrefix(c.GetBody(), marker) {
			var st stickyState
			if m := stateRe.FindStringSubmatch(c.GetBody()); m != nil {
				_ = json.Unmarshal([]byte(m[1]), &st) // a broken state is no state
			}
			return c, st
		}
	}
	return nil, stickyState{}
}

// isSticky reports whether c is one of twokey's own comments.
func isSticky(c *github.IssueComment, self string) bool {
	return ownComment(c, self) && (strings.HasPrefix(c.GetBody(), gateMarker) || strings.HasPrefix(c.GetBody(), briefMarker))
}

func ownComment(c *github.IssueComment, self string) bool {
	u := c.GetUser()
	return u.GetType() == "Bot" || (self != "" && strings.EqualFold(u.GetLogin(), self))
}

// renderSticky is the body of a sticky comment: the marker, the visible
// Markdown and, when there is any, the hidden state. json.Marshal escapes <
// and >, so the state cannot close its HTML comment.
func renderSticky(marker, text string, st stickyState) string {
	var b strings.Builder
	b.WriteString(marker)
	b.WriteString("\n")
	b.WriteString(strings.TrimRight(text, "\n"))
	b.WriteString("\n")
	if len(st.C) > 0 || len(st.L) > 0 || st.H != "" {
		data, _ := json.Marshal(st)
		b.WriteString("<!-- twokey:state ")
		b.Write(data)
		b.WriteString(" -->\n")
	}
	return b.String()
}
