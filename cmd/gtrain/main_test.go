package main

import (
	"context"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/data/datatest"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// The commands run here as main runs them: on the build's BLAS, with the
// build's engines.
func TestMain(m *testing.M) {
	graph.UseBLAS(graph.BLASOptions{})
	registerEngines()
	os.Exit(m.Run())
}

// syntheticDir writes a small CIFAR-10 binary directory: n images per
// batch, each class brightening its own pixels, so training learns.
func syntheticDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"} {
		ds := &data.Dataset{Name: name, Pixels: make([]uint8, n*data.ImageSize), Labels: make([]uint8, n), Classes: data.DefaultClasses()}
		for i := 0; i < n; i++ {
			y := rng.IntN(data.NumClasses)
			ds.Labels[i] = uint8(y)
			for j := 0; j < data.ImageSize; j++ {
				v := 100 + 40*rng.NormFloat64()
				if j%data.NumClasses == y {
					v += 30
				}
				ds.Pixels[i*data.ImageSize+j] = uint8(min(255, max(0, v)))
			}
		}
		f, err := os.Create(filepath.Join(dir, name+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		if err := data.WriteBinary(f, ds); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return dir
}

// gtrain runs the command line in-process and returns its exit status,
// stdout and stderr.
func gtrain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	out, _ := os.Create(filepath.Join(dir, "stdout"))
	errf, _ := os.Create(filepath.Join(dir, "stderr"))
	code := run(context.Background(), append([]string{"gtrain"}, args...), out, errf)
	out.Close()
	errf.Close()
	o, _ := os.ReadFile(filepath.Join(dir, "stdout"))
	e, _ := os.ReadFile(filepath.Join(dir, "stderr"))
	return code, string(o), string(e)
}

func TestTrainCommand(t *testing.T) {
	dir := syntheticDir(t, 60)
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := gtrain(t, "train", "--data", dir, "--epochs", "3", "--batch", "20", "--eta", "0.01", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Model parameters:", "Training data:", "Validation data:", "Test data:", "accuracy (trained):", "cost (final):"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "epoch   3/3") {
		t.Errorf("no per-epoch log on stderr:\n%s", stderr)
	}
	cfg, err := runfiles.ReadConfig(out)
	if err != nil || cfg.Epochs != 3 || cfg.Batch != 20 || cfg.Data.Dir != dir || cfg.Seed != 0 {
		t.Fatalf("config.json: %+v, %v", cfg, err)
	}
	res, err := runfiles.ReadResult(out)
	if err != nil || len(res.EpochSeconds) != 3 || res.Device != "cpu" || res.Splits["test"].Size != 60 {
		t.Fatalf("result.json: %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(out, runfiles.MetricsFile)); err != nil {
		t.Error(err)
	}
	// The same directory with another configuration is refused …
	code, _, stderr = gtrain(t, "train", "--data", dir, "--epochs", "3", "--batch", "20", "--lambda", "0.5", "--out", out)
	if code == 0 || !strings.Contains(stderr, "another configuration") {
		t.Errorf("exit %d, stderr %q: want a refusal", code, stderr)
	}
	// … unless forced.
	if code, _, stderr = gtrain(t, "train", "--data", dir, "--epochs", "1", "--batch", "20", "--out", out, "--force", "-q"); code != 0 {
		t.Errorf("--force: exit %d: %s", code, stderr)
	}
}

func TestTrainAllBatches(t *testing.T) {
	dir := syntheticDir(t, 20)
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := gtrain(t, "train", "--data", dir, "--epochs", "1", "--batch", "10", "--all-batches", "--val-holdout", "30", "--out", out, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res, err := runfiles.ReadResult(out)
	if err != nil || res.Splits["train"].Size != 70 || res.Splits["val"].Size != 30 {
		t.Fatalf("result: %+v, %v", res, err)
	}
}

// TestBadInput: every mistake is one line on stderr and a non-zero exit.
func TestBadInput(t *testing.T) {
	dir := syntheticDir(t, 20)
	userCache(t) // empty: no data without --data
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--device", "cuda", "train"}, "without CUDA support"},
		{[]string{"--device", "cuda:1", "gradcheck"}, "without CUDA support"},
		{[]string{"--device", "tpu", "train"}, "--device \"tpu\""},
		{[]string{"train"}, "no data directory"},
		{[]string{"train", "--data", filepath.Join(dir, "missing")}, "missing"},
		{[]string{"train", "--data", dir, "--eta", "0"}, "eta"},
		{[]string{"train", "--data", dir, "--epochs", "0"}, "epochs"},
		{[]string{"train", "--data", dir, "--batch", "0"}, "batch"},
		{[]string{"train", "--data", dir, "--batch", "21"}, "batch 21"},
		{[]string{"train", "--data", dir, "--lambda", "-1"}, "lambda"},
		{[]string{"train", "--data", dir, "--l2", "quarter"}, "l2 \"quarter\""},
		{[]string{"train", "--data", dir, "--decay", "1.5"}, "decay"},
		{[]string{"train", "--data", dir, "--loss", "hinge"}, "loss"},
		{[]string{"train", "--data", dir, "--dtype", "int8"}, "dtype"},
		{[]string{"train", "--data", dir, "--val-holdout", "5"}, "--all-batches"},
		{[]string{"train", "--data", dir, "--epochs", "many"}, "epochs"},
		{[]string{"train", "--nonsense"}, "nonsense"},
		{[]string{"gradcheck", "--data", dir, "--dims", "0"}, "--dims"},
		{[]string{"gradcheck", "--data", dir, "--samples", "21"}, "--samples"},
		{[]string{"gradcheck", "--data", dir, "--method", "backward"}, "--method"},
		{[]string{"gradcheck", "--data", dir, "--step", "-1"}, "--step"},
		{[]string{"gradcheck", "--data", dir, "--tol", "1e-30", "--samples", "5", "--dims", "5"}, "gradient check failed"},
		{[]string{"nosuchcommand"}, "nosuchcommand"},
	} {
		args := c.args
		if len(args) > 0 && args[0] == "train" {
			args = append(args, "--out", filepath.Join(t.TempDir(), "run"))
		}
		code, _, stderr := gtrain(t, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		last := lines[len(lines)-1]
		if code == 0 || !strings.Contains(last, c.want) || !strings.HasPrefix(last, "gtrain: ") {
			t.Errorf("gtrain %s: exit %d, stderr %q; want a non-zero exit and a line naming %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

func TestGradcheckCommand(t *testing.T) {
	dir := syntheticDir(t, 20)
	for _, loss := range []string{"cross", "svm"} {
		code, stdout, stderr := gtrain(t, "gradcheck", "--data", dir, "--loss", loss, "--lambda", "0.1", "--samples", "10", "--dims", "15")
		if code != 0 || !strings.Contains(stdout, "PASS") || !strings.Contains(stdout, "autodiff vs analytic") || !strings.Contains(stdout, "analytic vs numerical") {
			t.Errorf("%s: exit %d\n%s\n%s", loss, code, stdout, stderr)
		}
	}
}

// TestGradcheckRealData is the acceptance check: on real images, both
// losses, λ = 0 and λ > 0, float64, every pair within 1e-6.
func TestGradcheckRealData(t *testing.T) {
	dir := datatest.CIFAR10Dir(t)
	for _, loss := range []string{"cross", "svm"} {
		for _, lambda := range []string{"0", "0.1"} {
			code, stdout, stderr := gtrain(t, "gradcheck", "--data", dir, "--loss", loss, "--lambda", lambda)
			t.Logf("%s λ=%s:\n%s", loss, lambda, stdout)
			if code != 0 {
				t.Errorf("%s λ=%s: exit %d: %s", loss, lambda, code, stderr)
			}
		}
	}
}

// TestHelp: every command's help renders (urfave/cli panics at run time on
// clashing flag names, so this catches them).
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"train", "--help"}, {"gradcheck", "--help"}, {"export", "--help"}, {"data", "--help"}, {"data", "verify", "--help"}, {"data", "download", "--help"}} {
		if code, stdout, stderr := gtrain(t, args...); code != 0 || stdout == "" {
			t.Errorf("gtrain %v: exit %d, %q %q", args, code, stdout, stderr)
		}
	}
}

func TestAugmentPreview(t *testing.T) {
	dir := syntheticDir(t, 10)
	out := filepath.Join(t.TempDir(), "p.png")
	code, _, stderr := gtrain(t, "augment-preview", "--data", dir, "--noise", "gaussian:0.05", "--augment", "flip:1", "--images", "3", "--versions", "2", "--scale", "2", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 3 rows of 1 original + 2 versions, 32×2 pixels each, plus any gaps.
	if b := img.Bounds(); b.Dx() < 3*64 || b.Dy() < 3*64 {
		t.Errorf("preview %v too small for 3×3 tiles of 64 pixels", b)
	}
	if code, _, stderr := gtrain(t, "augment-preview", "--data", dir, "--noise", "gaussian:-1", "--out", out); code == 0 || !strings.Contains(stderr, "gaussian") {
		t.Errorf("bad spec: exit %d %q", code, stderr)
	}
}

// TestConfigFile: a YAML file sets the configuration, flags override it,
// unknown keys are refused.
func TestConfigFile(t *testing.T) {
	dir := syntheticDir(t, 20)
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("loss: svm\nlambda: 0.5\nepochs: 2\nbatch: 10\naugment: [\"flip:0.5\"]\n"), 0o644)
	out := filepath.Join(t.TempDir(), "run")
	if code, _, stderr := gtrain(t, "train", "--data", dir, "--config", file, "--lambda", "0.25", "--out", out, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, err := runfiles.ReadConfig(out)
	if err != nil || cfg.Loss != "svm" || cfg.Lambda != 0.25 || cfg.Epochs != 2 || len(cfg.Augment) != 1 || cfg.Eta != config.DefaultConfig().Eta {
		t.Fatalf("resolved config %+v, %v", cfg, err)
	}
	os.WriteFile(file, []byte("loss: svm\nlamda: 0.5\n"), 0o644)
	if code, _, stderr := gtrain(t, "train", "--data", dir, "--config", file, "--out", out); code == 0 || !strings.Contains(stderr, "lamda") || !strings.Contains(stderr, "c.yaml:2") {
		t.Errorf("unknown key: exit %d %q", code, stderr)
	}
}

// TestAugmentOrder pins the pipeline order that --noise and --augment make
// in config.json: the --noise specs first, then the --augment ones, each in
// the order given, whatever the order of the flags on the command line.
// The order matters: noise added before a translation moves with the
// image, noise added after it covers the filled border too.
func TestAugmentOrder(t *testing.T) {
	dir := syntheticDir(t, 20)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--augment", "flip:0.5", "--noise", "gaussian:0.01", "--augment", "translate:2", "--noise", "sp:0.02"},
			[]string{"gaussian:0.01", "sp:0.02:value", "flip:0.5", "translate:2:zero"}},
		{[]string{"--noise", "sp:0.02", "--augment", "translate:2", "--augment", "flip:0.5"},
			[]string{"sp:0.02:value", "translate:2:zero", "flip:0.5"}},
	} {
		out := filepath.Join(t.TempDir(), "run")
		args := append([]string{"train", "--data", dir, "--epochs", "1", "--batch", "10", "--out", out, "-q"}, c.args...)
		if code, _, stderr := gtrain(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		cfg, err := runfiles.ReadConfig(out)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cfg.Augment, c.want) {
			t.Errorf("%v: config.json augment %q, want %q", c.args, cfg.Augment, c.want)
		}
	}
}
