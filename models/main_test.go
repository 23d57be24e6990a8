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
