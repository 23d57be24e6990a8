package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func loadYAML(t *testing.T, text string) (Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	err := LoadConfigFile(path, &cfg)
	return cfg, err
}

func TestLoadConfigFileAppliesOverBase(t *testing.T) {
	cfg, err := loadYAML(t, `
# the report's SVM with decay
loss: svm
lambda: 0
eta: 0.01
epochs: 3
decay: 0.95
shuffle: true
seed: 7
init_std: 0.02
data:
  dir: /tmp/cifar
  val_holdout: 1000
  val: []
  train: [data_batch_1, data_batch_2]
`)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Loss, want.Lambda, want.Eta, want.Epochs, want.Decay, want.Shuffle, want.Seed, want.InitStd =
		"svm", 0, 0.01, 3, 0.95, true, 7, 0.02
	want.Data.Dir, want.Data.ValHoldout, want.Data.Val = "/tmp/cifar", 1000, []string{}
	want.Data.Train = []string{"data_batch_1", "data_batch_2"}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got  %+v\nwant %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigFileEmptyKeepsBase(t *testing.T) {
	for _, text := range []string{"", "# nothing\n", "---\n", "data:\n"} {
		cfg, err := loadYAML(t, text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if !reflect.DeepEqual(cfg, DefaultConfig()) {
			t.Errorf("%q changed the base: %+v", text, cfg)
		}
	}
}

func TestLoadConfigFileErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"loss: svm\netaa: 0.1\n", `c.yaml:2: etaa: unknown key (did you mean "eta"?)`},
		{"data:\n  dir: x\n  tain: [a]\n", `c.yaml:3: data.tain: unknown key (did you mean "train"?)`},
		{"eta: fast\n", `c.yaml:1: eta: want a number, got the string "fast"`},
		{"epochs: 4.5\n", `c.yaml:1: epochs: want an integer, got the number "4.5"`},
		{"seed: -1\n", `c.yaml:1: seed: want an integer ≥ 0`},
		{"shuffle: 3\n", `c.yaml:1: shuffle: want true or false`},
		{"loss: 3\n", `c.yaml:1: loss: want a string, got the integer 3`},
		{"eta:\n", `c.yaml:1: eta: no value`},
		{"eta: [1, 2]\n", `c.yaml:1: eta: want a number, got a list`},
		{"data: /tmp\n", `c.yaml:1: data: want a mapping of the keys of data`},
		{"data:\n  train: data_batch_1\n", `c.yaml:2: data.train: want a list`},
		{"data:\n  train: [data_batch_1, 3]\n", `c.yaml:2: data.train[1]: want a string`},
		{"eta: 1\neta: 2\n", `c.yaml:2: eta: mapping key "eta" already defined at line 1`},
		{"eta: [1\n", `c.yaml:`},
		{"- 1\n- 2\n", `c.yaml:1: want a mapping of the settings, got a list`},
		{"eta: 1\n---\neta: 2\n", `a second YAML document`},
	} {
		_, err := loadYAML(t, tc.text)
		if err == nil {
			t.Errorf("%q: no error", tc.text)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "c.yaml") {
			t.Errorf("%q:\n got %s\nwant %s", tc.text, msg, tc.want)
		}
	}
}

// Every field of Config is a key of the file, by its JSON name, so fields
// added to Config need no change here.
func TestConfigKeysFollowConfig(t *testing.T) {
	keys := ConfigKeys()
	for _, want := range []string{"loss", "lambda", "eta", "epochs", "batch", "decay", "shuffle", "seed", "dtype", "init_std", "device",
		"data.dir", "data.train", "data.val", "data.test", "data.val_holdout"} {
		found := false
		for _, k := range keys {
			found = found || k == want
		}
		if !found {
			t.Errorf("ConfigKeys lacks %q: %v", want, keys)
		}
	}
	// A value of every top-level key round-trips: config.json read as YAML
	// gives the same Config.
	cfg := DefaultConfig()
	cfg.Data.Dir, cfg.Data.ValHoldout, cfg.Data.Val = "/d", 0, []string{"data_batch_2"}
	// config.json is Config's JSON, indented (package runfiles writes it).
	b, err := json.MarshalIndent(&cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got := Config{}
	if err := LoadConfigFile(path, &got); err != nil {
		t.Fatalf("config.json as a config file: %v", err)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, cfg)
	}
}
