package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/models/npzfile"
	"github.com/gtrain/gtrain/models/runfiles"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a run directory's trained model (model.json) in another format",
		ArgsUsage: "RUN_DIR",
		Description: "--npz writes a NumPy .npz: W1 (K×d), b1 (K), classes, mean and std (the\n" +
			"normalization, pixels in [0, 1]), dtype and version; the scores of an image x are\n" +
			"W1 @ ((x - mean) / std) + b1 (docs/npz.md). model.json stays gtrain's own format.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "npz", Required: true, Usage: "write a NumPy .npz (the one format so far)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output file (default RUN_DIR/model.npz)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return cli.Exit("usage: gtrain export --npz RUN_DIR [-o FILE]", 2)
			}
			dir := c.Args().First()
			m, err := runfiles.ReadModel(dir)
			if err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join(dir, "model.npz")
			}
			if err := npzfile.WriteModel(out, m); err != nil {
				return err
			}
			if len(m.Hidden) == 0 {
				fmt.Fprintf(c.App.Writer, "wrote %s: W1 %d×%d, b1, classes, mean, std (%s)\n", out, m.K, m.D, m.Dtype)
				return nil
			}
			names := make([]string, len(m.Tensors))
			for i, t := range m.Tensors {
				names[i] = t.Name
			}
			fmt.Fprintf(c.App.Writer, "wrote %s: the %s network's %s, hidden, batch_norm, classes, mean, std (%s)\n",
				out, m.Arch(), strings.Join(names, ", "), m.Dtype)
			return nil
		},
	}
}
