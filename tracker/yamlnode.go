package tracker

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	yamlv4 "go.yaml.in/yaml/v4"
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

// syntaxError converts a YAML syntax error into a ConfigError at the line
// and column of the mistake, with what to do in plain words. ref is the
// command that prints a correct file to compare with ("twokey policy").
//
// go.yaml.in/yaml/v3, which decodes the file, names the line where the
// construct that failed began (a mis-indented key on line 77 is reported at
// the "kinds:" of line 74) and often no line at all; its successor
// go.yaml.in/yaml/v4 runs the same scanner with the marks fixed and returns
// them as a *yaml.LoadError with a line and a column. So data is parsed again
// with v4 only to place the error; v3's message is kept when v4 disagrees
// that the file is broken.
func syntaxError(file, ref string, data []byte, err error) ConfigErrors {
	var node yamlv4.Node
	var le *yamlv4.LoadError
	if err4 := yamlv4.Unmarshal(data, &node); errors.As(err4, &le) && le.Mark.Line > 0 {
		line, col, msg, context := le.Mark.Line, le.Mark.Column, le.Message, le.ContextMsg
		switch {
		case opener(context) && le.ContextMark.Line > 0 && le.ContextMark.Index < le.Mark.Index:
			// An unclosed [, { or quote: the mistake is where it opened,
			// not where the parser gave up looking for its end.
			line, col = le.ContextMark.Line, le.ContextMark.Column
		case strings.Contains(context, "flow node") && le.Mark.Index >= len(bytes.TrimRight(data, " \t\r\n")):
			// The file ended inside a [ or {: find the one left open.
			if l, c, b := unclosedFlow(data); l > 0 {
				line, col, msg = l, c, ""
				context = "flow sequence"
				if b == '{' {
					context = "flow mapping"
				}
			}
		}
		return ConfigErrors{{File: file, Line: line, Column: col, Msg: syntaxFix(msg, context, sourceLine(data, line), col, ref)}}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if sm := yamlLineRe().FindStringSubmatch(msg); sm != nil {
		line, _ := strconv.Atoi(sm[1])
		return ConfigErrors{{File: file, Line: line, Msg: "this is not valid YAML: " + sm[2] + "; compare with " + ref}}
	}
	return ConfigErrors{{File: file, Msg: "this is not valid YAML: " + msg + "; compare with " + ref}}
}

var yamlLineRe = lazyRegexp(`^line (\d+): (.*)$`)

// unclosedFlow returns the line, column and byte of the innermost [ or {
// that data leaves open, skipping quoted text and comments, or 0, 0, 0. It
// is used only once the parser has run off the end of the file inside a flow
// collection, so the brackets it counts are YAML's.
func unclosedFlow(data []byte) (line, col int, b byte) {
	type open struct {
		line, col int
		b         byte
	}
	var stack []open
	l, c := 1, 0
	var quote rune
	comment := false
	prev := ' '
	for _, r := range string(data) {
		c++
		switch {
		case r == '\n':
			l, c, comment, prev = l+1, 0, false, ' '
			continue
		case comment:
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#' && (prev == ' ' || prev == '\t' || c == 1):
			comment = true
		case r == '[' || r == '{':
			stack = append(stack, open{l, c, byte(r)})
		case (r == ']' || r == '}') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
		prev = r
	}
	if len(stack) == 0 {
		return 0, 0, 0
	}
	o := stack[len(stack)-1]
	return o.line, o.col, o.b
}

// opener reports whether a parser context names a construct that must be
// closed: a flow list or mapping, or a quoted text.
func opener(context string) bool {
	return strings.Contains(context, "flow sequence") || strings.Contains(context, "flow mapping") ||
		strings.Contains(context, "quoted scalar")
}

// syntaxFix says what the parser's message means and what to do about it.
// line is the text of the line the error points at and col its column.
func syntaxFix(msg, context, line string, col int, ref string) string {
	switch {
	case strings.Contains(msg, "tab character"):
		return "a tab in the indentation: YAML indents with spaces only; replace the tab with spaces"
	case strings.Contains(context, "flow sequence"):
		return "this [ is never closed: end the list with ] on the same line, or quote text that starts with ["
	case strings.Contains(context, "flow mapping"):
		return "this { is never closed: end the mapping with } on the same line, or quote text that starts with {"
	case strings.Contains(context, "quoted scalar"):
		return "this quote is never closed: end the text with the same quote mark"
	case strings.Contains(msg, "mapping values are not allowed"):
		return "a \": \" here cannot start a key: the line is indented differently from the keys above it (indent it like its siblings) " +
			"or the value holds \": \" (put the value in quotes); compare with " + ref
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "did not find expected '-' indicator"):
		return "this line is not indented like the keys or list items above it: indent it with the same number of spaces " +
			"as the entries it belongs with; compare with " + ref
	case strings.Contains(msg, "cannot start any token"):
		r := ""
		if col > 0 && col <= len([]rune(line)) {
			r = fmt.Sprintf(" %q", string([]rune(line)[col-1]))
		}
		return fmt.Sprintf("YAML cannot start a value with%s (@ and ` are reserved): put the text in quotes; is this a YAML file? compare with %s", r, ref)
	case strings.Contains(msg, "directive"):
		return "a line starting with % is a YAML directive: put the text in quotes; is this a YAML file? compare with " + ref
	}
	return "this is not valid YAML (" + msg + "); compare with " + ref
}

// sourceLine returns line n (1-based) of data without its line break, or "".
func sourceLine(data []byte, n int) string {
	for i := 1; len(data) > 0; i++ {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		if i == n {
			return strings.TrimSuffix(string(line), "\r")
		}
		data = rest
	}
	return ""
}

// withSource fills in the Source of each error in file from data.
func withSource(errs ConfigErrors, file string, data []byte) {
	for _, e := range errs {
		if e.File == file && e.Line > 0 && e.Source == "" {
			e.Source = sourceLine(data, e.Line)
		}
	}
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
