package models

import (
	"os"
	"testing"

	"github.com/gtrain/gtrain/graph"
)

// The graphs of these tests run on the BLAS gtrain runs them on.
func TestMain(m *testing.M) {
	graph.UseBLAS(graph.BLASOptions{})
	os.Exit(m.Run())
}
