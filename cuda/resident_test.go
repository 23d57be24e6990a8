package cuda

import (
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/engine"
)

// TestSameShape: a split whose host slices keep their lengths keeps its
// device copy; one that changed any is refused, with its name.
func TestSameShape(t *testing.T) {
	mk := func(n int) *engine.Split[float32] {
		return &engine.Split[float32]{Name: "train", X: make([]float32, 3*n), Y: make([]float32, 2*n), Labels: make([]uint8, n)}
	}
	sh := shapeOf(mk(4))
	if err := sameShape(sh, mk(4)); err != nil {
		t.Errorf("same lengths: %v", err)
	}
	grown := mk(4)
	grown.X = append(grown.X, 0)
	for _, s := range []*engine.Split[float32]{mk(5), mk(3), grown} {
		err := sameShape(sh, s)
		if err == nil {
			t.Errorf("%+v: no error", shapeOf(s))
			continue
		}
		const want = `cuda: split "train" changed length on the host since it was uploaded`
		if got := err.Error(); !strings.HasPrefix(got, want) {
			t.Errorf("error %q, want it to start %q", got, want)
		}
	}
}
