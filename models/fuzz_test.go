package models

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// FuzzCheckpointFields: checkpoints of a real run with a field changed and
// the checksum recomputed (an edit that the checksum cannot catch) are
// refused by Check or resumed by Train, never a panic; Train never resumes
// one that Check refuses.
func FuzzCheckpointFields(f *testing.F) {
	// Inputs of 6 dimensions keep each execution (encoding, checksum,
	// training) fast; no augmentation, which needs whole images.
	cfg := checkConfig()
	cfg.Augment = nil
	d := tinyPrepared(20, 6) // 2 steps per epoch
	bases := []*runfiles.Checkpoint{interruptedCheckpoint(f, cfg, d, 2, 1)}
	if _, err := Train(context.Background(), cfg, d, Options{OnCheckpoint: func(ck *runfiles.Checkpoint) error {
		bases = append(bases, cloneCheckpoint(f, ck))
		return nil
	}}); err != nil {
		f.Fatal(err)
	}
	for field := range 20 {
		f.Add(uint8(field), uint16(field), int64(field-3), 0.5, []byte("pcg:0123456789abcdef"))
	}
	f.Add(uint8(3), uint16(0), int64(10000000), 0.0, []byte{})
	f.Add(uint8(3), uint16(0), int64(-1), 0.0, []byte{})
	f.Add(uint8(2), uint16(0), int64(0), 0.0, []byte{})
	f.Fuzz(func(t *testing.T, field uint8, idx uint16, iv int64, fv float64, raw []byte) {
		ck := cloneCheckpoint(t, bases[int(idx)%len(bases)])
		mutateCheckpoint(ck, field, int(idx), int(iv), fv, raw)
		b, err := runfiles.EncodeCheckpoint(ck)
		if err != nil {
			return // not encodable (a NaN in the metrics): never on disk
		}
		ck, err = runfiles.DecodeCheckpoint(b)
		if err != nil {
			return
		}
		if checkErr := ck.Check(&cfg, shapeOfPrepared(d)); checkErr != nil {
			// The trainer refuses it before building an engine: cheap.
			if tr, err := newTrainer(cfg, d, Options{Resume: ck}); err == nil {
				tr.eng.Close()
				t.Fatalf("Train resumes a checkpoint that Check refuses: %v", checkErr)
			}
			return
		}
		Train(context.Background(), cfg, d, Options{Resume: ck}) // an error is fine (a huge w diverges), a panic is not
	})
}

func mutateCheckpoint(ck *runfiles.Checkpoint, field uint8, idx, iv int, fv float64, raw []byte) {
	at := func(n int) int { return idx % max(n, 1) }
	switch field % 20 {
	case 0:
		ck.Epoch = iv
	case 1:
		ck.Step = iv
	case 2:
		ck.Eta = fv
	case 3:
		if ck.Order == nil {
			ck.Order = make([]int, idx%64)
		} else {
			ck.Order[at(len(ck.Order))] = iv
		}
	case 4:
		ck.Order = ck.Order[:at(len(ck.Order)+1)]
	case 5:
		ck.Order = nil
	case 6:
		ck.W[at(len(ck.W))] = fv
	case 7:
		ck.W, ck.B = ck.W[:at(len(ck.W))], ck.B[:at(len(ck.B))]
	case 8:
		ck.B = append(ck.B, fv)
	case 9:
		if len(ck.Epochs) > 0 {
			m := &ck.Epochs[at(len(ck.Epochs))]
			m.Eta, m.ValAcc = fv, fv
		}
	case 10:
		if len(ck.EpochSeconds) > 0 {
			ck.EpochSeconds[at(len(ck.EpochSeconds))] = fv
		}
	case 11:
		delete(ck.Untrained, runfiles.SplitNames[at(3)])
	case 12:
		e := ck.Untrained[runfiles.SplitNames[at(3)]]
		e.N, e.Correct = iv, iv
		ck.Untrained[runfiles.SplitNames[at(3)]] = e
	case 13:
		ck.Shuffle = raw
	case 14:
		ck.Augment = raw
	case 15:
		ck.Finished = !ck.Finished
	case 16:
		ck.BestEpoch, ck.BestAcc = iv, fv
	case 17:
		ck.BestW, ck.BestB = ck.W, ck.B
	case 18:
		ck.Epoch++
		ck.Epochs = append(ck.Epochs, runfiles.EpochMetrics{Epoch: ck.Epoch, Eta: fv})
		ck.EpochSeconds = append(ck.EpochSeconds, fv)
	case 19:
		ck.Epochs, ck.EpochSeconds = ck.Epochs[:at(len(ck.Epochs)+1)], ck.EpochSeconds[:at(len(ck.EpochSeconds)+1)]
		ck.Epoch = len(ck.Epochs)
	}
}

// tinyPrepared is a training set of n random samples of dim inputs and
// 10 classes, used for all three splits.
func tinyPrepared(n, dim int) *Prepared[float64] {
	rng := rand.New(rand.NewPCG(3, 4))
	s := &engine.Split[float64]{Name: "train", X: make([]float64, n*dim), Y: make([]float64, n*10), Labels: make([]uint8, n)}
	for i := range n {
		s.Labels[i] = uint8(rng.IntN(10))
		s.Y[i*10+int(s.Labels[i])] = 1
		for j := range dim {
			s.X[i*dim+j] = rng.NormFloat64() + float64(s.Labels[i]%3)
		}
	}
	return &Prepared[float64]{Train: s, Val: s, Test: s}
}
