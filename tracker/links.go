package tracker

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Link is a pull request's reference to a brief.
type Link struct {
	Repo   string // owner/name of the brief's repository
	Number int    // issue number
	Source string // where it was found, e.g. "body: Closes #12"
}

// refRe matches one reference, with an optional keyword in front:
//
//	Brief: #12   Closes #12   fixes: owner/repo#12   #12
//	https://github.example.com/owner/repo/issues/12
//
// Keywords are GitHub's closing keywords (close, closes, closed, fix, fixes,
// fixed, resolve, resolves, resolved) and "brief", any case, optional colon.
// They only make the Source clearer: a bare #12 is a link too.
var refRe = lazyRegexp(`(?i)(?:\b(?:brief|close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s*)?` +
	`(?:([a-z0-9][a-z0-9-]*/[a-z0-9._-]+)?#([0-9]+)|https?://[a-z0-9.:-]+/([a-z0-9][a-z0-9-]*)/([a-z0-9._-]+)/issues/([0-9]+))\b`)

// A branch names a brief in one of these segment forms, split on "/", and
// in no other: a version (1.2.3, 1.x), a year (2024) or a date (2024-01-15)
// is never read as a brief.
//
//	brief-12  brief_12  brief-12-checkout  brief_12_checkout   briefRe
//	12-checkout  12_checkout (a letter after the dash)          numberRe
//	brief/12 (a bare number only right after a "brief" segment)
var (
	briefRe  = lazyRegexp(`(?i)^brief[-_]([0-9]+)(?:[-_].*)?$`)
	numberRe = lazyRegexp(`^([0-9]+)[-_][A-Za-z]`)
	digitsRe = lazyRegexp(`^[0-9]+$`)
)

// branchBrief returns the brief number a branch names, or 0. The first
// segment that names one decides.
func branchBrief(branch string) int {
	segs := strings.Split(branch, "/")
	for i, seg := range segs {
		var num string
		if m := briefRe().FindStringSubmatch(seg); m != nil {
			num = m[1]
		} else if m := numberRe().FindStringSubmatch(seg); m != nil {
			num = m[1]
		} else if strings.EqualFold(seg, "brief") && i+1 < len(segs) && digitsRe().MatchString(segs[i+1]) {
			num = segs[i+1]
		} else {
			continue
		}
		n, err := strconv.ParseInt(num, 10, 32)
		if err != nil {
			return 0 // too large to be an issue
		}
		return int(n)
	}
	return 0
}

// FindLinks returns the briefs a pull request references, in the order body,
// title, branch, and within each in reading order. A brief referenced twice is
// listed once with its first source. The body and title are read as GitHub
// renders Markdown (see proseLines): references inside code spans, fenced or
// indented code, block quotes, raw HTML and HTML comments do not count, so
// quoting another PR's "Closes #3" does not link #3. The branch counts only
// in the forms of briefRe and numberRe, or as brief/12. repo (owner/name) is
// the pull request's own repository, used for bare #12; references to other
// repositories keep their Repo.
func FindLinks(repo, title, body, branch string) []Link {
	var out []Link
	seen := map[string]bool{}
	add := func(r string, n int, src string) {
		if n <= 0 || n > math.MaxInt32 {
			// Not an issue number: GitHub's are GraphQL Ints (32 bits), and
			// asking for a larger one makes GitHub refuse the whole read.
			return
		}
		key := strings.ToLower(r) + "#" + strconv.Itoa(n)
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, Link{Repo: r, Number: n, Source: src})
	}
	scan := func(where, text string) {
		for _, line := range proseLines(text) {
			for _, m := range refRe().FindAllStringSubmatchIndex(line, -1) {
				// The reference must not continue a word, a path or an entity
				// (abc#12, a/b/c#12, &#12;).
				if m[0] > 0 {
					if c := line[m[0]-1]; isWordByte(c) || strings.IndexByte("/#&.:-", c) >= 0 {
						continue
					}
				}
				text := strings.TrimSpace(line[m[0]:m[1]])
				switch {
				case m[4] >= 0: // [owner/repo]#N
					r := repo
					if m[2] >= 0 {
						r = line[m[2]:m[3]]
					}
					n, _ := strconv.Atoi(line[m[4]:m[5]])
					add(r, n, where+": "+text)
				case m[10] >= 0: // URL
					n, _ := strconv.Atoi(line[m[10]:m[11]])
					add(line[m[6]:m[7]]+"/"+line[m[8]:m[9]], n, where+": "+text)
				}
			}
		}
	}
	scan("body", body)
	scan("title", title)
	if n := branchBrief(branch); n > 0 {
		add(repo, n, "branch: "+branch)
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// lazyRegexp compiles expr when first used: compiled at start-up, the
// package's expressions cost every command, the audit's too, about a
// quarter of a millisecond.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
