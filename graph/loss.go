package graph

import "fmt"

// Loss names a training loss of the course.
type Loss string

const (
	// CrossEntropy is the softmax cross-entropy, averaged over the batch.
	CrossEntropy Loss = "cross"
	// SVM is the multi-class hinge loss, mean over samples of
	// Σ_{j≠y} max(0, s_j − s_y + 1).
	SVM Loss = "svm"
)

// ParseLoss returns the Loss named s.
func ParseLoss(s string) (Loss, error) {
	switch Loss(s) {
	case CrossEntropy, SVM:
		return Loss(s), nil
	}
	return "", fmt.Errorf("unknown loss %q (want cross or svm)", s)
}

// Float is the element type of every computation: float32 or float64.
type Float interface{ ~float32 | ~float64 }
