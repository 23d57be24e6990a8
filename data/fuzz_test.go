package data

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// checkDataset fails when a reader returned an inconsistent dataset
// instead of an error.
func checkDataset(t *testing.T, ds *Dataset) {
	if ds.Len() == 0 || len(ds.Pixels) != ds.Len()*ImageSize || len(ds.Classes) != NumClasses {
		t.Fatalf("inconsistent dataset: %d labels, %d pixel bytes, %d classes", ds.Len(), len(ds.Pixels), len(ds.Classes))
	}
	for i, l := range ds.Labels {
		if l >= NumClasses {
			t.Fatalf("label %d of image %d out of range", l, i)
		}
	}
}

// FuzzReadBinary: any bytes give a consistent dataset or an error, never
// a panic.
func FuzzReadBinary(f *testing.F) {
	f.Add(binaryBytes(f, makeDataset("data_batch_1", 1, 2)))
	f.Add([]byte{})
	f.Add(make([]byte, RecordSize-1))
	bad := binaryBytes(f, makeDataset("data_batch_1", 1, 1))
	bad[0] = 10
	f.Add(bad)
	f.Fuzz(func(t *testing.T, raw []byte) {
		ds, err := ReadBinary(bytes.NewReader(raw), "fuzz")
		if err != nil {
			return
		}
		checkDataset(t, ds)
		if !bytes.Equal(binaryBytes(t, ds), raw) {
			t.Fatal("a dataset read from bytes does not write back to them")
		}
	})
}

// FuzzArchive: any bytes as cifar-10-binary.tar.gz give datasets or an
// error, never a panic.
func FuzzArchive(f *testing.F) {
	f.Add(binaryArchive(f, 1))
	f.Add(binaryArchive(f, 1, "test_batch.bin"))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	// One file for all the inputs of a worker (a worker runs them one at
	// a time): a directory made and removed per input was most of the
	// time of an input.
	path := filepath.Join(f.TempDir(), "cifar-10-binary.tar.gz")
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := Open(path)
		if err != nil {
			return
		}
		sets, err := src.Batches("data_batch_1", "test_batch")
		if err != nil {
			return
		}
		for _, ds := range sets {
			checkDataset(t, ds)
		}
	})
}
