package dist

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// docPages are the Markdown files whose links are checked, as globs from the
// repository's top.
var docPages = []string{"*.md", "docs/*.md", "release/*.md"}

// mdDoc is a parsed Markdown file: its links (with the line each is on) and
// the anchors of its headings as GitHub makes them.
type mdDoc struct {
	links   []mdLink
	anchors map[string]bool
}

type mdLink struct {
	line int
	dest string
}

var mdParser = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// parseDoc reads the links and heading anchors of a Markdown source, as
// GitHub renders it (CommonMark with GFM tables): links in code are not
// links, and headings inside quotes have anchors too.
func parseDoc(src []byte) mdDoc {
	doc := mdDoc{anchors: map[string]bool{}}
	root := mdParser.Parse(text.NewReader(src))
	seen := map[string]int{}
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			slug := githubSlug(inlineText(n, src))
			// GitHub numbers repeated headings: x, x-1, x-2.
			a := slug
			if k := seen[slug]; k > 0 {
				a = fmt.Sprintf("%s-%d", slug, k)
			}
			seen[slug]++
			doc.anchors[a] = true
		case *ast.Link:
			doc.links = append(doc.links, mdLink{lineOf(n, src), string(n.Destination)})
		case *ast.Image:
			doc.links = append(doc.links, mdLink{lineOf(n, src), string(n.Destination)})
		}
		return ast.WalkContinue, nil
	})
	return doc
}

// inlineText is the text a reader sees in n: its text and code spans,
// without markup.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(src))
			case *ast.String:
				b.Write(c.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// githubSlug is the anchor GitHub gives a heading with this text: lower
// case, letters, digits, marks, - and _ kept, each space a -, the rest
// (punctuation, symbols, emoji) dropped.
func githubSlug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), unicode.IsMark(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// lineOf is the line of the block an inline node is in (its first line).
func lineOf(n ast.Node, src []byte) int {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			return bytes.Count(src[:p.Lines().At(0).Start], []byte("\n")) + 1
		}
	}
	return 0
}

// checkLinks returns a line for each relative link of the files (paths
// from root, with /) that names a file that does not exist, leaves the
// repository, or names an anchor that no heading of the Markdown file it
// points into has. Links with a scheme (https:, mailto:) are not followed.
func checkLinks(root string, files []string) []string {
	docs := map[string]mdDoc{}
	load := func(name string) (mdDoc, error) {
		if d, ok := docs[name]; ok {
			return d, nil
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return mdDoc{}, err
		}
		docs[name] = parseDoc(src)
		return docs[name], nil
	}
	var bad []string
	for _, name := range files {
		d, err := load(name)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		for _, l := range d.links {
			u, err := url.Parse(l.dest)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s:%d: link %q: %v", name, l.line, l.dest, err))
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				continue
			}
			target := name
			if u.Path != "" {
				target = path.Clean(path.Join(path.Dir(name), u.Path))
				if target == ".." || strings.HasPrefix(target, "../") || path.IsAbs(u.Path) {
					bad = append(bad, fmt.Sprintf("%s:%d: link %q leaves the repository", name, l.line, l.dest))
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(target))); err != nil {
					bad = append(bad, fmt.Sprintf("%s:%d: link %q: no file %s", name, l.line, l.dest, target))
					continue
				}
			}
			if u.Fragment == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			td, err := load(target)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s:%d: link %q: %v", name, l.line, l.dest, err))
				continue
			}
			if !td.anchors[u.Fragment] {
				bad = append(bad, fmt.Sprintf("%s:%d: link %q: %s has no heading #%s", name, l.line, l.dest, target, u.Fragment))
			}
		}
	}
	return bad
}

func TestCheckLinks(t *testing.T) {
	root := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# Top\n\n## Try it: `twokey x` ⏳ now\n\n## Notes\n\n## Notes\n\n"+
		"[a](docs/a.md) [b](docs/a.md#the-b-part) [c](#try-it-twokey-x--now) [d](#notes-1)\n"+
		"[e](https://example.com/x) [f](mailto:x@example.com) `[g](docs/nope.md)`\n\n"+
		"| x | y |\n|---|---|\n| [h](docs/nope.md) | [i](#nope) |\n\n"+
		"[j](docs/a.md#nope) [k](../outside.md) [l](LICENSE) [m](docs/) [n](LICENSE#L3)\n\n"+
		"> ### Quoted heading\n\n[o](#quoted-heading) [p][ref]\n\n[ref]: docs/gone.md\n")
	write("docs/a.md", "# A\n\n### The *B* part\n\n[back](../README.md#notes) [up](../README.md#top)\n")
	write("LICENSE", "x\n")
	got := checkLinks(root, []string{"README.md", "docs/a.md"})
	want := []string{
		`README.md:14: link "docs/nope.md": no file docs/nope.md`,
		`README.md:14: link "#nope": README.md has no heading #nope`,
		`README.md:16: link "docs/a.md#nope": docs/a.md has no heading #nope`,
		`README.md:16: link "../outside.md" leaves the repository`,
		`README.md:20: link "docs/gone.md": no file docs/gone.md`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checkLinks: diff (-want +got):\n%s", diff)
	}
}

// TestDocLinks: every relative link of the README, the docs and the other
// Markdown pages names a file that exists, and every #anchor a heading of
// the page it points into.
func TestDocLinks(t *testing.T) {
	var files []string
	for _, g := range docPages {
		m, err := filepath.Glob(filepath.Join(repoRoot, filepath.FromSlash(g)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, err := filepath.Rel(repoRoot, f)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	if !slices.Contains(files, "README.md") || !slices.Contains(files, "docs/policy.md") {
		t.Fatalf("pages found: %q; want README.md and docs/*.md among them", files)
	}
	for _, p := range checkLinks(repoRoot, files) {
		t.Error(p)
	}
}

// TestDocsIndex: the README's index links every page of docs/.
func TestDocsIndex(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, l := range parseDoc(src).links {
		if u, err := url.Parse(l.dest); err == nil && u.Scheme == "" {
			linked[path.Clean(u.Path)] = true
		}
	}
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if name := "docs/" + filepath.Base(p); !linked[name] {
			t.Errorf("README.md does not link %s: add it to the documentation index", name)
		}
	}
}
