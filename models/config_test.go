package models

import (
	"math"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if c := DefaultConfig(); c.Validate() != nil {
		t.Fatalf("default config invalid: %v", c.Validate())
	}
	for _, c := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"loss", func(c *Config) { c.Loss = "hinge" }, "loss"},
		{"negative lambda", func(c *Config) { c.Lambda = -1 }, "lambda"},
		{"NaN lambda", func(c *Config) { c.Lambda = math.NaN() }, "lambda"},
		{"zero eta", func(c *Config) { c.Eta = 0 }, "eta"},
		{"infinite eta", func(c *Config) { c.Eta = math.Inf(1) }, "eta"},
		{"zero epochs", func(c *Config) { c.Epochs = 0 }, "epochs"},
		{"zero batch", func(c *Config) { c.Batch = 0 }, "batch"},
		{"zero decay", func(c *Config) { c.Decay = 0 }, "decay"},
		{"decay above 1", func(c *Config) { c.Decay = 1.5 }, "decay"},
		{"dtype", func(c *Config) { c.Dtype = "float16" }, "dtype"},
		{"device", func(c *Config) { c.Device = "tpu" }, "device"},
		{"no train", func(c *Config) { c.Data.Train = nil }, "data.train"},
		{"no test", func(c *Config) { c.Data.Test = nil }, "data.test"},
		{"no val", func(c *Config) { c.Data.Val = nil }, "data.val"},
		{"val and holdout", func(c *Config) { c.Data.ValHoldout = 10 }, "choose one"},
		{"negative holdout", func(c *Config) { c.Data.ValHoldout = -1 }, "val_holdout"},
	} {
		cfg := DefaultConfig()
		c.change(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one naming %q", c.name, err, c.want)
		}
	}
}

func TestConfigHash(t *testing.T) {
	a, b := DefaultConfig(), DefaultConfig()
	if a.Hash() != b.Hash() || len(a.Hash()) != 12 {
		t.Errorf("hash %q vs %q", a.Hash(), b.Hash())
	}
	b.Lambda = 0.2
	if a.Hash() == b.Hash() {
		t.Error("different configs, same hash")
	}
}
