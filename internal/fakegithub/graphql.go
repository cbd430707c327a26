package fakegithub

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// BlobTextLimit is how many bytes of a file GraphQL's Blob.text returns: a
// longer file's text is cut there and its isTruncated is true. GitHub does
// not document the limit; 512,000 bytes is what it is seen to cut at.
const BlobTextLimit = 512000

// schemaSDL is GitHub's published GraphQL schema (octokit/graphql-schema, see
// shared/reference/github-graphql): every query the fake answers is first
// validated against it, so a field or argument GitHub does not have fails a
// test here rather than a run on GitHub.
//
//go:embed schema.graphql
var schemaSDL string

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// Schema returns GitHub's GraphQL schema, parsed once. The published file
// defines two fields twice (EnterpriseOwnerInfo.repositoryDeployKeySetting*);
// the later copy is dropped, as GitHub's own server does.
func Schema() (*ast.Schema, error) {
	schemaOnce.Do(func() {
		doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: "schema.graphql", Input: schemaSDL})
		if err != nil {
			schemaErr = err
			return
		}
		for _, def := range doc.Definitions {
			seen := map[string]bool{}
			kept := def.Fields[:0]
			for _, f := range def.Fields {
				if !seen[f.Name] {
					seen[f.Name] = true
					kept = append(kept, f)
				}
			}
			def.Fields = kept
		}
		s, gerr := validator.ValidateSchemaDocument(doc)
		if gerr != nil {
			schemaErr = gerr
			return
		}
		schema = s
	})
	return schema, schemaErr
}

// ValidateQuery checks a GraphQL document against GitHub's schema and says
// what is wrong, as GitHub would refuse it.
func ValidateQuery(query string) error {
	s, err := Schema()
	if err != nil {
		return err
	}
	if _, errs := gqlparser.LoadQuery(s, query); len(errs) > 0 {
		return errs
	}
	return nil
}

// gobj is a GraphQL object of the fake: its type name and its fields.
type gobj struct {
	typ string
	get func(field string, args map[string]any) (any, error)
}

// gqlFail is a field error (a NOT_FOUND, a FORBIDDEN): the field is null and
// the error is listed with its path, as GitHub answers.
type gqlFail struct {
	typ, msg string
}

func (e *gqlFail) Error() string { return e.msg }

// exec runs an operation's selection on the root object.
type exec struct {
	schema *ast.Schema
	vars   map[string]any
	errs   []map[string]any
}

func (x *exec) object(sel ast.SelectionSet, o gobj, path []any) map[string]any {
	out := map[string]any{}
	x.selection(sel, o, path, out)
	return out
}

func (x *exec) selection(sel ast.SelectionSet, o gobj, path []any, out map[string]any) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if s.Name == "__typename" {
				out[key] = o.typ
				continue
			}
			p := append(append([]any{}, path...), key)
			v, err := o.get(s.Name, s.ArgumentMap(x.vars))
			if err != nil {
				e := map[string]any{"message": err.Error(), "path": p}
				if f, ok := err.(*gqlFail); ok {
					e["type"] = f.typ
				}
				x.errs = append(x.errs, e)
				out[key] = nil
				continue
			}
			if s.Definition != nil {
				v = x.typed(s.Definition.Type.Name(), v)
			}
			out[key] = x.value(s.SelectionSet, v, p)
		case *ast.InlineFragment:
			if x.matches(s.TypeCondition, o.typ) {
				x.selection(s.SelectionSet, o, path, out)
			}
		case *ast.FragmentSpread:
			if x.matches(s.Definition.TypeCondition, o.typ) {
				x.selection(s.Definition.SelectionSet, o, path, out)
			}
		}
	}
}

// typed names the objects of v by the field's type when that is an object
// type (a connection, a PageInfo): resolvers need name only the concrete
// types of interfaces and unions.
func (x *exec) typed(name string, v any) any {
	def := x.schema.Types[name]
	if def == nil || def.Kind != ast.Object {
		return v
	}
	switch o := v.(type) {
	case gobj:
		o.typ = name
		return o
	case []gobj:
		out := make([]gobj, len(o))
		for i, e := range o {
			e.typ = name
			out[i] = e
		}
		return out
	}
	return v
}

func (x *exec) matches(cond, typ string) bool {
	if cond == "" || cond == typ {
		return true
	}
	def := x.schema.Types[cond]
	if def == nil {
		return false
	}
	for _, t := range x.schema.GetPossibleTypes(def) {
		if t.Name == typ {
			return true
		}
	}
	return false
}

func (x *exec) value(sel ast.SelectionSet, v any, path []any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case gobj:
		return x.object(sel, v, path)
	case *gobj:
		if v == nil {
			return nil
		}
		return x.object(sel, *v, path)
	case []gobj:
		out := make([]any, len(v))
		for i, o := range v {
			out[i] = x.object(sel, o, append(append([]any{}, path...), i))
		}
		return out
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	}
	return v
}

// graphQL answers POST /graphql: the document is validated against GitHub's
// schema, and then run on the fake's data. Like GitHub, a query it cannot
// run gets HTTP 200 and {"errors":[...]}, and a field that resolves to
// nothing gets null and an error with its path (NOT_FOUND).
func (s *Server) graphQL(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	sch, err := Schema()
	if err != nil {
		gqlErrors(w, nil, map[string]any{"message": "fake GitHub: schema: " + err.Error()})
		return
	}
	doc, errs := gqlparser.LoadQuery(sch, req.Query)
	if len(errs) > 0 {
		var out []map[string]any
		for _, e := range errs {
			out = append(out, gqlErrorOf(e))
		}
		gqlErrors(w, nil, out...)
		return
	}
	if e := intsInRange(doc); e != nil {
		gqlErrors(w, nil, e)
		return
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Query {
		gqlErrors(w, nil, map[string]any{"message": "fake GitHub answers one query operation, not mutations or subscriptions"})
		return
	}
	op := doc.Operations[0]
	vars, gerr := validator.VariableValues(sch, op, req.Variables)
	if gerr != nil {
		gqlErrors(w, nil, map[string]any{"message": gerr.Error()})
		return
	}
	x := &exec{schema: sch, vars: vars}
	data := x.object(op.SelectionSet, s.queryRoot(), nil)
	if len(x.errs) > 0 {
		gqlErrors(w, data, x.errs...)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// intsInRange refuses an Int literal outside 32 bits, as GitHub does
// ("Argument 'number' on Field 'issueOrPullRequest' has an invalid value
// (3000000000). Expected type 'Int!'."): GraphQL's Int is a signed 32-bit
// integer, and gqlparser does not check the range of literals.
func intsInRange(doc *ast.QueryDocument) map[string]any {
	var bad map[string]any
	var value func(field, arg string, v *ast.Value)
	value = func(field, arg string, v *ast.Value) {
		if v == nil || bad != nil {
			return
		}
		if v.Kind == ast.IntValue && v.ExpectedType != nil && v.ExpectedType.Name() == "Int" {
			if _, err := strconv.ParseInt(v.Raw, 10, 32); err != nil {
				bad = map[string]any{"message": fmt.Sprintf("Argument '%s' on Field '%s' has an invalid value (%s). Expected type '%s'.", arg, field, v.Raw, v.ExpectedType.String())}
				return
			}
		}
		for _, c := range v.Children {
			value(field, arg, c.Value)
		}
	}
	var sel func(ss ast.SelectionSet)
	sel = func(ss ast.SelectionSet) {
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					value(s.Name, a.Name, a.Value)
				}
				sel(s.SelectionSet)
			case *ast.InlineFragment:
				sel(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		sel(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		sel(f.SelectionSet)
	}
	return bad
}

func gqlErrorOf(e *gqlerror.Error) map[string]any {
	m := map[string]any{"message": e.Message}
	if len(e.Locations) > 0 {
		m["locations"] = []map[string]int{{"line": e.Locations[0].Line, "column": e.Locations[0].Column}}
	}
	return m
}

// gqlErrors writes GitHub's GraphQL error answer: HTTP 200, errors, and data
// when there is some.
func gqlErrors(w http.ResponseWriter, data map[string]any, errs ...map[string]any) {
	body := map[string]any{"errors": errs}
	if data != nil {
		body["data"] = data
	}
	writeJSON(w, http.StatusOK, body)
}

// pullRefRe matches refs/pull/N/head.
var pullRefRe = regexp.MustCompile(`^refs/pull/([0-9]+)/head$`)

// resolveRef names the files of ref as git's rev-parse would find them:
// refs/heads/NAME is the branch, refs/tags/NAME the tag, and a bare NAME the
// tag when there is one (SetFile with "refs/tags/NAME"), else the branch.
func (r *Repo) resolveRef(ref string) string {
	switch {
	case strings.HasPrefix(ref, "refs/heads/"):
		return strings.TrimPrefix(ref, "refs/heads/")
	case strings.HasPrefix(ref, "refs/tags/"):
		return ref
	}
	if _, ok := r.files["refs/tags/"+ref]; ok {
		return "refs/tags/" + ref
	}
	return ref
}

// ---- resolvers ----

func str(args map[string]any, name string) string {
	v, _ := args[name].(string)
	return v
}

func num(args map[string]any, name string) (int, bool) {
	switch v := args[name].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}

func noField(typ, field string) error {
	return fmt.Errorf("fake GitHub does not answer %s.%s", typ, field)
}

func (s *Server) queryRoot() gobj {
	return gobj{typ: "Query", get: func(f string, args map[string]any) (any, error) {
		switch f {
		case "viewer":
			u := s.self
			if u == nil {
				u = User("github-actions[bot]", 41898282)
			}
			// The viewer keeps REST's login, "[bot]" included.
			return gobj{typ: "User", get: func(f string, _ map[string]any) (any, error) {
				switch f {
				case "login":
					return u.GetLogin(), nil
				case "databaseId":
					return u.GetID(), nil
				}
				return nil, noField("User", f)
			}}, nil
		case "repository":
			full := str(args, "owner") + "/" + str(args, "name")
			r := s.repo(full, false)
			if r == nil {
				return nil, &gqlFail{"NOT_FOUND", fmt.Sprintf("Could not resolve to a Repository with the name '%s'.", full)}
			}
			return s.repoObj(r), nil
		case "organization":
			org := str(args, "login")
			return gobj{typ: "Organization", get: func(f string, args map[string]any) (any, error) {
				if f != "team" {
					return nil, noField("Organization", f)
				}
				team := strings.ToLower(org + "/" + str(args, "slug"))
				if _, ok := s.teams[team]; !ok {
					return nil, nil // a team the token cannot see is null, as on GitHub
				}
				return s.teamObj(team), nil
			}}, nil
		case "rateLimit":
			return gobj{typ: "RateLimit", get: func(f string, _ map[string]any) (any, error) {
				switch f {
				case "cost":
					return 1, nil
				case "remaining":
					return 4999, nil
				case "limit":
					return 5000, nil
				}
				return nil, noField("RateLimit", f)
			}}, nil
		}
		return nil, noField("Query", f)
	}}
}

func (s *Server) teamObj(team string) gobj {
	return gobj{typ: "Team", get: func(f string, args map[string]any) (any, error) {
		if f != "members" {
			return nil, noField("Team", f)
		}
		var logins []string
		for login, state := range s.teams[team] {
			if state == "active" {
				logins = append(logins, login)
			}
		}
		sort.Strings(logins)
		nodes := make([]gobj, len(logins))
		for i, l := range logins {
			nodes[i] = actorObj(User(l, 0))
		}
		return connection(nodes, args), nil
	}}
}

// connection pages nodes as GitHub's connections do (first/after,
// last/before; cursors are indexes).
func connection(nodes []gobj, args map[string]any) gobj {
	total := len(nodes)
	start, end := 0, total
	if a := str(args, "after"); a != "" {
		if i, err := strconv.Atoi(a); err == nil {
			start = min(i+1, total)
		}
	}
	if b := str(args, "before"); b != "" {
		if i, err := strconv.Atoi(b); err == nil {
			end = max(min(i, total), start)
		}
	}
	if n, ok := num(args, "first"); ok && start+n < end {
		end = start + n
	}
	if n, ok := num(args, "last"); ok && end-n > start {
		start = end - n
	}
	page := nodes[start:end]
	return gobj{typ: "Connection", get: func(f string, _ map[string]any) (any, error) {
		switch f {
		case "nodes":
			return page, nil
		case "totalCount":
			return total, nil
		case "pageInfo":
			return gobj{typ: "PageInfo", get: func(f string, _ map[string]any) (any, error) {
				switch f {
				case "hasNextPage":
					return end < total, nil
				case "hasPreviousPage":
					return start > 0, nil
				case "endCursor":
					if len(page) == 0 {
						return nil, nil
					}
					return strconv.Itoa(end - 1), nil
				case "startCursor":
					if len(page) == 0 {
						return nil, nil
					}
					return strconv.Itoa(start), nil
				}
				return nil, noField("PageInfo", f)
			}}, nil
		}
		return nil, noField("Connection", f)
	}}
}

// actorObj is an account as GraphQL shows it: a bot's login without
// REST's "[bot]", and __typename Bot.
func actorObj(u *github.User) gobj {
	if u == nil {
		return gobj{}
	}
	typ, login := "User", u.GetLogin()
	if u.GetType() == "Bot" || strings.HasSuffix(login, "[bot]") {
		typ, login = "Bot", strings.TrimSuffix(login, "[bot]")
	}
	return gobj{typ: typ, get: func(f string, _ map[string]any) (any, error) {
		switch f {
		case "login":
			return login, nil
		case "databaseId":
			return u.GetID(), nil
		}
		return nil, noField(typ, f)
	}}
}

func actorOrNil(u *github.User) any {
	if u == nil {
		return nil
	}
	return actorObj(u)
}

func (s *Server) repoObj(r *Repo) gobj {
	full := r.Owner + "/" + r.Name
	return gobj{typ: "Repository", get: func(f string, args map[string]any) (any, error) {
		switch f {
		case "nameWithOwner":
			return full, nil
		case "object":
			if oid := str(args, "oid"); oid != "" {
				return s.commitObj(r, oid), nil
			}
			expr := str(args, "expression")
			if m := pullRefRe.FindStringSubmatch(expr); m != nil {
				// refs/pull/N/head: the pull request's head, which GitHub
				// keeps in the base repository for every pull request,
				// forks' included.
				n, _ := strconv.Atoi(m[1])
				if sha := r.pullRefs[n]; sha != "" {
					return s.commitObj(r, sha), nil
				}
				if pr := r.pulls[n]; pr != nil && pr.GetHead().GetSHA() != "" {
					return s.commitObj(r, pr.GetHead().GetSHA()), nil
				}
				return nil, nil
			}
			return r.objectAt(expr), nil
		case "pullRequest":
			n, _ := num(args, "number")
			pr := r.pulls[n]
			if pr == nil {
				return nil, &gqlFail{"NOT_FOUND", fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", n)}
			}
			return s.pullObj(r, n), nil
		case "pullRequests":
			// Open or closed pull requests by number (the listing the
			// scheduled re-check pages through); states filters.
			want := map[string]bool{}
			if states, ok := args["states"].([]any); ok {
				for _, st := range states {
					want[fmt.Sprint(st)] = true
				}
			}
			var numbers []int
			for n, pr := range r.pulls {
				state := "OPEN"
				switch {
				case pr.GetMerged():
					state = "MERGED"
				case pr.GetState() == "closed":
					state = "CLOSED"
				}
				if len(want) == 0 || want[state] {
					numbers = append(numbers, n)
				}
			}
			sort.Ints(numbers)
			nodes := make([]gobj, len(numbers))
			for i, n := range numbers {
				nodes[i] = s.pullObj(r, n)
			}
			return connection(nodes, args), nil
		case "issues":
			// Issues (never pull requests) by number, with the states and
			// labels filters (any of the labels, names compared as GitHub
			// does, ignoring case).
			states := map[string]bool{}
			if v, ok := args["states"].([]any); ok {
				for _, st := range v {
					states[fmt.Sprint(st)] = true
				}
			}
			var labels []string
			if v, ok := args["labels"].([]any); ok {
				for _, l := range v {
					labels = append(labels, fmt.Sprint(l))
				}
			}
			var numbers []int
			for n, is := range r.issues {
				if r.pulls[n] != nil || (len(states) > 0 && !states[strings.ToUpper(is.GetState())]) {
					continue
				}
				if len(labels) > 0 && !slices.ContainsFunc(labels, func(l string) bool { return hasLabel(is, l) }) {
					continue
				}
				numbers = append(numbers, n)
			}
			sort.Ints(numbers)
			nodes := make([]gobj, len(numbers))
			for i, n := range numbers {
				nodes[i] = s.issueObj(r, r.issues[n])
			}
			return connection(nodes, args), nil
		case "issueOrPullRequest", "issue":
			n, _ := num(args, "number")
			is := r.issues[n]
			if is == nil || (f == "issue" && r.pulls[n] != nil) {
				return nil, &gqlFail{"NOT_FOUND", fmt.Sprintf("Could not resolve to an issue or pull request with the number of %d.", n)}
			}
			if r.pulls[n] != nil {
				return s.pullObj(r, n), nil
			}
			return s.issueObj(r, is), nil
		}
		return nil, noField("Repository", f)
	}}
}

// objectAt resolves expression REF:PATH as git does: a Blob for a file, a
// Tree for a directory, a Commit for a bare ref, nil (null) for anything
// that does not exist. A bare name resolves as git's rev-parse does: a tag
// (refs/tags/NAME) before a branch; refs/heads/NAME names the branch alone.
func (r *Repo) objectAt(expr string) any {
	ref, path, hasPath := strings.Cut(expr, ":")

	key := r.resolveRef(ref)
	files, ok := r.files[key]
	if !ok {
		return nil
	}
	content, isFile := files[path]
	switch {
	case !hasPath:
		return gobj{typ: "Commit", get: func(f string, _ map[string]any) (any, error) { return nil, noField("Commit", f) }}
	case isFile:
		return gobj{typ: "Blob", get: func(f string, _ map[string]any) (any, error) {
			text, truncated := content, false
			if len(text) > BlobTextLimit {
				text, truncated = text[:BlobTextLimit], true
			}
			binary := strings.ContainsRune(content, 0)
			switch f {
			case "text":
				if binary {
					return nil, nil
				}
				return text, nil
			case "isTruncated":
				return truncated, nil
			case "byteSize":
				return len(content), nil
			case "isBinary":
				return binary, nil
			case "oid":
				return blobSHA(content), nil
			}
			return nil, noField("Blob", f)
		}}
	case path == "" || r.dir(key, path) != nil:
		return gobj{typ: "Tree", get: func(f string, _ map[string]any) (any, error) { return nil, noField("Tree", f) }}
	}
	return nil
}

func (s *Server) labelsObj(ls []*github.Label, args map[string]any) gobj {
	nodes := make([]gobj, len(ls))
	for i, l := range ls {
		name := l.GetName()
		nodes[i] = gobj{typ: "Label", get: func(f string, _ map[string]any) (any, error) {
			if f == "name" {
				return name, nil
			}
			return nil, noField("Label", f)
		}}
	}
	return connection(nodes, args)
}

func (s *Server) issueObj(r *Repo, is *github.Issue) gobj {
	return gobj{typ: "Issue", get: func(f string, args map[string]any) (any, error) {
		switch f {
		case "number":
			return is.GetNumber(), nil
		case "title":
			return is.GetTitle(), nil
		case "body":
			return is.GetBody(), nil
		case "createdAt":
			return is.GetCreatedAt().Time, nil
		case "url":
			return is.GetHTMLURL(), nil
		case "labels":
			return s.labelsObj(is.Labels, args), nil
		case "state":
			return strings.ToUpper(is.GetState()), nil
		case "comments":
			return s.commentsObj(r, is.GetNumber(), args), nil
		case "author":
			return actorOrNil(is.User), nil
		case "lastEditedAt":
			if at, ok := r.issueEdited[is.GetNumber()]; ok {
				return at, nil
			}
			return nil, nil
		case "timelineItems":
			return s.issueTimeline(r, is.GetNumber(), args), nil
		case "repository":
			return s.repoObj(r), nil
		}
		return nil, noField("Issue", f)
	}}
}

// commitObj is a commit of r: its tree and parents as AddCommit stored them
// (a commit the fake was not told about has tree "tree-of-SHA" and no
// parents), and twokey's statuses on it.
func (s *Server) commitObj(r *Repo, sha string) gobj {
	return gobj{typ: "Commit", get: func(f string, args map[string]any) (any, error) {
		c := r.commits[sha]
		switch f {
		case "oid":
			return sha, nil
		case "tree":
			tree := r.trees[sha]
			if tree == "" {
				tree = "tree-of-" + sha
			}
			return gobj{typ: "Tree", get: func(f string, _ map[string]any) (any, error) {
				if f == "oid" {
					return tree, nil
				}
				return nil, noField("Tree", f)
			}}, nil
		case "parents":
			var nodes []gobj
			if c != nil {
				for _, p := range c.Parents {
					nodes = append(nodes, s.commitObj(r, p))
				}
			}
			return connection(nodes, args), nil
		case "associatedPullRequests":
			// The pull requests whose commits hold it, open and merged (the
			// commits the fake knows: the head, SetPullCommits), by number.
			var numbers []int
			for n, pr := range r.pulls {
				if pr.GetState() == "closed" && !pr.GetMerged() {
					continue
				}
				if strings.EqualFold(pr.GetHead().GetSHA(), sha) || slices.Contains(r.pullCommits[n], sha) {
					numbers = append(numbers, n)
				}
			}
			sort.Ints(numbers)
			nodes := make([]gobj, len(numbers))
			for i, n := range numbers {
				nodes[i] = s.pullObj(r, n)
			}
			return connection(nodes, args), nil
		case "status":
			if len(r.statuses[sha]) == 0 {
				return nil, nil
			}
			return gobj{typ: "Status", get: func(f string, args map[string]any) (any, error) {
				if f != "context" {
					return nil, noField("Status", f)
				}
				// The latest status of a context, as GitHub keeps it.
				var st *github.RepoStatus
				for _, x := range r.statuses[sha] {
					if x.GetContext() == str(args, "name") {
						st = x
					}
				}
				if st == nil {
					return nil, nil
				}
				return statusObj(st), nil
			}}, nil
		}
		return nil, noField("Commit", f)
	}}
}

func statusObj(st *github.RepoStatus) gobj {
	return gobj{typ: "StatusContext", get: func(f string, _ map[string]any) (any, error) {
		switch f {
		case "state":
			return strings.ToUpper(st.GetState()), nil
		case "description":
			return st.GetDescription(), nil
		case "targetUrl":
			if st.TargetURL == nil {
				return nil, nil
			}
			return st.GetTargetURL(), nil
		case "createdAt":
			return st.GetCreatedAt().Time, nil
		case "context":
			return st.GetContext(), nil
		case "creator":
			return actorOrNil(st.Creator), nil
		}
		return nil, noField("StatusContext", f)
	}}
}

// editsObj is a comment's or review's edit history (userContentEdits).
func editsObj(eds []edit, args map[string]any) gobj {
	nodes := make([]gobj, len(eds))
	for i, e := range eds {
		nodes[i] = gobj{typ: "UserContentEdit", get: func(f string, _ map[string]any) (any, error) {
			switch f {
			case "editedAt", "createdAt", "updatedAt":
				return e.at, nil
			case "editor":
				return actorOrNil(e.editor), nil
			}
			return nil, noField("UserContentEdit", f)
		}}
	}
	return connection(nodes, args)
}

func lastEdited(eds []edit) any {
	if len(eds) == 0 {
		return nil
	}
	return eds[len(eds)-1].at
}

func (s *Server) pullObj(r *Repo, n int) gobj {
	pr, is := r.pulls[n], r.issues[n]
	return gobj{typ: "PullRequest", get: func(f string, args map[string]any) (any, error) {
		switch f {
		case "number":
			return n, nil
		case "repository":
			return s.repoObj(r), nil
		case "title":
			return is.GetTitle(), nil
		case "body":
			return is.GetBody(), nil
		case "url":
			return pr.GetHTMLURL(), nil
		case "state":
			switch {
			case pr.GetMerged():
				return "MERGED", nil
			case pr.GetState() == "closed":
				return "CLOSED", nil
			}
			return "OPEN", nil
		case "isDraft":
			return pr.GetDraft(), nil
		case "merged":
			return pr.GetMerged(), nil
		case "mergedAt":
			if pr.MergedAt == nil {
				return nil, nil
			}
			return pr.GetMergedAt().Time, nil
		case "mergedBy":
			return actorOrNil(pr.MergedBy), nil
		case "mergeCommit":
			if pr.GetMergeCommitSHA() == "" {
				return nil, nil
			}
			return s.commitObj(r, pr.GetMergeCommitSHA()), nil
		case "createdAt":
			return pr.GetCreatedAt().Time, nil
		case "author":
			return actorOrNil(pr.User), nil
		case "headRefName":
			return pr.GetHead().GetRef(), nil
		case "headRefOid":
			return pr.GetHead().GetSHA(), nil
		case "baseRefName":
			return pr.GetBase().GetRef(), nil
		case "baseRefOid":
			if sha := pr.GetBase().GetSHA(); sha != "" {
				return sha, nil
			}
			return strings.Repeat("0", 40), nil
		case "isCrossRepository":
			return !strings.EqualFold(pr.GetHead().GetRepo().GetFullName(), r.Owner+"/"+r.Name), nil
		case "changedFiles":
			return len(r.pullFiles[n]), nil
		case "labels":
			return s.labelsObj(is.Labels, args), nil
		case "files":
			files := r.pullFiles[n]
			if len(files) > 3000 { // GitHub lists at most 3,000
				files = files[:3000]
			}
			nodes := make([]gobj, len(files))
			for i, cf := range files {
				nodes[i] = gobj{typ: "PullRequestChangedFile", get: func(f string, _ map[string]any) (any, error) {
					switch f {
					case "path":
						return cf.GetFilename(), nil
					case "changeType":
						switch cf.GetStatus() {
						case "renamed":
							return "RENAMED", nil
						case "added":
							return "ADDED", nil
						case "removed":
							return "DELETED", nil
						}
						return "MODIFIED", nil
					}
					return nil, noField("PullRequestChangedFile", f)
				}}
			}
			return connection(nodes, args), nil
		case "commits":
			shas := r.pullCommits[n]
			if len(shas) == 0 {
				shas = []string{pr.GetHead().GetSHA()}
			}
			nodes := make([]gobj, len(shas))
			for i, sha := range shas {
				c := s.commitObj(r, sha)
				nodes[i] = gobj{typ: "PullRequestCommit", get: func(f string, _ map[string]any) (any, error) {
					if f == "commit" {
						return c, nil
					}
					return nil, noField("PullRequestCommit", f)
				}}
			}
			return connection(nodes, args), nil
		case "reviews":
			var nodes []gobj
			for _, rv := range r.reviews[n] {
				if rv.GetState() == "PENDING" && (s.self == nil || !strings.EqualFold(rv.GetUser().GetLogin(), s.self.GetLogin())) {
					continue // a draft is listed to its author only
				}
				nodes = append(nodes, s.reviewObj(r, rv))
			}
			return connection(nodes, args), nil
		case "comments":
			return s.commentsObj(r, n, args), nil
		case "timelineItems":
			want := map[string]bool{}
			if types, ok := args["itemTypes"].([]any); ok {
				for _, t := range types {
					want[fmt.Sprint(t)] = true
				}
			}
			// The pull request's own events, and its issue's labeled and
			// unlabeled events, oldest first.
			events := slices.Clone(r.timeline[n])
			for _, e := range r.events[n] {
				typ := map[string]string{"labeled": "LabeledEvent", "unlabeled": "UnlabeledEvent"}[e.GetEvent()]
				if typ != "" {
					events = append(events, timelineEvent{typ: typ, at: e.GetCreatedAt().Time, actor: e.Actor, label: e.GetLabel().GetName()})
				}
			}
			sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
			var nodes []gobj
			for _, e := range events {
				if len(want) == 0 || want[e.itemType()] {
					nodes = append(nodes, s.timelineObj(r, e))
				}
			}
			return connection(nodes, args), nil
		}
		return nil, noField("PullRequest", f)
	}}
}

// commentsObj is the connection of issue (or pull request) n's comments,
// oldest first.
func (s *Server) commentsObj(r *Repo, n int, args map[string]any) gobj {
	var nodes []gobj
	for _, c := range r.comments {
		if r.commentIssue[c.GetID()] == n {
			nodes = append(nodes, s.commentObj(r, c))
		}
	}
	return connection(nodes, args)
}

func (s *Server) reviewObj(r *Repo, rv *github.PullRequestReview) gobj {
	return gobj{typ: "PullRequestReview", get: func(f string, args map[string]any) (any, error) {
		switch f {
		case "fullDatabaseId":
			return strconv.FormatInt(rv.GetID(), 10), nil
		case "databaseId":
			return rv.GetID(), nil
		case "id":
			return rv.GetNodeID(), nil
		case "state":
			return rv.GetState(), nil
		case "body":
			return rv.GetBody(), nil
		case "url":
			return rv.GetHTMLURL(), nil
		case "submittedAt", "createdAt":
			return rv.GetSubmittedAt().Time, nil
		case "author":
			return actorOrNil(rv.User), nil
		case "authorCanPushToRepository":
			return permRank(r.permissions[strings.ToLower(rv.GetUser().GetLogin())]) >= permRank("write"), nil
		case "commit":
			if rv.GetCommitID() == "" {
				return nil, nil
			}
			return s.commitObj(r, rv.GetCommitID()), nil
		case "lastEditedAt":
			return lastEdited(r.edits[rv.GetID()]), nil
		case "userContentEdits":
			return editsObj(r.edits[rv.GetID()], args), nil
		}
		return nil, noField("PullRequestReview", f)
	}}
}

func permRank(p string) int {
	return map[string]int{"read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}[p]
}

func (s *Server) commentObj(r *Repo, c *github.IssueComment) gobj {
	return gobj{typ: "IssueComment", get: func(f string, args map[string]any) (any, error) {
		switch f {
		case "fullDatabaseId":
			return strconv.FormatInt(c.GetID(), 10), nil
		case "databaseId":
			return c.GetID(), nil
		case "id":
			return c.GetNodeID(), nil
		case "body":
			return c.GetBody(), nil
		case "url":
			return c.GetHTMLURL(), nil
		case "createdAt":
			return c.GetCreatedAt().Time, nil
		case "author":
			return actorOrNil(c.User), nil
		case "editor":
			eds := r.edits[c.GetID()]
			if len(eds) == 0 {
				return nil, nil
			}
			return actorOrNil(eds[len(eds)-1].editor), nil
		case "lastEditedAt":
			return lastEdited(r.edits[c.GetID()]), nil
		case "userContentEdits":
			return editsObj(r.edits[c.GetID()], args), nil
		}
		return nil, noField("IssueComment", f)
	}}
}

// edit is one entry of a comment's or review's edit history.
type edit struct {
	at     time.Time
	editor *github.User
}

// timelineEvent is one event on a pull request's timeline.
type timelineEvent struct {
	typ           string // GraphQL's type name: HeadRefForcePushedEvent, ...
	at            time.Time
	actor         *github.User
	before, after string // force pushes
	from, to      string // base changes
	deletedAuthor *github.User
	label         string // labeled and unlabeled events
}

// itemType is the PullRequestTimelineItemsItemType of the event:
// HeadRefForcePushedEvent → HEAD_REF_FORCE_PUSHED_EVENT.
func (e timelineEvent) itemType() string {
	var b strings.Builder
	for i, c := range e.typ {
		if i > 0 && c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(c)
	}
	return strings.ToUpper(b.String())
}

func (s *Server) timelineObj(r *Repo, e timelineEvent) gobj {
	return gobj{typ: e.typ, get: func(f string, _ map[string]any) (any, error) {
		switch f {
		case "createdAt":
			return e.at, nil
		case "actor":
			return actorOrNil(e.actor), nil
		case "beforeCommit":
			if e.before == "" {
				return nil, nil
			}
			return s.commitObj(r, e.before), nil
		case "afterCommit":
			if e.after == "" {
				return nil, nil
			}
			return s.commitObj(r, e.after), nil
		case "previousRefName":
			return e.from, nil
		case "currentRefName":
			return e.to, nil
		case "deletedCommentAuthor":
			return actorOrNil(e.deletedAuthor), nil
		case "label":
			name := e.label
			return gobj{typ: "Label", get: func(f string, _ map[string]any) (any, error) {
				if f == "name" {
					return name, nil
				}
				return nil, noField("Label", f)
			}}, nil
		}
		return nil, noField(e.typ, f)
	}}
}
