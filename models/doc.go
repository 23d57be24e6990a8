// Package models trains the one-layer classifier of DD2424 Assignment 1 by
// mini-batch gradient descent on the Gorgonia graphs of package graph: the
// trainers (Train, TrainStack), the CPU engines, Predict and EvaluateModel
// of a trained model, and the data preparation.
//
// Data flows one way: a config.Config names the data and the
// hyper-parameters, Prepare turns the CIFAR-10 splits into normalized
// matrices, an Engine (Gorgonia's CPU VM here) runs the training graph, and
// Train drives the epochs and returns the result, with the checkpoints and
// the model in the formats of package runfiles.
package models
