// Package cuda runs the classifier's Gorgonia graphs on an NVIDIA GPU with
// its own executor: the compiled expression graph is lowered to a small
// program of device instructions (plain Go, no build tag), which a reference
// backend in Go (ref.go) and the CUDA backend (build tag gtrain_cuda)
// execute. Gorgonia's own CUDA mode is not used: it needs cuDNN 7.
//
// The program is rank-2 throughout: every value is a view (offset, rows,
// columns, row stride, column stride) of a flat buffer (a slot), or a host
// scalar broadcast to a shape. Reshapes, transposes and Gorgonia's Repeat
// (its broadcasting) become views, not copies; everything that depends only
// on constants, sizes and λ is folded to host scalars; what no output needs
// is dropped.
//
// The lowering, by file: program.go (the program, its instructions, slots
// and host scalars), fn.go (the elementwise and reduction functions),
// view.go (views, reshapes, broadcasts), lower.go (the driver: sizes and
// input slots, liveness, node order, outputs), net.go (LowerNet and
// LowerStack, for a graph.Net and a graph.Stack), mlp.go (LowerMLP, for a
// k-layer graph.MLP: named parameter slots), lower_ops.go (each
// Gorgonia op kind), lower_matmul.go (matrix products and their cuBLAS
// gemm form) and fuse.go (merging elementwise runs).
package cuda
