package models

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// A config file is YAML with the keys of config.json: the JSON names of
// Config's fields ("loss", "eta", "init_std", "data": {"dir", "train", …}).
// The keys are found by reflection over Config, so a field added to Config
// is a key of the file without further work. Keys the file leaves out keep
// the value of the configuration the file is applied over; a list replaces
// the list underneath it as a whole.

// ConfigFileError is an error at a place of a config or sweep file.
type ConfigFileError struct {
	File string // "" for a document read from a reader
	Line int    // 1-based; 0 when unknown
	Key  string // dotted path of the key: "data.val_holdout", "augment[1]"
	Msg  string
}

func (e *ConfigFileError) Error() string {
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

// LoadConfigFile applies the keys of the YAML file at path over into: a
// key the file sets replaces into's value, the others stay. Unknown keys,
// values of the wrong type, duplicate keys and YAML syntax errors are
// errors naming the file, the line and the key. The result is not
// validated: flags may still override it; call Validate after them.
func LoadConfigFile(path string, into *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return DecodeConfigYAML(bytes.NewReader(b), path, into)
}

// DecodeConfigYAML applies the YAML document read from r over into, as
// LoadConfigFile does; name is the file name used in errors.
func DecodeConfigYAML(r io.Reader, name string, into *Config) error {
	doc, err := ParseYAML(r, name)
	if err != nil {
		return err
	}
	if doc == nil {
		return nil // an empty file changes nothing
	}
	return ApplyYAML(doc, name, into)
}

// ParseYAML reads one YAML document and returns its root node (nil for an
// empty document). Syntax errors and duplicate keys name the line.
func ParseYAML(r io.Reader, name string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlSyntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ConfigFileError{File: name, Line: extra.Line, Msg: "a second YAML document: a file holds one"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlSyntaxError(name, err)
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

func yamlSyntaxError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return &ConfigFileError{File: name, Line: line, Msg: msg}
}

// ApplyYAML applies a YAML mapping node over into, field by field, by the
// JSON names of Config's fields. file names the source in errors.
func ApplyYAML(n *yaml.Node, file string, into *Config) error {
	return DecodeYAMLInto(n, file, "", into)
}

// DecodeYAMLInto applies the YAML node n over the value that ptr points
// to: structs by the JSON names of their fields (keys not among them are
// errors), other values as yaml.v3 decodes them; types with their own
// UnmarshalYAML, UnmarshalJSON or UnmarshalText use those. key prefixes
// the keys named in errors.
func DecodeYAMLInto(n *yaml.Node, file, key string, ptr any) error {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("DecodeYAMLInto: want a non-nil pointer, got %T", ptr)
	}
	d := &nodeDecoder{file: file}
	return d.decode(n, v.Elem(), key)
}

// ConfigKeys lists the keys of a config file in dotted form ("eta",
// "data.dir"), as they appear in config.json.
func ConfigKeys() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, f := range jsonFields(t) {
			name := prefix + f.name
			if isPlainStruct(f.typ) {
				walk(f.typ, name+".")
				continue
			}
			out = append(out, name)
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return out
}

type nodeDecoder struct {
	file string
}

func (d *nodeDecoder) errf(n *yaml.Node, key, format string, args ...any) error {
	return &ConfigFileError{File: d.file, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

var (
	yamlUnmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	jsonUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func (d *nodeDecoder) decode(n *yaml.Node, v reflect.Value, key string) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	pt := reflect.PointerTo(v.Type())
	switch {
	case pt.Implements(yamlUnmarshaler):
		return d.viaYAML(n, v, key)
	case pt.Implements(jsonUnmarshaler):
		return d.viaJSON(n, v, key)
	case pt.Implements(textUnmarshaler):
		if n.Kind != yaml.ScalarNode {
			return d.errf(n, key, "want a single value, got %s", kindName(n))
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			return d.errf(n, key, "%v", err)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.decodeStruct(n, v, key)
	case reflect.Pointer:
		if isNull(n) {
			v.SetZero()
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			p.Elem().Set(v.Elem())
		}
		if err := d.decode(n, p.Elem(), key); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		if isNull(n) {
			v.SetZero()
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return d.errf(n, key, "want a list, got %s", kindName(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if err := d.decode(e, s.Index(i), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if isNull(n) {
			v.SetZero()
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return d.errf(n, key, "want a mapping, got %s", kindName(n))
		}
		// A copy: the map underneath may be shared with other configs.
		m := reflect.MakeMap(v.Type())
		if !v.IsNil() {
			it := v.MapRange()
			for it.Next() {
				m.SetMapIndex(it.Key(), it.Value())
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			k := reflect.New(v.Type().Key()).Elem()
			if err := d.decode(kn, k, key); err != nil {
				return err
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if old := m.MapIndex(k); old.IsValid() {
				e.Set(old)
			}
			if err := d.decode(vn, e, joinKey(key, kn.Value)); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return nil
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			return d.errf(n, key, "%v", err)
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	}
	return d.decodeScalar(n, v, key)
}

func (d *nodeDecoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) error {
	if isNull(n) {
		return nil // "data:" with nothing under it changes nothing
	}
	if n.Kind != yaml.MappingNode {
		what := "the settings"
		if key != "" {
			what = "the keys of " + key
		}
		return d.errf(n, key, "want a mapping of %s, got %s", what, kindName(n))
	}
	fields := jsonFields(v.Type())
	byName := make(map[string]jsonField, len(fields))
	for _, f := range fields {
		byName[f.name] = f
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			return d.errf(kn, key, "a key must be a name, got %s", kindName(kn))
		}
		if kn.Value == "<<" {
			return d.errf(kn, key, "merge keys (<<) are not supported")
		}
		f, ok := byName[kn.Value]
		if !ok {
			return d.errf(kn, joinKey(key, kn.Value), "unknown key%s (known: %s)", suggest(kn.Value, fields), knownNames(fields))
		}
		if err := d.decode(vn, v.FieldByIndex(f.index), joinKey(key, f.name)); err != nil {
			return err
		}
	}
	return nil
}

func (d *nodeDecoder) decodeScalar(n *yaml.Node, v reflect.Value, key string) error {
	if n.Kind != yaml.ScalarNode {
		return d.errf(n, key, "want %s, got %s", typeName(v.Type()), kindName(n))
	}
	if isNull(n) {
		return d.errf(n, key, "no value (want %s)", typeName(v.Type()))
	}
	// yaml.v3 would turn any scalar into a string; a string setting takes
	// only what YAML reads as a string.
	if v.Kind() == reflect.String && n.ShortTag() != "!!str" {
		return d.errf(n, key, "want a string, got %s %s (quote it)", tagName(n), n.Value)
	}
	// yaml.v3 would truncate 4.5 into an int; a setting takes only the
	// YAML types that hold its values exactly.
	tag := n.ShortTag()
	ok := true
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		ok = tag == "!!int"
	case reflect.Float32, reflect.Float64:
		ok = tag == "!!int" || tag == "!!float"
	case reflect.Bool:
		ok = tag == "!!bool"
	}
	p := reflect.New(v.Type())
	if !ok || n.Decode(p.Interface()) != nil {
		return d.errf(n, key, "want %s, got %s %q", typeName(v.Type()), tagName(n), n.Value)
	}
	v.Set(p.Elem())
	return nil
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
					return &ConfigFileError{File: file, Line: k.Line, Key: k.Value, Msg: fmt.Sprintf("mapping key %q already defined at line %d", k.Value, line)}
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

func (d *nodeDecoder) viaYAML(n *yaml.Node, v reflect.Value, key string) error {
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	if err := n.Decode(p.Interface()); err != nil {
		return d.errf(n, key, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	v.Set(p.Elem())
	return nil
}

func (d *nodeDecoder) viaJSON(n *yaml.Node, v reflect.Value, key string) error {
	var x any
	if err := n.Decode(&x); err != nil {
		return d.errf(n, key, "%v", err)
	}
	b, err := json.Marshal(x)
	if err != nil {
		return d.errf(n, key, "%v", err)
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		return d.errf(n, key, "%v", err)
	}
	v.Set(p.Elem())
	return nil
}

type jsonField struct {
	name  string
	index []int
	typ   reflect.Type
}

// jsonFields lists the fields of struct type t under their JSON names, as
// encoding/json sees them (embedded structs flattened, "-" left out).
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for _, sub := range jsonFields(ft) {
					sub.index = append([]int{i}, sub.index...)
					out = append(out, sub)
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, index: []int{i}, typ: f.Type})
	}
	return out
}

// isPlainStruct reports whether t is decoded key by key (a struct without
// an unmarshaler of its own).
func isPlainStruct(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	pt := reflect.PointerTo(t)
	return !pt.Implements(yamlUnmarshaler) && !pt.Implements(jsonUnmarshaler) && !pt.Implements(textUnmarshaler)
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "no value"
		}
		return fmt.Sprintf("%s %s", tagName(n), n.Value)
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

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer ≥ 0"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

func knownNames(fields []jsonField) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// suggest returns ` (did you mean "x"?)` for a key close to a known one.
func suggest(key string, fields []jsonField) string {
	best, bestD := "", 3
	for _, f := range fields {
		if d := editDistance(strings.ToLower(key), f.name); d < bestD {
			best, bestD = f.name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
