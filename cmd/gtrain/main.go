// Command gtrain trains the one-layer CIFAR-10 classifier of DD2424
// Assignment 1 on Gorgonia expression graphs, checks its gradients three
// ways, and manages the data. It is a thin layer over the packages data,
// graph and models.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/graph"
)

func main() {
	// The graphs' matrix products run on the build's BLAS (SkinnyBLAS, or
	// OpenBLAS with -tags openblas); Gorgonia's is one per process.
	graph.UseBLAS(graph.BLASOptions{})
	registerEngines()
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal lets the current step finish and the run write
		// its checkpoint; a second one exits at once (files are written
		// atomically, so none is left half-written).
		// Cancelled before the message, so that whoever reads the message
		// (a user, a test) sees a context that is already cancelled.
		sig := <-sigs
		cancel(signalError{sig})
		fmt.Fprintf(os.Stderr, "\ngtrain: %v: stopping after the current step (again to exit at once)\n", sig)
		os.Exit(signalError{<-sigs}.exitCode())
	}()
	os.Exit(run(ctx, os.Args, os.Stdout, os.Stderr))
}

// signalError is the cause of a run stopped by a signal.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "received " + e.sig.String() }

// exitCode follows the shell's convention: 128 + the signal number.
func (e signalError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// run executes the command line and returns the exit status. Every error
// reaches the user as one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr *os.File) int {
	app := newApp()
	app.Writer, app.ErrWriter = stdout, stderr
	err := runApp(ctx, app, args)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "gtrain:", err)
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	var se signalError
	if errors.As(err, &se) {
		return se.exitCode()
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return 1
}

func newApp() *cli.App {
	app := &cli.App{
		Name:  "gtrain",
		Usage: "train small networks as Gorgonia graphs: DD2424 Assignment 1 on CIFAR-10",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "device", Value: "cpu", EnvVars: []string{"GTRAIN_DEVICE"},
				Usage: "where the graphs run: cpu, cuda, cuda:N or auto (a command's own --device wins)"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a Go CPU profile of the command to `FILE` (go tool pprof)"},
		},
		// A misspelt --device fails before any command does work; whether
		// the device is there is up to the command that uses it (its own
		// --device may ask for another).
		Before: func(c *cli.Context) error {
			dev, _ := givenDevice(c)
			if err := checkDeviceName(dev); err != nil {
				return err
			}
			return startCPUProfile(c)
		},
		After: stopCPUProfile,
		Commands: []*cli.Command{
			trainCommand(),
			reportCommand(),
			sweepCommand(),
			gradcheckCommand(),
			exportCommand(),
			evalCommand(),
			predictCommand(),
			augmentPreviewCommand(),
			benchCommand(),
			dataCommand(),
		},
		// Errors are printed once, by run; urfave/cli would otherwise
		// print some and exit on its own.
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
	}
	wireUsage(app)
	return app
}

// cpuProfile is the file of --cpuprofile while the profile runs.
var cpuProfile *os.File

func startCPUProfile(c *cli.Context) error {
	path := c.String("cpuprofile")
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	cpuProfile = f
	return nil
}

func stopCPUProfile(*cli.Context) error {
	if cpuProfile == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := cpuProfile.Close()
	cpuProfile = nil
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	return nil
}
