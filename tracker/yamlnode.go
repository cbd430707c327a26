package tracker

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// nodeAt follows path (mapping keys as strings, sequence indexes as ints) from
// root and returns the node there, or nil. For a mapping key it returns the
// value node. It is how semantic checks find the line of what they complain
// about after the strict decode has succeeded.
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

// yamlError converts an error from go.yaml.in/yaml/v3 (syntax errors and the
// *yaml.TypeError of a strict decode, whose messages start with "line N: ")
// into ConfigErrors naming file. Other errors are wrapped with the file name.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var out ConfigErrors
		for _, m := range te.Errors {
			out = append(out, yamlMessage(file, m))
		}
		return out
	}
	msg := err.Error()
	const prefix = "yaml: "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		msg = msg[len(prefix):]
	}
	return ConfigErrors{yamlMessage(file, msg)}
}

func yamlMessage(file, m string) *ConfigError {
	if sm := yamlLineRe.FindStringSubmatch(m); sm != nil {
		line, _ := strconv.Atoi(sm[1])
		return &ConfigError{File: file, Line: line, Msg: friendlyYAML(sm[2])}
	}
	return &ConfigError{File: file, Msg: friendlyYAML(m)}
}

var unknownFieldRe = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// friendlyYAML rewrites the decoder's Go-flavoured messages for people who
// write YAML, not Go.
func friendlyYAML(m string) string {
	if sm := unknownFieldRe.FindStringSubmatch(m); sm != nil {
		return fmt.Sprintf("unknown key %q (check its spelling and indentation against the reference)", sm[1])
	}
	return m
}
