package config

import (
	"bytes"
	"testing"
)

// FuzzConfigYAML: any YAML gives a configuration or an error naming the
// problem, never a panic.
func FuzzConfigYAML(f *testing.F) {
	f.Add("loss: svm\nlambda: 0.1\n")
	f.Add("augment: [\"flip:0.5\"]\ndata:\n  train: [data_batch_1]\n")
	f.Add("epochs: [1, 2]\n")
	f.Add("lamda: 1\n")
	f.Add("{")
	f.Fuzz(func(t *testing.T, text string) {
		cfg := DefaultConfig()
		if err := DecodeConfigYAML(bytes.NewReader([]byte(text)), "fuzz.yaml", &cfg); err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}
