package sweep

import (
	"os"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
)

// The sweeps' configurations name the device "cpu", which Config.Validate
// looks up among the registered engines: register it as gtrain's main does,
// and train on the BLAS gtrain trains on.
func TestMain(m *testing.M) {
	graph.UseBLAS(graph.BLASOptions{})
	engine.Register("cpu", models.CPUFactory())
	os.Exit(m.Run())
}
