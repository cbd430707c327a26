package fakegithub

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// gqlPullsQuery reports whether query reads pull requests by number:
//
//	query($owner:String!,$name:String!){ repository(owner:$owner,name:$name){
//	  pr12: pullRequest(number: 12) { ...fields }  ... } }
//
// which gqlPulls answers from the server's state.
func gqlPullsQuery(query string) bool {
	return strings.Contains(query, "pullRequest(")
}

// gqlPulls answers a query of pull requests by number (see gqlPullsQuery),
// parsed as a GraphQL document: aliases, fragments (named and inline) and
// these PullRequest fields: number, merged, mergedAt, mergedBy{login},
// mergeCommit{oid}, headRefOid, baseRefName, state, reviews(first) and
// comments(first) with totalCount, pageInfo{hasNextPage endCursor} and
// nodes (a review's author{login}, commit{oid}, state, body, databaseId; a
// comment's author{login}, body, databaseId). Like GitHub, a number with no
// pull request is null and a NOT_FOUND error at its path, a field the fake
// does not know an error, and first above 100 an error. The query is
// validated against GitHub's schema first (see ValidateQuery).
//
// The server's lock is held, as for every handler.
func (s *Server) gqlPulls(w http.ResponseWriter, query string, vars map[string]any) {
	if err := ValidateQuery(query); err != nil { // as GitHub would refuse it
		gqlErrors(w, nil, map[string]any{"message": err.Error()})
		return
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		gqlErrors(w, nil, map[string]any{"message": err.Error()})
		return
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Query {
		gqlErrors(w, nil, map[string]any{"message": "want one query operation"})
		return
	}
	g := gqlEval{vars: vars, frags: doc.Fragments}
	data := map[string]any{}
	var errs []map[string]any
	for _, sel := range doc.Operations[0].SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name != "repository" {
			gqlErrors(w, nil, map[string]any{"message": "the fake answers only repository { pullRequest } here"})
			return
		}
		owner, _ := g.arg(f, "owner").(string)
		name, _ := g.arg(f, "name").(string)
		repo := s.repo(owner+"/"+name, false)
		var pulls map[string]any
		if repo != nil {
			pulls = map[string]any{}
			for _, psel := range f.SelectionSet {
				pf, ok := psel.(*ast.Field)
				if !ok || pf.Name != "pullRequest" {
					gqlErrors(w, nil, map[string]any{"message": "the fake answers only pullRequest fields in repository"})
					return
				}
				n, _ := g.arg(pf, "number").(int64)
				pr := repo.pullObject(int(n))
				if pr == nil {
					pulls[pf.Alias] = nil
					errs = append(errs, map[string]any{"type": "NOT_FOUND", "path": []string{f.Alias, pf.Alias},
						"message": fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", n)})
					continue
				}
				v, err := g.project(pr, pf.SelectionSet)
				if err != nil {
					gqlErrors(w, nil, map[string]any{"message": err.Error()})
					return
				}
				pulls[pf.Alias] = v
			}
		}
		if repo == nil {
			data[f.Alias] = nil
			errs = append(errs, map[string]any{"type": "NOT_FOUND", "path": []string{f.Alias},
				"message": fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name)})
			continue
		}
		data[f.Alias] = pulls
	}
	if len(errs) > 0 {
		gqlErrors(w, data, errs...)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// gqlField is a field that takes arguments.
type gqlField func(args map[string]any) (any, error)

// pullObject is pull request number as GraphQL shows it, nil when there is
// none. r's server lock is held.
func (r *Repo) pullObject(number int) map[string]any {
	pr := r.pulls[number]
	if pr == nil {
		return nil
	}
	login := func(u *github.User) any {
		if u == nil {
			return nil
		}
		return map[string]any{"__typename": "User", "login": strings.TrimSuffix(u.GetLogin(), "[bot]")}
	}
	stamp := func(t *github.Timestamp) any {
		if t == nil {
			return nil
		}
		return t.UTC().Format(time.RFC3339)
	}
	var reviews, comments []any
	for _, rv := range r.reviews[number] {
		reviews = append(reviews, map[string]any{"__typename": "PullRequestReview", "author": login(rv.User),
			"commit": map[string]any{"__typename": "Commit", "oid": rv.GetCommitID()}, "state": rv.GetState(), "body": rv.GetBody(),
			"databaseId": rv.GetID(), "submittedAt": stamp(rv.SubmittedAt)})
	}
	for _, c := range r.comments {
		if r.commentIssue[c.GetID()] == number {
			comments = append(comments, map[string]any{"__typename": "IssueComment", "author": login(c.User), "body": c.GetBody(),
				"databaseId": c.GetID(), "createdAt": stamp(c.CreatedAt)})
		}
	}
	var mergeCommit any
	if pr.GetMerged() && pr.GetMergeCommitSHA() != "" {
		mergeCommit = map[string]any{"__typename": "Commit", "oid": pr.GetMergeCommitSHA()}
	}
	state := "OPEN"
	switch {
	case pr.GetMerged():
		state = "MERGED"
	case pr.GetState() == "closed":
		state = "CLOSED"
	}
	return map[string]any{
		"__typename": "PullRequest", "number": number, "merged": pr.GetMerged(), "mergedAt": stamp(pr.MergedAt),
		"mergedBy": login(pr.MergedBy), "mergeCommit": mergeCommit, "headRefOid": pr.GetHead().GetSHA(),
		"baseRefName": pr.GetBase().GetRef(), "state": state,
		"reviews": gqlConnection(reviews), "comments": gqlConnection(comments),
	}
}

// gqlConnection pages nodes as a connection field with first (at most 100).
func gqlConnection(nodes []any) gqlField {
	return func(args map[string]any) (any, error) {
		first, ok := args["first"].(int64)
		if !ok || first < 1 || first > 100 {
			return nil, fmt.Errorf("requesting %v records on the connection exceeds the `first` limit of 100 records", args["first"])
		}
		page := nodes[:min(int(first), len(nodes))]
		if page == nil {
			page = []any{}
		}
		return map[string]any{"totalCount": len(nodes), "nodes": page,
			"pageInfo": map[string]any{"hasNextPage": len(nodes) > int(first), "endCursor": fmt.Sprintf("cursor:%d", len(page))}}, nil
	}
}

// gqlEval projects objects onto selection sets.
type gqlEval struct {
	vars  map[string]any
	frags ast.FragmentDefinitionList
}

func (g *gqlEval) arg(f *ast.Field, name string) any {
	a := f.Arguments.ForName(name)
	if a == nil {
		return nil
	}
	v, _ := a.Value.Value(g.vars)
	return v
}

// project returns the fields of v that sel selects.
func (g *gqlEval) project(v any, sel ast.SelectionSet) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = g.project(e, sel); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := map[string]any{}
		if err := g.fields(v, sel, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return v, nil
}

func (g *gqlEval) fields(obj map[string]any, sel ast.SelectionSet, out map[string]any) error {
	typ, _ := obj["__typename"].(string)
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			val, ok := obj[s.Name]
			if !ok {
				return fmt.Errorf("Field '%s' doesn't exist on type '%s'", s.Name, typ)
			}
			if f, ok := val.(gqlField); ok {
				args := map[string]any{}
				for _, a := range s.Arguments {
					args[a.Name], _ = a.Value.Value(g.vars)
				}
				var err error
				if val, err = f(args); err != nil {
					return err
				}
			}
			if len(s.SelectionSet) > 0 && val != nil {
				var err error
				if val, err = g.project(val, s.SelectionSet); err != nil {
					return err
				}
			}
			out[s.Alias] = val
		case *ast.InlineFragment:
			if s.TypeCondition == "" || s.TypeCondition == typ {
				if err := g.fields(obj, s.SelectionSet, out); err != nil {
					return err
				}
			}
		case *ast.FragmentSpread:
			def := g.frags.ForName(s.Name)
			if def == nil {
				return fmt.Errorf("Fragment %s was used, but not defined", s.Name)
			}
			if def.TypeCondition == typ {
				if err := g.fields(obj, def.SelectionSet, out); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
