package tracker

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// notTextAt says where body stops being text, or returns "": the first
// byte that is not UTF-8, or the first NUL (binary files have them, text
// never does), as "line L, column C" of body (LF line endings).
func notTextAt(body string) string {
	at := -1
	what := ""
	if i := strings.IndexByte(body, 0); i >= 0 {
		at, what = i, "a NUL byte, as binary files have,"
	}
	if !utf8.ValidString(body) {
		for i := 0; i < len(body) && (at < 0 || i < at); {
			r, size := utf8.DecodeRuneInString(body[i:])
			if r == utf8.RuneError && size == 1 {
				at, what = i, fmt.Sprintf("the byte 0x%02X, which is not UTF-8,", body[i])
				break
			}
			i += size
		}
	}
	if at < 0 {
		return ""
	}
	line := 1 + strings.Count(body[:at], "\n")
	col := at - strings.LastIndexByte(body[:at], '\n')
	return fmt.Sprintf("%s at line %d, column %d", what, line, col)
}

// notABrief is the one finding for a body in which none of f's headings
// are: empty, binary, or filed through another form. It names the first
// headings the form needs, and a heading of the body that looks like one of
// them.
func notABrief(f *Form, body string, lines []string, notText string) Finding {
	var heads []string
	for i, fl := range f.Fields {
		if i == 3 {
			heads = append(heads, "…")
			break
		}
		heads = append(heads, fmt.Sprintf("%q", "### "+fl.Label))
	}
	what := "none of the form's headings (" + strings.Join(heads, ", ") + ") are here: is this a brief for this form?"
	switch {
	case notText != "":
		what = "the body is not text (it has " + notText + ") and " + what
	case strings.TrimSpace(body) == "":
		what = "the body is empty: " + what
	}
	how := " File it through the form, or fill in the blank brief that twokey form --body prints"
	near := nearHeadings(lines, nil)
	for _, fl := range f.Fields {
		if n := firstNear(near, fl); n != nil {
			how = fmt.Sprintf(" Line %d, %q, looks like the heading \"### %s\": write each question's heading exactly as the form does", n.line+1, clip(n.written), fl.Label)
			break
		}
	}
	return Finding{Rule: RuleNotABrief, Severity: SeverityError, Message: what + how, Why: defaultWhy[RuleNotABrief]}
}

// nearHeading is a line outside code blocks that looks meant as a heading
// and is no section: one to six #s at its start, with or without a space.
type nearHeading struct {
	line    int
	text    string // without the #s
	written string // the line as written, trimmed
}

// nearHeadings returns the lines of the body that look like headings and
// are not one of the sections secs (outside code fences).
func nearHeadings(lines []string, secs []section) []nearHeading {
	isSec := make(map[int]bool, len(secs))
	for _, s := range secs {
		isSec[s.line] = true
	}
	out := []nearHeading{} // not nil: found, even when there are none
	inBlock := make([]bool, len(lines))
	for _, bl := range fenceBlocks(lines) {
		for j := bl[0]; j <= bl[1]; j++ {
			inBlock[j] = true
		}
	}
	for i, ln := range lines {
		if inBlock[i] || isSec[i] {
			continue
		}
		s := strings.TrimLeft(ln, " ")
		if len(ln)-len(s) > 3 {
			continue
		}
		n := 0
		for n < len(s) && s[n] == '#' {
			n++
		}
		if n == 0 || n > 6 {
			continue
		}
		if t := strings.TrimSpace(s[n:]); t != "" {
			out = append(out, nearHeading{line: i, text: t, written: strings.TrimSpace(ln)})
		}
	}
	return out
}

// firstNear returns the first heading of near that looks like field fl's,
// or nil.
func firstNear(near []nearHeading, fl *Field) *nearHeading {
	for k := range near {
		if nearLabel(near[k].text, fl.Label) {
			return &near[k]
		}
	}
	return nil
}

// missingMessage says that field fl (index i) has no section, and what the
// body has instead: its heading inside a code block, or a heading that looks
// like it ("## Objective", "### Objectives").
func missingMessage(fl *Field, i int, near []nearHeading, coded []codedHeading) string {
	msg := fmt.Sprintf("the body has no %q section", fl.Label)
	for _, c := range coded {
		if c.field == i {
			return fmt.Sprintf("%s: the heading on line %d is inside a code block (lines %d to %d), where it is code, not a heading; end the block before the heading, or put the heading \"### %s\" back after it, followed by the answer",
				msg, c.line+1, c.from+1, c.to+1, fl.Label)
		}
	}
	if n := firstNear(near, fl); n != nil {
		return fmt.Sprintf("%s; did you mean line %d, %q? Write the heading exactly as \"### %s\"", msg, n.line+1, clip(n.written), fl.Label)
	}
	return fmt.Sprintf("%s; put the heading \"### %s\" back, followed by the answer", msg, fl.Label)
}

// visibleText returns s without its HTML comments: the <!-- … --> that a
// reader of the rendered issue never sees (a form's prefilled hint, a note
// that automation appends). A comment inside a code span or a code block is
// shown as code, and stays. The Markdown is read with markdownParser, which
// is linear in time; a text without "<!--" is returned as it is, at once.
func visibleText(s string) string {
	if !strings.Contains(s, "<!--") {
		return s
	}
	src := []byte(lineEnds.Replace(s))
	if tooDeep(src) {
		return string(cutComments(src, 0, len(src), nil))
	}
	doc := markdownParser().Parse(text.NewReader(src))
	var cut [][2]int
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.FencedCodeBlock, *ast.CodeBlock, *ast.CodeSpan:
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock:
			// A browser hides a comment in any HTML block (a <details>
			// that a form prefills), except in the raw text of <script>,
			// <style>, <textarea> and <pre> (type 1), kept whole here.
			if n.HTMLBlockType != ast.HTMLBlockType1 && n.Lines().Len() > 0 {
				lines := n.Lines()
				start, stop := lines.At(0).Start, lines.At(lines.Len()-1).Stop
				if n.HasClosure() {
					stop = max(stop, n.ClosureLine.Stop)
				}
				cut = commentSpans(src, start, stop, cut)
			}
			return ast.WalkSkipChildren, nil
		case *ast.RawHTML:
			if segs := n.Segments; segs.Len() > 0 {
				start, stop := segs.At(0).Start, segs.At(segs.Len()-1).Stop
				if bytes.HasPrefix(src[start:], []byte("<!--")) {
					cut = append(cut, [2]int{start, stop})
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	if len(cut) == 0 {
		return string(src)
	}
	var out []byte
	at := 0
	for _, c := range cut {
		if c[0] < at {
			continue
		}
		out = append(out, src[at:c[0]]...)
		at = c[1]
	}
	return string(append(out, src[at:]...))
}

// commentSpans appends to cut the <!-- … --> spans of src[start:stop] (an
// HTML block); a comment left open runs to stop.
func commentSpans(src []byte, start, stop int, cut [][2]int) [][2]int {
	for i := start; i < stop; {
		k := bytes.Index(src[i:stop], []byte("<!--"))
		if k < 0 {
			break
		}
		open := i + k
		end := stop
		if e := bytes.Index(src[open+4:stop], []byte("-->")); e >= 0 {
			end = open + 4 + e + 3
		}
		cut = append(cut, [2]int{open, end})
		i = end
	}
	return cut
}

// cutComments is src[start:stop] without its <!-- … --> spans, read as
// plain text (for a text too deeply nested to parse).
func cutComments(src []byte, start, stop int, out []byte) []byte {
	at := start
	for _, c := range commentSpans(src, start, stop, nil) {
		out = append(out, src[at:c[0]]...)
		at = c[1]
	}
	return append(out, src[at:stop]...)
}
