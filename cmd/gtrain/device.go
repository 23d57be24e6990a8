package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/cuda"
)

// deviceUsage is the help of the --device of the commands that run a model.
const deviceUsage = "where the model runs: cpu, cuda, cuda:N or auto (default: gtrain --device, $GTRAIN_DEVICE, else cpu)"

// deviceFlag is the --device of a command that runs a model; a new one for
// each command, since urfave flags keep state.
func deviceFlag() cli.Flag { return &cli.StringFlag{Name: "device", Usage: deviceUsage} }

// givenDevice returns the --device asked for and whether one was: the
// innermost command's flag wins over its parents', the global flag over
// $GTRAIN_DEVICE.
func givenDevice(c *cli.Context) (string, bool) {
	// c.String("device") alone would be the innermost flag's, given or not.
	// An empty one ($GTRAIN_DEVICE= …) is none.
	for _, ctx := range c.Lineage() {
		if ctx.IsSet("device") && ctx.String("device") != "" {
			return ctx.String("device"), true
		}
	}
	return "cpu", false
}

// resolveDevice turns the --device asked for into the device the run
// uses. A CUDA device that was asked for and is not there is an error,
// never a silent fallback to the CPU.
func resolveDevice(c *cli.Context) (string, error) {
	dev, _ := givenDevice(c)
	return checkDevice(dev, c.App.ErrWriter)
}

// checkDeviceName refuses what is no device name at all, without looking
// for the device.
func checkDeviceName(dev string) error {
	if dev == "cpu" || dev == "auto" || dev == "cuda" || strings.HasPrefix(dev, "cuda:") {
		return nil
	}
	return fmt.Errorf("--device %q: want cpu, cuda, cuda:N or auto", dev)
}

// checkDevice resolves dev and tells log what auto chose.
func checkDevice(dev string, log io.Writer) (string, error) {
	if err := checkDeviceName(dev); err != nil {
		return "", err
	}
	switch dev {
	case "cpu":
		return "cpu", nil
	case "auto":
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
	}
	if !cuda.Built {
		return "", fmt.Errorf("--device %s: %v", dev, cuda.ErrNotBuilt)
	}
	if _, err := cuda.Probe(dev); err != nil {
		return "", fmt.Errorf("--device %s: %v", dev, err)
	}
	return dev, nil
}
