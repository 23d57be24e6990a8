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
