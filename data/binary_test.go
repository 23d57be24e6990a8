package data

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestBinaryRoundTrip(t *testing.T) {
	for _, n := range []int{1, 3, 10} {
		want := makeDataset("data_batch_2", 2, n)
		raw := binaryBytes(t, want)
		if len(raw) != n*RecordSize {
			t.Fatalf("WriteBinary wrote %d bytes for %d images", len(raw), n)
		}
		// Record layout: label byte, then the pixels.
		last := (n - 1) * RecordSize
		if raw[last] != want.Labels[n-1] || raw[last+1+ImageSize-1] != want.Image(n - 1)[ImageSize-1] {
			t.Errorf("record %d is not its label followed by its pixels", n-1)
		}
		got, err := ReadBinary(bytes.NewReader(raw), "dir/data_batch_2.bin")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "data_batch_2" {
			t.Errorf("name %q, want data_batch_2", got.Name)
		}
		checkFixture(t, got, 2, n)

		path := writeTemp(t, "test_batch.bin", raw)
		got, err = ReadBinaryFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "test_batch" {
			t.Errorf("name %q, want test_batch", got.Name)
		}
		checkFixture(t, got, 2, n)
	}
}

func TestReadBinaryErrors(t *testing.T) {
	good := binaryBytes(t, makeDataset("", 1, 3))
	badLabel := bytes.Clone(good)
	badLabel[2*RecordSize] = 12
	label255 := bytes.Clone(good)
	label255[0] = 255
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "data_batch_1.bin: empty file"},
		{"pixels only", good[:ImageSize], "data_batch_1.bin: 3072 bytes is not a multiple of the 3073-byte record"},
		{"truncated", good[:len(good)-1], "data_batch_1.bin: 9218 bytes is not a multiple of the 3073-byte record"},
		{"extra byte", append(bytes.Clone(good), 0), "data_batch_1.bin: 9220 bytes is not a multiple of the 3073-byte record"},
		{"label 12", badLabel, "data_batch_1.bin: record 2: label 12 out of range 0..9"},
		{"label 255", label255, "data_batch_1.bin: record 0: label 255 out of range 0..9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := ReadBinary(bytes.NewReader(tc.raw), "data_batch_1.bin")
			wantErr(t, err, tc.want)
			if ds != nil {
				t.Error("returned a dataset with the error")
			}
			// The file reader checks the size before reading.
			path := writeTemp(t, "data_batch_1.bin", tc.raw)
			_, err = ReadBinaryFile(path)
			wantErr(t, err, path+tc.want[len("data_batch_1.bin"):])
		})
	}
}

func TestReadBinaryFileMissing(t *testing.T) {
	_, err := ReadBinaryFile(filepath.Join(t.TempDir(), "data_batch_9.bin"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want fs.ErrNotExist", err)
	}
	wantErr(t, err, "data_batch_9.bin")
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.ErrClosedPipe
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestReadBinaryReadError(t *testing.T) {
	_, err := ReadBinary(&failingReader{n: 100}, "x.bin")
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("error %v, want the reader's", err)
	}
	wantErr(t, err, "x.bin: ")
	_, err = ReadBinary(io.MultiReader(bytes.NewReader(make([]byte, 10)), iotestErr{io.ErrUnexpectedEOF}), "x.bin")
	wantErr(t, err, "x.bin: truncated")
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestWriteBinaryRejects(t *testing.T) {
	short := makeDataset("short", 1, 2)
	short.Pixels = short.Pixels[:ImageSize]
	bad := makeDataset("bad", 1, 2)
	bad.Labels[1] = 10
	for _, ds := range []*Dataset{short, bad} {
		var b bytes.Buffer
		wantErr(t, WriteBinary(&b, ds), ds.Name)
		if b.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", ds.Name, b.Len())
		}
	}
	// Write errors are reported.
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := WriteBinary(f, makeDataset("", 1, 2)); err == nil {
		t.Error("WriteBinary to a closed file: no error")
	}
}
