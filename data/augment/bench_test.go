package augment

import "testing"

// BenchmarkApply measures a training mini-batch of 100 images through
// each op and through typical pipelines.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct {
		name  string
		specs []string
	}{
		{"flip", []string{"flip:0.5"}},
		{"translate", []string{"translate:4"}},
		{"jitter", []string{"jitter:brightness=0.2,contrast=0.2,saturation=0.1"}},
		{"gaussian", []string{"gaussian:0.01"}},
		{"sp", []string{"sp:0.01"}},
		{"geometric+jitter", []string{"flip:0.5", "translate:4", "jitter:brightness=0.2,contrast=0.2,saturation=0.1"}},
		{"all", typical},
	} {
		p := mustParse(b, bc.specs...)
		x64 := randomBatch(100, 1)
		x32 := make([]float32, len(x64))
		for i, v := range x64 {
			x32[i] = float32(v)
		}
		rng := newRNG(1)
		b.Run(bc.name+"/float64", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Apply(p, x64, rng)
			}
		})
		b.Run(bc.name+"/float32", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Apply(p, x32, rng)
			}
		})
	}
}
