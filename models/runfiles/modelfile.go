package runfiles

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
)

// ModelFile is the trained model's file in a run directory.
const ModelFile = "model.json"

// modelVersion is the version of the model.json format.
const modelVersion = 1

// Model is a trained classifier with everything needed to apply it to new
// images: the parameters, the class names and the input normalization.
// Float32 parameters are stored exactly (every float32 is a float64).
type Model struct {
	Version int       `json:"version"`
	Dtype   string    `json:"dtype"`
	K       int       `json:"k"`
	D       int       `json:"d"`
	Classes []string  `json:"classes"`
	W       []float64 `json:"w"` // K×D, row-major: row k is the template of class k
	B       []float64 `json:"b"`
	Mean    []float64 `json:"mean"` // per-dimension normalization, [0, 1] pixel units
	Std     []float64 `json:"std"`
	// A network with hidden layers (graph.Arch) holds its tensors (W1,
	// b1 or gamma1, beta1, mean1, var1, …, graph.MLPParams' order and
	// names) in Tensors, and W and b are empty.
	Hidden    []int         `json:"hidden,omitempty"`
	BatchNorm bool          `json:"batch_norm,omitempty"`
	Tensors   []NamedValues `json:"tensors,omitempty"`
}

// NamedValues is one named tensor of a model file, row-major.
type NamedValues struct {
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
}

// Arch returns the model's network.
func (m *Model) Arch() graph.Arch {
	return graph.Arch{In: m.D, Out: m.K, Hidden: m.Hidden, BatchNorm: m.BatchNorm}
}

// FirstLayer returns the weights of the first layer, one row per unit
// (the class templates of the linear classifier), and the number of rows.
func (m *Model) FirstLayer() (w []float64, rows int) {
	if len(m.Hidden) == 0 {
		return m.W, m.K
	}
	if len(m.Tensors) == 0 {
		return nil, 0
	}
	return m.Tensors[0].Values, m.Hidden[0]
}

// NewModel collects a trained model.
func NewModel[T graph.Float](p *graph.MLPParams[T], classes []string, nz *data.Normalizer) *Model {
	a := p.Arch
	m := &Model{Version: modelVersion, Dtype: graph.Dtype[T]().String(), K: a.Out, D: a.In, Classes: classes}
	if a.Linear() {
		m.W, m.B = toFloat64(p.Tensors[0].Data), toFloat64(p.Tensors[1].Data)
	} else {
		m.Hidden, m.BatchNorm = append([]int(nil), a.Hidden...), a.BatchNorm
		for _, t := range p.Tensors {
			m.Tensors = append(m.Tensors, NamedValues{Name: t.Name, Values: toFloat64(t.Data)})
		}
	}
	if nz != nil {
		m.Mean, m.Std = nz.Mean, nz.Std
	}
	return m
}

// WriteModel writes m as model.json into dir.
func WriteModel(dir string, m *Model) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, ModelFile), append(b, '\n'))
}

// ReadModel reads model.json from a run directory and validates it; every
// reader of model.json goes through here. An error names the file and the
// field at fault.
func ReadModel(dir string) (*Model, error) {
	path := filepath.Join(dir, ModelFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := DecodeModel(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// modelJSON is model.json as decoded. The numbers are read through
// pointers because encoding/json silently leaves a null element as 0.
type modelJSON struct {
	Version int        `json:"version"`
	Dtype   string     `json:"dtype"`
	K       int        `json:"k"`
	D       int        `json:"d"`
	Classes []*string  `json:"classes"`
	W       []*float64 `json:"w"`
	B       []*float64 `json:"b"`
	Mean    []*float64 `json:"mean"`
	Std     []*float64 `json:"std"`

	Hidden    []int `json:"hidden"`
	BatchNorm bool  `json:"batch_norm"`
	Tensors   []struct {
		Name   *string    `json:"name"`
		Values []*float64 `json:"values"`
	} `json:"tensors"`
}

// DecodeModel parses and validates the bytes of a model.json.
func DecodeModel(b []byte) (*Model, error) {
	var j modelJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("not a gtrain model: %w", err)
	}
	if j.Version != modelVersion {
		return nil, fmt.Errorf("version: format version %d, this gtrain reads %d", j.Version, modelVersion)
	}
	m := &Model{Version: j.Version, Dtype: j.Dtype, K: j.K, D: j.D, Classes: make([]string, len(j.Classes)), Hidden: j.Hidden, BatchNorm: j.BatchNorm}
	for i, s := range j.Classes {
		if s == nil {
			return nil, fmt.Errorf("classes[%d] is null", i)
		}
		m.Classes[i] = *s
	}
	var err error
	for _, f := range []struct {
		name string
		src  []*float64
		dst  *[]float64
	}{{"w", j.W, &m.W}, {"b", j.B, &m.B}, {"mean", j.Mean, &m.Mean}, {"std", j.Std, &m.Std}} {
		if *f.dst, err = derefAll(f.name, f.src); err != nil {
			return nil, err
		}
	}
	for i, t := range j.Tensors {
		if t.Name == nil {
			return nil, fmt.Errorf("tensors[%d]: no name", i)
		}
		v, err := derefAll("tensors["+*t.Name+"]", t.Values)
		if err != nil {
			return nil, err
		}
		m.Tensors = append(m.Tensors, NamedValues{Name: *t.Name, Values: v})
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func toFloat64[T graph.Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// derefAll returns the values of p, refusing a null element.
func derefAll(name string, p []*float64) ([]float64, error) {
	if p == nil {
		return nil, nil
	}
	out := make([]float64, len(p))
	for i, v := range p {
		if v == nil {
			return nil, fmt.Errorf("%s[%d] is null", name, i)
		}
		out[i] = *v
	}
	return out, nil
}
