package rundir

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
)

func TestDataCacheReadsOnce(t *testing.T) {
	var loads atomic.Int32
	c := NewDataCache(func(dc config.DataConfig) (*data.Splits, error) {
		loads.Add(1)
		if dc.Dir == "bad" {
			return nil, errors.New("no such data")
		}
		ds := &data.Dataset{Pixels: make([]uint8, 4*data.ImageSize), Labels: []uint8{0, 1, 2, 3}, Classes: data.DefaultClasses()}
		for i := range ds.Pixels {
			ds.Pixels[i] = uint8(i)
		}
		return &data.Splits{Train: ds, Val: ds, Test: ds}, nil
	})
	cfg := config.DefaultConfig()
	cfg.Data.Dir = "d"
	c.Expect(cfg)
	c.Expect(cfg)
	var wg sync.WaitGroup
	got := make([]*models.Prepared[float64], 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := Prepared[float64](c, cfg)
			if err != nil {
				t.Error(err)
			}
			got[i] = d
		}()
	}
	wg.Wait()
	for _, d := range got {
		if d != got[0] {
			t.Fatal("runs of the same data got different copies")
		}
	}
	f32 := cfg
	f32.Dtype = "float32"
	if _, err := Prepared[float32](c, f32); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepared[float32](c, cfg); err == nil {
		t.Error("float32 data for a float64 config")
	}
	if loads.Load() != 1 {
		t.Fatalf("%d loads, want 1", loads.Load())
	}
	// Released by both announced runs, the data go; the next use reads
	// them again.
	c.Release(cfg)
	if d, _ := Prepared[float64](c, cfg); d != got[0] {
		t.Fatal("dropped while a run was still to come")
	}
	c.Release(cfg)
	if d, _ := Prepared[float64](c, cfg); d == got[0] {
		t.Fatal("kept after the last run")
	}
	// Errors are not cached.
	bad := cfg
	bad.Data.Dir = "bad"
	for i := 0; i < 2; i++ {
		if _, err := Prepared[float64](c, bad); err == nil {
			t.Fatal("no error")
		}
	}
	if n := loads.Load(); n != 4 {
		t.Fatalf("%d loads, want 4", n)
	}
}
