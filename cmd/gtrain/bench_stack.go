package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/rundir"
)

// stackRow is one stack size's result for a dtype: median seconds per
// configuration-epoch over the reps, ours, the two products of its steps
// alone (graph.StepProducts) and the peers' (ref_numpy.py for one model,
// ref_stack.py for the same M models stacked).
type stackRow struct {
	M                           int
	Dtype                       string
	Ours, Products, Numpy, Peer []float64
}

// stackGrid returns M configurations of the course protocol (Model 3's
// settings, batch opt.Batches[0]) over a λ × η grid of a × b = M values,
// a the largest divisor of M up to √M: the grid ref_stack.py trains.
func stackGrid(m int) (lams, etas []float64) {
	a := 1
	for i := 1; i*i <= m; i++ {
		if m%i == 0 {
			a = i
		}
	}
	b := m / a
	for i := 0; i < a; i++ {
		lams = append(lams, spread(a, i, 1e-3, 1))
	}
	for i := 0; i < b; i++ {
		etas = append(etas, spread(b, i, 2e-4, 5e-3))
	}
	return lams, etas
}

// spread is the i-th of n values spaced evenly on a log scale over
// [lo, hi], rounded to 3 digits (the middle one for n = 1).
func spread(n, i int, lo, hi float64) float64 {
	t := 0.5
	if n > 1 {
		t = float64(i) / float64(n-1)
	}
	v := math.Exp(math.Log(lo) + t*(math.Log(hi)-math.Log(lo)))
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return r
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

// runStackBench times stacked training (gtrain bench --stack): for each
// dtype and stack size M, M configurations of a λ × η grid trained as one
// stack (M = 1: a lone run), in ms per configuration-epoch (gradient steps
// only); with --peer, ref_numpy.py (one model) and ref_stack.py (the same M
// models in NumPy, stacked) after each of ours, interleaved.
func runStackBench(ctx context.Context, splits *data.Splits, opt benchOptions, sizes []int, stdout, log io.Writer) error {
	prepared := rundir.NewDataCache(func(config.DataConfig) (*data.Splits, error) { return splits, nil })
	var rows []*stackRow
	for _, dt := range opt.Dtypes {
		for _, m := range sizes {
			rows = append(rows, &stackRow{M: m, Dtype: dt})
		}
	}
	batch := opt.Batches[0]
	fmt.Fprintf(stdout, "gtrain bench --stack: %d training images, %s loss, batch %d, %d epochs per run, %d run(s) each; BLAS %s, GOMAXPROCS %d, %d CPUs%s\n",
		splits.Train.Len(), opt.Losses[0], batch, opt.Epochs, opt.Reps, graph.BLASName(), runtime.GOMAXPROCS(0), runtime.NumCPU(), loadAvg())
	for rep := 0; rep < opt.Reps; rep++ {
		for _, r := range rows {
			lams, etas := stackGrid(r.M)
			var cfgs []config.Config
			for _, l := range lams {
				for _, e := range etas {
					cfg := config.DefaultConfig()
					cfg.Device, cfg.Data = opt.Device, opt.Data
					cfg.Loss, cfg.Dtype, cfg.Batch, cfg.Epochs = opt.Losses[0], r.Dtype, batch, opt.Epochs
					cfg.Lambda, cfg.Eta = l, e
					if err := cfg.Validate(); err != nil {
						return err
					}
					cfgs = append(cfgs, cfg)
				}
			}
			stackDtype, err := graph.ForDtype(r.Dtype, benchStack[float32], benchStack[float64])
			if err != nil {
				return err
			}
			secs, err := stackDtype(ctx, cfgs, prepared, opt)
			if err != nil {
				return err
			}
			r.Ours = append(r.Ours, secs/float64(r.M))
			products, err := graph.ForDtype(r.Dtype, graph.StepProducts[float32], graph.StepProducts[float64])
			if err != nil {
				return err
			}
			steps := splits.Train.Len() / batch
			prod := products(batch, data.ImageSize, data.NumClasses*r.M, steps).Seconds() / float64(r.M)
			r.Products = append(r.Products, prod)
			line := fmt.Sprintf("run %d: M=%d %s: gtrain %.2f ms/config-epoch (its products alone %.2f)", rep+1, r.M, r.Dtype, 1000*secs/float64(r.M), 1000*prod)
			if opt.Peer {
				one := &benchRow{Loss: opt.Losses[0], Dtype: r.Dtype, Batch: batch}
				s, err := runPeer(ctx, opt, one)
				if err != nil {
					return err
				}
				r.Numpy = append(r.Numpy, s)
				st, err := runStackPeer(ctx, opt, r.Dtype, batch, lams, etas)
				if err != nil {
					return err
				}
				r.Peer = append(r.Peer, st)
				line += fmt.Sprintf(", numpy %.1f ms/epoch, numpy stacked %.2f ms/config-epoch", 1000*s, 1000*st)
			}
			fmt.Fprintln(log, line)
		}
	}
	bw := bufio.NewWriter(stdout)
	fmt.Fprintf(bw, "%-8s %4s %22s %15s", "dtype", "M", "gtrain ms/config-epoch", "products ms/cfg")
	if opt.Peer {
		fmt.Fprintf(bw, " %15s %21s %13s %15s %16s", "numpy ms/epoch", "stacked numpy ms/cfg", "gtrain/numpy", "gtrain/stacked", "products/stacked")
	}
	fmt.Fprintln(bw)
	for _, r := range rows {
		ours, prod := median(r.Ours), median(r.Products)
		fmt.Fprintf(bw, "%-8s %4d %22.2f %15.2f", r.Dtype, r.M, 1000*ours, 1000*prod)
		if opt.Peer {
			np, st := median(r.Numpy), median(r.Peer)
			fmt.Fprintf(bw, " %15.1f %21.2f %13.3f %15.3f %16.3f", 1000*np, 1000*st, ours/np, ours/st, prod/st)
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

// benchStack trains cfgs as one stack (one config: alone) and returns the
// median epoch seconds (gradient steps only).
func benchStack[T graph.Float](ctx context.Context, cfgs []config.Config, prepared *rundir.DataCache, opt benchOptions) (float64, error) {
	d, err := rundir.Prepared[T](prepared, cfgs[0])
	if err != nil {
		return 0, err
	}
	if len(cfgs) == 1 {
		tr, err := models.Train(ctx, cfgs[0], d, models.Options{Tuning: opt.Tuning})
		if err != nil {
			return 0, err
		}
		return median(tr.Result.EpochSeconds), nil
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(benchMemoryLimit(d, len(cfgs))))
	}
	ms := make([]models.StackMember, len(cfgs))
	for i, c := range cfgs {
		ms[i] = models.StackMember{Config: c}
	}
	res, err := models.TrainStack(ctx, ms, d, opt.Tuning)
	if err != nil {
		return 0, err
	}
	for i, r := range res {
		if r.Err != nil {
			return 0, fmt.Errorf("member %d (lambda %g, eta %g): %w", i, cfgs[i].Lambda, cfgs[i].Eta, r.Err)
		}
	}
	return median(res[0].Trained.Result.EpochSeconds), nil
}

// runStackPeer runs ref_stack.py (NumPy) on the same data with the same
// grid and returns its config_epoch_seconds.
func runStackPeer(ctx context.Context, opt benchOptions, dtype string, batch int, lams, etas []float64) (float64, error) {
	script := opt.StackScript
	out, err := runPython(ctx, opt.Python, script, opt.Data.Dir, "--backend", "numpy", "--loss", opt.Losses[0],
		"--lams", joinFloats(lams), "--etas", joinFloats(etas), "--epochs", strconv.Itoa(opt.Epochs),
		"--batch", strconv.Itoa(batch), "--dtype", dtype)
	if err != nil {
		return 0, err
	}
	return parsePeerValue(out, "config_epoch_seconds:")
}

// benchMemoryLimit is the soft memory limit of a stack of m members on d:
// models.StackMemoryLimit, the limit for a process that holds only d (the
// peak memory near the data's own size), plus the live heap beyond d's
// samples, for this process also holds the raw splits and the other
// dtype's data. With StackMemoryLimit alone, the dtype timed second ran
// with the collector at work all along (float64 at M = 16: twice its time).
func benchMemoryLimit[T graph.Float](d *models.Prepared[T], m int) int64 {
	var z T
	var own int64
	for _, s := range []*engine.Split[T]{d.Train, d.Val, d.Test} {
		if s != nil {
			own += int64(len(s.X)+len(s.Y)) * int64(unsafe.Sizeof(z))
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return models.StackMemoryLimit(d, m) + max(int64(ms.HeapAlloc)-own, 0)
}
