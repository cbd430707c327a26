package action

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

// TestRenderStickyFitsAComment: a gate comment whose text is longer than
// GitHub takes (65,536 characters) is cut at a line with a note, an open
// <details> is closed, and the state survives whole.
func TestRenderStickyFitsAComment(t *testing.T) {
	var b strings.Builder
	b.WriteString("### twokey gate: ⏳ pending\n\n<details><summary>Ignored (4000)</summary>\n\n")
	for i := range 4000 {
		fmt.Fprintf(&b, "- @someone%d: the comment was edited after it was posted — ünïcödé\n", i)
	}
	b.WriteString("\n</details>\n")
	st := stickyState{}
	for i := range 200 {
		st.L = append(st.L, fmt.Sprintf("label-%d", i))
	}
	body := renderSticky(gateMarker, b.String(), st)
	if n := utf8.RuneCountInString(body); n > 65536 {
		t.Fatalf("body has %d characters, more than GitHub's 65,536", n)
	}
	if !utf8.ValidString(body) {
		t.Errorf("body is not valid UTF-8 after the cut")
	}
	if !strings.Contains(body, "cut here") || strings.Count(body, "<details>") != strings.Count(body, "</details>") {
		t.Errorf("cut body lacks the note or leaves <details> open:\n…%s", body[len(body)-600:])
	}
	user := &github.User{Login: github.String("github-actions[bot]"), Type: github.String("Bot")}
	_, got := findSticky([]*github.IssueComment{{Body: github.String(body), User: user}}, gateMarker, "github-actions[bot]")
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("state read back from the cut comment (-want +got):\n%s", diff)
	}

	// A text that fits is not touched.
	short := renderSticky(gateMarker, "all good\n", st)
	if !strings.HasPrefix(short, gateMarker+"\nall good\n<!-- twokey:state ") || strings.Contains(short, "cut here") {
		t.Errorf("renderSticky(short) = %q", short)
	}
}
