// Package testenv finds what tests need from the machine beyond Go: the
// real CIFAR-10 and a host C++ compiler. Where one is missing a test is
// skipped, saying so; where the environment asks for it (CI sets
// GTRAIN_REQUIRE_DATA=1 and GTRAIN_REQUIRE_GXX=1 once it has provided
// them) the test fails instead, so that a missing dependency cannot turn
// a CI run into a run of skips.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// The variables that turn a missing dependency into a failure.
const (
	RequireData = "GTRAIN_REQUIRE_DATA"
	RequireGXX  = "GTRAIN_REQUIRE_GXX"
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

// GXX returns the path of g++; without it the test is skipped (saying what
// then goes unchecked), or fails under GTRAIN_REQUIRE_GXX.
func GXX(t testing.TB, unchecked string) string {
	t.Helper()
	gxx, err := exec.LookPath("g++")
	if err != nil {
		Missing(t, RequireGXX, "no g++ in PATH ("+unchecked+")")
		return ""
	}
	return gxx
}
