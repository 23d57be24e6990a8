package yamlstrict

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode applies the YAML node n over the value that ptr points
// to: structs by the JSON names of their fields (keys not among them are
// errors), other values as yaml.v3 decodes them; types with their own
// UnmarshalYAML, UnmarshalJSON or UnmarshalText use those. key prefixes
// the keys named in errors.
func Decode(n *yaml.Node, file, key string, ptr any) error {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("yamlstrict.Decode: want a non-nil pointer, got %T", ptr)
	}
	d := &nodeDecoder{file: file}
	return d.decode(n, v.Elem(), key)
}

type nodeDecoder struct {
	file string
}

func (d *nodeDecoder) errf(n *yaml.Node, key, format string, args ...any) error {
	return Errorf(d.file, n, key, format, args...)
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
			return d.errf(n, key, "want a single value, got %s", DescribeTyped(n))
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
		if IsNull(n) {
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
		if IsNull(n) {
			v.SetZero()
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return d.errf(n, key, "want a list, got %s", DescribeTyped(n))
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
		if IsNull(n) {
			v.SetZero()
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return d.errf(n, key, "want a mapping, got %s", DescribeTyped(n))
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
	if IsNull(n) {
		return nil // "data:" with nothing under it changes nothing
	}
	if n.Kind != yaml.MappingNode {
		what := "the settings"
		if key != "" {
			what = "the keys of " + key
		}
		return d.errf(n, key, "want a mapping of %s, got %s", what, DescribeTyped(n))
	}
	fields := jsonFields(v.Type())
	byName := make(map[string]jsonField, len(fields))
	for _, f := range fields {
		byName[f.name] = f
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			return d.errf(kn, key, "a key must be a name, got %s", DescribeTyped(kn))
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
		return d.errf(n, key, "want %s, got %s", typeName(v.Type()), DescribeTyped(n))
	}
	if IsNull(n) {
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
