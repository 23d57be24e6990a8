// Package yamlstrict reads gtrain's YAML files (config files and sweep
// files) strictly: one document per file, no key twice in a mapping,
// structs decoded key by key by the JSON names of their fields, and every
// unknown key, value of the wrong type or missing value an Error that names
// the file, the line and the key. Both file formats share it so that their
// errors read alike.
package yamlstrict

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is an error at a place of a YAML file.
type Error struct {
	File string // "" for a document read from a reader
	Line int    // 1-based; 0 when unknown
	Key  string // dotted path of the key: "data.val_holdout", "augment[1]"
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf returns the Error at node n of file under key; the line is n's, 0
// when n is nil.
func Errorf(file string, n *yaml.Node, key, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}
