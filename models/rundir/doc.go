// Package rundir trains a configuration into a run directory: the one path
// that 'gtrain train', 'gtrain train --resume', 'gtrain sweep run',
// 'gtrain sweep run-one' and the Slurm tasks take. It checks what the
// directory holds (another configuration, an interrupted run, a finished
// run with or without its final files), reads and normalizes the data
// (through a DataCache when many runs share them), trains with a
// checkpoint and the metrics written after every epoch, and writes the
// final files (metrics, model.json, result.json) and the pictures.
//
// The callers hold the directory's lock (AcquireLock: one process owns a
// run directory) and print: the package reports what it found and did
// through Options' hooks, its Outcome and typed errors. The file formats
// of a run directory (config.json, metrics.csv, result.json,
// checkpoint.json, model.json) are still those of package models, and the
// pictures and metrics.jsonl those of models/report, which reads them.
package rundir
