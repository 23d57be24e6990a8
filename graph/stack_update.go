package graph

import "fmt"

// UpdateW sets the W of each member m with on[m] to a[m]·W + b[m]·∂data/∂W
// of the last Run, forming ∂W = (∂data/∂S)ᵀ X in the update (UpdateTN):
// the bits of ScaleAxpy(a[m], W, b[m], GradW(m)) on a Stack built without
// FusedUpdate. The members' b are the caller's (GradB). Only for a Stack
// built with FusedUpdate, after a Run.
func (s *Stack[T]) UpdateW(a, b []T, on []bool) error {
	m := len(s.losses)
	switch {
	case !s.fused:
		return fmt.Errorf("graph: UpdateW on a stack built without FusedUpdate")
	case len(a) != m || len(b) != m || len(on) != m:
		return fmt.Errorf("graph: UpdateW got %d, %d and %d coefficients for %d members", len(a), len(b), len(on), m)
	case s.lastX == nil:
		return fmt.Errorf("graph: UpdateW before a Run")
	case !UpdateTNApplies[T](s.rows, s.d, s.k):
		return fmt.Errorf("graph: the fused update does not apply to %d rows of d=%d, K=%d on %s", s.rows, s.d, s.k, BLASName())
	}
	if s.rowA == nil {
		s.rowA, s.rowB, s.rowOn = make([]T, m*s.k), make([]T, m*s.k), make([]bool, m*s.k)
	}
	for i := range m {
		for r := i * s.k; r < (i+1)*s.k; r++ {
			s.rowA[r], s.rowB[r], s.rowOn[r] = a[i], b[i], on[i]
		}
	}
	kd := s.k * s.d
	for i, sg := range s.segs {
		from, to := sg.from*s.k, sg.to*s.k
		UpdateTN(s.p.W[sg.from*kd:sg.to*kd], s.d, s.outDS[i].Data().([]T), s.lastX, s.rows, s.rowA[from:to], s.rowB[from:to], s.rowOn[from:to])
	}
	return nil
}
