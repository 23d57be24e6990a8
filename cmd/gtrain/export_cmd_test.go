package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data/datatest"
	"github.com/gtrain/gtrain/models/runfiles"
)

// export --npz of a trained run: NumPy reads model.json's every value
// back, bit for bit, with the names and shapes of docs/npz.md.
func TestExportNPZ(t *testing.T) {
	python := datatest.NumPy(t, "NumPy's reading of gtrain export --npz goes unchecked")
	data := syntheticDir(t, 40)
	run := filepath.Join(t.TempDir(), "run")
	if code, _, stderr := gtrain(t, "train", "--data", data, "--epochs", "2", "--batch", "20", "--dtype", "float32", "--out", run, "--quiet"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := gtrain(t, "export", "--npz", run)
	if code != 0 || !strings.Contains(stdout, "model.npz: W1 10×3072") {
		t.Fatalf("export: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := numpyScript(t, python, `
import json, sys
import numpy as np
z = np.load(sys.argv[1])
j = json.load(open(sys.argv[2]))
K, d = j['k'], j['d']
print(sorted(z.files), z['W1'].shape,
      bool((z['W1'] == np.array(j['w']).reshape(K, d)).all()), bool((z['b1'] == np.array(j['b'])).all()),
      bool((z['mean'] == np.array(j['mean'])).all()), bool((z['std'] == np.array(j['std'])).all()),
      list(z['classes']) == j['classes'], str(z['dtype']))
`, filepath.Join(run, "model.npz"), filepath.Join(run, runfiles.ModelFile))
	want := "['W1', 'b1', 'classes', 'dtype', 'mean', 'std', 'version'] (10, 3072) True True True True True float32"
	if strings.TrimSpace(got) != want {
		t.Errorf("NumPy printed\n%s\nwant\n%s", got, want)
	}
	out := filepath.Join(t.TempDir(), "m.npz")
	if code, _, stderr := gtrain(t, "export", "--npz", run, "-o", out); code != 0 {
		t.Errorf("-o: exit %d %s", code, stderr)
	} else if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

func TestExportErrors(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"export", empty}, "missing --npz"},
		{[]string{"export", "--npz"}, "usage: gtrain export --npz RUN_DIR"},
		{[]string{"export", "--npz", empty}, "model.json: no such file"},
	}
	for _, c := range cases {
		code, _, stderr := gtrain(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") > 1 {
			t.Errorf("gtrain %v: exit %d, %q; want %q", c.args, code, stderr, c.want)
		}
	}
}
