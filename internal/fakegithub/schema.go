package fakegithub

import (
	_ "embed"
	"errors"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// githubSchema is GitHub's public GraphQL schema for api.github.com,
// unchanged: octokit/graphql-schema (MIT, (c) GitHub), schema.graphql as of
// commit 82ff2d4780080e6929ebb95608cefa22dfa05ac7 (2026-07-22).
//
//go:embed schema.graphql
var githubSchema string

// loadSchema parses the schema once. GitHub's published schema defines a
// few fields twice (EnterpriseOwnerInfo.repositoryDeployKeySetting): the
// first definition is kept, as GitHub's own server evidently does.
var loadSchema = sync.OnceValues(func() (*ast.Schema, error) {
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: "github.graphql", Input: githubSchema})
	if err != nil {
		return nil, err
	}
	for _, defs := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
		for _, d := range defs {
			seen := map[string]bool{}
			kept := d.Fields[:0]
			for _, f := range d.Fields {
				if !seen[f.Name] {
					seen[f.Name] = true
					kept = append(kept, f)
				}
			}
			d.Fields = kept
		}
	}
	return validator.ValidateSchemaDocument(doc)
})

// ValidateQuery checks a GraphQL document against GitHub's schema: every
// field, argument, fragment and variable must be one GitHub has, of the
// right type. The fake answers what it was written to answer; this says
// whether GitHub would.
func ValidateQuery(query string) error {
	schema, err := loadSchema()
	if err != nil {
		return err
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return err
	}
	if errs := validator.Validate(schema, doc); len(errs) > 0 {
		var all []error
		for _, e := range errs {
			all = append(all, e)
		}
		return errors.Join(all...)
	}
	return nil
}
