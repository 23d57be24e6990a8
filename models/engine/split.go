package engine

import "github.com/gtrain/gtrain/graph"

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
