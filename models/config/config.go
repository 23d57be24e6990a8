package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gtrain/gtrain/data/augment"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// Config is the complete, resolved description of a training run. Written
// as config.json into the run directory, it reproduces the run.
type Config struct {
	Loss    string  `json:"loss"`    // "cross" or "svm"
	Lambda  float64 `json:"lambda"`  // L2 strength of λ‖W‖² (b is not regularized)
	Eta     float64 `json:"eta"`     // learning rate of the first epoch
	Epochs  int     `json:"epochs"`  // number of passes over the training split
	Batch   int     `json:"batch"`   // mini-batch size (the course's n_batch)
	Decay   float64 `json:"decay"`   // schedule "exp": eta is multiplied by Decay after each epoch; 1 = none
	Shuffle bool    `json:"shuffle"` // reshuffle the training split at each epoch
	Seed    uint64  `json:"seed"`    // seeds the initialization and the shuffling
	Dtype   string  `json:"dtype"`   // "float64" or "float32"
	InitStd float64 `json:"init_std"`
	Device  string  `json:"device"` // "cpu", or a registered backend such as "cuda:0"

	// Schedule of the learning rate: "exp" (the course's: eta *= decay
	// after each epoch), "step" (eta *= step_gamma every step_every
	// epochs) or "cyclic" (triangular, per update: from eta_min up to
	// eta_max and back in 2·cycle_steps updates, as in the course's later
	// assignments).
	Schedule   string  `json:"schedule"`
	StepEvery  int     `json:"step_every,omitempty"`
	StepGamma  float64 `json:"step_gamma,omitempty"`
	EtaMin     float64 `json:"eta_min,omitempty"`
	EtaMax     float64 `json:"eta_max,omitempty"`
	CycleSteps int     `json:"cycle_steps,omitempty"`

	// Augment lists the augmentations applied to every training
	// mini-batch, in order (package data/augment: "gaussian:0.01",
	// "sp:0.01", "flip:0.5", "translate:4", "jitter:brightness=0.2").
	Augment []string `json:"augment,omitempty"`
	// AugmentInPlace makes the augmentation accumulate on the stored
	// training images instead of being drawn afresh for every batch: each
	// epoch applies it once more to every training image, in place, and
	// the batches are cut from the result; evaluation still uses the clean
	// images. It is the reading that reproduces the report's
	// salt-and-pepper row (docs/dd2424-noise.md).
	AugmentInPlace bool `json:"augment_in_place,omitempty"`

	// Hidden are the widths of the network's hidden layers (ReLU after
	// each); none is the linear classifier of Assignment 1. BatchNorm
	// normalizes every hidden layer's scores over the mini-batch before
	// its ReLU (graph.Arch). Init draws the weights of a network with
	// hidden layers: "he" (the default), "xavier" or a σ ("0.001"); the
	// linear classifier draws W and b from N(0, init_std²) unless Init is
	// set. All three are left out of config.json, and so of the hash and
	// the run id, at their defaults.
	Hidden    []int  `json:"hidden,omitempty"`
	BatchNorm bool   `json:"batch_norm,omitempty"`
	Init      string `json:"init,omitempty"`

	// Cycles, with the cyclic schedule, is the run's length in cycles of
	// 2·cycle_steps updates, as the course gives it; epochs is then 0 and
	// the number of epochs follows from the training split's size
	// (EpochsFor), which must hold a whole number of them.
	Cycles int `json:"cycles,omitempty"`

	// EarlyStop is a patience in epochs: training stops when the
	// validation accuracy has not improved for that many epochs, and the
	// weights of the best epoch are restored. 0 is off.
	EarlyStop int `json:"early_stop,omitempty"`

	// L2 is how λ weighs ‖W‖²: "full" (the default; "" is full) as the
	// course's formula λ‖W‖², or "half" for (λ/2)‖W‖², the convention of
	// code that writes the penalty's gradient as λW. Omitted from
	// config.json and the hash when full, so older run ids stay.
	L2 string `json:"l2,omitempty"`

	Data DataConfig `json:"data"`
}

// DataConfig says where the images come from and how they are split.
type DataConfig struct {
	Dir        string   `json:"dir"`         // binary dir, python dir or archive
	Train      []string `json:"train"`       // batch names of the training split
	Val        []string `json:"val"`         // batch names of the validation split (empty with ValHoldout)
	Test       []string `json:"test"`        // batch names of the test split
	ValHoldout int      `json:"val_holdout"` // >0: validate on the last ValHoldout training images instead
}

// DefaultConfig is the report's "Model 3": cross-entropy, λ = 0.1,
// η = 0.001, 40 epochs of batches of 100, on the course's split.
func DefaultConfig() Config {
	return Config{
		Loss: "cross", Lambda: 0.1, Eta: 0.001, Epochs: 40, Batch: 100, Decay: 1,
		Seed: 0, Dtype: "float64", InitStd: 0.01, Device: "cpu", Schedule: "exp",
		Data: DataConfig{Train: []string{"data_batch_1"}, Val: []string{"data_batch_2"}, Test: []string{"test_batch"}},
	}
}

// Validate checks every field and returns the first problem as an error
// naming the setting and its allowed range.
func (c *Config) Validate() error {
	if _, err := graph.ParseLoss(c.Loss); err != nil {
		return fmt.Errorf("loss: %w", err)
	}
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(c.Lambda) || c.Lambda < 0:
		return fmt.Errorf("lambda %v: must be a finite number ≥ 0", c.Lambda)
	case c.L2 != "" && c.L2 != "full" && c.L2 != "half":
		return fmt.Errorf("l2 %q: want full (lambda*||W||^2) or half (lambda/2*||W||^2)", c.L2)
	case bad(c.Eta) || c.Eta <= 0:
		return fmt.Errorf("eta %v: must be a finite number > 0", c.Eta)
	case c.Cycles < 0:
		return fmt.Errorf("cycles %d: must be ≥ 0 (0: the length is epochs)", c.Cycles)
	case c.Cycles > 0 && c.Schedule != "cyclic":
		return fmt.Errorf("cycles %d: needs schedule cyclic (schedule is %s)", c.Cycles, c.Schedule)
	case c.Cycles > 0 && c.Epochs != 0:
		return fmt.Errorf("epochs %d and cycles %d: give the run's length once (epochs 0 with cycles)", c.Epochs, c.Cycles)
	case c.Cycles == 0 && c.Epochs < 1:
		return fmt.Errorf("epochs %d: must be ≥ 1", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("batch %d: must be ≥ 1", c.Batch)
	case bad(c.Decay) || c.Decay <= 0 || c.Decay > 1:
		return fmt.Errorf("decay %v: must be in (0, 1]", c.Decay)
	case bad(c.InitStd) || c.InitStd < 0:
		return fmt.Errorf("init_std %v: must be a finite number ≥ 0", c.InitStd)
	case c.Dtype != "float64" && c.Dtype != "float32":
		return fmt.Errorf("dtype %q: must be float64 or float32", c.Dtype)
	case len(c.Data.Train) == 0:
		return fmt.Errorf("data.train: names no batch")
	case len(c.Data.Test) == 0:
		return fmt.Errorf("data.test: names no batch")
	case c.Data.ValHoldout < 0:
		return fmt.Errorf("val_holdout %d: must be ≥ 0", c.Data.ValHoldout)
	case c.Data.ValHoldout == 0 && len(c.Data.Val) == 0:
		return fmt.Errorf("data.val: names no batch and val_holdout is 0")
	case c.Data.ValHoldout > 0 && len(c.Data.Val) > 0:
		return fmt.Errorf("data.val (%s) and val_holdout %d: choose one", strings.Join(c.Data.Val, ","), c.Data.ValHoldout)
	}
	if err := c.validateSchedule(); err != nil {
		return err
	}
	if err := c.validateArch(); err != nil {
		return err
	}
	if _, err := augment.Parse(c.Augment); err != nil {
		return fmt.Errorf("augment: %w", err)
	}
	if c.AugmentInPlace && len(c.Augment) == 0 {
		return fmt.Errorf("augment_in_place: there is no augmentation to apply in place")
	}
	if c.EarlyStop < 0 {
		return fmt.Errorf("early_stop %d: must be ≥ 0 (0 is off)", c.EarlyStop)
	}
	if _, err := engine.Lookup(c.Device); err != nil {
		return err
	}
	return nil
}

func (c *Config) validateSchedule() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch c.Schedule {
	case "exp":
	case "step":
		if c.StepEvery < 1 {
			return fmt.Errorf("step_every %d: schedule step needs ≥ 1 epochs", c.StepEvery)
		}
		if bad(c.StepGamma) || c.StepGamma <= 0 || c.StepGamma > 1 {
			return fmt.Errorf("step_gamma %v: must be in (0, 1]", c.StepGamma)
		}
	case "cyclic":
		if bad(c.EtaMin) || c.EtaMin <= 0 || bad(c.EtaMax) || c.EtaMax < c.EtaMin {
			return fmt.Errorf("eta_min %v, eta_max %v: schedule cyclic needs 0 < eta_min ≤ eta_max", c.EtaMin, c.EtaMax)
		}
		if c.CycleSteps < 1 {
			return fmt.Errorf("cycle_steps %d: schedule cyclic needs ≥ 1 updates per half cycle", c.CycleSteps)
		}
	default:
		return fmt.Errorf("schedule %q: want exp, step or cyclic", c.Schedule)
	}
	if c.Schedule != "exp" && c.Decay != 1 {
		return fmt.Errorf("decay %v: only schedule exp decays per epoch (schedule is %s)", c.Decay, c.Schedule)
	}
	return nil
}

func (c *Config) validateArch() error {
	for i, w := range c.Hidden {
		if w < 1 {
			return fmt.Errorf("hidden %v: layer %d has width %d; widths must be ≥ 1", c.Hidden, i+1, w)
		}
	}
	if c.BatchNorm && len(c.Hidden) == 0 {
		return fmt.Errorf("batch_norm: needs hidden layers (hidden is empty: the linear classifier)")
	}
	if c.Init != "" {
		if _, err := graph.ParseInit(c.Init); err != nil {
			return err
		}
	}
	return nil
}

// Arch returns the network of the configuration for in inputs and out
// classes.
func (c *Config) Arch(in, out int) graph.Arch {
	return graph.Arch{In: in, Out: out, Hidden: c.Hidden, BatchNorm: c.BatchNorm}
}

// Network describes the hidden layers, "50-50 BN", or "" for the linear
// classifier.
func (c *Config) Network() string {
	if len(c.Hidden) == 0 {
		return ""
	}
	ws := make([]string, len(c.Hidden))
	for i, w := range c.Hidden {
		ws[i] = strconv.Itoa(w)
	}
	s := strings.Join(ws, "-")
	if c.BatchNorm {
		s += " BN"
	}
	return s
}

// WeightInit returns how the network's weights are drawn: Init, or "he"
// for a network with hidden layers; "" for the linear classifier's
// N(0, init_std²) of W and b.
func (c *Config) WeightInit() graph.Init {
	if c.Init == "" && len(c.Hidden) > 0 {
		return "he"
	}
	return graph.Init(c.Init)
}

// EpochsFor returns the number of epochs of the run when an epoch has
// steps updates: Epochs, or with Cycles the cycles' updates in epochs, an
// error unless they are a whole number.
func (c *Config) EpochsFor(steps int) (int, error) {
	if c.Cycles == 0 {
		return c.Epochs, nil
	}
	updates := 2 * c.CycleSteps * c.Cycles
	if steps < 1 || updates%steps != 0 {
		return 0, fmt.Errorf("cycles %d of 2·%d updates = %d updates: not a whole number of epochs of %d updates (the training images / batch)", c.Cycles, c.CycleSteps, updates, steps)
	}
	return updates / steps, nil
}

// Length describes the run's length: "40 epochs" or "2 cycles".
func (c *Config) Length() string {
	if c.Cycles > 0 {
		return fmt.Sprintf("%d cycles (n_s %d)", c.Cycles, c.CycleSteps)
	}
	return fmt.Sprintf("%d epochs", c.Epochs)
}

// L2Weight is the coefficient of ‖W‖² in the cost, what engines and
// graphs take as their λ: Lambda, or Lambda/2 under l2 half.
func (c *Config) L2Weight() float64 {
	if c.L2 == "half" {
		return c.Lambda / 2
	}
	return c.Lambda
}

// Hash returns a short, stable identifier of the configuration's content.
// l2 full hashes as its omission, so that spelling out the default keeps
// the run's id.
func (c *Config) Hash() string {
	h := *c
	if h.L2 == "full" {
		h.L2 = ""
	}
	b, _ := json.Marshal(&h)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}
