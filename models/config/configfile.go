package config

import (
	"bytes"
	"io"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/gtrain/gtrain/models/yamlstrict"
)

// A config file is YAML with the keys of config.json: the JSON names of
// Config's fields ("loss", "eta", "init_std", "data": {"dir", "train", …}).
// The keys are found by reflection over Config, so a field added to Config
// is a key of the file without further work. Keys the file leaves out keep
// the value of the configuration the file is applied over; a list replaces
// the list underneath it as a whole.

// ConfigFileError is an error at a place of a config or sweep file.
type ConfigFileError = yamlstrict.Error

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
	doc, err := yamlstrict.Parse(r, name)
	if err != nil {
		return err
	}
	if doc == nil {
		return nil // an empty file changes nothing
	}
	return ApplyYAML(doc, name, into)
}

// ApplyYAML applies a YAML mapping node over into, field by field, by the
// JSON names of Config's fields. file names the source in errors.
// A node that sets cycles without epochs makes epochs 0: the cycles are
// then the run's length, replacing the epochs underneath.
func ApplyYAML(n *yaml.Node, file string, into *Config) error {
	if err := yamlstrict.Decode(n, file, "", into); err != nil {
		return err
	}
	if hasKey(n, "cycles") && !hasKey(n, "epochs") {
		into.Epochs = 0
	}
	return nil
}

func hasKey(n *yaml.Node, key string) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// ConfigKeys lists the keys of a config file in dotted form ("eta",
// "data.dir"), as they appear in config.json.
func ConfigKeys() []string {
	return yamlstrict.Keys(reflect.TypeOf(Config{}))
}
