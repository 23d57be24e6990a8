package main

import (
	"strings"
	"testing"
)

// TestGradcheckNetworks runs gtrain gradcheck on k-layer nets with and
// without batch normalization: one row per tensor, PASS in float64; and
// the bad flags get one error line.
func TestGradcheckNetworks(t *testing.T) {
	dir := syntheticDir(t, 20)
	for _, c := range []struct {
		args    []string
		tensors []string
	}{
		{[]string{"--hidden", "6"}, []string{"W1", "b1", "W2", "b2"}},
		{[]string{"--hidden", "6,5", "--batch-norm", "--lambda", "0.01"}, []string{"W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"}},
		{[]string{"--hidden", "6,5,4", "--loss", "svm", "--init", "xavier"}, []string{"W1", "b1", "W4", "b4"}},
	} {
		args := append([]string{"gradcheck", "--data", dir, "--samples", "10", "--dims", "12"}, c.args...)
		code, stdout, stderr := gtrain(t, args...)
		if code != 0 || !strings.Contains(stdout, "PASS") {
			t.Errorf("gtrain %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
			continue
		}
		for _, name := range c.tensors {
			if !strings.Contains(stdout, "\n"+name+" ") {
				t.Errorf("gtrain %s: no row for %s in\n%s", strings.Join(args, " "), name, stdout)
			}
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--hidden", "6,0"}, "--hidden"},
		{[]string{"--batch-norm"}, "batch normalization needs a hidden layer"},
		{[]string{"--hidden", "6", "--init", "glorot"}, "--init"},
		{[]string{"--hidden", "6", "--tol-numerical", "0"}, "--tol-numerical"},
	} {
		args := append([]string{"gradcheck", "--data", dir, "--samples", "10", "--dims", "12"}, c.args...)
		code, _, stderr := gtrain(t, args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("gtrain %s: exit %d, stderr %q; want one line naming %s", strings.Join(args, " "), code, stderr, c.want)
		}
	}
}
