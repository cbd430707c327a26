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
//
// GitHub refuses a comment longer than 65,536 characters (422). A text that
// would make the body longer is cut at a line, before the state (which must
// survive whole), with a note saying where the rest is.
func renderSticky(marker, text string, st stickyState) string {
	var state []byte
	if len(st.C) > 0 || len(st.L) > 0 || st.H != "" {
		data, _ := json.Marshal(st)
		state = append(append([]byte("<!-- twokey:state "), data...), " -->\n"...)
	}
	text = strings.TrimRight(text, "\n")
	if room := maxCommentBytes - len(marker) - len(state) - 2; len(text) > room {
		text = cutText(text, room-len(cutNote)-len("\n</details>\n"))
	}
	var b strings.Builder
	b.WriteString(marker)
	b.WriteString("\n")
	b.WriteString(text)
	b.WriteString("\n")
	b.Write(state)
	return b.String()
}

// maxCommentBytes keeps a comment under GitHub's limit of 65,536
// characters: a character is at least a byte.
const maxCommentBytes = 65000

const cutNote = "\n\n… cut here: the rest is longer than a GitHub comment may be. `twokey check --pr N` and the run's summary show all of it."

// cutText cuts text to at most n bytes at the end of a line, closes a
// <details> it cut open, and says so.
func cutText(text string, n int) string {
	if n < 0 {
		n = 0
	}
	cut := text[:n]
	if i := strings.LastIndexByte(cut, '\n'); i >= 0 {
		cut = cut[:i]
	} else {
		cut = strings.ToValidUTF8(cut, "") // one long line: a character cut in two goes
	}
	if strings.Count(cut, "<details>") > strings.Count(cut, "</details>") {
		cut += "\n</details>"
	}
	return cut + cutNote
}
