package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ReadBinary reads the records of the official binary format from r.
// Each record is a label byte followed by ImageSize pixel bytes; any
// positive number of records is accepted. name is used in errors as
// given and, stripped of its directory and ".bin" suffix, as the
// Dataset name. The returned Dataset has the DefaultClasses.
//
// ReadBinary returns an error, and no Dataset, if reading fails, the input
// is empty or not a whole number of records, or a label is not below
// NumClasses. Records are numbered from 0 in errors.
func ReadBinary(r io.Reader, name string) (*Dataset, error) {
	return readBinary(r, name, -1)
}

// ReadBinaryFile reads the binary batch file at path with ReadBinary.
// Errors name the file by path.
func ReadBinaryFile(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError already names the file.
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return readBinary(f, path, size)
}

// readBinary implements ReadBinary. size is the input length when known,
// or -1; it only saves reallocations while reading.
// maxPrealloc bounds the memory reserved for a file from its stated size
// (an official batch is 30,730,000 bytes).
const maxPrealloc = 64 << 20

func readBinary(r io.Reader, name string, size int64) (*Dataset, error) {
	var buf bytes.Buffer
	if size > 0 {
		if err := checkRecordCount(name, size); err != nil {
			return nil, err
		}
		// +1 so that ReadFrom sees EOF without growing. The size comes
		// from a file system or a tar header, which a corrupt archive can
		// make huge: reserve at most maxPrealloc and let the real data
		// grow the buffer beyond it.
		buf.Grow(int(min(size, maxPrealloc)) + 1)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("%s: %w", name, readErr(err))
	}
	return parseBinary(buf.Bytes(), name)
}

// checkRecordCount reports whether size bytes can hold whole records.
func checkRecordCount(name string, size int64) error {
	switch {
	case size == 0:
		return fmt.Errorf("%s: empty file, want at least one %d-byte record", name, RecordSize)
	case size%RecordSize != 0:
		return fmt.Errorf("%s: %d bytes is not a multiple of the %d-byte record", name, size, RecordSize)
	}
	return nil
}

// parseBinary splits raw records into a Dataset, validating size and
// labels.
func parseBinary(raw []byte, name string) (*Dataset, error) {
	if err := checkRecordCount(name, int64(len(raw))); err != nil {
		return nil, err
	}
	n := len(raw) / RecordSize
	ds := &Dataset{
		Name:    datasetName(name),
		Pixels:  make([]uint8, n*ImageSize),
		Labels:  make([]uint8, n),
		Classes: DefaultClasses(),
	}
	for i := range n {
		rec := raw[i*RecordSize : (i+1)*RecordSize]
		if rec[0] >= NumClasses {
			return nil, fmt.Errorf("%s: record %d: label %d out of range 0..%d", name, i, rec[0], NumClasses-1)
		}
		ds.Labels[i] = rec[0]
		copy(ds.Pixels[i*ImageSize:], rec[1:])
	}
	return ds, nil
}

// datasetName turns a file name or archive entry into a batch name:
// "dir/data_batch_1.bin" becomes "data_batch_1".
func datasetName(name string) string {
	return strings.TrimSuffix(path.Base(filepath.ToSlash(name)), ".bin")
}

// readErr makes an input that ends too early say so: archive/tar reports
// a truncated entry as io.ErrUnexpectedEOF.
func readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", err)
	}
	return err
}

// WriteBinary writes ds to w in the official binary format. It is the
// inverse of ReadBinary and exists mainly to build test fixtures.
// It returns an error, writing nothing, if ds is inconsistent.
func WriteBinary(w io.Writer, ds *Dataset) error {
	if err := ds.validate(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for i, l := range ds.Labels {
		bw.WriteByte(l)
		bw.Write(ds.Image(i))
	}
	return bw.Flush() // bufio keeps the first write error.
}

// validate reports whether the lengths and labels of d are consistent.
func (d *Dataset) validate() error {
	if len(d.Pixels) != len(d.Labels)*ImageSize {
		return fmt.Errorf("data: dataset %q: %d pixel bytes for %d labels, want %d",
			d.Name, len(d.Pixels), len(d.Labels), len(d.Labels)*ImageSize)
	}
	for i, l := range d.Labels {
		if l >= NumClasses {
			return fmt.Errorf("data: dataset %q: image %d: label %d out of range 0..%d", d.Name, i, l, NumClasses-1)
		}
	}
	return nil
}
