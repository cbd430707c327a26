package tracker

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// goldmarkCodeSpans is markdownParser with goldmark's own code span parser:
// codeSpanParser must find the same spans.
var goldmarkCodeSpans = parser.NewParser(
	parser.WithBlockParsers(parser.DefaultBlockParsers()...),
	parser.WithInlineParsers(
		util.Prioritized(parser.NewCodeSpanParser(), 100),
		util.Prioritized(parser.NewRawHTMLParser(), 400),
	),
	parser.WithParagraphTransformers(util.Prioritized(parser.LinkReferenceParagraphTransformer, 100)),
)

// readWith is readMarkdown with another parser.
func readWith(p parser.Parser, s string) *reading {
	r := &reading{src: []byte(s)}
	_ = ast.Walk(p.Parse(text.NewReader(r.src)), r.visit)
	return r
}

func checkCodeSpans(t *testing.T, s string) {
	t.Helper()
	want, got := readWith(goldmarkCodeSpans, s), readWith(markdownParser(), s)
	if diff := cmp.Diff(want.prose.String(), got.prose.String()); diff != "" {
		t.Errorf("prose of %q with codeSpanParser diff (-goldmark +ours):\n%s", s, diff)
	}
	if diff := cmp.Diff(want.live, got.live); diff != "" {
		t.Errorf("live text of %q with codeSpanParser diff (-goldmark +ours):\n%s", s, diff)
	}
}

func TestCodeSpanParser(t *testing.T) {
	for _, s := range []string{
		"`a`", "``a`b``", "` `` `", "`a\nb` c", "\\`a` b`", "`a``b`", "``` a `` b ```", "a ` b",
		"`a\n\n#1`", "``a`\n`b``", "`a` `b` ``c`` `", "\n\\```\n\\```\n\\```", "`` ` `` #2 `", "<a href=\"`\">`b`",
		"- `a\n  b` #3", "> `a\nb` #4", "`<a>` <b>`x`</b>",
	} {
		checkCodeSpans(t, s)
	}
}

func FuzzCodeSpanParser(f *testing.F) {
	for _, s := range []string{"`a`", "``a`b``\n`", "\\`a` b`", "`a\nb`\n\n`c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkCodeSpans(t, s) })
}

func TestTooDeep(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{strings.Repeat("> ", maxNesting) + "a", false},
		{strings.Repeat("> ", maxNesting+1) + "a", true},
		{strings.Repeat(">", maxNesting+1), true},
		{"a\n" + strings.Repeat("- ", maxNesting+1), true},
		{strings.Repeat("1. ", maxNesting+1), true},
		{strings.Repeat("1) > * + ", maxNesting/4) + "x", false},
		{strings.Repeat("1) > * + ", maxNesting/4+1) + "x", true},
		{strings.Repeat("*", 100), false}, // not list markers: no space after them
		{strings.Repeat("- ", maxNesting/2) + "\n" + strings.Repeat("- ", maxNesting/2), false},
		{"x " + strings.Repeat("> ", maxNesting+1), false}, // not at the start of the line
	}
	for _, tt := range tests {
		if got := tooDeep([]byte(tt.text)); got != tt.want {
			t.Errorf("tooDeep(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// fullGFM is goldmark with every construct GitHub renders. twokey's reading
// leaves emphasis, links, images, strikethrough and tables out; the fuzz
// tests below check that this never makes it count what GitHub shows as
// code, a quote or HTML. Two known differences are left out of them: a
// backtick inside a link's target (it can pair code spans differently), and
// table cells beyond the header's count, which GitHub drops.
var fullGFM = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// hiddenRanges returns the byte ranges of src that a full GFM parse puts in
// block quotes, code or HTML.
func hiddenRanges(src []byte) [][2]int {
	var out [][2]int
	var all func(n ast.Node)
	all = func(n ast.Node) {
		if n.Type() == ast.TypeBlock {
			for i := 0; i < n.Lines().Len(); i++ {
				s := n.Lines().At(i)
				out = append(out, [2]int{s.Start, s.Stop})
			}
		}
		switch n := n.(type) {
		case *ast.Text:
			out = append(out, [2]int{n.Segment.Start, n.Segment.Stop})
		case *ast.HTMLBlock:
			if n.HasClosure() {
				out = append(out, [2]int{n.ClosureLine.Start, n.ClosureLine.Stop})
			}
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				s := n.Segments.At(i)
				out = append(out, [2]int{s.Start, s.Stop})
			}
		}
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			all(c)
		}
	}
	_ = ast.Walk(fullGFM.Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.(type) {
		case *ast.Blockquote, *ast.FencedCodeBlock, *ast.CodeBlock, *ast.HTMLBlock, *ast.CodeSpan, *ast.RawHTML:
			if entering {
				all(n)
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return out
}

// knownDifference reports whether s may hit one of the differences that
// fullGFM documents.
func knownDifference(s string) bool {
	return strings.ContainsAny(s, "\r|") || strings.Contains(s, "[") && strings.Contains(s, "`") || tooDeep([]byte(s))
}

func FuzzCommandsHiddenByGFM(f *testing.F) {
	for _, s := range []string{"/signoff a", "> q\n/signoff a", "x `a\n/signoff a` b", "1. ```\n   /signoff a\n   ```",
		"<pre>\n/signoff a\n</pre>", "- a\n\n  /signoff a", "x <!-- a\n/signoff a -->", "x <code>a\n/signoff a</code>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if knownDifference(s) {
			return
		}
		r := readMarkdown(strings.ReplaceAll(s, "\r\n", "\n"))
		hidden := hiddenRanges(r.src)
		for _, c := range r.commandRanges() {
			for _, h := range hidden {
				if h[0] < c[1] && c[0] < h[1] {
					t.Fatalf("commandLines(%q) has %q, which GFM puts in %q", s, r.src[c[0]:c[1]], r.src[h[0]:h[1]])
				}
			}
		}
	})
}

// fullLinks returns the issue numbers that refRe finds in a full GFM
// reading of s.
func fullLinks(s string) map[int]bool {
	r := &reading{src: []byte(s)}
	_ = ast.Walk(fullGFM.Parse(text.NewReader(r.src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.Link:
			if !entering && r.hidden == 0 {
				r.prose.WriteString(" (" + string(n.Destination) + ") ")
			}
			return ast.WalkContinue, nil
		case *ast.Image:
			if !entering && r.hidden == 0 {
				r.prose.WriteString(" (" + string(n.Destination) + ") ")
			}
			return ast.WalkContinue, nil
		case *ast.String:
			if entering && r.hidden == 0 {
				r.prose.Write(n.Value)
			}
			return ast.WalkContinue, nil
		case *ast.Emphasis, *east.Strikethrough:
			// "#1*0*" shows #1 and an emphasised 0: GitHub links #1, not #10.
			r.prose.WriteByte(' ')
			return ast.WalkContinue, nil
		}
		return r.visit(n, entering)
	})
	out := map[int]bool{}
	for _, line := range strings.Split(r.prose.String(), "\n") {
		for _, m := range refRe().FindAllStringSubmatch(line, -1) {
			n, _ := strconv.Atoi(m[2] + m[5])
			out[n] = true
		}
	}
	return out
}

func FuzzLinksHiddenByGFM(f *testing.F) {
	for _, s := range []string{"Closes #1", "> q\nCloses #2", "x `a\nCloses #3` b", "<code>#4</code>", "- > #5", "1. ```\n   #6\n   ```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if knownDifference(s) {
			return
		}
		full := fullLinks(s)
		for _, l := range FindLinks("acme/site", "", s, "") {
			if !full[l.Number] {
				t.Errorf("FindLinks(%q) = #%d (%s), which GFM does not show as prose", s, l.Number, fmt.Sprint(l.Source))
			}
		}
	})
}

// BenchmarkHostileText reads 64 KiB comments built from one short pattern
// repeated, as anyone who can comment could post, for links and for
// commands. Each should take milliseconds: a quadratic step shows here as
// seconds (a table check that rescanned its paragraph per line took 32s on
// "a\r" lines).
func BenchmarkHostileText(b *testing.B) {
	for _, unit := range []string{"a\r", "a\n", "/a\n", "[x]: /u\n", "[x]:\n/a\n", "| a |\n|---|\n", "<code\n", "<q>\n", "`\n", "> - 1. "} {
		body := "/a\n" + strings.Repeat(unit, 65536/len(unit))
		b.Run(strconv.Quote(unit), func(b *testing.B) {
			for b.Loop() {
				FindLinks("o/r", "", body, "")
				parseCommands(body)
			}
		})
	}
}
