package tracker

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// nodeAt follows path (mapping keys as strings, sequence indexes as ints) from
// root and returns the node there, or nil. For a mapping key it returns the
// value node. It is how value checks find the line of what they complain
// about once a section has decoded.
func nodeAt(root *yaml.Node, path ...any) *yaml.Node {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		if n == nil {
			return nil
		}
		switch k := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return nil
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
				}
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || k < 0 || k >= len(n.Content) {
				return nil
			}
			n = n.Content[k]
		default:
			return nil
		}
	}
	return n
}

// keyAt is nodeAt for the key node of the last path element (a mapping key),
// which is where a "this key is wrong" error should point.
func keyAt(root *yaml.Node, path ...any) *yaml.Node {
	if len(path) == 0 {
		return nil
	}
	parent := nodeAt(root, path[:len(path)-1]...)
	k, ok := path[len(path)-1].(string)
	if parent == nil || parent.Kind != yaml.MappingNode || !ok {
		return nodeAt(root, path...)
	}
	for i := 0; i+1 < len(parent.Content); i += 2 {
		if parent.Content[i].Value == k {
			return parent.Content[i]
		}
	}
	return nil
}

// configErrorAt builds a ConfigError for file pointing at the node found by
// path, falling back to its nearest existing ancestor, then to line 0.
func configErrorAt(file string, root *yaml.Node, msg string, path ...any) *ConfigError {
	for i := len(path); i >= 0; i-- {
		if n := nodeAt(root, path[:i]...); n != nil && n.Line > 0 {
			return &ConfigError{File: file, Line: n.Line, Column: n.Column, Msg: msg}
		}
	}
	return &ConfigError{File: file, Msg: msg}
}

var yamlLineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError converts a syntax error from go.yaml.in/yaml/v3 (whose message
// starts with "yaml: line N: ") into a ConfigError naming file and line; the
// parser does not give the column.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if sm := yamlLineRe.FindStringSubmatch(msg); sm != nil {
		line, _ := strconv.Atoi(sm[1])
		return ConfigErrors{{File: file, Line: line, Msg: sm[2]}}
	}
	return ConfigErrors{{File: file, Msg: msg}}
}

// checkShape compares node n, found at path (written as in the policy
// reference: brief.rules[].min_words), with the Go type t it is decoded into,
// and reports every mismatch a decode would stop at or reject, each at its
// line and column and in YAML's terms: keys t does not have, keys written
// twice, a list where a mapping belongs, text where true or false belongs.
// A node that passes decodes into t without error. A null node decodes into
// any type (as its zero value), so it always passes.
//
// A node reached through several aliases is checked once for each type, so
// that a few hundred bytes of anchors merging anchors (`<<: [*a, *a]`, each
// doubling the last) take linear time, not exponential.
func checkShape(file, path string, n *yaml.Node, t reflect.Type) ConfigErrors {
	return shapeChecker{file: file, done: map[aliasKey]bool{}}.check(path, n, t)
}

// aliasKey is an alias target checked against a type.
type aliasKey struct {
	n *yaml.Node
	t reflect.Type
}

type shapeChecker struct {
	file string
	done map[aliasKey]bool
}

func (c shapeChecker) check(path string, n *yaml.Node, t reflect.Type) ConfigErrors {
	file := c.file
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
		k := aliasKey{n, t}
		if c.done[k] {
			return nil // checked (and any mismatch reported) where first reached
		}
		c.done[k] = true
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	errAt := func(n *yaml.Node, format string, args ...any) ConfigErrors {
		return ConfigErrors{{File: file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}}
	}
	mismatch := func() ConfigErrors {
		msg := fmt.Sprintf("%s: expected %s, got %s", path, shapeName(t), nodeShape(n))
		if t.Kind() == reflect.Slice && n.Kind == yaml.ScalarNode {
			msg += fmt.Sprintf(" (a list of one is written [%s])", n.Value)
		}
		return errAt(n, "%s", msg)
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		if n.Kind != yaml.MappingNode {
			return mismatch()
		}
		var errs ConfigErrors
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				// <<: *anchor merges another mapping (or a list of them) in.
				merged := []*yaml.Node{v}
				if v.Kind == yaml.SequenceNode {
					merged = v.Content
				}
				for _, m := range merged {
					errs = append(errs, c.check(path, m, t)...)
				}
				continue
			}
			if k.Kind != yaml.ScalarNode {
				errs = append(errs, errAt(k, "%s: a key must be a plain word, got %s", path, nodeShape(k))...)
				continue
			}
			if first, dup := seen[k.Value]; dup {
				errs = append(errs, errAt(k, "%s has key %q twice (first at line %d); keep one", path, k.Value, first.Line)...)
				continue
			}
			seen[k.Value] = k
			if t.Kind() == reflect.Map {
				errs = append(errs, c.check(path+"."+k.Value, v, t.Elem())...)
				continue
			}
			ft, ok := yamlField(t, k.Value)
			if !ok {
				errs = append(errs, errAt(k, "unknown key %q in %s (allowed: %s; check its spelling and indentation against the reference)", k.Value, path, strings.Join(yamlKeys(t), ", "))...)
				continue
			}
			errs = append(errs, c.check(path+"."+k.Value, v, ft)...)
		}
		return errs
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return mismatch()
		}
		var errs ConfigErrors
		for _, e := range n.Content {
			errs = append(errs, c.check(path+"[]", e, t.Elem())...)
		}
		return errs
	default:
		if n.Kind != yaml.ScalarNode {
			return mismatch()
		}
		if k := t.Kind(); k >= reflect.Int && k <= reflect.Int64 && n.ShortTag() != "!!int" {
			return mismatch() // the decoder would cut 2.5 to 2
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			return mismatch()
		}
		return nil
	}
}

// yamlField returns the type of struct t's field whose yaml name is key.
func yamlField(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && yamlName(f) == key {
			return f.Type, true
		}
	}
	return nil, false
}

// yamlKeys lists the yaml names of struct t's fields, in order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && yamlName(f) != "" {
			keys = append(keys, yamlName(f))
		}
	}
	return keys
}

// yamlName is the key a struct field is written as, "" for none (yaml:"-").
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// shapeName says in YAML's terms what a value of type t is written as.
func shapeName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[map[string]*Kind]():
		return "a mapping of kind names"
	case reflect.TypeFor[Condition]():
		return "a mapping such as {field: ID, is: VALUE}"
	}
	switch t.Kind() {
	case reflect.Struct:
		return "a mapping of keys (" + strings.Join(yamlKeys(t), ", ") + ")"
	case reflect.Map:
		return "a mapping"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "a list of mappings"
		}
		return "a list"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	default:
		return "text"
	}
}

// nodeShape says what n is, for "expected ..., got ..." messages.
func nodeShape(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(n.Value)
	}
}
