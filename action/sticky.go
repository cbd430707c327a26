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
// back on every run. It never decides who signed what or on which commit:
// that comes only from what GitHub writes (see tracker.PullRequest).
type stickyState struct {
	// L are the labels twokey set on a brief, so a run whose payload is older
	// than the last label change still removes them.
	L []string `json:"l,omitempty"`
}

var stateRe = regexp.MustCompile(`<!-- twokey:state (\{.*?\}) -->`)

// parseState reads the state in a sticky comment's body; a broken state is
// no state.
func parseState(body string) stickyState {
	var st stickyState
	if m := stateRe.FindStringSubmatch(body); m != nil {
		_ = json.Unmarshal([]byte(m[1]), &st)
	}
	return st
}

// findSticky returns twokey's sticky comment: the first comment with marker
// written by twokey's own account, self (the token's login, as GitHub's
// viewer names it). Anyone can type the marker into a comment, and under an
// App token other workflows write as other bots: only the token's own
// account is twokey.
func findSticky(comments []*github.IssueComment, marker, self string) (*github.IssueComment, stickyState) {
	for _, c := range comments {
		// REST names a bot with its "[bot]", as the viewer is named.
		if self != "" && strings.EqualFold(c.GetUser().GetLogin(), self) && strings.HasPrefix(c.GetBody(), marker) {
			return c, parseState(c.GetBody())
		}
	}
	return nil, stickyState{}
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
	if len(st.L) > 0 {
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
