package engine

import (
	"reflect"
	"testing"
)

// TestRegistry: a registry knows what was registered and nothing else; an
// unknown kind's error lists the kinds there are.
func TestRegistry(t *testing.T) {
	var r Registry
	if _, err := r.Lookup("cpu"); err == nil || err.Error() != `device "cpu": this build has no such backend (have )` {
		t.Errorf("empty registry: %v", err)
	}
	r.Register("cpu", Factory{})
	r.Register("cuda", Factory{})
	if got := r.Kinds(); !reflect.DeepEqual(got, []string{"cpu", "cuda"}) {
		t.Errorf("Kinds = %v", got)
	}
	if _, err := r.Lookup("cuda:1"); err != nil {
		t.Errorf("cuda:1: %v", err)
	}
	if _, err := r.Lookup("tpu"); err == nil || err.Error() != `device "tpu": this build has no such backend (have cpu, cuda)` {
		t.Errorf("tpu: %v", err)
	}
}
