package data

import (
	"fmt"
	"strconv"
	"strings"
)

// SplitSpec says which batches make up the train, validation and test
// splits.
//
// A nil Train, Val or Test takes its default (data_batch_1, data_batch_2
// and test_batch respectively; Val defaults to none when ValHoldout > 0).
// A non-nil empty Val or Test asks for no such split.
type SplitSpec struct {
	// Train names the training batches; they are concatenated in order.
	Train []string
	// Val names the validation batches. It must be empty when
	// ValHoldout > 0.
	Val []string
	// Test names the test batches.
	Test []string
	// ValHoldout, when positive, makes the validation split the last
	// ValHoldout images of the concatenated Train batches and removes
	// them from the training split.
	ValHoldout int
}

// CourseSplit returns the split of the course assignments: train on
// data_batch_1, validate on data_batch_2, test on test_batch.
func CourseSplit() SplitSpec {
	return SplitSpec{
		Train: []string{"data_batch_1"},
		Val:   []string{"data_batch_2"},
		Test:  []string{testBatch},
	}
}

// AllBatchesSplit returns the split that trains on data_batch_1 to
// data_batch_5 less their last holdout images, validates on those
// holdout images and tests on test_batch.
func AllBatchesSplit(holdout int) SplitSpec {
	return SplitSpec{
		Train:      append([]string(nil), trainBatches...),
		Val:        []string{},
		Test:       []string{testBatch},
		ValHoldout: holdout,
	}
}

// Splits holds the three splits of a data set. Val and Test are nil when
// the SplitSpec asked for none.
type Splits struct {
	Train, Val, Test *Dataset
}

// withDefaults fills in the nil fields of spec.
func (spec SplitSpec) withDefaults() SplitSpec {
	d := CourseSplit()
	if spec.Train == nil {
		spec.Train = d.Train
	}
	if spec.Val == nil {
		if spec.ValHoldout > 0 {
			spec.Val = []string{}
		} else {
			spec.Val = d.Val
		}
	}
	if spec.Test == nil {
		spec.Test = d.Test
	}
	return spec
}

// validate reports whether spec describes disjoint, non-empty splits.
func (spec SplitSpec) validate() error {
	switch {
	case len(spec.Train) == 0:
		return fmt.Errorf("split: no training batches")
	case spec.ValHoldout < 0:
		return fmt.Errorf("split: negative validation holdout %d", spec.ValHoldout)
	case spec.ValHoldout > 0 && len(spec.Val) > 0:
		return fmt.Errorf("split: both validation batches %v and a holdout of %d images given", spec.Val, spec.ValHoldout)
	}
	// A batch in two splits would leak evaluation data into training.
	in := make(map[string]string)
	for _, s := range []struct {
		name    string
		batches []string
	}{{"Train", spec.Train}, {"Val", spec.Val}, {"Test", spec.Test}} {
		for _, b := range s.batches {
			if prev, ok := in[b]; ok {
				if prev == s.name {
					return fmt.Errorf("split: batch %s listed twice in %s", b, s.name)
				}
				return fmt.Errorf("split: batch %s is in both %s and %s", b, prev, s.name)
			}
			in[b] = s.name
		}
	}
	return nil
}

// LoadSplits reads the batches spec names from src in one pass and
// assembles the splits. Nil fields of spec take their defaults, as
// documented on SplitSpec. It returns an error if a batch is missing,
// a batch is in two splits, or the holdout is not smaller than the
// training data.
func LoadSplits(src Source, spec SplitSpec) (*Splits, error) {
	spec = spec.withDefaults()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	all := append(append(append([]string(nil), spec.Train...), spec.Val...), spec.Test...)
	batches, err := src.Batches(all...)
	if err != nil {
		return nil, err
	}
	take := func(n int) *Dataset {
		if n == 0 {
			return nil
		}
		parts, names := batches[:n], all[:n]
		batches, all = batches[n:], all[n:]
		if n == 1 {
			return parts[0]
		}
		return Concat(batchesName(names), parts...)
	}
	s := &Splits{Train: take(len(spec.Train)), Val: take(len(spec.Val)), Test: take(len(spec.Test))}
	if h := spec.ValHoldout; h > 0 {
		train := s.Train
		n := train.Len()
		if h >= n {
			return nil, fmt.Errorf("split: validation holdout %d must be less than the %d training images of %s", h, n, train.Name)
		}
		s.Train = train.Slice(0, n-h)
		s.Train.Name = fmt.Sprintf("%s[:%d]", train.Name, n-h)
		s.Val = train.Slice(n-h, n)
		s.Val.Name = fmt.Sprintf("%s[%d:]", train.Name, n-h)
	}
	return s, nil
}

// batchesName names a concatenation of batches: "data_batch_1..5" for
// consecutive training batches, else the names joined by "+".
func batchesName(names []string) string {
	const prefix = "data_batch_"
	first, err := strconv.Atoi(strings.TrimPrefix(names[0], prefix))
	consecutive := err == nil && strings.HasPrefix(names[0], prefix)
	for i, n := range names {
		consecutive = consecutive && n == prefix+strconv.Itoa(first+i)
	}
	if consecutive {
		return fmt.Sprintf("%s%d..%d", prefix, first, first+len(names)-1)
	}
	return strings.Join(names, "+")
}
