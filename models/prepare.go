package models

import (
	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
)

// Split is one split of the data in the form the engines read: normalized
// inputs X (N×d, row-major, one image per row), the labels and their
// one-hot encoding Y (N×K).
type Split[T graph.Float] struct {
	Name   string
	X      []T
	Y      []T
	Labels []uint8
	Pixels []uint8 // the raw images (shared with the dataset), for augmentation
}

// Len returns the number of samples.
func (s *Split[T]) Len() int { return len(s.Labels) }

// Rows returns the samples [from, to) as a Split sharing memory with s.
func (s *Split[T]) Rows(from, to int) *Split[T] {
	d, k := len(s.X)/s.Len(), len(s.Y)/s.Len()
	r := &Split[T]{Name: s.Name, X: s.X[from*d : to*d], Y: s.Y[from*k : to*k], Labels: s.Labels[from:to]}
	if s.Pixels != nil {
		r.Pixels = s.Pixels[from*d : to*d]
	}
	return r
}

// Prepared holds the three splits, normalized with the training split's
// statistics as the course does.
type Prepared[T graph.Float] struct {
	Train, Val, Test *Split[T]
	Classes          []string
	Normalizer       *data.Normalizer
}

// Prepare normalizes the splits: per-dimension mean and standard deviation
// of the training images (in [0, 1] pixel units), applied to all three.
func Prepare[T graph.Float](s *data.Splits) *Prepared[T] {
	return PrepareWith[T](s, data.FitNormalizer(s.Train))
}

func newSplit[T graph.Float](name string, ds *data.Dataset, nz *data.Normalizer) *Split[T] {
	s := &Split[T]{
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
