// Package data reads the CIFAR-10 data set and prepares it for training.
//
// It reads the official binary batches (cifar-10-batches-bin), the Python
// pickle batches (cifar-10-batches-py) and both official tar.gz archives,
// splits them into train, validation and test sets, normalizes pixels
// with statistics fitted on the training split, verifies files against
// the published MD5 sums and downloads the official binary archive.
//
// Images are kept as 8-bit pixels in the official channel-major layout:
// 1024 red, then 1024 green, then 1024 blue bytes, each plane a row-major
// 32x32 image. Conversion to floating point happens only at the end, in
// Normalize, NormalizeFloat and ToUnit.
//
// Malformed input never panics and never yields a silently wrong result:
// every reader returns a single error naming the file and the problem.
package data
