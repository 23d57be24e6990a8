package runfiles

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
)

// networkModel returns a valid model of a 3072-8-6-10 BN network.
func networkModel(t *testing.T) *Model {
	t.Helper()
	p, err := graph.NewMLPParams[float64](graph.Arch{In: data.ImageSize, Out: data.NumClasses, Hidden: []int{8, 6}, BatchNorm: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Init(rand.New(rand.NewPCG(1, 1)), "he"); err != nil {
		t.Fatal(err)
	}
	return NewModel(p, data.DefaultClasses(), validModel().Normalizer())
}

// TestNetworkModelValidate: a network's model.json round-trips, and every
// inconsistency between its tensors and its architecture is refused with
// the field named.
func TestNetworkModelValidate(t *testing.T) {
	good := networkModel(t)
	back, err := DecodeModel(encodeModel(t, good))
	if err != nil {
		t.Fatalf("a valid network model refused: %v", err)
	}
	if len(back.Tensors) != 12 || back.Tensors[0].Name != "W1" || len(back.W) != 0 {
		t.Fatalf("decoded %d tensors, W of %d", len(back.Tensors), len(back.W))
	}
	for _, c := range []struct {
		name   string
		change func(*Model)
		want   string
	}{
		{"a tensor missing", func(m *Model) { m.Tensors = m.Tensors[:len(m.Tensors)-1] }, "tensors"},
		{"a tensor renamed", func(m *Model) { m.Tensors[1].Name = "b1" }, "gamma1"},
		{"a tensor short", func(m *Model) { m.Tensors[0].Values = m.Tensors[0].Values[1:] }, "W1"},
		{"NaN", func(m *Model) { m.Tensors[2].Values[0] = math.NaN() }, "beta1"},
		{"negative variance", func(m *Model) { m.Tensors[4].Values[0] = -1 }, "var1"},
		{"w beside tensors", func(m *Model) { m.W = []float64{1} }, "w, b"},
		{"no BN flag", func(m *Model) { m.BatchNorm = false }, "tensors"},
		{"zero width", func(m *Model) { m.Hidden = []int{0, 6} }, "hidden"},
		{"BN on the linear model", func(m *Model) { *m = *validModel(); m.BatchNorm = true }, "batch_norm"},
		{"tensors on the linear model", func(m *Model) { *m = *validModel(); m.Tensors = good.Tensors }, "tensors"},
	} {
		m := networkModel(t)
		c.change(m)
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one naming %q", c.name, err, c.want)
		}
	}
}

func encodeModel(t *testing.T, m *Model) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
