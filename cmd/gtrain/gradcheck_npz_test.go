package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data/datatest"
)

// numpyScript runs a Python script with arguments and fails on a non-zero
// exit; it returns what the script printed.
func numpyScript(t *testing.T, python, script string, args ...string) string {
	t.Helper()
	out, err := exec.Command(python, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}

// gradcheck --compare on the NumPy example's files: the course's
// gradients pass (the linear model's and the 2-layer net's), the broken
// ones fail naming the gradient, and flags of the other mode are refused.
func TestGradcheckCompare(t *testing.T) {
	python := datatest.NumPy(t, "gradcheck --compare on NumPy's files goes unchecked")
	dir := t.TempDir()
	if out, err := exec.Command(python, "../../examples/npz_gradients.py", "--out", dir, "--broken").CombinedOutput(); err != nil {
		t.Fatalf("npz_gradients.py: %v\n%s", err, out)
	}
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"linear_cross.npz"}, 0, "PASS: every gradient within 1e-06 of gtrain's autodiff", ""},
		{[]string{"linear_svm.npz"}, 0, "floor 1e-09", ""},
		{[]string{"linear_cross.npz", "--tol", "1e-16"}, 1, "grad_W1", "gradient check failed: grad_W1 differs from autodiff by"},
		{[]string{"broken_no_reg.npz"}, 1, "", "gradient check failed: grad_W1 differs from autodiff by 1 (from numerical by 1), above --tol 1e-06"},
		{[]string{"broken_softmax_sign.npz"}, 1, "", "; grad_b1 differs from autodiff by 1"},
		{[]string{"broken_transposed.npz"}, 1, "", "grad_W1 has shape (20, 10), want (10, 20) (the gradient of W1): it is transposed"},
		{[]string{"two_layer.npz"}, 0, "PASS: every gradient within 1e-06 of gtrain's autodiff", ""},
		{[]string{"broken_two_layer_no_relu.npz"}, 1, "", "gradient check failed: grad_W1 differs from autodiff by"},
		{[]string{"linear_cross.npz", "--dims", "5"}, 1, "", "--dims does not apply with --compare"},
		{[]string{"nothing.npz"}, 1, "", "nothing.npz: not a readable .npz file"},
	}
	for _, c := range cases {
		args := append([]string{"gradcheck", "--compare", filepath.Join(dir, c.args[0])}, c.args[1:]...)
		code, stdout, stderr := gtrain(t, args...)
		if (code == 0) != (c.code == 0) || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) || strings.Count(stderr, "\n") > 1 {
			t.Errorf("gtrain %s: exit %d\nstdout %s\nstderr %s\nwant exit %d, %q, %q", strings.Join(c.args, " "), code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
}

// gradcheck --write saves what a student loads: NumPy finds the course's
// shapes, and the course's own formula on the file's inputs gives the
// file's gradients; gradcheck --compare passes on it, in both layouts.
func TestGradcheckWrite(t *testing.T) {
	python := datatest.NumPy(t, "NumPy's reading of gradcheck --write files goes unchecked")
	data := syntheticDir(t, 20)
	for _, layout := range []string{"course", "rows"} {
		path := filepath.Join(t.TempDir(), "g.npz")
		code, stdout, stderr := gtrain(t, "gradcheck", "--data", data, "--samples", "12", "--dims", "15", "--lambda", "0.1", "--write", path, "--layout", layout)
		if code != 0 || !strings.Contains(stdout, "PASS") || !strings.Contains(stdout, "wrote "+path+": ") {
			t.Fatalf("--write: exit %d\n%s\n%s", code, stdout, stderr)
		}
		got := numpyScript(t, python, `
import sys
import numpy as np
z = np.load(sys.argv[1])
X, Y, W, b = z['X'], z['Y'], z['W1'], z['b1']
if str(z['layout']) == 'rows':
    X, Y, b = X.T, Y.T, b.reshape(-1, 1)
assert X.shape == (15, 12) and Y.shape == (10, 12) and W.shape == (10, 15) and b.shape == (10, 1), (X.shape, Y.shape, W.shape, b.shape)
assert (np.argmax(Y, axis=0) == z['y']).all()
S = W @ X + b
P = np.exp(S - S.max(0)) / np.exp(S - S.max(0)).sum(0)
G = P - Y
gW = G @ X.T / X.shape[1] + 2 * float(z['lambda']) * W
gb = G.mean(axis=1, keepdims=True)
err = lambda a, c: np.max(np.abs(a - c) / np.maximum(1e-12, np.abs(a) + np.abs(c)))
print(str(z['loss']), str(z['layout']), err(gW, z['grad_W1']) < 1e-10, err(gb, z['grad_b1'].reshape(-1, 1)) < 1e-10)
`, path)
		if want := "cross " + layout + " True True"; strings.TrimSpace(got) != want {
			t.Errorf("%s: NumPy printed %q, want %q", layout, got, want)
		}
		code, stdout, stderr = gtrain(t, "gradcheck", "--compare", path)
		if code != 0 || !strings.Contains(stdout, "layout "+layout+", K 10, d 15, n 12") {
			t.Errorf("--compare of --write's file: exit %d\n%s\n%s", code, stdout, stderr)
		}
	}
	if code, _, stderr := gtrain(t, "gradcheck", "--data", data, "--write", "x.npz", "--layout", "cols"); code == 0 || !strings.Contains(stderr, `--layout "cols": want course or rows`) {
		t.Errorf("--layout cols: exit %d %q", code, stderr)
	}
}
