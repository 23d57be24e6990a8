package sweep

import (
	"os"
	"testing"

	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
)

// The sweeps' configurations name the device "cpu", which Config.Validate
// looks up among the registered engines: register it as gtrain's main does.
func TestMain(m *testing.M) {
	engine.Register("cpu", models.CPUFactory())
	os.Exit(m.Run())
}
