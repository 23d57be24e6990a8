package models

import (
	"encoding/json"
	"fmt"
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

// ReadModel reads and checks model.json from a run directory.
func ReadModel(dir string) (*Model, error) {
	var m Model
	path := filepath.Join(dir, ModelFile)
	if err := readJSON(path, &m); err != nil {
		return nil, err
	}
	switch {
	case m.Version != modelVersion:
		return nil, fmt.Errorf("%s: format version %d, this gtrain reads %d", path, m.Version, modelVersion)
	case m.K <= 0 || m.D <= 0 || len(m.W) != m.K*m.D || len(m.B) != m.K:
		return nil, fmt.Errorf("%s: parameters do not match K=%d d=%d", path, m.K, m.D)
	case len(m.Classes) != m.K:
		return nil, fmt.Errorf("%s: %d class names for %d classes", path, len(m.Classes), m.K)
	case len(m.Mean) != m.D || len(m.Std) != m.D:
		return nil, fmt.Errorf("%s: normalization of %d/%d dimensions, want %d", path, len(m.Mean), len(m.Std), m.D)
	}
	return &m, nil
}
