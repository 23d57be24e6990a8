// Package config is the resolved description of a training run: Config
// (written as config.json into its run directory), its validation, its
// hash (the run's identity), the learning-rate schedules and the strict
// YAML config files. It knows no trainer and no run directory.
package config
