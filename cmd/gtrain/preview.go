package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/data/augment"
	"github.com/gtrain/gtrain/models/rundir"
)

func augmentPreviewCommand() *cli.Command {
	return &cli.Command{
		Name:  "augment-preview",
		Usage: "write a PNG grid of training images, each followed by augmented versions",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "CIFAR-10 directory or archive (" + dataDefault + ")"},
			&cli.StringSliceFlag{Name: "noise", Usage: "gaussian:SIGMA or sp:FRACTION (repeatable)"},
			&cli.StringSliceFlag{Name: "augment", Usage: "flip:P, translate:K, jitter:..., gaussian:SIGMA, sp:F (repeatable)"},
			&cli.IntFlag{Name: "images", Value: 6, Usage: "training images (rows)"},
			&cli.IntFlag{Name: "versions", Value: 5, Usage: "augmented versions per image (columns after the original)"},
			&cli.IntFlag{Name: "scale", Value: 4, Usage: "enlargement factor"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the augmentation draws"},
			&cli.StringFlag{Name: "out", Value: "augment-preview.png", Usage: "PNG file to write"},
		},
		Action: func(c *cli.Context) error {
			specs := append(append([]string(nil), c.StringSlice("noise")...), c.StringSlice("augment")...)
			if len(specs) == 0 {
				return fmt.Errorf("augment-preview: give at least one --noise or --augment")
			}
			p, err := augment.Parse(specs)
			if err != nil {
				return err
			}
			n, k, scale := c.Int("images"), c.Int("versions"), c.Int("scale")
			if n < 1 || k < 1 || scale < 1 || scale > 32 {
				return fmt.Errorf("augment-preview: --images and --versions must be ≥ 1, --scale in 1..32")
			}
			splits, err := loadCourseSplits(c)
			if err != nil {
				return err
			}
			if n > splits.Train.Len() {
				return fmt.Errorf("--images %d: the training batch has %d", n, splits.Train.Len())
			}
			originals := make([][]uint8, n)
			for i := range originals {
				originals[i] = splits.Train.Image(i)
			}
			return rundir.WritePreview(c.String("out"), originals, p, rand.New(rand.NewPCG(c.Uint64("seed"), rundir.StreamPreview)), scale, k)
		},
	}
}
