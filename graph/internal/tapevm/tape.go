// Package tapevm runs a compiled Gorgonia graph again cheaply, reaching
// into the TapeMachine of gorgonia v0.9.18 (pinned in go.mod). It is its
// own package because it needs an assembly file (for a function declared
// without a body), and a package with Go assembly cannot use cgo, which
// package graph does in its OpenBLAS build.
package tapevm

import (
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// Running a compiled graph again, cheaply. Gorgonia's public way is Reset
// and RunAll; on a training step of the classifier they cost more than
// the arithmetic outside the two matrix products:
//   - Reset drops every register, so each Run allocated and cleared all its
//     values anew, several of them W-sized;
//   - RunAll locks its goroutine to its OS thread and runs the program on a
//     new goroutine, so each Run hands the thread over and back through the
//     scheduler (futex wake-ups: on this project's 2-core VMs about a third
//     of a batch-100 step at d = 32, measured with BenchmarkNetRun).
// Both are replaced here by reaching into the TapeMachine of gorgonia
// v0.9.18 (pinned in go.mod): rewinding its program counter, and calling
// its program loop directly. Each is checked at construction (the type,
// the field) and the caller falls back to the public API when it does not
// match; a gorgonia without the loop's method fails the build (the link
// name). graph.NetConfig.TapeReset makes package graph use the public API. Its
// TestNetRunIsPure, TestNetOutputs and TestTapeShortcuts check the results
// run after run, and against the public API bit for bit.

// Rewinder returns a func that sets a TapeMachine's program counter
// back to 0 and touches nothing else, or nil when vm is not the
// TapeMachine it knows (a pointer to a struct with an int field pc). Kept,
// the registers are the destinations of the next Run: every op writes its
// whole result (the TapeMachine's usePrealloc path, the one it takes for a
// register reused within a Run).
func Rewinder(vm G.VM) func() {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("pc")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return nil
	}
	pc := (*int)(unsafe.Pointer(f.UnsafeAddr()))
	return func() { *pc = 0 }
}

// tapeRunall is the TapeMachine's program loop: it runs the instructions
// from the program counter on, then sends on errChan (an error) or on
// doneChan. Buffered channels let it run on the caller's goroutine.
//
//go:linkname tapeRunall gorgonia.org/gorgonia.(*tapeMachine).runall
func tapeRunall(m unsafe.Pointer, errChan chan error, doneChan chan struct{})

// Runner returns a func that runs vm's program on the calling
// goroutine, or nil when vm is not gorgonia's TapeMachine. What RunAll
// does besides (flushing batched BLAS and device work, closures of dual
// values) is empty for the CPU machines of package graph.
func Runner(vm G.VM) func() error {
	if t := reflect.TypeOf(vm); t == nil || t.String() != "*gorgonia.tapeMachine" {
		return nil
	}
	m := reflect.ValueOf(vm).UnsafePointer()
	errc, done := make(chan error, 1), make(chan struct{}, 1)
	return func() error {
		tapeRunall(m, errc, done)
		select {
		case err := <-errc:
			return err
		case <-done:
			return nil
		}
	}
}
