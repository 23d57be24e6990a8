package rundir

import (
	"os"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
)

// The runs of these tests train on the BLAS and the cpu engine that
// gtrain's main installs and registers.
func TestMain(m *testing.M) {
	graph.UseBLAS(graph.BLASOptions{})
	engine.Register("cpu", models.CPUFactory())
	os.Exit(m.Run())
}
