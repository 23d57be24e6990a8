package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Source is a place CIFAR-10 batches are read from: a directory of
// binary or pickle batches, or an official tar.gz archive.
type Source interface {
	// Batches reads the named batches, "data_batch_1" to "data_batch_5"
	// and "test_batch" in the official data, in a single pass over the
	// source, and returns them in the order of names. An archive is read
	// once as a stream and never unpacked to disk. A missing batch gives
	// an error wrapping ErrBatchNotFound.
	Batches(names ...string) ([]*Dataset, error)
	// Classes returns the class names indexed by label.
	Classes() []string
	// String describes the source, e.g. "binary dir /x/cifar-10-batches-bin".
	String() string
}

// ErrBatchNotFound is wrapped by the errors of Source.Batches for a batch
// that the source does not have.
var ErrBatchNotFound = errors.New("batch not found")

// Official names of the CIFAR-10 batches: the five training batches,
// then the test batch.
var (
	officialBatchNames = [...]string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", testBatch}
	trainBatches       = officialBatchNames[:5:5]
)

const testBatch = "test_batch"

// format describes one of the two official layouts.
type format struct {
	kind     string // "binary" or "python", for messages
	dir      string // directory name inside the archive
	ext      string // file name suffix of a batch
	meta     string // file name of the class names
	archive  string // official archive name
	read     func(r io.Reader, name string, size int64) (*Dataset, error)
	readMeta func(r io.Reader, name string) ([]string, error)
}

var (
	binaryFormat = &format{
		kind:     "binary",
		dir:      "cifar-10-batches-bin",
		ext:      ".bin",
		meta:     "batches.meta.txt",
		archive:  "cifar-10-binary.tar.gz",
		read:     readBinary,
		readMeta: readMetaText,
	}
	pythonFormat = &format{
		kind:    "python",
		dir:     "cifar-10-batches-py",
		meta:    "batches.meta",
		archive: "cifar-10-python.tar.gz",
		read: func(r io.Reader, name string, _ int64) (*Dataset, error) {
			return ReadPickle(r, name)
		},
		readMeta: readMetaPickle,
	}
	formats = []*format{binaryFormat, pythonFormat}
)

// fileName returns the name of batch in f.
func (f *format) fileName(batch string) string { return batch + f.ext }

// Open returns the Source at path, which may be
//   - a directory of binary batches (cifar-10-batches-bin: data_batch_1.bin
//     to data_batch_5.bin, test_batch.bin and optionally batches.meta.txt),
//   - a directory of pickled batches (cifar-10-batches-py: data_batch_1 to
//     data_batch_5, test_batch and optionally batches.meta),
//   - a directory containing cifar-10-batches-bin or cifar-10-batches-py,
//     such as the one Download or tar unpacked into (binary preferred),
//   - an official archive, cifar-10-binary.tar.gz or cifar-10-python.tar.gz
//     (recognised by its contents, not its name).
//
// Class names come from the meta file when there is one and are the
// DefaultClasses otherwise; a malformed meta file is an error.
func Open(path string) (Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open CIFAR-10 data: %w", err)
	}
	// The typed results are checked before they become a Source, so that
	// an error never comes with a non-nil Source holding a nil pointer.
	if !fi.IsDir() {
		a, err := openArchive(path)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	for _, dir := range []string{path, filepath.Join(path, binaryFormat.dir), filepath.Join(path, pythonFormat.dir)} {
		for _, f := range formats {
			if hasBatches(dir, f) {
				d, err := openDir(dir, f)
				if err != nil {
					return nil, err
				}
				return d, nil
			}
		}
	}
	return nil, fmt.Errorf("open CIFAR-10 data: %s: no batches found: want the files of %s or %s, a directory holding one of them, or %s or %s",
		path, binaryFormat.dir, pythonFormat.dir, binaryFormat.archive, pythonFormat.archive)
}

// hasBatches reports whether dir holds any official batch file of f.
func hasBatches(dir string, f *format) bool {
	for _, b := range officialBatchNames {
		if fi, err := os.Stat(filepath.Join(dir, f.fileName(b))); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// checkBatchNames rejects names that are not plain file names, so that a
// name cannot reach outside the source, and removes duplicates.
func checkBatchNames(src Source, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no batches requested", src)
	}
	seen := make(map[string]bool)
	var unique []string
	for _, n := range names {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`) {
			return nil, fmt.Errorf("%s: bad batch name %q", src, n)
		}
		if !seen[n] {
			seen[n] = true
			unique = append(unique, n)
		}
	}
	return unique, nil
}

// inOrder returns the datasets of byName in the order of names.
func inOrder(names []string, byName map[string]*Dataset) []*Dataset {
	out := make([]*Dataset, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out
}
