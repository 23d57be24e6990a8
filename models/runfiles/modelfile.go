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
}

// NewModel collects a trained model.
func NewModel[T graph.Float](p *graph.Params[T], classes []string, nz *data.Normalizer) *Model {
	m := &Model{Version: modelVersion, Dtype: graph.Dtype[T]().String(), K: p.K, D: p.D, Classes: classes,
		W: make([]float64, len(p.W)), B: make([]float64, len(p.B))}
	for i, v := range p.W {
		m.W[i] = float64(v)
	}
	for i, v := range p.B {
		m.B[i] = float64(v)
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
	m := &Model{Version: j.Version, Dtype: j.Dtype, K: j.K, D: j.D, Classes: make([]string, len(j.Classes))}
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
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// derefAll returns the values of p, refusing a null element.
func derefAll(name string, p []*float64) ([]float64, error) {
	out := make([]float64, len(p))
	for i, v := range p {
		if v == nil {
			return nil, fmt.Errorf("%s[%d] is null", name, i)
		}
		out[i] = *v
	}
	return out, nil
}
