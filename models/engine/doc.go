// Package engine is the layer below the devices' engines: the Engine
// interface the trainer drives, the spec an engine is built for, the
// evaluation of a split, the splits in the form engines read, and the
// registry that maps a device kind ("cpu", "cuda") to the factory of its
// engines. It knows no device: the CPU engine (package models) and the
// CUDA engine (package cuda) implement it, and the program's main wires
// them into a Registry explicitly.
package engine
