package config

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
		{"zero width", func(c *Config) { c.Hidden = []int{50, 0} }, "hidden"},
		{"bn without hidden", func(c *Config) { c.BatchNorm = true }, "batch_norm"},
		{"init", func(c *Config) { c.Hidden, c.Init = []int{50}, "glorot" }, "init"},
		{"negative sigma", func(c *Config) { c.Hidden, c.Init = []int{50}, "-0.1" }, "init"},
		{"cycles without cyclic", func(c *Config) { c.Cycles, c.Epochs = 2, 0 }, "schedule cyclic"},
		{"cycles and epochs", func(c *Config) { cyclic(c); c.Cycles = 2 }, "length once"},
		{"negative cycles", func(c *Config) { c.Cycles = -1 }, "cycles"},
	} {
		cfg := DefaultConfig()
		c.change(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one naming %q", c.name, err, c.want)
		}
	}
}

func cyclic(c *Config) {
	c.Schedule, c.EtaMin, c.EtaMax, c.CycleSteps = "cyclic", 1e-5, 0.1, 500
}

// TestConfigNetwork: a network's keys validate, give the architecture and
// the length in epochs from cycles, and change the hash only when set.
func TestConfigNetwork(t *testing.T) {
	c := DefaultConfig()
	cyclic(&c)
	c.Hidden, c.BatchNorm, c.Cycles, c.Epochs = []int{50, 50}, true, 2, 0
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if a := c.Arch(3072, 10); a.String() != "3072-50-50-10 BN" || c.WeightInit() != "he" || c.Network() != "50-50 BN" {
		t.Errorf("arch %s, init %s, network %q", a, c.WeightInit(), c.Network())
	}
	if e, err := c.EpochsFor(100); err != nil || e != 20 {
		t.Errorf("2 cycles of 2·500 updates at 100 per epoch: %d epochs, %v", e, err)
	}
	if _, err := c.EpochsFor(450); err == nil {
		t.Error("2000 updates at 450 per epoch accepted")
	}
	if got, want := c.Hash(), "866d803210cd"; got != want {
		t.Errorf("network hash %s, pinned %s", got, want)
	}
	lin := DefaultConfig()
	if lin.WeightInit() != "" || lin.Network() != "" {
		t.Errorf("the linear classifier: init %q, network %q", lin.WeightInit(), lin.Network())
	}
}

// TestConfigFileCycles: a file that sets cycles and not epochs makes the
// cycles the length (epochs 0); one that sets both is refused.
func TestConfigFileCycles(t *testing.T) {
	cfg := DefaultConfig()
	doc := "schedule: cyclic\neta_min: 1.0e-5\neta_max: 0.1\ncycle_steps: 500\ncycles: 3\nhidden: [50]\n"
	if err := DecodeConfigYAML(strings.NewReader(doc), "a2.yaml", &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Epochs != 0 || cfg.Cycles != 3 || cfg.Validate() != nil {
		t.Errorf("epochs %d, cycles %d, %v", cfg.Epochs, cfg.Cycles, cfg.Validate())
	}
	both := DefaultConfig()
	if err := DecodeConfigYAML(strings.NewReader(doc+"epochs: 30\n"), "a2.yaml", &both); err != nil {
		t.Fatal(err)
	}
	if err := both.Validate(); err == nil || !strings.Contains(err.Error(), "length once") {
		t.Errorf("epochs and cycles: %v", err)
	}
}

// hashFixture is a configuration with every field away from its default,
// the omitempty ones included, so that a pinned hash covers them all.
func hashFixture() Config {
	c := DefaultConfig()
	c.Loss, c.Lambda, c.Eta, c.Epochs, c.Batch = "svm", 0.25, 0.02, 7, 50
	c.Shuffle, c.Seed, c.Dtype, c.InitStd = true, 42, "float32", 0.02
	c.Schedule, c.StepEvery, c.StepGamma = "step", 3, 0.5
	c.Augment, c.EarlyStop = []string{"flip:0.5", "gaussian:0.01"}, 4
	c.Data = DataConfig{Dir: "/data/cifar", Train: []string{"data_batch_1", "data_batch_3"}, Test: []string{"test_batch"}, ValHoldout: 100}
	return c
}

// TestConfigHash pins the hashes of two configurations as literals: run
// directories, sweep run ids and checkpoints are keyed by them, so a
// change of the digest's bytes or of its encoding must fail here, not only
// show as "another configuration" on old runs.
func TestConfigHash(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"default", DefaultConfig(), "969a977c9642"},
		{"fixture", hashFixture(), "57d240dbdd20"},
	} {
		if err := c.cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := c.cfg.Hash(); got != c.want {
			t.Errorf("%s: hash %s, pinned %s", c.name, got, c.want)
		}
	}
	a, b := DefaultConfig(), DefaultConfig()
	b.Lambda = 0.2
	if a.Hash() == b.Hash() {
		t.Error("different configs, same hash")
	}
	// l2 is in the hash only when it is not the default: an existing
	// config keeps its id, also with the default spelt out.
	full := DefaultConfig()
	full.L2 = "full"
	if got := full.Hash(); got != "969a977c9642" {
		t.Errorf("l2 full: hash %s, want the default's 969a977c9642", got)
	}
	half := DefaultConfig()
	half.L2 = "half"
	if half.Hash() == a.Hash() {
		t.Error("l2 half: the default's hash")
	}
}

func TestConfigL2(t *testing.T) {
	for _, c := range []struct {
		l2     string
		weight float64 // of λ = 0.3
		err    string
	}{
		{"", 0.3, ""}, {"full", 0.3, ""}, {"half", 0.15, ""},
		{"quarter", 0, `l2 "quarter": want full (lambda*||W||^2) or half (lambda/2*||W||^2)`},
	} {
		cfg := DefaultConfig()
		cfg.Lambda, cfg.L2 = 0.3, c.l2
		err := cfg.Validate()
		if (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("l2 %q: error %v, want %q", c.l2, err, c.err)
		}
		if c.err == "" && cfg.L2Weight() != c.weight {
			t.Errorf("l2 %q: weight %v, want %v", c.l2, cfg.L2Weight(), c.weight)
		}
	}
}
