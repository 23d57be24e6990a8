package yamlstrict

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// IsNull reports whether n is YAML's null: "~", "null" or nothing.
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Describe names n for an error message: "a mapping", "a list", "no value"
// or a scalar quoted as Go quotes it ("0.1" with its quotes).
func Describe(n *yaml.Node) string {
	return describe(n, func(n *yaml.Node) string { return strconv.Quote(n.Value) })
}

// DescribeTyped names n as Describe does, a scalar by its YAML type and
// value: "the integer 3", "the string svm".
func DescribeTyped(n *yaml.Node) string {
	return describe(n, func(n *yaml.Node) string { return fmt.Sprintf("%s %s", tagName(n), n.Value) })
}

func describe(n *yaml.Node, scalar func(*yaml.Node) string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if IsNull(n) {
			return "no value"
		}
		return scalar(n)
	}
	return "a YAML node"
}

func tagName(n *yaml.Node) string {
	switch n.ShortTag() {
	case "!!str":
		return "the string"
	case "!!int":
		return "the integer"
	case "!!float":
		return "the number"
	case "!!bool":
		return "the boolean"
	case "!!null":
		return "null"
	}
	return "the value"
}
