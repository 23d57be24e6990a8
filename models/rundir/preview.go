package rundir

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/data/augment"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/runfiles"
)

// StreamPreview seeds the preview's augmentation draws.
const StreamPreview = 0x5851f42d4c957f2d

// WritePreview writes the PNG grid of originals, each followed by k
// augmented versions, to path atomically: a failed write leaves no broken
// PNG.
func WritePreview(path string, originals [][]uint8, p *augment.Pipeline, rng *rand.Rand, scale, k int) error {
	var buf bytes.Buffer
	if err := augment.PreviewPNG(&buf, originals, p, rng, scale, k); err != nil {
		return err
	}
	return runfiles.WriteFileAtomic(path, buf.Bytes())
}

// writeAugmentGrid shows what the run's augmentation does to the first
// training images, as augment.png in the run directory.
func writeAugmentGrid(dir string, cfg *config.Config, train *data.Dataset) error {
	p, err := augment.Parse(cfg.Augment)
	if err != nil {
		return err
	}
	n := min(6, train.Len())
	originals := make([][]uint8, n)
	for i := range originals {
		originals[i] = train.Image(i)
	}
	return WritePreview(filepath.Join(dir, report.AugmentPNG), originals, p, rand.New(rand.NewPCG(cfg.Seed, StreamPreview)), 3, 5)
}
