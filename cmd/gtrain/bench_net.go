package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/rundir"
)

// netBench is what gtrain bench --hidden times: a k-layer network trained
// as gtrain train does (cross-entropy, the course's cyclic rate), beside
// the PyTorch peer ref_mlp.py on the same data, network and schedule.
type netBench struct {
	Hidden    []int
	BatchNorm bool
	Script    string // ref_mlp.py
	Threads   int    // the peer's torch threads
}

// runNetBench times opt.Epochs epochs of the network for each dtype at the
// first batch size: the median epoch (gradient steps only), ours and the
// peer's, interleaved opt.Reps times.
func runNetBench(ctx context.Context, splits *data.Splits, opt benchOptions, nb netBench, stdout, log io.Writer) error {
	prepared := rundir.NewDataCache(func(config.DataConfig) (*data.Splits, error) { return splits, nil })
	batch := opt.Batches[0]
	n := splits.Train.Len()
	steps := n / batch
	// One cycle of exactly the epochs: n_s = epochs·steps / 2 (rounded up
	// to whole updates: an odd product gets one update more, at the end).
	ns := (opt.Epochs*steps + 1) / 2
	arch := graph.Arch{In: data.ImageSize, Out: data.NumClasses, Hidden: nb.Hidden, BatchNorm: nb.BatchNorm}
	fmt.Fprintf(stdout, "gtrain bench: %s network, %d training images, batch %d, %d epochs per run, %d run(s) each; BLAS %s, GOMAXPROCS %d, %d CPUs%s\n",
		arch, n, batch, opt.Epochs, opt.Reps, graph.BLASName(), runtime.GOMAXPROCS(0), runtime.NumCPU(), loadAvg())
	type row struct {
		dtype      string
		ours, peer []float64
	}
	var rows []*row
	for _, dt := range opt.Dtypes {
		rows = append(rows, &row{dtype: dt})
	}
	widths := make([]string, len(nb.Hidden))
	for i, w := range nb.Hidden {
		widths[i] = strconv.Itoa(w)
	}
	for rep := 0; rep < opt.Reps; rep++ {
		for _, r := range rows {
			cfg := config.DefaultConfig()
			cfg.Device, cfg.Data, cfg.Dtype, cfg.Batch = opt.Device, opt.Data, r.dtype, batch
			cfg.Hidden, cfg.BatchNorm, cfg.Lambda = nb.Hidden, nb.BatchNorm, 0.01
			cfg.Schedule, cfg.EtaMin, cfg.EtaMax, cfg.CycleSteps, cfg.Epochs = "cyclic", 1e-5, 0.1, ns, opt.Epochs
			if err := cfg.Validate(); err != nil {
				return err
			}
			train, err := graph.ForDtype(r.dtype, benchTrain[float32], benchTrain[float64])
			if err != nil {
				return err
			}
			res, err := train(ctx, cfg, prepared, opt.Tuning)
			if err != nil {
				return err
			}
			r.ours = append(r.ours, median(res.EpochSeconds))
			line := fmt.Sprintf("run %d: %s: gtrain %.1f ms/epoch", rep+1, r.dtype, 1000*r.ours[rep])
			if opt.Peer {
				args := []string{opt.Data.Dir, "--hidden", strings.Join(widths, ","), "--lam", "0.01", "--ns", strconv.Itoa(ns), "--cycles", "1",
					"--batch", strconv.Itoa(batch), "--dtype", r.dtype, "--threads", strconv.Itoa(nb.Threads)}
				if nb.BatchNorm {
					args = append(args, "--bn")
				}
				out, err := runPython(ctx, opt.Python, nb.Script, args...)
				if err != nil {
					return err
				}
				s, err := parsePeerSeconds(out)
				if err != nil {
					return err
				}
				r.peer = append(r.peer, s)
				line += fmt.Sprintf(", pytorch %.1f ms/epoch", 1000*s)
			}
			fmt.Fprintln(log, line)
		}
	}
	bw := bufio.NewWriter(stdout)
	fmt.Fprintf(bw, "%-8s %16s", "dtype", "gtrain ms/epoch")
	if opt.Peer {
		fmt.Fprintf(bw, " %17s %16s", "pytorch ms/epoch", "gtrain/pytorch")
	}
	fmt.Fprintln(bw)
	for _, r := range rows {
		fmt.Fprintf(bw, "%-8s %16.1f", r.dtype, 1000*median(r.ours))
		if opt.Peer {
			fmt.Fprintf(bw, " %17.1f %16.3f", 1000*median(r.peer), median(r.ours)/median(r.peer))
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}
