package tracker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindLinks(t *testing.T) {
	const repo = "acme/site"
	tests := []struct {
		name                string
		title, body, branch string
		want                []Link
	}{
		{name: "brief line", body: "Brief: #12", want: []Link{{repo, 12, "body: Brief: #12"}}},
		{name: "brief without space", body: "brief:#12", want: []Link{{repo, 12, "body: brief:#12"}}},
		{name: "closing keywords, any case, optional colon", body: "Closes #1\nfixes: #2\nRESOLVED #3\nclose #4\nfixed #5\nresolve: #6\nfix #7\nclosed #8\nresolves #9",
			want: []Link{{repo, 1, "body: Closes #1"}, {repo, 2, "body: fixes: #2"}, {repo, 3, "body: RESOLVED #3"}, {repo, 4, "body: close #4"},
				{repo, 5, "body: fixed #5"}, {repo, 6, "body: resolve: #6"}, {repo, 7, "body: fix #7"}, {repo, 8, "body: closed #8"}, {repo, 9, "body: resolves #9"}}},
		{name: "bare reference", body: "Part of #12.", want: []Link{{repo, 12, "body: #12"}}},
		{name: "other repository", body: "Fixes acme/briefs#7", want: []Link{{"acme/briefs", 7, "body: Fixes acme/briefs#7"}}},
		{name: "issue URL on github.com and on GHES", body: "See https://github.com/acme/briefs/issues/7 and https://git.corp.example:8443/web/site/issues/9#issuecomment-1",
			want: []Link{{"acme/briefs", 7, "body: https://github.com/acme/briefs/issues/7"}, {"web/site", 9, "body: https://git.corp.example:8443/web/site/issues/9"}}},
		{name: "markdown link", body: "[the brief](https://github.com/acme/site/issues/12)", want: []Link{{repo, 12, "body: https://github.com/acme/site/issues/12"}}},
		{name: "not in code spans, fences, quotes, comments or indented code",
			body: "`Closes #1`\n```\nCloses #2\n```\n~~~~\n#3\n~~~~\n> Closes #4\n<!-- Brief: #5 -->\n<!--\n#6\n-->\n    #7\nBrief: #8",
			want: []Link{{repo, 8, "body: Brief: #8"}}},
		{name: "not in a quote inside a list item", body: "- > Closes #4", want: nil},
		{name: "not in a lazy continuation line of a quote", body: "> quote\nlazy Closes #5", want: nil},
		{name: "not in a code span over two lines", body: "text `code\nCloses #12` more", want: nil},
		{name: "not in a code span of two backticks", body: "``a ` Closes #13``", want: nil},
		{name: "not in inline <code>, <kbd>, <q> or <pre>", body: "<code>Closes #17</code> <kbd>#18</kbd> <q>Fixes #20</q> x <pre>Resolves #21</pre>", want: nil},
		{name: "not after an unclosed <code>, even in a later paragraph", body: "see <code>x\n\nCloses #22", want: nil},
		{name: "not in an HTML block", body: "<div>\nCloses #23\n</div>\n\n<pre>\nCloses #24\n\nCloses #25\n</pre>", want: nil},
		{name: "not in an inline HTML comment over two lines", body: "text <!-- a\nCloses #26 --> more", want: nil},
		{name: "not in a fenced block inside a list item", body: "1. ```\n   #19\n   ```", want: nil},
		{name: "not in indented code", body: "    Closes #7", want: nil},
		{name: "not in a quote after a lone CR", body: "x\r> Closes #3", want: nil},
		{name: "not in a <code> tag split over lines", body: "x <code\nclass=a>\nCloses #3", want: nil},
		{name: "not after a closing tag of another name", body: "x <q>\na</code>\nCloses #3", want: nil},
		{name: "not in a link reference definition", body: "[x]: #3\n[y]: https://github.com/acme/site/issues/4", want: nil},
		{name: "in an autolink", body: "<https://github.com/acme/site/issues/12>", want: []Link{{repo, 12, "body: https://github.com/acme/site/issues/12"}}},
		{name: "not in indented code inside a list item", body: "- item\n\n      Closes #27", want: nil},
		{name: "in emphasis, list items, tables and other HTML", body: "**Closes** #1\n- fixes #2\n\n| a |\n|---|\n| Resolves #3 |\n\n<b>Brief: #4</b>",
			want: []Link{{repo, 1, "body: #1"}, {repo, 2, "body: fixes #2"}, {repo, 3, "body: Resolves #3"}, {repo, 4, "body: Brief: #4"}}},
		{name: "after a closed <code> and inside <details>", body: "<details><summary>why</summary>\n\n<code>#1</code> Closes #9\n\n</details>",
			want: []Link{{repo, 9, "body: Closes #9"}}},
		{name: "nested too deep to be read", body: strings.Repeat("- ", 40) + "x\n\nCloses #4", want: nil},
		{name: "bare URL and autolink", body: "see https://github.com/acme/briefs/issues/7 <https://github.com/acme/briefs/issues/8>",
			want: []Link{{"acme/briefs", 7, "body: https://github.com/acme/briefs/issues/7"}, {"acme/briefs", 8, "body: https://github.com/acme/briefs/issues/8"}}},
		{name: "not part of a word, a path or an entity", body: "abc#1 a/b/c#2 &#3; https://x.example/page#4 x.y/z#5 ab-#6", want: nil},
		{name: "pull request URLs are not briefs", body: "https://github.com/acme/site/pull/3", want: nil},
		{name: "deduplicated, first source kept, body before title before branch", title: "Checkout (#12)", body: "Closes #12\nsee #12 and ACME/SITE#12", branch: "brief-12-checkout",
			want: []Link{{repo, 12, "body: Closes #12"}}},
		{name: "title", title: "Fix #3: checkout", want: []Link{{repo, 3, "title: Fix #3"}}},
		{name: "branch brief-N", branch: "brief-12-checkout", want: []Link{{repo, 12, "branch: brief-12-checkout"}}},
		{name: "branch N-", branch: "12-checkout", want: []Link{{repo, 12, "branch: 12-checkout"}}},
		{name: "branch prefix/N-", branch: "feature/12-checkout", want: []Link{{repo, 12, "branch: feature/12-checkout"}}},
		{name: "branch brief/N", branch: "brief/12", want: []Link{{repo, 12, "branch: brief/12"}}},
		{name: "branch without a number", branch: "feature/checkout-v2", want: nil},
		{name: "branch brief_N", branch: "brief_12", want: []Link{{repo, 12, "branch: brief_12"}}},
		{name: "branch N_", branch: "fix/12_checkout", want: []Link{{repo, 12, "branch: fix/12_checkout"}}},
		{name: "branch brief-N_", branch: "brief-12_checkout", want: []Link{{repo, 12, "branch: brief-12_checkout"}}},
		{name: "branch: the first segment that names a brief decides", branch: "v1.2/12-checkout/34-cart", want: []Link{{repo, 12, "branch: v1.2/12-checkout/34-cart"}}},
		{name: "branch version number", branch: "hotfix/1.2.3", want: nil},
		{name: "branch version with a letter", branch: "renovate/1.x-lodash", want: nil},
		{name: "branch year", branch: "release/2024", want: nil},
		{name: "branch date", branch: "release/2024-01-15", want: nil},
		{name: "branch bare number not after brief", branch: "feature/12", want: nil},
		{name: "branch number then a letter", branch: "12x-checkout", want: nil},
		{name: "branch brief-N then a dot", branch: "brief-12.3", want: nil},
		{name: "branch brief-N then a letter", branch: "brief-12b", want: nil},
		{name: "branch briefN without a separator", branch: "brief12", want: nil},
		{name: "branch brief/N then a dot", branch: "brief/1.2", want: nil},
		{name: "branch dependency bump", branch: "dependabot/npm_and_yarn/lodash-4.17.21", want: nil},
		{name: "number zero is no issue", body: "#0", want: nil},
		// GitHub's issue numbers are GraphQL Ints: asking for a larger one
		// makes GitHub refuse the whole read (TestAttackRunThatCannotJudgeKeepsSuccess).
		{name: "numbers past 32 bits are no issue", body: "Brief: #2147483647 #2147483648 https://github.com/acme/site/issues/3000000000", branch: "brief-3000000000",
			want: []Link{{repo, 2147483647, "body: Brief: #2147483647"}}},
		{name: "branch number past 32 bits", branch: "brief/2147483648", want: nil},
		{name: "CRLF bodies", body: "Adds it.\r\n\r\nCloses #4\r\n", want: []Link{{repo, 4, "body: Closes #4"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FindLinks(repo, tt.title, tt.body, tt.branch)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FindLinks(%q, %q, %q) diff (-want +got):\n%s", tt.title, tt.body, tt.branch, diff)
			}
		})
	}
}

func TestParseCommands(t *testing.T) {
	signoff := func(args ...string) []command { return []command{{"/signoff", args}} }
	tests := []struct {
		body string
		want []command
	}{
		{"/signoff usability", signoff("usability")},
		{"LGTM\r\n  /SignOff backend abc1234  \n", signoff("backend", "abc1234")},
		{"please /signoff usability", nil},
		{"`/signoff usability`", nil},
		{"```\n/signoff usability\n```\n/bypass down", []command{{"/bypass", []string{"down"}}}},
		{"> /signoff usability", nil},
		// Read as GitHub renders Markdown: quotes, code and raw HTML hide
		// a command however they are nested or continued.
		{"- > /signoff usability", nil},
		{"> quote\n/signoff usability", nil},
		{"text `code\n/signoff usability` more", nil},
		{"1. ```\n   /signoff usability\n   ```", nil},
		{"- item\n\n      /signoff usability", nil},
		{"    /signoff usability", nil},
		{"x <code>\n/signoff usability\n</code>", nil},
		{"<pre>\n/signoff usability\n</pre>", nil},
		{"<div>\n/signoff usability\n</div>", nil},
		{"see <code>x\n\n/signoff usability", nil},
		{"text <!-- a\n/signoff usability -->", nil},
		// A lone CR ends a line, as in CommonMark: the fence and the quote
		// begin on lines of their own.
		{"x\r~~~\n/no-brief\n~~~", nil},
		{"x\r> q\n/signoff backend", nil},
		// Tags as a browser reads them: split over lines, written
		// "self-closing", closed by a tag of another name.
		{"x <code\nclass=a>\n/signoff backend", nil},
		{"x <code/>\n/signoff backend", nil},
		{"x <q>\n/signoff a</code>\n/signoff backend", nil},
		// A link reference definition, which GitHub does not show.
		{"[x]:\n/no-brief", nil},
		{"[x]: /u '\n/bypass prod down\n'", nil},
		// Rows of a table are cells, not lines.
		{"| a |\n|---|\n/signoff backend", nil},
		{"/no-brief | x\n--|--", nil},
		// A command fills its source line alone, as plain text.
		{"- /signoff usability", nil},
		{"# /signoff usability", nil},
		{"| /signoff usability |\n|---|", nil},
		{"/signoff `usability`", nil},
		{"[/signoff usability](https://example.com)", nil},
		// Where it does.
		{"LGTM\n\n/signoff usability", signoff("usability")},
		{"**done**\n/signoff backend", signoff("backend")},
		{"- item\n\n  /signoff backend", signoff("backend")},
		{"text <code>a</code>\n/signoff data_protection", signoff("data_protection")},
		{"<details><summary>x</summary>\n\n/signoff usability\n\n</details>", signoff("usability")},
		// An autolink is text a reader sees: the command stands.
		{"/bypass outage <https://status.example/42>", []command{{"/bypass", []string{"outage", "<https://status.example/42>"}}}},
		{"/signoff revoke backend, see <https://x>", []command{{"/signoff", []string{"revoke", "backend,", "see", "<https://x>"}}}},
		// A table needs its delimiter row: a pipe in prose is prose.
		{"a | b\n/signoff backend", signoff("backend")},
		{"/signoff revoke usability\n/bypass checkout is down", []command{{"/signoff", []string{"revoke", "usability"}}, {"/bypass", []string{"checkout", "is", "down"}}}},
	}
	for _, tt := range tests {
		got := parseCommands(tt.body)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(command{})); diff != "" {
			t.Errorf("parseCommands(%q) diff (-want +got):\n%s", tt.body, diff)
		}
	}
}

func FuzzFindLinks(f *testing.F) {
	f.Add("Fix #1", "Closes acme/x#2\n```\n#3\n```\n> #4\n<!-- #5", "feature/6-x")
	f.Add("", "https://h.example/o/r/issues/7 `#8` &#9;", "brief-10")
	f.Fuzz(func(t *testing.T, title, body, branch string) {
		seen := map[string]bool{}
		for _, l := range FindLinks("acme/site", title, body, branch) {
			if l.Number <= 0 || l.Repo == "" || l.Source == "" {
				t.Errorf("FindLinks(%q, %q, %q) gave %+v", title, body, branch, l)
			}
			key := strings.ToLower(l.Repo) + "#" + fmt.Sprint(l.Number)
			if seen[key] {
				t.Errorf("FindLinks(%q, %q, %q) lists %s twice", title, body, branch, key)
			}
			seen[key] = true
		}
		parseCommands(body)
	})
}
