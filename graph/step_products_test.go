package graph

import "testing"

// TestStepProducts: the products' time is positive and grows with the
// number of steps (10 steps of a 64-member stack take longer than one).
func TestStepProducts(t *testing.T) {
	one := StepProducts[float32](100, 3072, 640, 1)
	ten := StepProducts[float32](100, 3072, 640, 10)
	if one <= 0 || ten <= one {
		t.Errorf("1 step %v, 10 steps %v", one, ten)
	}
	if d := StepProducts[float64](10, 30, 20, 3); d <= 0 {
		t.Errorf("float64: %v", d)
	}
}
