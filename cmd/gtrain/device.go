package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
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
		fmt.Fprintln(log, "gtrain: --device auto: this build has no CUDA backend; using the cpu")
		return "cpu", nil
	case dev == "cuda" || strings.HasPrefix(dev, "cuda:"):
		return "", fmt.Errorf("--device %s: this gtrain was built without CUDA support (build it with 'make build-cuda')", dev)
	}
	return "", fmt.Errorf("--device %q: want cpu, cuda, cuda:N or auto", dev)
}
