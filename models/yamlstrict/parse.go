package yamlstrict

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads one YAML document and returns its root node (nil for an
// empty document). Syntax errors, a second document and duplicate keys are
// Errors naming the line.
func Parse(r io.Reader, name string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: name, Line: extra.Line, Msg: "a second YAML document: a file holds one"}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(name, err)
	}
	if err := checkDuplicateKeys(&doc, name); err != nil {
		return nil, err
	}
	n := &doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	return n, nil
}

func syntaxError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return &Error{File: name, Line: line, Msg: msg}
}

// checkDuplicateKeys reports the first mapping key that appears twice in
// the same mapping (yaml.v3 finds these only when it decodes into a map or
// a struct, not into a node).
func checkDuplicateKeys(n *yaml.Node, file string) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := checkDuplicateKeys(c, file); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode {
				if line, dup := seen[k.Value]; dup {
					return &Error{File: file, Line: k.Line, Key: k.Value, Msg: fmt.Sprintf("mapping key %q already defined at line %d", k.Value, line)}
				}
				seen[k.Value] = k.Line
			}
			if err := checkDuplicateKeys(n.Content[i+1], file); err != nil {
				return err
			}
		}
	}
	return nil
}
