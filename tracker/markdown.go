package tracker

import (
	"bytes"
	"sort"
	"strings"
	"sync"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdownParser reads comments, descriptions and titles with CommonMark's
// block structure (paragraphs, headings, lists, block quotes with their lazy
// continuation lines, fenced and indented code, HTML blocks) and the inline
// constructs that decide what is code or HTML: code spans and raw HTML. Link
// reference definitions ("[x]: /url") are taken out of paragraphs, as GitHub
// shows nothing of them. Emphasis, strikethrough, links, autolinks, images
// and tables are left as text (an autolink's URL is text a reader sees;
// rows of a table are kept from command lines by commandRanges): they never hide words from a reader, and goldmark parses them in
// super-linear time on hostile input (yuin/goldmark#555: 64 KiB of "*a_"
// takes seconds), which anyone able to comment could use to stall the gate;
// code spans are found by codeSpanParser, in linear time, for the same reason.
// Leaving them out can only hide more than GitHub does, never less, except
// for a backtick inside a link's target. The parser is configured once and
// safe for concurrent use: it keeps no state between parses. It is made
// when first used, not at start-up.
var markdownParser = sync.OnceValue(func() parser.Parser {
	return parser.NewParser(
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(
			util.Prioritized(codeSpanParser{}, 100),
			util.Prioritized(parser.NewRawHTMLParser(), 400),
		),
		parser.WithParagraphTransformers(util.Prioritized(parser.LinkReferenceParagraphTransformer, 100)),
	)
})

// codeSpanParser finds code spans as CommonMark defines them: a run of
// backticks opens one, closed by the next run of exactly as many, across the
// lines of the paragraph; an opener without a closer is literal text. It does
// what goldmark's own parser does, without its quadratic time: goldmark scans
// to the end of the paragraph for every opener that has no closer (64 KiB of
// "\\```" lines take seconds). Like cmark, it remembers from its first
// fruitless scan where the last run of each length is, so that every later
// opener without a closer is known at once. Only the span is recorded, not
// its text: twokey never reads code.
type codeSpanParser struct{}

// codeSpanKey holds a *codeSpanState in the parse context.
var codeSpanKey = parser.NewContextKey()

// codeSpanState is what codeSpanParser knows of one paragraph.
type codeSpanState struct {
	block   ast.Node
	scanned bool        // last holds every run after the first fruitless opener
	last    map[int]int // run length → source offset of the paragraph's last run of it
}

func (codeSpanParser) Trigger() []byte { return []byte{'`'} }

func (codeSpanParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	opener := 0
	for opener < len(line) && line[opener] == '`' {
		opener++
	}
	at := seg.Start // the opener's source offset
	st, _ := pc.Get(codeSpanKey).(*codeSpanState)
	if st == nil || st.block != parent {
		st = &codeSpanState{block: parent}
		pc.Set(codeSpanKey, st)
	}
	literal := func() ast.Node {
		return ast.NewTextSegment(seg.WithStop(seg.Start + opener))
	}
	block.Advance(opener)
	if st.scanned && st.last[opener] <= at {
		return literal()
	}
	l, pos := block.Position()
	last := map[int]int{}
	for {
		line, seg := block.PeekLine()
		if line == nil {
			break
		}
		for i := 0; i < len(line); {
			if line[i] != '`' {
				i++
				continue
			}
			j := i
			for j < len(line) && line[j] == '`' {
				j++
			}
			if j-i == opener {
				block.Advance(j)
				return ast.NewCodeSpan()
			}
			last[j-i] = seg.Start + i
			i = j
		}
		block.AdvanceLine()
	}
	// No closer: every run after this opener is now known.
	block.SetPosition(l, pos)
	st.scanned, st.last = true, last
	return literal()
}

// maxNesting is how many block quote and list markers one line may open. A
// deeper line is no message anyone writes, and goldmark's time grows with
// the square of the depth: such a text is read as holding nothing.
const maxNesting = 32

// hiddenTagRe matches an HTML tag whose content a reader sees as code or as a
// quotation, never as the writer's own words.
var hiddenTagRe = lazyRegexp(`(?i)<(/?)(code|pre|kbd|samp|tt|var|q|blockquote|script|style|textarea)\b[^>]*>`)

// reading is what a reader sees of a Markdown text, recomputed from its
// syntax tree: the prose (text outside code spans, code blocks, block quotes
// and raw HTML), and which bytes of the source are that prose, so that a
// command can be required to fill its line alone.
type reading struct {
	src   []byte
	prose strings.Builder
	live  []text.Segment // source bytes of prose text, in source order
	lines []text.Segment // the source lines of paragraphs outside quotes
	para  []int          // for each of lines, which paragraph it is in
	// hidden is how many <code>, <pre>, <q>, … tags are open in raw HTML:
	// text inside them is code or a quotation, even across paragraphs (a
	// browser reopens an unclosed <code> in the next paragraph). open counts
	// them by name, since a browser ignores a closing tag of another name.
	hidden int
	open   map[string]int
	paras  int // paragraphs seen
}

// lineEnds turns CRLF and a lone CR (a line ending to CommonMark, and so to
// GitHub) into LF.
var lineEnds = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// readMarkdown parses s (CRLF, CR or LF) and walks its syntax tree once. A
// text nested deeper than maxNesting is read as empty.
func readMarkdown(s string) *reading {
	r := &reading{src: []byte(lineEnds.Replace(s))}
	if tooDeep(r.src) {
		r.src = nil
		return r
	}
	doc := markdownParser().Parse(text.NewReader(r.src))
	_ = ast.Walk(doc, r.visit)
	return r
}

// tooDeep reports whether a line of src starts with more than maxNesting
// block quote or list markers (">", "-", "+", "*", "1." or "1)").
func tooDeep(src []byte) bool {
	depth := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			depth = 0
			i++
			continue
		case c == ' ' || c == '\t':
			i++
			continue
		case c == '>':
			i++
		case (c == '-' || c == '+' || c == '*') && (i+1 == len(src) || isSpace(src[i+1])):
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && j-i < 9 && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j < len(src) && (src[j] == '.' || src[j] == ')') && (j+1 == len(src) || isSpace(src[j+1])) {
				i = j + 1
				break
			}
			fallthrough
		default:
			// The markers are over: skip to the next line.
			if k := bytes.IndexByte(src[i:], '\n'); k >= 0 {
				i += k
			} else {
				i = len(src)
			}
			continue
		}
		if depth++; depth > maxNesting {
			return true
		}
	}
	return false
}

func (r *reading) visit(n ast.Node, entering bool) (ast.WalkStatus, error) {
	switch n := n.(type) {
	case *ast.Blockquote, *ast.FencedCodeBlock, *ast.CodeBlock:
		if entering {
			r.prose.WriteByte('\n')
		}
		return ast.WalkSkipChildren, nil
	case *ast.HTMLBlock:
		if entering {
			r.prose.WriteByte('\n')
			if n.HTMLBlockType != ast.HTMLBlockType2 { // not a <!-- comment -->
				// All of it at once: a tag may span lines.
				html := r.segmentText(n.Lines(), 0)
				if n.HasClosure() {
					closure := n.ClosureLine
					html = append(html, closure.Value(r.src)...)
				}
				r.scanTags(html)
			}
		}
		return ast.WalkSkipChildren, nil
	case *ast.CodeSpan:
		if entering {
			r.prose.WriteByte(' ')
		}
		return ast.WalkSkipChildren, nil
	case *ast.RawHTML:
		if entering {
			r.prose.WriteByte(' ')
			r.scanTags(r.segmentText(n.Segments, '\n')) // a tag may span lines
		}
		return ast.WalkSkipChildren, nil
	case *ast.Text:
		if !entering {
			return ast.WalkContinue, nil
		}
		if r.hidden > 0 {
			r.prose.WriteByte(' ')
		} else {
			r.prose.Write(n.Segment.Value(r.src))
			r.live = append(r.live, n.Segment)
		}
		if n.SoftLineBreak() || n.HardLineBreak() {
			r.prose.WriteByte('\n')
		}
		return ast.WalkContinue, nil
	case *ast.Paragraph, *ast.TextBlock:
		if entering {
			r.prose.WriteByte('\n')
			lines := n.Lines()
			r.paras++
			for i := 0; i < lines.Len(); i++ {
				r.lines = append(r.lines, lines.At(i))
				r.para = append(r.para, r.paras)
			}
		}
		return ast.WalkContinue, nil
	}
	if entering && n.Type() == ast.TypeBlock {
		r.prose.WriteByte('\n')
	}
	return ast.WalkContinue, nil
}

// segmentText joins the source text of segs, each followed by end unless
// end is 0 (the lines of a block end in their own newline; the segments of
// raw HTML do not).
func (r *reading) segmentText(segs *text.Segments, end byte) []byte {
	var out []byte
	for i := 0; i < segs.Len(); i++ {
		seg := segs.At(i)
		out = append(out, seg.Value(r.src)...)
		if end != 0 {
			out = append(out, end)
		}
	}
	return out
}

// scanTags follows the <code>, <pre>, … tags opened and closed in raw HTML,
// as a browser does: "<code/>" opens (the slash means nothing on an element
// that is not void), and "</code>" closes only an open <code>.
func (r *reading) scanTags(html []byte) {
	for _, m := range hiddenTagRe().FindAllSubmatchIndex(html, -1) {
		name := strings.ToLower(string(html[m[4]:m[5]]))
		if m[3] > m[2] { // closing
			if r.open[name] > 0 {
				r.open[name]--
				r.hidden--
			}
			continue
		}
		if r.open == nil {
			r.open = map[string]int{}
		}
		r.open[name]++
		r.hidden++
	}
}

// proseLines returns the lines of prose of a Markdown text: what a reader
// sees as the writer's own words. Code spans, fenced and indented code, block
// quotes (with their lazy continuation lines), HTML blocks and comments, and
// text inside <code>, <pre>, <kbd>, <q>, <blockquote> and similar tags are
// left out.
func proseLines(s string) []string {
	return strings.Split(readMarkdown(s).prose.String(), "\n")
}

// commandLines returns the lines of a Markdown text that can hold a command:
// source lines, trimmed, that start with "/" and hold nothing but prose text
// of one paragraph outside quotes. A line inside code, a quote or raw HTML, a
// line that starts a list item ("- /signoff") and a line partly in a code
// span or raw HTML are not command lines.
func commandLines(s string) []string {
	if !hasSlashLine(s) {
		return nil // the common case: no parse needed
	}
	r := readMarkdown(s)
	var out []string
	for _, c := range r.commandRanges() {
		out = append(out, string(r.src[c[0]:c[1]]))
	}
	return out
}

// commandRanges returns the source ranges of the command lines. A line of
// a table (GitHub renders the line above a delimiter row such as |---|---|,
// and the paragraph's lines after it, as a table) is a cell, not a line.
func (r *reading) commandRanges() [][2]int {
	// tableFrom[p] is the first line of paragraph p that is in a table (one
	// pass; len(r.lines) when none).
	tableFrom := make([]int, r.paras+1)
	for p := range tableFrom {
		tableFrom[p] = len(r.lines)
	}
	for j, seg := range r.lines {
		p := r.para[j]
		if tableFrom[p] < len(r.lines) || !delimiterRowRe().Match(seg.Value(r.src)) {
			continue
		}
		tableFrom[p] = j
		if j > 0 && r.para[j-1] == p {
			tableFrom[p] = j - 1 // the header
		}
	}
	var out [][2]int
	for i, seg := range r.lines {
		if i >= tableFrom[r.para[i]] {
			continue
		}
		start := bytes.LastIndexByte(r.src[:seg.Start], '\n') + 1
		end := len(r.src)
		if i := bytes.IndexByte(r.src[seg.Start:], '\n'); i >= 0 {
			end = seg.Start + i
		}
		for start < end && isSpace(r.src[start]) {
			start++
		}
		for end > start && isSpace(r.src[end-1]) {
			end--
		}
		if start < end && r.src[start] == '/' && r.covered(start, end) {
			out = append(out, [2]int{start, end})
		}
	}
	return out
}

// delimiterRowRe matches a table's delimiter row: cells of hyphens with
// optional colons, with at least one pipe (without one, "---" under a line
// makes a heading).
var delimiterRowRe = lazyRegexp(`^[ \t]*(\|[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?|:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)+\|?)[ \t]*\n?$`)

// covered reports whether every byte of src[start:end] that is not white
// space is prose text.
func (r *reading) covered(start, end int) bool {
	i := sort.Search(len(r.live), func(i int) bool { return r.live[i].Stop > start })
	for p := start; p < end; p++ {
		if isSpace(r.src[p]) {
			continue
		}
		for i < len(r.live) && r.live[i].Stop <= p {
			i++
		}
		if i == len(r.live) || r.live[i].Start > p {
			return false
		}
	}
	return true
}

// hasSlashLine reports whether some line of s starts, after white space,
// with "/": every command line does.
func hasSlashLine(s string) bool {
	for s != "" {
		line := s
		if i := strings.IndexAny(s, "\n\r"); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), "/") {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
