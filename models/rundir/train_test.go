package rundir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// tinyData is a cache of 8 images per split, whatever the data section.
func tinyData() *DataCache {
	return NewDataCache(func(config.DataConfig) (*data.Splits, error) {
		ds := &data.Dataset{Pixels: make([]uint8, 8*data.ImageSize), Labels: []uint8{0, 1, 2, 3, 4, 5, 6, 7}, Classes: data.DefaultClasses()}
		for i := range ds.Pixels {
			ds.Pixels[i] = uint8(i * 7)
		}
		return &data.Splits{Train: ds, Val: ds, Test: ds}, nil
	})
}

func tinyConfig() config.Config {
	cfg := config.DefaultConfig()
	cfg.Data.Dir = "tiny"
	cfg.Epochs, cfg.Batch = 2, 4
	return cfg
}

func TestTrainThenCompleteThenForeign(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := tinyConfig()
	var found []State
	var epochs int
	opt := Options{Data: tinyData(), OnFound: func(f *Found) { found = append(found, f.State) }, OnEpoch: func(runfiles.EpochMetrics) { epochs++ }}
	o, err := Train(context.Background(), cfg, dir, opt)
	if err != nil || o.State != Fresh || o.Result == nil || epochs != 2 {
		t.Fatalf("first: %v %+v, %d epochs", err, o, epochs)
	}
	for _, f := range []string{runfiles.ConfigFile, runfiles.MetricsFile, runfiles.CheckpointFile, runfiles.ModelFile, runfiles.ResultFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	o, err = Train(context.Background(), cfg, dir, opt)
	if err != nil || o.State != Complete || o.Result == nil || epochs != 2 {
		t.Fatalf("again: %v %+v", err, o)
	}
	if _, err := Resume(context.Background(), dir, opt); !errors.As(err, new(*CompleteError)) {
		t.Errorf("resume of a complete run: %v", err)
	}
	other := cfg
	other.Eta *= 2
	if _, err := Train(context.Background(), other, dir, opt); !errors.As(err, new(*ForeignError)) {
		t.Errorf("another configuration: %v", err)
	}
	// A finished run without its result gets it from the checkpoint.
	os.Remove(filepath.Join(dir, runfiles.ResultFile))
	o, err = Train(context.Background(), cfg, dir, opt)
	if err != nil || o.State != Unfinished || o.Result == nil || epochs != 2 {
		t.Fatalf("unfinished: %v %+v, %d epochs", err, o, epochs)
	}
	if want := []State{Fresh, Complete, Unfinished}; len(found) != len(want) || found[0] != want[0] || found[1] != want[1] || found[2] != want[2] {
		t.Errorf("found %v, want %v", found, want)
	}
}

func TestContinueTrainsAndFinishes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := tinyConfig()
	cache := tinyData()
	o, err := Continue(context.Background(), cfg, dir, Options{Data: cache})
	if err != nil || o.State != Fresh || o.Result == nil {
		t.Fatalf("%v %+v", err, o)
	}
	os.Remove(filepath.Join(dir, runfiles.ResultFile))
	o, err = Continue(context.Background(), cfg, dir, Options{Data: cache})
	if err != nil || o.State != Unfinished || o.Result == nil {
		t.Fatalf("%v %+v", err, o)
	}
	if n := cache.Loads(); n != 1 {
		t.Errorf("%d loads, want 1", n)
	}
}

// A run whose cycles make no whole number of epochs of the data is
// refused before anything is written.
func TestTrainRefusesCyclesBeforeWriting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := tinyConfig()
	cfg.Schedule, cfg.EtaMin, cfg.EtaMax, cfg.CycleSteps, cfg.Cycles, cfg.Epochs = "cyclic", 1e-5, 0.1, 3, 1, 0
	cfg.Batch = 2 // 4 updates an epoch; one cycle is 6
	_, err := Train(context.Background(), cfg, dir, Options{Data: tinyData()})
	if err == nil || !strings.Contains(err.Error(), "not a whole number of epochs of 4 updates") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, runfiles.ConfigFile)); !os.IsNotExist(err) {
		t.Errorf("config.json written for a refused run: %v", err)
	}
	cfg.CycleSteps = 4 // one cycle of 8 updates: 2 epochs
	if _, err := Train(context.Background(), cfg, dir, Options{Data: tinyData()}); err != nil {
		t.Fatal(err)
	}
}
