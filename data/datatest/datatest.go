// Package datatest finds what tests need from the machine beyond Go, the
// real CIFAR-10 first. Where it is missing a test is skipped, saying so;
// where the environment asks for it, the test fails instead, so that a
// missing dependency cannot turn a CI run into a run of skips. CI sets
// GTRAIN_REQUIRE_DATA=1, GTRAIN_REQUIRE_GXX=1 (cuda's host compiler),
// GTRAIN_REQUIRE_CHROMIUM=1 (the report's browser test) and
// GTRAIN_REQUIRE_NUMPY=1 (the NumPy round trips) once it has provided them.
package datatest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The variables that turn a missing dependency into a failure.
const (
	RequireData = "GTRAIN_REQUIRE_DATA"
)

// Missing skips t, saying why, or, when the variable require is set (to
// anything but "" and "0"), fails it.
func Missing(t testing.TB, require, why string) {
	t.Helper()
	if v := os.Getenv(require); v != "" && v != "0" {
		t.Fatalf("%s, and %s=%s requires it", why, require, v)
		return
	}
	t.Skip("skipping: " + why)
}

// CIFAR10Dir returns the real cifar-10-batches-bin directory named by
// CIFAR10_DIR; without it the test is skipped, or fails under
// GTRAIN_REQUIRE_DATA.
func CIFAR10Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CIFAR10_DIR")
	if dir == "" {
		Missing(t, RequireData, "CIFAR10_DIR is unset (it names the real CIFAR-10, a cifar-10-batches-bin directory)")
		return ""
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("CIFAR10_DIR=%s: %v", dir, err)
		return ""
	}
	return dir
}

// RequireNumPy is the variable under which a missing /usr/bin/python3 with
// numpy fails the NumPy round-trip tests instead of skipping them.
const RequireNumPy = "GTRAIN_REQUIRE_NUMPY"

// PythonNumPy is the interpreter the NumPy round-trip tests run.
const PythonNumPy = "/usr/bin/python3"

// NumPy returns PythonNumPy when it imports numpy; otherwise the test is
// skipped, saying what then goes unchecked, or fails under
// GTRAIN_REQUIRE_NUMPY.
func NumPy(t testing.TB, unchecked string) string {
	t.Helper()
	return numPyAt(t, PythonNumPy, unchecked)
}

func numPyAt(t testing.TB, python, unchecked string) string {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import numpy").CombinedOutput(); err != nil {
		Missing(t, RequireNumPy, fmt.Sprintf("%s cannot import numpy (%v%s; %s)", python, err, trimmed(out), unchecked))
		return ""
	}
	return python
}

// trimmed is a command's output for a message: ": …" or nothing.
func trimmed(out []byte) string {
	if s := strings.TrimSpace(string(out)); s != "" {
		return ": " + s
	}
	return ""
}
