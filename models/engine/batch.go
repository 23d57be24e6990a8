package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gtrain/gtrain/graph"
)

// Batch names the rows of one training step (Spec.Batch rows): rows of the
// split called Split among those the engine was built with, either the
// consecutive rows [Start, Start+n) (Rows nil: an unshuffled epoch) or the
// rows Rows in that order (a shuffled epoch's). An engine that keeps the
// split on its device reads the rows there.
//
// A batch that is no split's rows (augmented images) comes as X (n×d) and
// Y (one-hot n×K) instead; Split, Start and Rows are then not read.
type Batch[T graph.Float] struct {
	Split string
	Start int
	Rows  []int
	X, Y  []T
}

// Splits are the splits an engine is built with, found by name.
type Splits[T graph.Float] []*Split[T]

// Lookup returns the split called name; an error names the splits there
// are when none is.
func (ss Splits[T]) Lookup(name string) (*Split[T], error) {
	var names []string
	for _, s := range ss {
		if s == nil {
			continue
		}
		if s.Name == name {
			return s, nil
		}
		names = append(names, strconv.Quote(s.Name))
	}
	have := "none"
	if len(names) > 0 {
		have = strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("engine: no split %q among the engine's (it has %s)", name, have)
}

// Resolve returns the split of b (nil when b carries its own X and Y)
// after checking that its n rows are inside it.
func (ss Splits[T]) Resolve(b Batch[T], n int) (*Split[T], error) {
	if b.X != nil {
		return nil, nil
	}
	s, err := ss.Lookup(b.Split)
	if err != nil {
		return nil, err
	}
	rows := s.Len()
	if b.Rows == nil {
		if b.Start < 0 || b.Start+n > rows {
			return nil, fmt.Errorf("engine: batch of rows [%d, %d) outside the %d rows of %s", b.Start, b.Start+n, rows, s.Name)
		}
		return s, nil
	}
	if len(b.Rows) != n {
		return nil, fmt.Errorf("engine: batch of %d rows, want %d", len(b.Rows), n)
	}
	for i, r := range b.Rows {
		if r < 0 || r >= rows {
			return nil, fmt.Errorf("engine: batch row %d is %d, outside the %d rows of %s", i, r, rows, s.Name)
		}
	}
	return s, nil
}

// Gather copies the rows idx of the row-major matrix src (rows of width w)
// into dst.
func Gather[T graph.Float](dst, src []T, idx []int, w int) {
	for i, r := range idx {
		copy(dst[i*w:(i+1)*w], src[r*w:(r+1)*w])
	}
}
