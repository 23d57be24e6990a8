// Package report draws what a person reads a training run by and compares
// runs: the learning curves (curves.png, curves.svg), the class-template
// montage of the learnt weights (weights.png), grids of example images such
// as augmented ones, the per-epoch metrics as JSON lines (metrics.jsonl),
// comparison tables of many runs as Markdown or CSV, and a self-contained
// HTML report with every picture embedded.
//
// Pictures use only fonts that ship with the Go modules (gonum/plot's
// Liberation fonts and golang.org/x/image's basicfont), never system fonts,
// so they render the same everywhere.
package report
