package config

import (
	"os"
	"testing"

	"github.com/gtrain/gtrain/models/engine"
)

// Validate asks the engine registry whether the device exists; these tests
// build no engine, so the cpu kind is registered without factories.
func TestMain(m *testing.M) {
	engine.Register("cpu", engine.Factory{})
	os.Exit(m.Run())
}
