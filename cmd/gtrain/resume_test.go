package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/runfiles"
)

// buildGtrain compiles the command into a temporary directory.
func buildGtrain(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gtrain")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSignalAndResume is the kill-and-resume acceptance test: SIGINT or
// SIGTERM mid-run exits 130 or 143 with a checkpoint, metrics and a partial
// result; --resume then ends with the same model and metrics, bit for bit,
// as a run that was never stopped (shuffling and augmentation on).
func TestSignalAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the subprocess test")
	}
	bin := buildGtrain(t)
	dir := syntheticDir(t, 200)
	args := []string{"train", "--data", dir, "--epochs", "40", "--batch", "10", "--eta", "0.005", "--shuffle",
		"--augment", "flip:0.5", "--noise", "gaussian:0.01", "--seed", "7", "-q"}
	whole := filepath.Join(t.TempDir(), "whole")
	if out, err := exec.Command(bin, append(args, "--out", whole)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			run := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command(bin, append(args, "--out", run)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for {
				if _, err := os.Stat(filepath.Join(run, runfiles.CheckpointFile)); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no checkpoint after 2 minutes\n%s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(c.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.code {
				t.Fatalf("exit %v, want %d\n%s", err, c.code, stderr.String())
			}
			res, err := runfiles.ReadResult(run)
			if err != nil || !res.Partial {
				t.Fatalf("partial result: %+v, %v", res, err)
			}
			if len(res.Epochs) >= 40 {
				t.Fatalf("the run finished before the signal (%d epochs)", len(res.Epochs))
			}
			if out, err := exec.Command(bin, "train", "--resume", run, "-q").CombinedOutput(); err != nil {
				t.Fatalf("resume: %v\n%s", err, out)
			}
			a, _ := os.ReadFile(filepath.Join(whole, runfiles.ModelFile))
			b, _ := os.ReadFile(filepath.Join(run, runfiles.ModelFile))
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Error("model.json of the resumed run differs from the uninterrupted run's")
			}
			if ma, mb := metricsWithoutSeconds(t, whole), metricsWithoutSeconds(t, run); !reflect.DeepEqual(ma, mb) {
				t.Error("metrics.csv of the resumed run differs from the uninterrupted run's")
			}
			if res, err := runfiles.ReadResult(run); err != nil || res.Partial {
				t.Errorf("result after resume: %+v, %v", res, err)
			}
			// A finished run cannot be resumed again.
			if code, _, stderr := gtrain(t, "train", "--resume", run); code == 0 {
				t.Errorf("resuming a finished run: exit 0, %s", stderr)
			}
		})
	}
}

func metricsWithoutSeconds(t *testing.T, dir string) [][]string {
	f, err := os.Open(filepath.Join(dir, runfiles.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		r[len(r)-1] = ""
	}
	return rows
}

func TestEvalAndPredict(t *testing.T) {
	dir := syntheticDir(t, 40)
	run := filepath.Join(t.TempDir(), "run")
	if code, _, stderr := gtrain(t, "train", "--data", dir, "--epochs", "3", "--batch", "10", "--eta", "0.01", "--out", run, "-q"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	code, stdout, stderr := gtrain(t, "eval", "--model", run)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	res, _ := runfiles.ReadResult(run)
	for _, s := range runfiles.SplitNames {
		want := fmtPercent(res.Splits[s].AccuracyTrained)
		found := false
		for _, line := range strings.Split(stdout, "\n") {
			found = found || (strings.HasPrefix(line, s+" ") && strings.Count(line, want) == 2)
		}
		if !found {
			t.Errorf("eval of %s does not reproduce %s:\n%s", s, want, stdout)
		}
	}
	// Without model.json (a run killed before writing it), eval uses the
	// last checkpoint and reproduces the same figures.
	os.Remove(filepath.Join(run, runfiles.ModelFile))
	if code, again, stderr := gtrain(t, "eval", "--model", run); code != 0 || again != stdout {
		t.Errorf("eval from the checkpoint: exit %d %q\n%s\nwant\n%s", code, stderr, again, stdout)
	}
	if code, _, stderr := gtrain(t, "train", "--data", dir, "--epochs", "3", "--batch", "10", "--eta", "0.01", "--out", run, "-q"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	// predict: 32×32 PNGs made from training images are classified as the
	// model's normalized scores say (computed here by hand); other sizes are
	// refused.
	checkPredict(t, run, dir)
	big := filepath.Join(t.TempDir(), "big.png")
	writePNG(t, big, 40)
	if code, _, stderr := gtrain(t, "predict", "--model", run, big); code == 0 || !bytes.Contains([]byte(stderr), []byte("40×40")) {
		t.Errorf("predict of 40×40: exit %d %q", code, stderr)
	}
	if code, _, stderr := gtrain(t, "eval", "--model", t.TempDir()); code == 0 || !bytes.Contains([]byte(stderr), []byte("config.json")) {
		t.Errorf("eval of an empty dir: exit %d %q", code, stderr)
	}
}

// interruptedRun trains the configuration of the run directory done (a
// finished run) into a new run directory, stops it after the given step of
// the given epoch and returns that directory: config.json and the
// checkpoint, as an interrupted 'gtrain train' leaves them.
func interruptedRun(t *testing.T, done string, epoch, step int) string {
	t.Helper()
	run := filepath.Join(t.TempDir(), "run")
	cfg, err := runfiles.ReadConfig(done)
	if err != nil {
		t.Fatal(err)
	}
	if err := runfiles.WriteConfig(run, cfg); err != nil {
		t.Fatal(err)
	}
	splits, err := models.LoadSplits(cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	_, err = models.Train(ctx, *cfg, models.Prepare[float64](splits), models.Options{
		OnStep: func(e, s, _ int, _ float64) {
			if e == epoch && s == step {
				cancel(errors.New("test interrupt"))
			}
		},
		OnCheckpoint: func(ck *runfiles.Checkpoint) error { return runfiles.WriteCheckpoint(run, ck) },
	})
	if !errors.Is(err, models.ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	return run
}

// snapshot returns every file of dir with its bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestResumeRefusesCorrupt: a checkpoint.json edited by hand is refused
// with one error line naming it, the run directory left byte for byte as
// it was; never a panic, never a resumed run that ends differently. The
// unedited checkpoint resumes into the uninterrupted run's model.
func TestResumeRefusesCorrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the subprocess test")
	}
	bin := buildGtrain(t)
	dir := syntheticDir(t, 50)
	whole := filepath.Join(t.TempDir(), "whole")
	if code, _, stderr := gtrain(t, "train", "--data", dir, "--epochs", "3", "--batch", "10", "--eta", "0.01", "--shuffle",
		"--augment", "flip:0.5", "--seed", "3", "--out", whole, "-q"); code != 0 {
		t.Fatalf("uninterrupted run: %s", stderr)
	}
	base := interruptedRun(t, whole, 2, 2)
	otherRNG, _ := rand.NewPCG(5, 6).MarshalBinary()
	type edit struct {
		name  string
		edit  func(ck map[string]any)       // nil: unedited, resumes
		typed func(ck *runfiles.Checkpoint) // an edit with the checksum recomputed
	}
	edits := []edit{
		{"unedited", nil, nil},
		{"order[0] huge", func(ck map[string]any) { ck["order"].([]any)[0] = 10000000 }, nil},
		{"order[last] -1", func(ck map[string]any) { o := ck["order"].([]any); o[len(o)-1] = -1 }, nil},
		{"order index duplicated", func(ck map[string]any) { o := ck["order"].([]any); o[1] = o[0] }, nil},
		{"order indices swapped", func(ck map[string]any) { o := ck["order"].([]any); o[0], o[1] = o[1], o[0] }, nil},
		{"order deleted", func(ck map[string]any) { delete(ck, "order") }, nil},
		{"step past the epoch", func(ck map[string]any) { ck["step"] = 9 }, nil},
		{"eta 0", func(ck map[string]any) { ck["eta"] = 0 }, nil},
		{"untrained deleted", func(ck map[string]any) { delete(ck, "untrained") }, nil},
		{"another valid RNG state", func(ck map[string]any) { ck["rng_shuffle"] = base64.StdEncoding.EncodeToString(otherRNG) }, nil},
		{"one base64 character of w", func(ck map[string]any) {
			w := []byte(ck["w"].(string))
			w[20] = map[bool]byte{true: 'B', false: 'A'}[w[20] == 'A']
			ck["w"] = string(w)
		}, nil},
		{"checksum deleted", func(ck map[string]any) { delete(ck, "sha256") }, nil},
	}
	// Edits that keep the checksum right are refused by the checks
	// against the configuration and the data.
	for name, f := range map[string]func(*runfiles.Checkpoint){
		"order[0] huge":     func(ck *runfiles.Checkpoint) { ck.Order[0] = 10000000 },
		"step past":         func(ck *runfiles.Checkpoint) { ck.Step = 9 },
		"eta 0":             func(ck *runfiles.Checkpoint) { ck.Eta = 0 },
		"untrained deleted": func(ck *runfiles.Checkpoint) { ck.Untrained = nil },
		"another RNG state": func(ck *runfiles.Checkpoint) { ck.Shuffle = otherRNG },
	} {
		edits = append(edits, edit{name + " (checksum recomputed)", func(map[string]any) {}, f})
	}
	for _, c := range edits {
		t.Run(c.name, func(t *testing.T) {
			run := filepath.Join(t.TempDir(), "run")
			os.CopyFS(run, os.DirFS(base))
			path := filepath.Join(run, runfiles.CheckpointFile)
			if c.typed != nil {
				cfg, _ := runfiles.ReadConfig(run)
				ck, err := runfiles.ReadCheckpoint(run, cfg)
				if err != nil {
					t.Fatal(err)
				}
				c.typed(ck)
				runfiles.WriteCheckpoint(run, ck)
			} else if c.edit != nil {
				raw, _ := os.ReadFile(path)
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.UseNumber()
				var ck map[string]any
				if err := dec.Decode(&ck); err != nil {
					t.Fatal(err)
				}
				c.edit(ck)
				raw, _ = json.Marshal(ck)
				os.WriteFile(path, raw, 0o644)
			}
			before := snapshot(t, run)
			out, err := exec.Command(bin, "train", "--resume", run, "-q").CombinedOutput()
			if c.edit == nil {
				a, _ := os.ReadFile(filepath.Join(whole, runfiles.ModelFile))
				b, _ := os.ReadFile(filepath.Join(run, runfiles.ModelFile))
				if err != nil || len(a) == 0 || !bytes.Equal(a, b) {
					t.Fatalf("resume of the unedited checkpoint: %v, model equal %v\n%s", err, bytes.Equal(a, b), out)
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if err == nil || strings.Contains(string(out), "panic") || !strings.Contains(lines[len(lines)-1], path) {
				t.Fatalf("resume of the edited checkpoint: %v, want an error naming %s:\n%s", err, path, out)
			}
			t.Log(lines[len(lines)-1])
			if after := snapshot(t, run); !reflect.DeepEqual(before, after) {
				t.Errorf("the refused resume changed the run directory")
			}
		})
	}
}

// checkPredict writes three training images of the data in dataDir as PNGs,
// runs 'gtrain predict' on them and compares each line with the class and
// top-3 probabilities computed from model.json by hand: x = (pixels/255 −
// mean)/std, softmax(Wx + b).
func checkPredict(t *testing.T, run, dataDir string) {
	t.Helper()
	m, err := runfiles.ReadModel(run)
	if err != nil {
		t.Fatal(err)
	}
	train, err := data.ReadBinaryFile(filepath.Join(dataDir, "data_batch_1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"predict", "--model", run}
	var want []string
	for i := 0; i < 3; i++ {
		img := filepath.Join(t.TempDir(), fmt.Sprintf("img%d.png", i))
		writeImagePNG(t, img, train.Image(i))
		args = append(args, img)
		scores := make([]float64, m.K)
		for k := range scores {
			scores[k] = m.B[k]
			for j, p := range train.Image(i) {
				scores[k] += m.W[k*m.D+j] * ((float64(p)/255 - m.Mean[j]) / m.Std[j])
			}
		}
		order := make([]int, m.K)
		for k := range order {
			order[k] = k
		}
		sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
		var z float64
		for _, s := range scores {
			z += math.Exp(s - scores[order[0]])
		}
		line := fmt.Sprintf("%s: %s", img, m.Classes[order[0]])
		for _, k := range order[:3] {
			line += fmt.Sprintf("  %s %.3f", m.Classes[k], math.Exp(scores[k]-scores[order[0]])/z)
		}
		want = append(want, line)
	}
	code, stdout, stderr := gtrain(t, args...)
	if code != 0 {
		t.Fatalf("predict: exit %d %q", code, stderr)
	}
	if got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("predict printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// writeImagePNG writes a CIFAR image (channel-major pixels) as a PNG.
func writeImagePNG(t *testing.T, path string, pix []uint8) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, data.Side, data.Side))
	plane := data.Side * data.Side
	for y := 0; y < data.Side; y++ {
		for x := 0; x < data.Side; x++ {
			i := y*data.Side + x
			img.Set(x, y, color.RGBA{pix[i], pix[plane+i], pix[2*plane+i], 255})
		}
	}
	savePNG(t, path, img)
}
