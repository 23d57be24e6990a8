package models

import (
	"os"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// The graphs of these tests run on the BLAS gtrain runs them on, and the
// trainer finds the engines gtrain registers (the cpu) and the tests' own.
func TestMain(m *testing.M) {
	graph.UseBLAS(graph.BLASOptions{})
	engine.Register("cpu", CPUFactory())
	engine.Register("epochtest", epochTestFactory())
	engine.Register("devstack", deviceStackFactory())
	os.Exit(m.Run())
}

// needBitsAcrossShapes skips a test that a stacked member gives its lone
// run's bits under -tags openblas: OpenBLAS picks its kernels by shape
// (graph's stack tests compare within rounding there); SkinnyBLAS, the
// default build's, sums each entry alone, as the tests check.
func needBitsAcrossShapes(t *testing.T) {
	t.Helper()
	if graph.BLAS == "openblas" {
		t.Skip("OpenBLAS sums a product's entries by its shape: a stack's bits are not its lone runs'")
	}
}
