package graph

import (
	"fmt"
	"testing"
)

// BenchmarkMLPStep times one training-graph run (forward, every gradient)
// of the course's nets at batch 100, float32 (the update is the caller's).
func BenchmarkMLPStep(b *testing.B) {
	for _, a := range []Arch{
		{In: 3072, Out: 10, Hidden: []int{50}},
		{In: 3072, Out: 10, Hidden: []int{50, 50}, BatchNorm: true},
	} {
		b.Run(fmt.Sprint(a), func(b *testing.B) {
			p, batch := randomMLP[float32](b, 1, a, "he", 100)
			m, err := NewMLP(MLPConfig{Loss: CrossEntropy, Rows: 100, Grad: true, Train: true}, p)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			y := oneHot[float32](batch.Labels, 10)
			b.ResetTimer()
			for range b.N {
				if err := m.Run(batch.X, y, 0.01); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMLPStackStep times one training-graph run of a stack of M of
// the course's nets at batch 100, float32; ns/op over M is the time per
// member-step, to set against BenchmarkMLPStep's lone step.
func BenchmarkMLPStackStep(b *testing.B) {
	for _, a := range []Arch{
		{In: 3072, Out: 10, Hidden: []int{50}},
		{In: 3072, Out: 10, Hidden: []int{50, 50}, BatchNorm: true},
	} {
		for _, m := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("%s/M=%d", a, m), func(b *testing.B) {
				var ps []*MLPParams[float32]
				var batch Batch[float32]
				for i := range m {
					p, bi := randomMLP[float32](b, uint64(i+1), a, "he", 100)
					if i == 0 {
						batch = bi
					}
					ps = append(ps, p)
				}
				sp, err := NewMLPStackParams(ps)
				if err != nil {
					b.Fatal(err)
				}
				losses := make([]Loss, m)
				lambdas := make([]float64, m)
				for i := range losses {
					losses[i], lambdas[i] = CrossEntropy, 0.01
				}
				s, err := NewMLPStack(MLPStackConfig{Losses: losses, Rows: 100, Grad: true, Train: true}, sp)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				y := oneHot[float32](batch.Labels, 10)
				b.ResetTimer()
				for range b.N {
					if err := s.Run(batch.X, y, lambdas); err != nil {
						b.Fatal(err)
					}
					for i := range m {
						s.Grad(i, 0) // ∂W1 is assembled on demand
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m)/1e6, "ms/member-step")
			})
		}
	}
}
