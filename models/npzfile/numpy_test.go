package npzfile

import (
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data/datatest"
	"github.com/gtrain/gtrain/graph"
)

// runExample runs examples/npz_gradients.py into a temporary directory.
func runExample(t *testing.T, python string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := osexec.Command(python, append([]string{"../../examples/npz_gradients.py", "--out", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npz_gradients.py: %v\n%s", err, out)
	}
	return dir
}

// The acceptance check: the course's NumPy gradients of the linear model
// (cross-entropy and SVM, λ = 0.1) pass, within 1e-6 of autodiff and of
// the numerical gradient; each broken variant is flagged, naming the
// gradient at fault; the 2-layer file is read but not yet compared.
func TestNumPyGradients(t *testing.T) {
	python := datatest.NumPy(t, "the check of NumPy-computed gradients goes unchecked")
	dir := runExample(t, python, "--broken")
	cases := []struct {
		file    string
		readErr string // ReadGradFile's error
		flagged string // the verdict's, "" for a pass
		cmpErr  string // Compare's
	}{
		{file: "linear_cross"},
		{file: "linear_svm"},
		{file: "broken_no_reg", flagged: "grad_W1 differs from autodiff by 1 "},
		{file: "broken_softmax_sign", flagged: "grad_W1 differs from autodiff by 1 (from numerical by 1); grad_b1 differs from autodiff by 1 "},
		{file: "broken_svm_no_reg", flagged: "grad_W1 differs from autodiff by "},
		{file: "broken_transposed", readErr: "grad_W1 has shape (20, 10), want (10, 20) (the gradient of W1): it is transposed"},
		{file: "two_layer"},
		{file: "broken_two_layer_no_relu", flagged: "grad_W1 differs from autodiff by "},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.file+".npz")
		f, err := ReadGradFile(path)
		if c.readErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.readErr) {
				t.Errorf("%s: read error %v, want %q", c.file, err, c.readErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		cfg := graph.GradCheckConfig{}
		if f.Loss == graph.SVM {
			cfg.Floor = 1e-9 // gtrain gradcheck's default for the SVM
		}
		if len(f.Hidden) > 0 {
			cfg.H = 1e-5 // the course's step for its k-layer checks (docs/networks.md)
		}
		checks, err := Compare(f, cfg)
		if c.cmpErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.cmpErr) {
				t.Errorf("%s: compare error %v, want %q", c.file, err, c.cmpErr)
			}
			if len(f.Params) != 4 || f.Params[2].Name != "W2" {
				t.Errorf("%s: params %+v", c.file, f.Params)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		err = Verdict(checks, 1e-6)
		for _, k := range checks {
			t.Logf("%s %s: vs autodiff %.3g, vs numerical %.3g, autodiff vs numerical %.3g", c.file, k.Name, k.UserVsAutodiff, k.UserVsNumerical, k.AutodiffVsNumerical)
			if c.flagged == "" && !(k.UserVsNumerical <= 1e-6) {
				t.Errorf("%s %s: %.3g from the numerical gradient, want ≤ 1e-6", c.file, k.Name, k.UserVsNumerical)
			}
		}
		if c.flagged == "" && err != nil {
			t.Errorf("%s: %v", c.file, err)
		}
		if c.flagged != "" && (err == nil || !strings.Contains(err.Error(), c.flagged)) {
			t.Errorf("%s: verdict %v, want %q", c.file, err, c.flagged)
		}
	}
}

// With K = d a transposed gradient has the right shape: the comparison,
// not the shape check, must catch it.
func TestNumPyTransposedSquare(t *testing.T) {
	python := datatest.NumPy(t, "the check of a transposed square gradient goes unchecked")
	dir := runExample(t, python, "--broken", "--d", "10", "--k", "10")
	f, err := ReadGradFile(filepath.Join(dir, "broken_transposed.npz"))
	if err != nil {
		t.Fatal(err)
	}
	checks, err := Compare(f, graph.GradCheckConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verdict(checks, 1e-6); err == nil || !strings.Contains(err.Error(), "grad_W1 differs from autodiff") || strings.Contains(err.Error(), "grad_b1") {
		t.Errorf("verdict %v, want grad_W1 flagged alone", err)
	}
}

// exec runs a command and returns its combined output.
func exec(name string, args ...string) (string, error) {
	out, err := osexec.Command(name, args...).CombinedOutput()
	return string(out), err
}
