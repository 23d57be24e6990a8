package models

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
)

// benchSplits are the course's splits of the real CIFAR-10 when CIFAR10_DIR
// is set, otherwise random images of the same size (10000 per split): the
// time of an epoch depends on the sizes, not on the pixels.
var benchSplits = sync.OnceValues(func() (*data.Splits, error) {
	if dir := os.Getenv("CIFAR10_DIR"); dir != "" {
		dc := config.DefaultConfig().Data
		dc.Dir = dir
		return LoadSplits(dc)
	}
	return randomSplits(10000), nil
})

// randomSplits returns n uniform random images with random labels per split.
func randomSplits(n int) *data.Splits {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(name string) *data.Dataset {
		ds := &data.Dataset{Name: name, Pixels: make([]uint8, n*data.ImageSize), Labels: make([]uint8, n), Classes: data.DefaultClasses()}
		for i := range ds.Pixels {
			ds.Pixels[i] = uint8(rng.Uint32())
		}
		for i := range ds.Labels {
			ds.Labels[i] = uint8(rng.IntN(data.NumClasses))
		}
		return ds
	}
	return &data.Splits{Train: mk("train"), Val: mk("val"), Test: mk("test")}
}

// BenchmarkEpoch times one epoch of the training path (the engine's
// gradient steps over data_batch_1 in consecutive batches, as Train does
// without shuffling) for both losses, both dtypes and batches of 100 and
// 500. It reports ms/epoch, cpu-ms/epoch and GFLOP/s (EpochFLOPs per
// epoch over the wall time).
func BenchmarkEpoch(b *testing.B) {
	splits, err := benchSplits()
	if err != nil {
		b.Fatal(err)
	}
	for _, dt := range []string{"float32", "float64"} {
		var d32 *Prepared[float32]
		var d64 *Prepared[float64]
		for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
			for _, batch := range []int{100, 500} {
				b.Run(fmt.Sprintf("%s/%s/batch=%d", loss, dt, batch), func(b *testing.B) {
					if dt == "float32" {
						if d32 == nil {
							d32 = Prepare[float32](splits)
						}
						benchEpoch(b, d32.Train, loss, batch)
					} else {
						if d64 == nil {
							d64 = Prepare[float64](splits)
						}
						benchEpoch(b, d64.Train, loss, batch)
					}
				})
			}
		}
	}
}

func benchEpoch[T graph.Float](b *testing.B, s *engine.Split[T], loss graph.Loss, batch int) {
	n := s.Len()
	k, dim := len(s.Y)/n, len(s.X)/n
	p := graph.NewParams[T](k, dim)
	p.InitGaussian(rand.New(rand.NewPCG(0, config.StreamInit)), 0.01)
	eng, err := NewCPUEngine(p, loss, 0.1, batch, s)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	// One warm-up epoch: the first steps allocate what later ones reuse.
	if err := RunEpoch(eng, s, batch, 0.001); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := graph.CPUTime()
	for i := 0; i < b.N; i++ {
		if err := RunEpoch(eng, s, batch, 0.001); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(1000*sec, "ms/epoch")
	// The process's CPU time (all threads) per epoch: steadier than the
	// wall time on a loaded machine.
	b.ReportMetric(float64((graph.CPUTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/epoch")
	b.ReportMetric(EpochFLOPs(n/batch*batch, dim, k)/sec/1e9, "GFLOP/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEvaluate times the evaluation of a 10000-image split.
func BenchmarkEvaluate(b *testing.B) {
	splits, err := benchSplits()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cross/float32", func(b *testing.B) { benchEval(b, Prepare[float32](splits).Val) })
	b.Run("cross/float64", func(b *testing.B) { benchEval(b, Prepare[float64](splits).Val) })
}

func benchEval[T graph.Float](b *testing.B, s *engine.Split[T]) {
	n := s.Len()
	p := graph.NewParams[T](len(s.Y)/n, len(s.X)/n)
	p.InitGaussian(rand.New(rand.NewPCG(0, config.StreamInit)), 0.01)
	eng, err := NewCPUEngine(p, graph.CrossEntropy, 0.1, 100, s)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Evaluate(s.Name); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := eng.Evaluate(s.Name); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(1000*b.Elapsed().Seconds()/float64(b.N), "ms/eval")
}

func TestMemoryLimit(t *testing.T) {
	mk := func(n int) *engine.Split[float32] { return &engine.Split[float32]{X: make([]float32, n)} }
	d32 := &Prepared[float32]{Train: mk(1000), Val: mk(300), Test: mk(700)}
	if got, want := MemoryLimit(d32), int64(2000*4*160/100); got != want {
		t.Errorf("float32: %d, want %d", got, want)
	}
	d64 := &Prepared[float64]{Train: &engine.Split[float64]{X: make([]float64, 1000)}}
	if got, want := MemoryLimit(d64), int64(1000*8*160/100); got != want {
		t.Errorf("float64 without val and test: %d, want %d", got, want)
	}
}

func TestRunEpoch(t *testing.T) {
	d := Prepare[float64](randomSplits(50))
	p := graph.NewParams[float64](data.NumClasses, data.ImageSize)
	eng, err := NewCPUEngine(p, graph.CrossEntropy, 0.1, 20, d.Train)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	// 50 rows in batches of 20: two steps, the last 10 rows dropped, as
	// Train does; the same steps by hand give the same parameters.
	if err := RunEpoch(eng, d.Train, 20, 0.01); err != nil {
		t.Fatal(err)
	}
	q := graph.NewParams[float64](data.NumClasses, data.ImageSize)
	ref, err := NewCPUEngine(q, graph.CrossEntropy, 0.1, 20)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	for from := 0; from+20 <= 50; from += 20 {
		b := d.Train.Rows(from, from+20)
		if _, err := ref.Step(engine.Batch[float64]{X: b.X, Y: b.Y}, 0.01); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(p.W, q.W) || !slices.Equal(p.B, q.B) {
		t.Error("RunEpoch differs from the steps by hand")
	}
	if err := RunEpoch(eng, d.Train, 60, 0.01); err == nil {
		t.Error("a batch larger than the split: no error")
	}
	if got := EpochFLOPs(100, 3072, 10); got != 4*100*3072*10 {
		t.Errorf("EpochFLOPs %v", got)
	}
}

// BenchmarkStackEpoch times one epoch of a stack's gradient steps
// (cross-entropy, batch 100, consecutive batches) for M members, in
// ms per configuration-epoch (the epoch's wall time over M) and GFLOP/s.
func BenchmarkStackEpoch(b *testing.B) {
	splits, err := benchSplits()
	if err != nil {
		b.Fatal(err)
	}
	d32 := Prepare[float32](splits)
	for _, m := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("M=%d/float32", m), func(b *testing.B) { benchStackEpoch(b, d32.Train, m) })
	}
}

func benchStackEpoch[T graph.Float](b *testing.B, s *engine.Split[T], m int) {
	const batch = 100
	n := s.Len()
	k, dim := len(s.Y)/n, len(s.X)/n
	spec := engine.StackSpec{Device: "cpu", Batch: batch}
	var ps []*graph.Params[T]
	for i := 0; i < m; i++ {
		p := graph.NewParams[T](k, dim)
		p.InitGaussian(rand.New(rand.NewPCG(uint64(i), config.StreamInit)), 0.01)
		ps = append(ps, p)
		spec.Members = append(spec.Members, engine.Member{Loss: graph.CrossEntropy, Lambda: 0.1})
	}
	eng, err := engine.NewStack(ps, spec, engine.Splits[T]{s})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	etas, costs := slices.Repeat([]float64{0.001}, m), make([]float64, m)
	epoch := func() {
		for from := 0; from+batch <= n; from += batch {
			if err := eng.Step(engine.Batch[T]{Split: s.Name, Start: from}, etas, costs); err != nil {
				b.Fatal(err)
			}
		}
	}
	epoch()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		epoch()
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(1000*sec/float64(m), "ms/config-epoch")
	b.ReportMetric(EpochFLOPs(n/batch*batch, dim, k*m)/sec/1e9, "GFLOP/s")
	b.ReportMetric(0, "ns/op")
}
