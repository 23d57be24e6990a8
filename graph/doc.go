// Package graph builds the one-layer classifier of DD2424 Assignment 1 as
// Gorgonia expression graphs and holds the two independent gradients it is
// checked against: the hand-derived analytic one (plain Go, no graph) and the
// numerical one (finite differences).
//
// Layout. A mini-batch X is stored row-major as n×d (one image per row), so
// that a batch of consecutive images is a contiguous view of the data. The
// parameters keep the course's shapes: W is K×d and b has K entries. The
// graph therefore computes the scores transposed, Sᵀ = X Wᵀ + bᵀ (n×K), which
// is the course's S = W X + b with samples along rows.
//
// Two bugs of Gorgonia v0.9.18 shape the graphs: the gradient of ByIndices is
// wrong along the innermost axis and LogSumExp is wrong. So s_y is selected
// with a one-hot mask Y (n×K) and the log-sum-exp is written out with a
// row-max shift; the regularization λ‖W‖² is part of the cost graph (b is not
// regularized), and the update is applied by the trainer, not by a Gorgonia
// solver (VanillaSolver would regularize b and rescale by the batch size).
package graph
