// Package models trains the one-layer classifier of DD2424 Assignment 1 by
// mini-batch gradient descent on the Gorgonia graphs of package graph, and
// records what a run needs to be reproduced: the resolved Config, the
// per-epoch Metrics and the Result block of the course's report.
//
// Data flows one way: a Config names the data and the hyper-parameters,
// Prepare turns the CIFAR-10 splits into normalized matrices, an Engine
// (Gorgonia's CPU VM here) runs the training graph, and Train drives the
// epochs and returns the Result.
package models
