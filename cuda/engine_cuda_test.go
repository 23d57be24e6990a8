//go:build gtrain_cuda

package cuda

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gorgonia.org/cu"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
)

// These tests need a GPU (make gpu-check runs them); without a device they
// skip. A binary built with the tag needs the CUDA driver library to start.

func needGPU(t testing.TB) {
	t.Helper()
	if Count() == 0 {
		t.Skip("no CUDA device")
	}
}

// The engines of these tests run with the fast paths these flags turn
// off (engine.Tuning): gpucheck.sh runs the GPU tests again with
// each, to tell a bug of the fused kernel or of the segments from others.
var (
	noFuse     = flag.Bool("cuda-no-fuse", false, "run the engines' unfused programs (a launch per elementwise instruction)")
	noSegments = flag.Bool("cuda-no-segments", false, "launch a training step's small instructions one by one, not as segments")
)

// gpuSpec is the spec of a test's engine on cuda:0, tuned by the flags.
func gpuSpec(loss graph.Loss, lambda float64, batch int) engine.Spec {
	return engine.Spec{Device: "cuda", Loss: loss, Lambda: lambda, Batch: batch,
		Tuning: engine.Tuning{NoFuse: *noFuse, NoSegments: *noSegments}}
}

// TestGPUGradientsMatchTapeMachine runs the lowered training graph of both
// losses on the GPU (kernels, cuBLAS) and compares cost, dW and db with
// Gorgonia's TapeMachine.
func TestGPUGradientsMatchTapeMachine(t *testing.T) {
	needGPU(t)
	for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
		for _, sz := range [][3]int{{7, 10, 5}, {100, 10, 3072}, {1, 10, 3}, {500, 10, 64}} {
			gpuVsTape[float64](t, loss, sz, 1e-11)
			gpuVsTape[float32](t, loss, sz, 1e-4)
		}
	}
}

func gpuVsTape[T graph.Float](t *testing.T, loss graph.Loss, sz [3]int, tol float64) {
	t.Helper()
	rows, k, d := sz[0], sz[1], sz[2]
	net, p, x, y := testNet[T](t, loss, rows, k, d, true, uint64(rows*31+d))
	const lambda = 0.1
	if err := net.Run(x, y, lambda); err != nil {
		t.Fatal(err)
	}
	cost, dW, dB, err := gradients(gpuSpec(loss, lambda, 0), p, x, y)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s %T %v", loss, x[0], sz)
	if e := math.Abs(cost-net.Cost()) / math.Max(1, math.Abs(net.Cost())); !(e <= tol) {
		t.Errorf("%s: cost %v, TapeMachine %v", name, cost, net.Cost())
	}
	if e := maxRelDiff(dW, net.GradW()); !(e <= tol) {
		t.Errorf("%s: dW differs by %.3g > %g", name, e, tol)
	}
	if e := maxRelDiff(dB, net.GradB()); !(e <= tol) {
		t.Errorf("%s: db differs by %.3g > %g", name, e, tol)
	}
}

func synthSplit[T graph.Float](name string, n, k, d int, seed uint64) *engine.Split[T] {
	rng := rand.New(rand.NewPCG(seed, 11))
	s := &engine.Split[T]{Name: name, X: make([]T, n*d), Y: make([]T, n*k), Labels: make([]uint8, n)}
	for i := range s.Labels {
		c := rng.IntN(k)
		s.Labels[i] = uint8(c)
		for j := 0; j < d; j++ {
			// A learnable signal: the class shifts a few dimensions.
			v := rng.NormFloat64()
			if j%k == c {
				v += 0.5
			}
			s.X[i*d+j] = T(v)
		}
	}
	graph.OneHot(s.Y, s.Labels, k)
	return s
}

// TestEngineMatchesCPU trains a few epochs with the GPU engine (Step, and
// TrainEpoch with a shuffled order) and the CPU engine from the same
// start, and compares the parameters and evaluations.
func TestEngineMatchesCPU(t *testing.T) {
	needGPU(t)
	engineVsCPU[float64](t, graph.CrossEntropy, 1e-9)
	engineVsCPU[float64](t, graph.SVM, 1e-9)
	engineVsCPU[float32](t, graph.CrossEntropy, 2e-3)
	engineVsCPU[float32](t, graph.SVM, 2e-3)
}

func engineVsCPU[T graph.Float](t *testing.T, loss graph.Loss, tol float64) {
	t.Helper()
	const n, k, d, batch, epochs = 2000, 10, 256, 100, 3
	const lambda, eta = 0.1, 0.01
	train := synthSplit[T]("train", n, k, d, 1)
	val := synthSplit[T]("val", 500, k, d, 2)
	p0 := graph.NewParams[T](k, d)
	p0.InitGaussian(rand.New(rand.NewPCG(5, 5)), 0.01)
	spec := gpuSpec(loss, lambda, batch)
	cpu, err := models.NewCPUEngine(p0.Clone(), loss, lambda, batch, train, val)
	if err != nil {
		t.Fatal(err)
	}
	defer cpu.Close()
	gpu, err := NewEngine(p0.Clone(), spec, train, val)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Close()
	epochGPU, err := NewEngine(p0.Clone(), spec, train)
	if err != nil {
		t.Fatal(err)
	}
	defer epochGPU.Close()
	name := fmt.Sprintf("%s %T", loss, train.X[0])
	for _, e := range []engine.Engine[T]{cpu, gpu} {
		if _, err := e.Evaluate(train.Name); err != nil { // makes the split resident on the GPU
			t.Fatal(err)
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	shuffle := rand.New(rand.NewPCG(9, 9))
	for ep := 0; ep < epochs; ep++ {
		shuffle.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		xb, yb := make([]T, batch*d), make([]T, batch*k)
		var stepCosts []float64
		for s := 0; s < n/batch; s++ {
			for i, r := range order[s*batch : (s+1)*batch] {
				copy(xb[i*d:(i+1)*d], train.X[r*d:(r+1)*d])
				copy(yb[i*k:(i+1)*k], train.Y[r*k:(r+1)*k])
			}
			cc, err := cpu.Step(engine.Batch[T]{X: xb, Y: yb}, eta)
			if err != nil {
				t.Fatal(err)
			}
			gc, err := gpu.Step(engine.Batch[T]{X: xb, Y: yb}, eta)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(cc-gc) > tol*math.Max(1, math.Abs(cc)) {
				t.Fatalf("%s epoch %d step %d: cost cpu %v gpu %v", name, ep, s, cc, gc)
			}
			stepCosts = append(stepCosts, gc)
		}
		costs, err := epochGPU.TrainEpoch(train.Name, order, []float64{eta})
		if err != nil {
			t.Fatal(err)
		}
		if len(costs) != len(stepCosts) {
			t.Fatalf("%s: TrainEpoch returned %d costs, want %d", name, len(costs), len(stepCosts))
		}
		for i := range costs {
			if costs[i] != stepCosts[i] {
				t.Fatalf("%s epoch %d step %d: TrainEpoch cost %v, Step %v", name, ep, i, costs[i], stepCosts[i])
			}
		}
	}
	pc, _ := cpu.Params()
	pg, err := gpu.Params()
	if err != nil {
		t.Fatal(err)
	}
	pe, err := epochGPU.Params()
	if err != nil {
		t.Fatal(err)
	}
	if e := maxRelDiff(pg.W, pc.W); e > tol {
		t.Errorf("%s: W after training differs from the CPU's by %.3g", name, e)
	}
	if e := maxRelDiff(pe.W, pg.W); e != 0 {
		t.Errorf("%s: TrainEpoch and Step give different W (%.3g)", name, e)
	}
	for _, s := range []*engine.Split[T]{train, val} {
		ec, err := cpu.Evaluate(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		eg, err := gpu.Evaluate(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(ec.Cost-eg.Cost) > tol*math.Max(1, ec.Cost) || ec.Correct != eg.Correct && tol < 1e-6 {
			t.Errorf("%s %s: cpu %+v gpu %+v", name, s.Name, ec, eg)
		}
	}
}

// BenchmarkEpoch reports milliseconds per epoch of 10000 CIFAR-sized
// images (synthetic) on the GPU: the trainer's path (Step per batch) and
// TrainEpoch (no host synchronization inside the epoch).
func BenchmarkEpoch(b *testing.B) {
	needGPU(b)
	for _, dt := range []string{"float32", "float64"} {
		for _, batch := range []int{100, 500} {
			for _, mode := range []string{"epoch", "step"} {
				b.Run(fmt.Sprintf("%s/batch%d/%s", dt, batch, mode), func(b *testing.B) {
					if dt == "float32" {
						benchEpoch[float32](b, batch, mode)
					} else {
						benchEpoch[float64](b, batch, mode)
					}
				})
			}
		}
	}
}

func benchEpoch[T graph.Float](b *testing.B, batch int, mode string) {
	const n, k, d = 10000, 10, 3072
	train := synthSplit[T]("train", n, k, d, 1)
	p := graph.NewParams[T](k, d)
	p.InitGaussian(rand.New(rand.NewPCG(5, 5)), 0.01)
	e, err := NewEngine(p, gpuSpec(graph.CrossEntropy, 0.1, batch), train)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Evaluate(train.Name); err != nil {
		b.Fatal(err)
	}
	epoch := func() {
		if mode == "epoch" {
			if _, err := e.TrainEpoch(train.Name, nil, []float64{0.001}); err != nil {
				b.Fatal(err)
			}
			return
		}
		for s := 0; s < n/batch; s++ {
			if _, err := e.Step(engine.Batch[T]{Split: train.Name, Start: s * batch}, 0.001); err != nil {
				b.Fatal(err)
			}
		}
	}
	epoch() // capture, warm-up
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		epoch()
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds())/1000/float64(b.N), "ms/epoch")
}

// TestGPUGradCheck is gradcheck --device cuda on synthetic data: GPU
// autodiff against the analytic gradients and the CPU's autodiff.
func TestGPUGradCheck(t *testing.T) {
	needGPU(t)
	rng := rand.New(rand.NewPCG(4, 4))
	const n, k, d = 50, 10, 20
	b := graph.Batch[float64]{X: make([]float64, n*d), Labels: make([]uint8, n)}
	for i := range b.X {
		b.X[i] = rng.NormFloat64()
	}
	for i := range b.Labels {
		b.Labels[i] = uint8(rng.IntN(k))
	}
	p := graph.NewParams[float64](k, d)
	p.InitGaussian(rng, 0.01)
	for _, c := range []struct {
		loss  graph.Loss
		floor float64
	}{{graph.CrossEntropy, 1e-12}, {graph.SVM, 1e-9}} {
		rows, err := GradCheck("cuda", p, b, graph.GradCheckConfig{Loss: c.loss, Lambda: 0.1, Floor: c.floor})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if !(r.MaxError() <= 1e-6) {
				t.Errorf("%s: %s vs %s: %.3g", c.loss, r.A, r.B, r.MaxError())
			}
		}
	}
}

// TestResidentStepsMatchTrainEpoch: the trainer's unshuffled path (Step on
// views of a resident split, counters kept on the device) and TrainEpoch
// with no order give the same costs and parameters, bit for bit.
func TestResidentStepsMatchTrainEpoch(t *testing.T) {
	needGPU(t)
	const n, k, d, batch = 1000, 10, 128, 100
	train := synthSplit[float32]("train", n, k, d, 3)
	p0 := graph.NewParams[float32](k, d)
	p0.InitGaussian(rand.New(rand.NewPCG(6, 6)), 0.01)
	spec := gpuSpec(graph.CrossEntropy, 0.1, batch)
	a, err := NewEngine(p0.Clone(), spec, train)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewEngine(p0.Clone(), spec, train)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.Evaluate(train.Name); err != nil {
		t.Fatal(err)
	}
	for ep, eta := range []float64{0.01, 0.005} {
		var costs []float64
		for s := 0; s < n/batch; s++ {
			c, err := a.Step(engine.Batch[float32]{Split: train.Name, Start: s * batch}, eta)
			if err != nil {
				t.Fatal(err)
			}
			costs = append(costs, c)
		}
		want, err := b.TrainEpoch(train.Name, nil, []float64{eta})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if costs[i] != want[i] {
				t.Fatalf("epoch %d step %d: Step cost %v, TrainEpoch %v", ep, i, costs[i], want[i])
			}
		}
	}
	pa, _ := a.Params()
	pb, _ := b.Params()
	if e := maxRelDiff(pa.W, pb.W); e != 0 {
		t.Errorf("W differs by %g", e)
	}
}

// TestTrainEpochPerStepEta: a learning rate per step (a cyclic schedule)
// through TrainEpoch gives what Step with those rates gives, bit for bit.
func TestTrainEpochPerStepEta(t *testing.T) {
	needGPU(t)
	const n, k, d, batch = 1000, 10, 128, 100
	train := synthSplit[float64]("train", n, k, d, 7)
	p0 := graph.NewParams[float64](k, d)
	p0.InitGaussian(rand.New(rand.NewPCG(8, 8)), 0.01)
	spec := gpuSpec(graph.SVM, 0.01, batch)
	a, err := NewEngine(p0.Clone(), spec, train)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewEngine(p0.Clone(), spec, train)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.Evaluate(train.Name); err != nil {
		t.Fatal(err)
	}
	order := rand.New(rand.NewPCG(1, 1)).Perm(n)
	etas := make([]float64, n/batch)
	for i := range etas {
		etas[i] = 0.001 * float64(1+i%4)
	}
	want, err := b.TrainEpoch(train.Name, order, etas)
	if err != nil {
		t.Fatal(err)
	}
	xb, yb := make([]float64, batch*d), make([]float64, batch*k)
	for s := range etas {
		for i, r := range order[s*batch : (s+1)*batch] {
			copy(xb[i*d:(i+1)*d], train.X[r*d:(r+1)*d])
			copy(yb[i*k:(i+1)*k], train.Y[r*k:(r+1)*k])
		}
		c, err := a.Step(engine.Batch[float64]{X: xb, Y: yb}, etas[s])
		if err != nil {
			t.Fatal(err)
		}
		if c != want[s] {
			t.Fatalf("step %d: Step cost %v, TrainEpoch %v", s, c, want[s])
		}
	}
	pa, _ := a.Params()
	pb, _ := b.Params()
	if e := maxRelDiff(pa.W, pb.W); e != 0 {
		t.Errorf("W differs by %g", e)
	}
}

// TestParamsChangedInPlace: after Params, a change of the returned params
// (the trainer restores the best epoch's that way) is what Evaluate sees,
// as with the CPU engine.
func TestParamsChangedInPlace(t *testing.T) {
	needGPU(t)
	const n, k, d, batch = 500, 10, 64, 100
	train := synthSplit[float64]("train", n, k, d, 12)
	p0 := graph.NewParams[float64](k, d)
	p0.InitGaussian(rand.New(rand.NewPCG(2, 2)), 0.01)
	e, err := NewEngine(p0.Clone(), gpuSpec(graph.CrossEntropy, 0.1, batch), train)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.TrainEpoch(train.Name, nil, []float64{0.1}); err != nil {
		t.Fatal(err)
	}
	p, err := e.Params()
	if err != nil {
		t.Fatal(err)
	}
	p.CopyFrom(p0)
	got, err := e.Evaluate(train.Name)
	if err != nil {
		t.Fatal(err)
	}
	cpu, err := models.NewCPUEngine(p0.Clone(), graph.CrossEntropy, 0.1, batch, train)
	if err != nil {
		t.Fatal(err)
	}
	defer cpu.Close()
	want, err := cpu.Evaluate(train.Name)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Cost-want.Cost) > 1e-9 || got.Correct != want.Correct {
		t.Errorf("after p.CopyFrom(initial): gpu %+v, cpu %+v", got, want)
	}
}

// BenchmarkStepLaunches times each launch of a training step on the GPU
// (cross-entropy, batch 100 and 500, float32 and float64), issued one by
// one outside a CUDA graph with an event after each: us/NAME is the
// device time of that launch (gather, the plan's gemms and kernels, sgd),
// us/step their sum. It says where a step's time goes.
func BenchmarkStepLaunches(b *testing.B) {
	needGPU(b)
	for _, dt := range []string{"float32", "float64"} {
		for _, batch := range []int{100, 500} {
			b.Run(fmt.Sprintf("%s/batch%d", dt, batch), func(b *testing.B) {
				if dt == "float32" {
					profileStep[float32](b, batch)
				} else {
					profileStep[float64](b, batch)
				}
			})
		}
	}
}

func profileStep[T graph.Float](b *testing.B, batch int) {
	const n, k, d = 10000, 10, 3072
	train := synthSplit[T]("train", n, k, d, 1)
	p := graph.NewParams[T](k, d)
	p.InitGaussian(rand.New(rand.NewPCG(5, 5)), 0.01)
	e, err := NewEngine(p, gpuSpec(graph.CrossEntropy, 0.1, batch), train)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	// One epoch: the split becomes resident and the step graph captured.
	if _, err := e.TrainEpoch(train.Name, nil, []float64{0.001}); err != nil {
		b.Fatal(err)
	}
	leave, err := e.d.enter()
	if err != nil {
		b.Fatal(err)
	}
	defer leave()
	src := e.splits[train.Name]
	gather, sgd := StepLaunches(e.train.p, false, false)
	bufs := map[string]cu.DevicePtr{"xs": src.x, "ys": src.y, "idx": e.idx, "ctr": e.ctr, "etas": e.eta, "cur": e.curEta, "costs": e.costs}
	type item struct {
		name  string
		issue func() error
	}
	items := []item{{"gather", func() error { return e.launchPlanned(e.train, gather, 0, bufs) }}}
	for li, l := range e.train.plan {
		name := l.Kernel
		if l.Gemm != nil {
			name = fmt.Sprintf("gemm%dx%dx%d", l.Gemm.M, l.Gemm.N, l.Gemm.K)
		}
		items = append(items, item{fmt.Sprintf("%02d-%s", li, name), func() error { return e.issue(e.train, li) }})
	}
	items = append(items, item{"sgd", func() error { return e.launchPlanned(e.train, sgd, 0, bufs) }})
	events := make([]cu.Event, len(items)+1)
	for i := range events {
		if events[i], err = cu.MakeEvent(cu.DefaultEvent); err != nil {
			b.Fatal(err)
		}
		defer cu.DestroyEvent(&events[i])
	}
	sums := make([]float64, len(items))
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		if err := e.setCtr(0); err != nil {
			b.Fatal(err)
		}
		if err := events[0].Record(e.stream); err != nil {
			b.Fatal(err)
		}
		for i, x := range items {
			if err := x.issue(); err != nil {
				b.Fatal(err)
			}
			if err := events[i+1].Record(e.stream); err != nil {
				b.Fatal(err)
			}
		}
		if err := e.sync(); err != nil {
			b.Fatal(err)
		}
		for i := range items {
			ms, err := events[i].Elapsed(events[i+1])
			if err != nil {
				b.Fatal(err)
			}
			sums[i] += ms
		}
	}
	total := 0.0
	for i, x := range items {
		b.ReportMetric(1000*sums[i]/float64(b.N), "us/"+x.name)
		total += sums[i]
	}
	b.ReportMetric(1000*total/float64(b.N), "us/step")
}

// TestSplitsByName: the engine evaluates and trains the splits it was
// built with, found by name; another name is refused with the names it
// has, and a split whose host data changed length after its upload is
// refused rather than read from the stale device copy.
func TestSplitsByName(t *testing.T) {
	needGPU(t)
	const n, k, d, batch = 300, 10, 32, 100
	train := synthSplit[float32]("train", n, k, d, 21)
	val := synthSplit[float32]("val", 200, k, d, 22)
	p := graph.NewParams[float32](k, d)
	e, err := NewEngine(p, gpuSpec(graph.CrossEntropy, 0.1, batch), train, val)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const unknown = `engine: no split "test" among the engine's (it has "train", "val")`
	if _, err := e.Evaluate("test"); err == nil || err.Error() != unknown {
		t.Errorf("Evaluate(test): %v, want %s", err, unknown)
	}
	if _, err := e.TrainEpoch("test", nil, []float64{0.01}); err == nil || err.Error() != unknown {
		t.Errorf("TrainEpoch(test): %v, want %s", err, unknown)
	}
	for _, s := range []*engine.Split[float32]{train, val} {
		if ev, err := e.Evaluate(s.Name); err != nil || ev.N != s.Len() {
			t.Errorf("Evaluate(%s): %+v, %v", s.Name, ev, err)
		}
	}
	if _, err := e.TrainEpoch(train.Name, nil, []float64{0.01}); err != nil {
		t.Fatal(err)
	}
	*val = *val.Rows(0, 100)
	const changed = `cuda: split "val" changed length on the host since it was uploaded`
	if _, err := e.Evaluate(val.Name); err == nil || !strings.HasPrefix(err.Error(), changed) {
		t.Errorf("Evaluate of a shrunk split: %v, want %s…", err, changed)
	}
	if _, err := e.Step(engine.Batch[float32]{Split: val.Name, Start: 0}, 0.01); err == nil || !strings.HasPrefix(err.Error(), changed) {
		t.Errorf("Step on a shrunk split: %v, want %s…", err, changed)
	}
}
