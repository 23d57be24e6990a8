package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gtrain/gtrain/models/runfiles"
)

// trainedRun trains a small run on synthetic data and returns its
// directory and the data's.
func trainedRun(t *testing.T) (run, dataDir string) {
	t.Helper()
	dataDir = syntheticDir(t, 40)
	run = filepath.Join(t.TempDir(), "run")
	if code, _, stderr := gtrain(t, "train", "--data", dataDir, "--epochs", "2", "--batch", "10", "--eta", "0.01", "--out", run, "-q"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	return run, dataDir
}

// TestEvalPredictBadModel: eval and predict refuse a bad model.json, or a
// bad checkpoint.json behind eval's fallback, with one line naming the file
// and the field. Before, eval panicked on d = 100 and both went on with
// zero deviations, nulls, an int8 dtype and 1e308 weights.
func TestEvalPredictBadModel(t *testing.T) {
	run, _ := trainedRun(t)
	good, _ := os.ReadFile(filepath.Join(run, runfiles.ModelFile))
	img := filepath.Join(t.TempDir(), "x.png")
	writePNG(t, img, 32)
	for _, tc := range []struct {
		name string
		edit func(f map[string]any)
		want string
	}{
		{"d 100", func(f map[string]any) {
			f["d"], f["w"] = 100, f["w"].([]any)[:10*100]
			f["mean"], f["std"] = f["mean"].([]any)[:100], f["std"].([]any)[:100]
		}, "d = 100"},
		{"std 0", func(f map[string]any) {
			for i := range f["std"].([]any) {
				f["std"].([]any)[i] = 0
			}
		}, "std[0] = 0"},
		{"negative std", func(f map[string]any) { f["std"].([]any)[2] = -0.1 }, "std[2] = -0.1"},
		{"null in w", func(f map[string]any) { f["w"].([]any)[3] = nil }, "w[3] is null"},
		{"dtype int8", func(f map[string]any) { f["dtype"] = "int8" }, `dtype "int8"`},
		{"w 1e308", func(f map[string]any) { f["w"].([]any)[0] = 1e308 }, "w[0] = 1e+308"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f map[string]any
			if err := json.Unmarshal(good, &f); err != nil {
				t.Fatal(err)
			}
			tc.edit(f)
			b, _ := json.Marshal(f)
			if err := os.WriteFile(filepath.Join(run, runfiles.ModelFile), b, 0o644); err != nil {
				t.Fatal(err)
			}
			want := "gtrain: --model " + run + ": " + filepath.Join(run, runfiles.ModelFile) + ": "
			for _, args := range [][]string{{"eval", "--model", run}, {"predict", "--model", run, img}} {
				code, stdout, stderr := gtrain(t, args...)
				if code != 1 || stdout != "" || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
					t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and one line %q", args[0], code, stdout, stderr, want+"..."+tc.want)
				}
			}
		})
	}
	// Without model.json, eval reads checkpoint.json: its parameters are
	// checked the same way.
	os.Remove(filepath.Join(run, runfiles.ModelFile))
	cfg, err := runfiles.ReadConfig(run)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := runfiles.ReadCheckpoint(run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		w    []float64
		want string
	}{
		{"d 100", ck.W[:10*100], "d = 100"},
		{"w 1e308", append([]float64{1e308}, ck.W[1:]...), "w[0] = 1e+308"},
	} {
		bad := *ck
		bad.W, bad.B, bad.BestW, bad.BestB = tc.w, ck.B, nil, nil
		if err := runfiles.WriteCheckpoint(run, &bad); err != nil {
			t.Fatal(err)
		}
		want := "gtrain: --model " + run + ": " + filepath.Join(run, runfiles.CheckpointFile) + ": "
		code, stdout, stderr := gtrain(t, "eval", "--model", run)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, tc.want) {
			t.Errorf("checkpoint %s: exit %d, stdout %q, stderr %q; want %q", tc.name, code, stdout, stderr, want+"..."+tc.want)
		}
	}
}

// TestReadImageIgnoresAlpha: predict uses each pixel's colour as the file
// stores it. Before, the colours were premultiplied by alpha, so a red
// image of alpha 1/255 was read as black.
func TestReadImageIgnoresAlpha(t *testing.T) {
	dir := t.TempDir()
	rect := image.Rect(0, 0, 32, 32)
	fill := func(img interface {
		image.Image
		Set(x, y int, c color.Color)
	}, c color.Color) image.Image {
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				img.Set(x, y, c)
			}
		}
		return img
	}
	read := func(name string, img image.Image) []uint8 {
		t.Helper()
		path := filepath.Join(dir, name)
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		pix, err := readImage(path)
		if err != nil {
			t.Fatal(err)
		}
		return pix
	}
	opaque := read("opaque.png", fill(image.NewNRGBA(rect), color.NRGBA{255, 0, 0, 255}))
	plane := 32 * 32
	if opaque[0] != 255 || opaque[plane-1] != 255 || opaque[plane] != 0 || opaque[3*plane-1] != 0 {
		t.Fatalf("opaque red read as r %d, g %d, b %d", opaque[0], opaque[plane], opaque[2*plane])
	}
	for _, tc := range []struct {
		name string
		img  image.Image
	}{
		{"rgba alpha 1 of 255", fill(image.NewNRGBA(rect), color.NRGBA{255, 0, 0, 1})},
		{"rgba alpha 0", fill(image.NewNRGBA(rect), color.NRGBA{255, 0, 0, 0})},
		{"rgba64 alpha 1 of 255", fill(image.NewNRGBA64(rect), color.NRGBA64{0xffff, 0, 0, 0x101})},
		{"paletted alpha 1 of 255", fill(image.NewPaletted(rect, color.Palette{color.NRGBA{255, 0, 0, 1}}), color.NRGBA{255, 0, 0, 1})},
	} {
		if got := read(tc.name+".png", tc.img); !bytes.Equal(got, opaque) {
			t.Errorf("%s: read as r %d, g %d, b %d; want the opaque red's 255, 0, 0", tc.name, got[0], got[plane], got[2*plane])
		}
	}
}

// TestEvalSIGTERM: SIGTERM stops eval with exit status 143 and no table.
// Before, eval said it would stop, went on and exited 0. The test batch of
// the data eval reads is a FIFO, so that eval is held in the middle of its
// work while the signal is sent, without a race against a clock.
func TestEvalSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the subprocess test")
	}
	bin := buildGtrain(t)
	run, dataDir := trainedRun(t)
	held := t.TempDir()
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	var testBatch []byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dataDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "test_batch.bin" {
			testBatch = b
			continue
		}
		if err := os.WriteFile(filepath.Join(held, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fifo := filepath.Join(held, "test_batch.bin")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	cmd := exec.Command(bin, "eval", "--model", run, "--data", held)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	var stderr strings.Builder // read only after lines is closed
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			lines <- sc.Text()
		}
		close(lines)
	}()
	fail := func(format string, args ...any) {
		t.Helper()
		cmd.Process.Kill()
		for range lines {
		}
		cmd.Wait()
		t.Fatalf(format+"\nstderr:\n%s", append(args, stderr.String())...)
	}
	// The FIFO opens for writing once eval opens it for reading: eval is
	// then past main's signal.Notify, reading its data.
	var w *os.File
	for deadline := time.Now().Add(2 * time.Minute); w == nil; time.Sleep(10 * time.Millisecond) {
		if w, err = os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err != nil && !errors.Is(err, syscall.ENXIO) {
			fail("open the FIFO: %v", err)
		}
		if w == nil && time.Now().After(deadline) {
			fail("eval did not open its test batch in 2 minutes")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		fail("signal: %v", err)
	}
	// Eval tells that it got the signal before it cancels its work.
	for line := range lines {
		if strings.Contains(line, "terminated") {
			break
		}
	}
	if _, err := io.Copy(w, bytes.NewReader(testBatch)); err != nil {
		fail("write the test batch: %v", err)
	}
	w.Close()
	for range lines {
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Fatalf("exit %v, want 143\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("eval printed results after SIGTERM:\n%s", stdout.String())
	}
	if !strings.HasSuffix(stderr.String(), "gtrain: received terminated\n") {
		t.Errorf("stderr does not end with the signal:\n%s", stderr.String())
	}
}
