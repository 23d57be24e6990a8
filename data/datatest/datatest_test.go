package datatest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Skip(args ...any)          { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = fmt.Sprintf(f, a...) }

// Without the data a test skips, saying so; with GTRAIN_REQUIRE_DATA it
// fails; a CIFAR10_DIR that is not there fails.
func TestCIFAR10Dir(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		dir, require string
		want         string
		skips, fails string
	}{
		{dir: "", require: "", skips: "skipping: CIFAR10_DIR is unset"},
		{dir: "", require: "0", skips: "skipping: CIFAR10_DIR is unset"},
		{dir: "", require: "1", fails: "CIFAR10_DIR is unset (it names the real CIFAR-10, a cifar-10-batches-bin directory), and GTRAIN_REQUIRE_DATA=1 requires it"},
		{dir: dir, require: "1", want: dir},
		{dir: dir + "/nope", require: "", fails: "CIFAR10_DIR=" + dir + "/nope: stat"},
	}
	for _, c := range cases {
		t.Setenv("CIFAR10_DIR", c.dir)
		t.Setenv(RequireData, c.require)
		r := &recorder{TB: t}
		got := CIFAR10Dir(r)
		if got != c.want || !has(r.skipped, c.skips) || !has(r.failed, c.fails) {
			t.Errorf("CIFAR10_DIR=%q %s=%q: %q, skipped %q, failed %q", c.dir, RequireData, c.require, got, r.skipped, r.failed)
		}
	}
}

// has reports whether got is empty when want is, and contains want
// otherwise.
func has(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}

// Without an interpreter that imports numpy a test skips, saying what goes
// unchecked; with GTRAIN_REQUIRE_NUMPY it fails.
func TestNumPyMissing(t *testing.T) {
	missing := t.TempDir() + "/no-python"
	for _, c := range []struct{ require, skips, fails string }{
		{"", "skipping: " + missing + " cannot import numpy (", ""},
		{"1", "", "the round trip goes unchecked), and GTRAIN_REQUIRE_NUMPY=1 requires it"},
	} {
		t.Setenv(RequireNumPy, c.require)
		r := &recorder{TB: t}
		if got := numPyAt(r, missing, "the round trip goes unchecked"); got != "" || !has(r.skipped, c.skips) || !has(r.failed, c.fails) {
			t.Errorf("%s=%q: %q, skipped %q, failed %q", RequireNumPy, c.require, got, r.skipped, r.failed)
		}
	}
}
