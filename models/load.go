package models

import (
	"fmt"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models/config"
)

// LoadSplits reads the splits that dc names.
func LoadSplits(dc config.DataConfig) (*data.Splits, error) {
	if dc.Dir == "" {
		return nil, fmt.Errorf("no data directory: set --data or CIFAR10_DIR ('gtrain data download' fetches CIFAR-10)")
	}
	src, err := data.Open(dc.Dir)
	if err != nil {
		return nil, err
	}
	return data.LoadSplits(src, data.SplitSpec{Train: dc.Train, Val: dc.Val, Test: dc.Test, ValHoldout: dc.ValHoldout})
}

// AllBatches are the five training batches of CIFAR-10.
var AllBatches = []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"}
