package models

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
)

// TestAugmentInPlaceAccumulates: with augment_in_place, salt and pepper
// on 1 % of the values turns about 1 % more of the stored training
// values black or white every epoch, and each epoch's draw is the seed's
// alone (a resumed run rebuilds the images).
func TestAugmentInPlaceAccumulates(t *testing.T) {
	d := Prepare[float64](synthetic(3, 40))
	cfg := smallConfig()
	cfg.Augment, cfg.AugmentInPlace = []string{"sp:0.01"}, true
	aug, err := checkTrainable(&cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	extreme := func(b *batcher[float64]) float64 {
		n := 0
		for _, v := range b.images {
			if v == 0 || v == 1 {
				n++
			}
		}
		return float64(n) / float64(len(b.images))
	}
	b := newBatcher(&cfg, d, aug)
	clean := extreme(b)
	var frac []float64
	for e := 1; e <= 3; e++ {
		b.startEpoch(e)
		frac = append(frac, extreme(b)-clean)
	}
	for e, f := range frac {
		want := 1 - math.Pow(0.99, float64(e+1))
		if math.Abs(f-want) > 0.003 {
			t.Errorf("after %d epochs %.4f of the values turned black or white, want about %.4f", e+1, f, want)
		}
	}
	again := newBatcher(&cfg, d, aug)
	for e := 1; e <= 3; e++ {
		again.startEpoch(e)
	}
	for i := range b.images {
		if b.images[i] != again.images[i] {
			t.Fatalf("value %d: %v, then %v from the same seed", i, b.images[i], again.images[i])
		}
	}
}

// TestAugmentInPlaceResume: runs with in-place noise interrupted inside an
// epoch or at its end and resumed give the uninterrupted run's bits.
func TestAugmentInPlaceResume(t *testing.T) {
	for _, stopAt := range [][2]int{{2, 3}, {1, 5}, {3, 1}} {
		cfg := smallConfig()
		cfg.Epochs, cfg.Batch, cfg.Lambda = 4, 10, 0
		cfg.Augment, cfg.AugmentInPlace = []string{"sp:0.01"}, true
		checkResume[float64](t, cfg, stopAt)
	}
	cfg := smallConfig()
	cfg.AugmentInPlace = true
	if err := cfg.Validate(); err == nil {
		t.Error("augment_in_place without an augmentation accepted")
	}
	cfg.Augment = []string{"gaussian:0.01"}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	if h := config.DefaultConfig(); h.Hash() != "969a977c9642" {
		t.Errorf("the default configuration's hash moved to %s", h.Hash())
	}
}

// TestAugmentInPlaceStack: members of a stack with in-place noise get
// their lone runs' bits.
func TestAugmentInPlaceStack(t *testing.T) {
	needBitsAcrossShapes(t)
	d := Prepare[float64](synthetic(9, 40))
	var members []StackMember
	for _, lambda := range []float64{0, 0.1} {
		cfg := smallConfig()
		cfg.Epochs, cfg.Batch, cfg.Lambda = 3, 10, lambda
		cfg.Augment, cfg.AugmentInPlace = []string{"sp:0.02"}, true
		members = append(members, StackMember{Config: cfg})
	}
	res, err := TrainStack(context.Background(), members, d, engine.Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range members {
		alone := mustTrain(t, m.Config, d)
		if res[i].Err != nil {
			t.Fatal(res[i].Err)
		}
		if !reflect.DeepEqual(res[i].Trained.Params, alone.Params) {
			t.Errorf("member %d: parameters differ from its lone run's", i)
		}
	}
}
