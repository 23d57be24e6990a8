package runfiles

// EpochMetrics are the figures of one epoch, measured after its last step.
type EpochMetrics struct {
	Epoch     int     `json:"epoch"` // 1-based
	Eta       float64 `json:"eta"`   // learning rate used during the epoch
	TrainLoss float64 `json:"train_loss"`
	TrainCost float64 `json:"train_cost"`
	TrainAcc  float64 `json:"train_accuracy"`
	ValLoss   float64 `json:"val_loss"`
	ValCost   float64 `json:"val_cost"`
	ValAcc    float64 `json:"val_accuracy"`
	Seconds   float64 `json:"seconds"` // wall time of the epoch's gradient steps
}

// SplitResult is one split's part of the report's result block. Accuracies
// are fractions in [0, 1].
type SplitResult struct {
	Size              int     `json:"size"`
	AccuracyUntrained float64 `json:"accuracy_untrained"`
	AccuracyTrained   float64 `json:"accuracy_trained"`
	CostUntrained     float64 `json:"cost_untrained"`
	CostTrained       float64 `json:"cost_trained"`
	LossUntrained     float64 `json:"loss_untrained"`
	LossTrained       float64 `json:"loss_trained"`
}

// Result is the outcome of a training run; result.json holds it.
type Result struct {
	// Splits has the keys "train", "val" and "test".
	Splits       map[string]SplitResult `json:"splits"`
	EpochSeconds []float64              `json:"epoch_seconds"`
	Device       string                 `json:"device"`
	Dtype        string                 `json:"dtype"`
	ConfigHash   string                 `json:"config_hash"`
	TotalSeconds float64                `json:"total_seconds"`
	// Partial marks the result of an interrupted run (the figures are
	// those of the parameters when it stopped).
	Partial bool `json:"partial,omitempty"`
	// BestEpoch is the epoch whose weights were kept, with early stopping.
	BestEpoch int            `json:"best_epoch,omitempty"`
	Epochs    []EpochMetrics `json:"-"` // metrics.csv holds these
}

// SplitNames are the keys of Result.Splits in report order.
var SplitNames = []string{"train", "val", "test"}
