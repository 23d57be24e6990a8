package models

import (
	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// Prepared holds the three splits, normalized with the training split's
// statistics as the course does.
type Prepared[T graph.Float] struct {
	Train, Val, Test *engine.Split[T]
	Classes          []string
	Normalizer       *data.Normalizer
}

// Prepare normalizes the splits: per-dimension mean and standard deviation
// of the training images (in [0, 1] pixel units), applied to all three.
func Prepare[T graph.Float](s *data.Splits) *Prepared[T] {
	return PrepareWith[T](s, data.FitNormalizer(s.Train))
}

func newSplit[T graph.Float](name string, ds *data.Dataset, nz *data.Normalizer) *engine.Split[T] {
	s := &engine.Split[T]{
		Name:   name,
		X:      make([]T, len(ds.Pixels)),
		Y:      make([]T, ds.Len()*data.NumClasses),
		Labels: ds.Labels,
		Pixels: ds.Pixels,
	}
	data.Normalize(s.X, ds.Pixels, nz)
	graph.OneHot(s.Y, ds.Labels, data.NumClasses)
	return s
}
