// Package runfiles is the format of a run directory's files, and the only
// code that reads and writes them: config.json, checkpoint.json (encoded
// with its checksum, decoded and checked against its configuration and
// data), model.json, result.json, metrics.csv and metrics.jsonl, and the
// report's result block. Every file is replaced atomically. It knows the
// configuration (package config) and the engines' Eval, not the trainer.
package runfiles
