package graph

import (
	"hash"
	"hash/fnv"
)

// plainOp holds what graph's own Gorgonia ops (op_*.go) share: each
// returns a new value (written into the register the TapeMachine offers
// when it fits, through UsePreallocDo), calls no external code, overwrites
// no input and is differentiable in its one input.
type plainOp struct{}

func (plainOp) ReturnsPtr() bool     { return false }
func (plainOp) CallsExtern() bool    { return false }
func (plainOp) OverwritesInput() int { return -1 }
func (plainOp) DiffWRT(int) []bool   { return []bool{true} }

// hashOf is an op's Hashcode: FNV-1a of what its WriteHash writes.
func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
