package cuda

import (
	"os/exec"
	"testing"

	"github.com/gtrain/gtrain/data/datatest"
)

// requireGXX is the variable under which a missing g++ fails the host
// kernel tests instead of skipping them (CI installs g++ and sets it).
const requireGXX = "GTRAIN_REQUIRE_GXX"

// lookGXX returns the path of g++; without it the test is skipped, saying what
// then goes unchecked, or fails under GTRAIN_REQUIRE_GXX.
func lookGXX(t testing.TB, unchecked string) string {
	t.Helper()
	path, err := exec.LookPath("g++")
	if err != nil {
		datatest.Missing(t, requireGXX, "no g++ in PATH ("+unchecked+")")
		return ""
	}
	return path
}
