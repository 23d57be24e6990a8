package graph

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Arch is a fully connected network: In inputs, the widths of its hidden
// layers (ReLU after each; none is the linear classifier s = W x + b) and
// Out classes. With BatchNorm every hidden layer's scores are batch
// normalized, then scaled by γ and shifted by β, before the ReLU; such a
// layer has no bias (the mean subtraction cancels it).
type Arch struct {
	In, Out   int
	Hidden    []int
	BatchNorm bool
}

// Layers returns the number of weight matrices, len(Hidden)+1.
func (a Arch) Layers() int { return len(a.Hidden) + 1 }

// Linear reports whether a has no hidden layer.
func (a Arch) Linear() bool { return len(a.Hidden) == 0 }

// Widths returns In, the hidden widths and Out: layer l maps Widths[l]
// inputs to Widths[l+1] outputs.
func (a Arch) Widths() []int {
	w := append([]int{a.In}, a.Hidden...)
	return append(w, a.Out)
}

// Normalized reports whether layer l (0-based) is batch normalized: every
// layer but the last one, when the net has BatchNorm.
func (a Arch) Normalized(l int) bool { return a.BatchNorm && l < len(a.Hidden) }

// Check reports whether a is a network gtrain can build.
func (a Arch) Check() error {
	if a.In <= 0 || a.Out <= 0 {
		return fmt.Errorf("graph: network of %d inputs and %d classes", a.In, a.Out)
	}
	for i, h := range a.Hidden {
		if h <= 0 {
			return fmt.Errorf("graph: hidden layer %d has width %d; widths must be ≥ 1", i+1, h)
		}
	}
	if a.BatchNorm && a.Linear() {
		return fmt.Errorf("graph: batch normalization needs a hidden layer")
	}
	return nil
}

// String writes a as its widths, e.g. "3072-50-50-10 BN".
func (a Arch) String() string {
	var b strings.Builder
	for i, w := range a.Widths() {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(w))
	}
	if a.BatchNorm {
		b.WriteString(" BN")
	}
	return b.String()
}

// Init is how a k-layer network's weights are drawn: "he" (σ = √(2/fan-in),
// for ReLU nets), "xavier" (σ = √(1/fan-in)) or a fixed σ written as a
// number ("0.001"). Biases and β start at 0, γ at 1.
type Init string

// ParseInit returns the Init written s, checking a number is a positive σ.
func ParseInit(s string) (Init, error) {
	switch s {
	case "he", "xavier":
		return Init(s), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return "", fmt.Errorf("init %q: want he, xavier or a positive σ", s)
	}
	return Init(s), nil
}

// Sigma returns the standard deviation of a layer's weights of fanIn inputs.
func (i Init) Sigma(fanIn int) (float64, error) {
	switch i {
	case "he":
		return math.Sqrt(2 / float64(fanIn)), nil
	case "xavier":
		return math.Sqrt(1 / float64(fanIn)), nil
	}
	if _, err := ParseInit(string(i)); err != nil {
		return 0, err
	}
	return strconv.ParseFloat(string(i), 64)
}

// ParseWidths reads hidden-layer widths written "50,50" ("" is none).
func ParseWidths(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" && s == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("hidden widths %q: want positive integers separated by commas, e.g. 50,50", s)
		}
		out = append(out, n)
	}
	return out, nil
}
