package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/rundir"
	"github.com/gtrain/gtrain/models/runfiles"
)

// benchCommand times epochs of the training path, as gtrain train runs
// them, for each loss, dtype and batch size asked for; with --peer it runs
// the NumPy peer on the same data, interleaved with our runs, and prints the
// ratio of the median epoch times.
func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "time training epochs (ms/epoch, GFLOP/s), optionally side by side with the NumPy peer",
		Description: "Each run trains as 'gtrain train' does (course split, no shuffling) for --epochs epochs and\n" +
			"reports the median epoch time (gradient steps only, as result.json's epoch_seconds). With\n" +
			"--peer the NumPy reference runs on the same data after each of ours (interleaved, --reps\n" +
			"times) and the ratio gtrain/numpy of the medians is printed: below 1 is faster than NumPy.\n" +
			"--tape-reset, --no-avx2, --no-avx512 (cpu), --cuda-no-fuse and --cuda-no-segments (cuda) turn a fast path\n" +
			"off, to time what it saves or to tell its bugs from others; the header names those turned off.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "CIFAR-10 (the peer needs the cifar-10-batches-bin directory; " + dataDefault + ")"},
			deviceFlag(),
			&cli.StringFlag{Name: "loss", Value: "cross,svm", Usage: "losses to time, comma-separated"},
			&cli.StringFlag{Name: "dtype", Value: "float32,float64", Usage: "dtypes to time, comma-separated"},
			&cli.StringFlag{Name: "batch", Value: "100,500", Usage: "batch sizes to time, comma-separated"},
			&cli.IntFlag{Name: "epochs", Value: 3, Usage: "epochs per run (the median is reported)"},
			&cli.IntFlag{Name: "reps", Value: 1, Usage: "runs per configuration (the median over runs is reported)"},
			&cli.BoolFlag{Name: "peer", Usage: "also run the NumPy peer on the same data and print the ratio"},
			&cli.StringFlag{Name: "peer-script", Value: "../shared/peers/ref_numpy.py", EnvVars: []string{"GTRAIN_PEER_SCRIPT"}, Usage: "the NumPy peer"},
			&cli.StringFlag{Name: "python", Value: "python3", Usage: "the Python that runs the peer"},
			&cli.StringFlag{Name: "stack", Usage: "time stacked training instead: `M` configurations (a λ × η grid) trained as one graph, for each M of a comma-separated list such as 1,4,16,64 (first --loss and --batch); ms per configuration-epoch, beside its steps' two matrix products timed alone (the floor under it)"},
			&cli.StringFlag{Name: "stack-script", Value: "../shared/peers/ref_stack.py", Usage: "the stacked NumPy peer of --stack --peer"},
			&cli.StringFlag{Name: "hidden", Usage: "time a k-layer network with these hidden widths (e.g. 50 or 50,50) instead, float32/float64 at the first --batch, cross-entropy and a cyclic rate; with --peer beside PyTorch (--mlp-script)"},
			&cli.BoolFlag{Name: "batch-norm", Usage: "with --hidden: batch normalization before each hidden ReLU"},
			&cli.StringFlag{Name: "mlp-script", Value: "../shared/peers/ref_mlp.py", Usage: "the PyTorch peer of --hidden --peer"},
			&cli.IntFlag{Name: "threads", Value: 2, Usage: "the PyTorch peer's threads (torch.set_num_threads)"},
			&cli.BoolFlag{Name: "tape-reset", Usage: "cpu: run Gorgonia's TapeMachine through Reset and RunAll, not package tapevm's shortcuts"},
			&cli.BoolFlag{Name: "no-avx2", Usage: "cpu: run the matrix products without the AVX2+FMA kernels"},
			&cli.BoolFlag{Name: "no-avx512", Usage: "cpu: run the matrix products without the AVX-512 kernels (on the AVX2 ones: the same bits)"},
			&cli.BoolFlag{Name: "cuda-no-fuse", Usage: "cuda: run the unfused programs (a launch per elementwise instruction)"},
			&cli.BoolFlag{Name: "cuda-no-segments", Usage: "cuda: launch a step's small instructions one by one, not as segments"},
		},
		Action: func(c *cli.Context) error {
			dev, err := resolveDevice(c)
			if err != nil {
				return err
			}
			opt := benchOptions{
				Device: dev, Epochs: c.Int("epochs"), Reps: c.Int("reps"),
				Peer: c.Bool("peer"), PeerScript: c.String("peer-script"), StackScript: c.String("stack-script"), Python: c.String("python"),
				Tuning: engine.Tuning{TapeReset: c.Bool("tape-reset"), NoFuse: c.Bool("cuda-no-fuse"), NoSegments: c.Bool("cuda-no-segments")},
				NoAVX2: c.Bool("no-avx2"), NoAVX512: c.Bool("no-avx512"),
			}
			if opt.Epochs < 1 || opt.Reps < 1 {
				return fmt.Errorf("--epochs %d, --reps %d: both must be ≥ 1", opt.Epochs, opt.Reps)
			}
			if opt.Losses, err = benchList(c.String("loss"), "--loss", func(s string) error { _, err := graph.ParseLoss(s); return err }); err != nil {
				return err
			}
			if opt.Dtypes, err = benchList(c.String("dtype"), "--dtype", func(s string) error {
				if s != "float32" && s != "float64" {
					return fmt.Errorf("want float32 or float64")
				}
				return nil
			}); err != nil {
				return err
			}
			if opt.Batches, err = benchInts(c.String("batch"), "--batch"); err != nil {
				return err
			}
			var stacks []int
			if c.IsSet("stack") {
				if stacks, err = benchInts(c.String("stack"), "--stack"); err != nil {
					return err
				}
			}
			if opt.Peer {
				if _, err := os.Stat(opt.PeerScript); err != nil {
					return fmt.Errorf("--peer-script: %v", err)
				}
				if _, err := os.Stat(opt.StackScript); stacks != nil && err != nil {
					return fmt.Errorf("--stack-script: %v", err)
				}
			}
			dc := config.DefaultConfig().Data
			if dc.Dir, err = dataDir(c); err != nil {
				return err
			}
			splits, err := models.LoadSplits(dc)
			if err != nil {
				return err
			}
			opt.Data = dc
			if c.IsSet("hidden") {
				nb := netBench{BatchNorm: c.Bool("batch-norm"), Script: c.String("mlp-script"), Threads: c.Int("threads")}
				if nb.Hidden, err = graph.ParseWidths(c.String("hidden")); err != nil || len(nb.Hidden) == 0 {
					return fmt.Errorf("--hidden %q: want widths such as 50 or 50,50", c.String("hidden"))
				}
				if stacks != nil {
					return fmt.Errorf("--hidden and --stack: gtrain bench --stack times linear stacks (go test ./graph -bench MLPStackStep times network stacks)")
				}
				if _, err := os.Stat(nb.Script); opt.Peer && err != nil {
					return fmt.Errorf("--mlp-script: %v", err)
				}
				return runNetBench(c.Context, splits, opt, nb, c.App.Writer, c.App.ErrWriter)
			}
			if stacks != nil {
				return runStackBench(c.Context, splits, opt, stacks, c.App.Writer, c.App.ErrWriter)
			}
			return runBench(c.Context, splits, opt, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// benchOptions are what gtrain bench runs.
type benchOptions struct {
	Device         string
	Data           config.DataConfig
	Losses, Dtypes []string
	Batches        []int
	Epochs, Reps   int
	Peer           bool
	PeerScript     string
	StackScript    string
	Python         string
	Tuning         engine.Tuning // the engine's fast paths turned off
	NoAVX2         bool          // graph.BLASOptions.NoAVX2
	NoAVX512       bool          // graph.BLASOptions.NoAVX512
}

// tuningOff names the fast paths turned off, by their flags: "" for none.
func (o benchOptions) tuningOff() string {
	var off []string
	for _, f := range []struct {
		on   bool
		flag string
	}{{o.Tuning.TapeReset, "--tape-reset"}, {o.NoAVX2, "--no-avx2"}, {o.NoAVX512, "--no-avx512"}, {o.Tuning.NoFuse, "--cuda-no-fuse"}, {o.Tuning.NoSegments, "--cuda-no-segments"}} {
		if f.on {
			off = append(off, f.flag)
		}
	}
	return strings.Join(off, " ")
}

// benchRow is one configuration's result: median epoch seconds over the
// reps, ours and the peer's (0 without --peer).
type benchRow struct {
	Loss, Dtype string
	Batch       int
	Ours, Peer  []float64
	GFLOP       float64 // arithmetic of one epoch's matrix products
}

// benchInts reads a comma-separated list of positive integers.
func benchInts(s, flag string) ([]int, error) {
	list, err := benchList(s, flag, func(s string) error {
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			return fmt.Errorf("want a positive integer")
		}
		return nil
	})
	var out []int
	for _, f := range list {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out, err
}

func benchList(s, flag string, check func(string) error) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if err := check(f); err != nil {
			return nil, fmt.Errorf("%s %q: %v", flag, f, err)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: names nothing", flag)
	}
	return out, nil
}

func runBench(ctx context.Context, splits *data.Splits, opt benchOptions, stdout, log io.Writer) error {
	if opt.NoAVX2 || opt.NoAVX512 {
		// The BLAS is the process's: main installed the default one, which
		// comes back when the bench is done.
		graph.UseBLAS(graph.BLASOptions{NoAVX2: opt.NoAVX2, NoAVX512: opt.NoAVX512})
		defer graph.UseBLAS(graph.BLASOptions{})
	}
	// Each dtype's normalized data are made on its first run, and kept.
	prepared := rundir.NewDataCache(func(config.DataConfig) (*data.Splits, error) { return splits, nil })
	var rows []*benchRow
	for _, dt := range opt.Dtypes {
		for _, loss := range opt.Losses {
			for _, b := range opt.Batches {
				rows = append(rows, &benchRow{Loss: loss, Dtype: dt, Batch: b})
			}
		}
	}
	n, dim := splits.Train.Len(), data.ImageSize
	off := ""
	if s := opt.tuningOff(); s != "" {
		off = "; off: " + s
	}
	fmt.Fprintf(stdout, "gtrain bench: %d training images, %d epochs per run, %d run(s) each; BLAS %s, GOMAXPROCS %d, %d CPUs%s%s\n",
		n, opt.Epochs, opt.Reps, graph.BLASName(), runtime.GOMAXPROCS(0), runtime.NumCPU(), loadAvg(), off)
	for rep := 0; rep < opt.Reps; rep++ {
		for _, r := range rows {
			cfg := config.DefaultConfig()
			cfg.Device, cfg.Data = opt.Device, opt.Data
			cfg.Loss, cfg.Dtype, cfg.Batch, cfg.Epochs = r.Loss, r.Dtype, r.Batch, opt.Epochs
			if err := cfg.Validate(); err != nil {
				return err
			}
			trainDtype, err := graph.ForDtype(r.Dtype, benchTrain[float32], benchTrain[float64])
			if err != nil {
				return err
			}
			res, err := trainDtype(ctx, cfg, prepared, opt.Tuning)
			if err != nil {
				return err
			}
			r.Ours = append(r.Ours, median(res.EpochSeconds))
			r.GFLOP = models.EpochFLOPs(n/r.Batch*r.Batch, dim, data.NumClasses) / 1e9
			line := fmt.Sprintf("run %d: %s %s batch %d: gtrain %.1f ms/epoch", rep+1, r.Loss, r.Dtype, r.Batch, 1000*r.Ours[rep])
			if opt.Peer {
				s, err := runPeer(ctx, opt, r)
				if err != nil {
					return err
				}
				r.Peer = append(r.Peer, s)
				line += fmt.Sprintf(", numpy %.1f ms/epoch", 1000*s)
			}
			fmt.Fprintln(log, line)
		}
	}
	return writeBenchTable(stdout, rows, opt.Peer)
}

// benchTrain trains cfg on its data from prepared, normalized as T, with
// the fast paths that tuning leaves on.
func benchTrain[T graph.Float](ctx context.Context, cfg config.Config, prepared *rundir.DataCache, tuning engine.Tuning) (*runfiles.Result, error) {
	d, err := rundir.Prepared[T](prepared, cfg)
	if err != nil {
		return nil, err
	}
	tr, err := models.Train(ctx, cfg, d, models.Options{Tuning: tuning})
	if err != nil {
		return nil, err
	}
	return tr.Result, nil
}

// runPeer runs the NumPy peer with r's settings on the same data and
// returns the epoch_seconds it prints.
func runPeer(ctx context.Context, opt benchOptions, r *benchRow) (float64, error) {
	out, err := runPython(ctx, opt.Python, opt.PeerScript, opt.Data.Dir, "--epochs", strconv.Itoa(opt.Epochs), "--dtype", r.Dtype,
		"--loss", r.Loss, "--batch", strconv.Itoa(r.Batch))
	if err != nil {
		return 0, err
	}
	return parsePeerSeconds(out)
}

// runPython runs a peer script and returns what it printed.
func runPython(ctx context.Context, python, script string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, python, append([]string{script}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return "", fmt.Errorf("the NumPy peer (%s %s) failed: %v: %s", python, script, err, msg)
	}
	return out.String(), nil
}

// parsePeerSeconds finds the peer's "epoch_seconds: X" line.
func parsePeerSeconds(out string) (float64, error) { return parsePeerValue(out, "epoch_seconds:") }

// parsePeerValue finds the peer's "<prefix> X" line.
func parsePeerValue(out, prefix string) (float64, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), prefix); ok {
			s, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || s <= 0 {
				return 0, fmt.Errorf("the NumPy peer printed %s %q", strings.TrimSuffix(prefix, ":"), strings.TrimSpace(v))
			}
			return s, nil
		}
	}
	return 0, fmt.Errorf("the NumPy peer printed no %s line", strings.TrimSuffix(prefix, ":"))
}

func writeBenchTable(w io.Writer, rows []*benchRow, peer bool) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-6s %-8s %6s %16s %9s", "loss", "dtype", "batch", "gtrain ms/epoch", "GFLOP/s")
	if peer {
		fmt.Fprintf(bw, " %15s %14s", "numpy ms/epoch", "gtrain/numpy")
	}
	fmt.Fprintln(bw)
	for _, r := range rows {
		ours := median(r.Ours)
		fmt.Fprintf(bw, "%-6s %-8s %6d %16.1f %9.2f", r.Loss, r.Dtype, r.Batch, 1000*ours, r.GFLOP/ours)
		if peer {
			p := median(r.Peer)
			fmt.Fprintf(bw, " %15.1f %14.3f", 1000*p, ours/p)
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

// loadAvg returns ", load average X" from /proc/loadavg, or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return ", load average " + f[0]
}
