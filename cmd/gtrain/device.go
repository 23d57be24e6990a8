package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/cuda"
)

// resolveDevice turns the global --device into the device the run uses.
// A CUDA device that was asked for and is not there is an error, never a
// silent fallback to the CPU.
func resolveDevice(c *cli.Context) (string, error) {
	return checkDevice(c, c.App.ErrWriter)
}

// checkDevice resolves --device and tells log what auto chose.
func checkDevice(c *cli.Context, log io.Writer) (string, error) {
	dev := c.String("device")
	switch {
	case dev == "cpu":
		return "cpu", nil
	case dev == "auto":
		if !cuda.Built {
			fmt.Fprintln(log, "gtrain: --device auto: this build has no CUDA backend; using the cpu")
			return "cpu", nil
		}
		if cuda.Count() == 0 {
			fmt.Fprintln(log, "gtrain: --device auto: no CUDA device found; using the cpu")
			return "cpu", nil
		}
		desc, err := cuda.Probe("cuda")
		if err != nil {
			fmt.Fprintf(log, "gtrain: --device auto: the GPU is not usable (%v); using the cpu\n", err)
			return "cpu", nil
		}
		fmt.Fprintf(log, "gtrain: --device auto: using the GPU %s\n", desc)
		return "cuda", nil
	case dev == "cuda" || strings.HasPrefix(dev, "cuda:"):
		if !cuda.Built {
			return "", fmt.Errorf("--device %s: %v", dev, cuda.ErrNotBuilt)
		}
		if _, err := cuda.Probe(dev); err != nil {
			return "", fmt.Errorf("--device %s: %v", dev, err)
		}
		return dev, nil
	}
	return "", fmt.Errorf("--device %q: want cpu, cuda, cuda:N or auto", dev)
}
