package cuda

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// splitShape is the length of each host slice a split's device copy was
// uploaded from. The engine keys its device copies by split name and
// uploads each once: a split does not change under an engine (the
// trainer's in-place augmentation changes its own copy of the images,
// not the split), and a copy of one that changed length would be read
// stale or out of bounds.
type splitShape struct {
	x, y, labels int
}

func shapeOf[T graph.Float](s *engine.Split[T]) splitShape {
	return splitShape{len(s.X), len(s.Y), len(s.Labels)}
}

// sameShape returns an error when s no longer has the shape sh its device
// copy was uploaded with.
func sameShape[T graph.Float](sh splitShape, s *engine.Split[T]) error {
	if now := shapeOf(s); now != sh {
		return fmt.Errorf("cuda: split %q changed length on the host since it was uploaded (X %d → %d, Y %d → %d, labels %d → %d values)",
			s.Name, sh.x, now.x, sh.y, now.y, sh.labels, now.labels)
	}
	return nil
}
