package models

import (
	"context"
	"reflect"
	"testing"

	"github.com/gtrain/gtrain/models/engine"
)

// l2 half is λ/2 wherever λ acts: training at λ under half gives, bit for
// bit, the parameters, costs and accuracies of training at λ/2 under full
// (update, per-epoch costs and the result's costs alike), alone and as a
// member of a stack; and it is not full at λ.
func TestL2HalfIsHalfLambda(t *testing.T) {
	needBitsAcrossShapes(t)
	d := Prepare[float64](synthetic(5, 120))
	for _, loss := range []string{"cross", "svm"} {
		half := smallConfig()
		half.Loss, half.Lambda, half.L2 = loss, 0.5, "half"
		quarter := half
		quarter.Lambda, quarter.L2 = 0.25, ""
		full := half
		full.L2 = "full"
		h, q, f := mustTrain(t, half, d), mustTrain(t, quarter, d), mustTrain(t, full, d)
		if !reflect.DeepEqual(h.Params, q.Params) || !reflect.DeepEqual(h.Result.Splits, q.Result.Splits) ||
			!reflect.DeepEqual(withoutSeconds(h.Result.Epochs), withoutSeconds(q.Result.Epochs)) {
			t.Errorf("%s: λ 0.5 under l2 half differs from λ 0.25 under full", loss)
		}
		if reflect.DeepEqual(h.Params, f.Params) || h.Result.Splits["train"].CostTrained == f.Result.Splits["train"].CostTrained {
			t.Errorf("%s: l2 half trains as full", loss)
		}

		// The same in a stack, beside a member under full.
		rs, err := TrainStack(context.Background(), []StackMember{{Config: half}, {Config: full}}, d, engine.Tuning{})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []*Trained[float64]{q, f} {
			got := rs[i].Trained
			if rs[i].Err != nil || !reflect.DeepEqual(got.Params, want.Params) || !reflect.DeepEqual(got.Result.Splits, want.Result.Splits) {
				t.Errorf("%s: stack member %d differs from its lone run (err %v)", loss, i, rs[i].Err)
			}
		}
	}
}
