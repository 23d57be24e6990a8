package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
)

// benchApp is an app with the bench command alone (main.go wires it into
// the real one) and the global --device flag it reads.
func benchApp(stdout, stderr *bytes.Buffer) *cli.App {
	return &cli.App{
		Name:            "gtrain",
		Flags:           []cli.Flag{&cli.StringFlag{Name: "device", Value: "cpu"}},
		Commands:        []*cli.Command{benchCommand()},
		Writer:          stdout,
		ErrWriter:       stderr,
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
	}
}

// fakePeer writes a shell script that stands in for the NumPy peer: it
// checks that it got the data directory and prints body.
func fakePeer(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "peer.sh")
	script := "#!/bin/sh\n[ -f \"$1/data_batch_1.bin\" ] || { echo \"no data in $1\" >&2; exit 2; }\n" + body + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBenchWithPeer(t *testing.T) {
	dir := syntheticDir(t, 100)
	peer := fakePeer(t, `echo "Test data: accuracy 10%"; echo "epoch_seconds: 0.5000"`)
	var out, log bytes.Buffer
	err := benchApp(&out, &log).RunContext(context.Background(), []string{"gtrain", "bench", "--data", dir,
		"--loss", "cross,svm", "--dtype", "float32", "--batch", "20,50", "--epochs", "2", "--reps", "2",
		"--peer", "--python", "/bin/sh", "--peer-script", peer})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 || !strings.Contains(lines[0], "epochs per run") || !strings.Contains(lines[1], "gtrain/numpy") {
		t.Fatalf("output:\n%s", out.String())
	}
	for _, ln := range lines[2:] {
		f := strings.Fields(ln)
		if len(f) != 7 {
			t.Fatalf("row %q", ln)
		}
		ours, _ := strconv.ParseFloat(f[3], 64)
		gflops, _ := strconv.ParseFloat(f[4], 64)
		peerMS, _ := strconv.ParseFloat(f[5], 64)
		ratio, _ := strconv.ParseFloat(f[6], 64)
		if !(ours > 0 && gflops > 0) || peerMS != 500 || ratio <= 0 || abs(ratio-ours/500) > 0.01 {
			t.Errorf("row %q: ms %v, GFLOP/s %v, peer %v, ratio %v", ln, ours, gflops, peerMS, ratio)
		}
	}
	if n := strings.Count(log.String(), "numpy 500.0 ms/epoch"); n != 8 {
		t.Errorf("%d interleaved peer runs logged, want 8:\n%s", n, log.String())
	}
}

func TestBenchWithoutPeer(t *testing.T) {
	dir := syntheticDir(t, 100)
	var out, log bytes.Buffer
	err := benchApp(&out, &log).RunContext(context.Background(), []string{"gtrain", "bench", "--data", dir,
		"--loss", "svm", "--dtype", "float64", "--batch", "25", "--epochs", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.String(); strings.Contains(s, "numpy") || !strings.Contains(s, "svm    float64      25") {
		t.Errorf("output:\n%s", s)
	}
}

// TestBenchFastPathsOff: the flags that turn fast paths off parse, the
// header names them, the BLAS runs without the AVX2 kernels meanwhile, and
// the default BLAS comes back after the bench.
func TestBenchFastPathsOff(t *testing.T) {
	dir := syntheticDir(t, 100)
	before := graph.BLASName()
	var out, log bytes.Buffer
	err := benchApp(&out, &log).RunContext(context.Background(), []string{"gtrain", "bench", "--data", dir,
		"--loss", "cross", "--dtype", "float32", "--batch", "50", "--epochs", "1",
		"--tape-reset", "--no-avx2", "--no-avx512", "--cuda-no-fuse", "--cuda-no-segments"})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	head, _, _ := strings.Cut(out.String(), "\n")
	if !strings.Contains(head, "; BLAS "+graph.BLAS+", ") || !strings.HasSuffix(head, "; off: --tape-reset --no-avx2 --no-avx512 --cuda-no-fuse --cuda-no-segments") {
		t.Errorf("header %q", head)
	}
	if got := graph.BLASName(); got != before {
		t.Errorf("after the bench the BLAS is %q, was %q", got, before)
	}
	out.Reset()
	if err := benchApp(&out, &log).RunContext(context.Background(), []string{"gtrain", "bench", "--data", dir,
		"--loss", "cross", "--dtype", "float32", "--batch", "50", "--epochs", "1", "--tape-reset"}); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := strings.Cut(out.String(), "\n"); !strings.Contains(head, "; BLAS "+before+", ") || !strings.HasSuffix(head, "; off: --tape-reset") {
		t.Errorf("header %q", head)
	}
}

func TestBenchErrors(t *testing.T) {
	dir := syntheticDir(t, 100)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--loss", "hinge"}, "--loss \"hinge\""},
		{[]string{"--dtype", "float16"}, "--dtype \"float16\""},
		{[]string{"--batch", "0"}, "--batch \"0\""},
		{[]string{"--batch", "1000"}, "batch 1000"},
		{[]string{"--epochs", "0"}, "--epochs 0"},
		{[]string{"--peer", "--peer-script", filepath.Join(dir, "none.py")}, "--peer-script"},
		{[]string{"--peer", "--python", "/bin/sh", "--peer-script", fakePeer(t, "exit 3")}, "the NumPy peer"},
		{[]string{"--peer", "--python", "/bin/sh", "--peer-script", fakePeer(t, "echo done")}, "no epoch_seconds"},
	} {
		var out, log bytes.Buffer
		args := append([]string{"gtrain", "bench", "--data", dir, "--loss", "cross", "--dtype", "float32", "--batch", "50", "--epochs", "1"}, c.args...)
		err := benchApp(&out, &log).RunContext(context.Background(), args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
}

func TestParsePeerSeconds(t *testing.T) {
	if s, err := parsePeerSeconds("Training data: ...\nepoch_seconds: 0.0860\n"); err != nil || s != 0.086 {
		t.Errorf("got %v, %v", s, err)
	}
	for _, bad := range []string{"", "epoch_seconds: x", "epoch_seconds: 0"} {
		if _, err := parsePeerSeconds(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestCPUProfileFlag: --cpuprofile writes a pprof profile of the command
// (gzip-compressed protobuf), and an unwritable path is one error line.
func TestCPUProfileFlag(t *testing.T) {
	dir := syntheticDir(t, 100)
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	app := newApp()
	var out, log bytes.Buffer
	app.Writer, app.ErrWriter = &out, &log
	if err := app.RunContext(context.Background(), []string{"gtrain", "--cpuprofile", prof, "bench", "--data", dir,
		"--loss", "cross", "--dtype", "float32", "--batch", "20", "--epochs", "1"}); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	b, err := os.ReadFile(prof)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile %s: %d bytes, %v", prof, len(b), err)
	}
	app = newApp()
	app.Writer, app.ErrWriter = &out, &log
	err = app.RunContext(context.Background(), []string{"gtrain", "--cpuprofile", filepath.Join(dir, "no", "such", "dir", "p"), "bench", "--data", dir})
	if err == nil || !strings.Contains(err.Error(), "--cpuprofile") {
		t.Fatalf("unwritable profile path: %v", err)
	}
}

// TestBenchStack: --stack times stacks of the sizes asked for, beside
// their products alone and both peers (fake ones here), one row per dtype
// and size.
func TestBenchStack(t *testing.T) {
	dir := syntheticDir(t, 100)
	peer := fakePeer(t, `echo "epoch_seconds: 0.5000"`)
	stack := fakePeer(t, `case "$*" in *"--lams 0.001,1 --etas 0.0002,0.005"*) ;; *) echo "args $*" >&2; exit 3;; esac; echo "config_epoch_seconds: 0.02000"`)
	// The stacked peer checks that it is given the stack's λ × η grid.
	var out, log bytes.Buffer
	err := benchApp(&out, &log).RunContext(context.Background(), []string{"gtrain", "bench", "--data", dir,
		"--stack", "4", "--dtype", "float32,float64", "--batch", "20", "--epochs", "1",
		"--peer", "--python", "/bin/sh", "--peer-script", peer, "--stack-script", stack})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "bench --stack") || !strings.Contains(lines[1], "gtrain/stacked") {
		t.Fatalf("output:\n%s", out.String())
	}
	// dtype, M, ours, the products alone, numpy, stacked numpy, three ratios.
	for _, ln := range lines[2:] {
		f := strings.Fields(ln)
		if len(f) != 9 || f[1] != "4" || f[5] != "20.00" {
			t.Fatalf("row %q", ln)
		}
		if p, err := strconv.ParseFloat(f[3], 64); err != nil || p <= 0 {
			t.Errorf("row %q: products %q", ln, f[3])
		}
	}
	if err := benchApp(&out, &log).RunContext(context.Background(), []string{"gtrain", "bench", "--data", dir, "--stack", "0"}); err == nil || !strings.Contains(err.Error(), "want a positive integer") {
		t.Errorf("--stack 0: %v", err)
	}
}

// TestBenchMemoryLimit: the stack's memory limit leaves room for the
// data the bench holds besides the stack's own (the other dtype's): at
// least models.StackMemoryLimit plus those bytes.
func TestBenchMemoryLimit(t *testing.T) {
	dc := config.DefaultConfig().Data
	dc.Dir = syntheticDir(t, 500)
	splits, err := models.LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	d32, d64 := models.Prepare[float32](splits), models.Prepare[float64](splits)
	other := int64(4 * (len(d32.Train.X) + len(d32.Val.X) + len(d32.Test.X)))
	if got, base := benchMemoryLimit(d64, 4), models.StackMemoryLimit(d64, 4); got < base+other {
		t.Errorf("limit %d, want at least %d + %d (the float32 data)", got, base, other)
	}
	runtime.KeepAlive(d32)
}
