package fakegithub

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// xref is a reference to an issue from another issue or pull request, as
// GitHub lists it on the referenced issue's timeline: a
// CrossReferencedEvent when the source's title, body or a comment on it
// mentions the issue, a ConnectedEvent when someone links the two by hand
// (the Development box).
type xref struct {
	typ    string // CrossReferencedEvent or ConnectedEvent
	at     time.Time
	actor  *github.User
	src    *Repo
	source int // the issue or pull request that references
}

// References GitHub turns into cross-references: #N, owner/name#N, and the
// web address of an issue or pull request. A branch name never is one.
var (
	shortRefRe = regexp.MustCompile(`(?:^|[^\w/#&])#([0-9]+)\b`)
	repoRefRe  = regexp.MustCompile(`\b([\w.-]+)/([\w.-]+)#([0-9]+)\b`)
	urlRefRe   = regexp.MustCompile(`https?://github\.com/([\w.-]+)/([\w.-]+)/(?:issues|pull)/([0-9]+)`)
)

// crossReference records, on every issue or pull request that text (the
// title, body or a comment of source in src) mentions, the
// CrossReferencedEvent GitHub adds there: once per source and target, only
// for targets that exist (GitHub makes none for a number not yet used),
// never for source itself. Removing the mention later leaves it, as on
// GitHub. Callers hold the lock.
func (s *Server) crossReference(src *Repo, source int, text string, actor *github.User) {
	type target struct {
		r *Repo
		n int
	}
	var targets []target
	add := func(r *Repo, num string) {
		n, err := strconv.Atoi(num)
		if err == nil && r != nil {
			targets = append(targets, target{r, n})
		}
	}
	for _, m := range shortRefRe.FindAllStringSubmatch(text, -1) {
		add(src, m[1])
	}
	for _, re := range []*regexp.Regexp{repoRefRe, urlRefRe} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			add(s.repos[strings.ToLower(m[1]+"/"+m[2])], m[3])
		}
	}
	for _, t := range targets {
		if (t.r == src && t.n == source) || t.r.issues[t.n] == nil {
			continue
		}
		known := false
		for _, x := range t.r.xrefs[t.n] {
			known = known || (x.typ == "CrossReferencedEvent" && x.src == src && x.source == source)
		}
		if !known {
			t.r.xrefs[t.n] = append(t.r.xrefs[t.n], xref{typ: "CrossReferencedEvent", at: s.now(), actor: actor, src: src, source: source})
		}
	}
}

// ConnectPull links pull request pull to issue in repo by hand, as the
// issue's Development box does: a ConnectedEvent on the issue's timeline,
// at the server's clock, whatever the pull request's text says.
func (s *Server) ConnectPull(repo string, issue, pull int, actor *github.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, true)
	r.xrefs[issue] = append(r.xrefs[issue], xref{typ: "ConnectedEvent", at: s.now(), actor: actor, src: r, source: pull})
}

// referenceObj is an issue's CrossReferencedEvent or ConnectedEvent. GitHub
// does not document which of a ConnectedEvent's source and subject is the
// issue whose timeline lists it: the fake answers the pull request as the
// source and the issue as the subject.
func (s *Server) referenceObj(r *Repo, issue int, x xref) gobj {
	subject := func(rr *Repo, n int) any {
		if rr.pulls[n] != nil {
			return s.pullObj(rr, n)
		}
		if is := rr.issues[n]; is != nil {
			return s.issueObj(rr, is)
		}
		return nil
	}
	return gobj{typ: x.typ, get: func(f string, _ map[string]any) (any, error) {
		switch f {
		case "createdAt", "referencedAt":
			return x.at, nil
		case "actor":
			return actorOrNil(x.actor), nil
		case "isCrossRepository":
			return x.src != r, nil
		case "willCloseTarget":
			return false, nil
		case "source":
			return subject(x.src, x.source), nil
		case "target", "subject":
			return subject(r, issue), nil
		}
		return nil, noField(x.typ, f)
	}}
}

// issueTimeline is an issue's timeline as the fake keeps it: labeled and
// unlabeled events, cross-references and connections, oldest first,
// filtered by the query's itemTypes.
func (s *Server) issueTimeline(r *Repo, n int, args map[string]any) gobj {
	want := map[string]bool{}
	if types, ok := args["itemTypes"].([]any); ok {
		for _, t := range types {
			want[fmt.Sprint(t)] = true
		}
	}
	type item struct {
		at  time.Time
		typ string
		obj gobj
	}
	var items []item
	for _, e := range r.events[n] {
		typ := map[string]string{"labeled": "LabeledEvent", "unlabeled": "UnlabeledEvent"}[e.GetEvent()]
		if typ != "" {
			te := timelineEvent{typ: typ, at: e.GetCreatedAt().Time, actor: e.Actor, label: e.GetLabel().GetName()}
			items = append(items, item{te.at, te.itemType(), s.timelineObj(r, te)})
		}
	}
	for _, x := range r.xrefs[n] {
		items = append(items, item{x.at, timelineEvent{typ: x.typ}.itemType(), s.referenceObj(r, n, x)})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].at.Before(items[j].at) })
	var nodes []gobj
	for _, it := range items {
		if len(want) == 0 || want[it.typ] {
			nodes = append(nodes, it.obj)
		}
	}
	return connection(nodes, args)
}
