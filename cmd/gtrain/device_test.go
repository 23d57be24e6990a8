package main

import (
	"strings"
	"testing"

	"github.com/gtrain/gtrain/cuda"
)

// TestDeviceSelection: without the CUDA backend, --device cuda and cuda:N
// fail with one line saying so and --device auto runs on the CPU, saying
// so; with it and no GPU, cuda fails naming the missing device.
func TestDeviceSelection(t *testing.T) {
	dir := syntheticDir(t, 20)
	code, stdout, stderr := gtrain(t, "--device", "auto", "gradcheck", "--data", dir, "--samples", "5", "--dims", "5")
	if cuda.Built && cuda.Count() > 0 {
		if code != 0 || !strings.Contains(stderr, "using the GPU") {
			t.Errorf("--device auto with a GPU: exit %d, stderr %q", code, stderr)
		}
		return
	}
	if code != 0 || !strings.Contains(stderr, "using the cpu") || !strings.Contains(stdout, "PASS") {
		t.Errorf("--device auto without a GPU: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, dev := range []string{"cuda", "cuda:0", "cuda:3"} {
		code, _, stderr := gtrain(t, "--device", dev, "gradcheck", "--data", dir)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		want := "without CUDA support"
		if cuda.Built {
			want = "no CUDA device"
		}
		if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], want) {
			t.Errorf("--device %s: exit %d, stderr %q; want one line naming %q", dev, code, stderr, want)
		}
	}
}
