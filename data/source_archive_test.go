package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// binaryArchive returns a miniature cifar-10-binary.tar.gz with n images
// per batch, leaving out the named files.
func binaryArchive(t testing.TB, n int, leaveOut ...string) []byte {
	t.Helper()
	files := binaryFiles(t, n, customMeta)
	for _, f := range leaveOut {
		delete(files, f)
	}
	return tarGz(t, archiveEntries("cifar-10-batches-bin", files, binaryOrder))
}

// pythonArchive returns a cifar-10-python.tar.gz of the pickle fixtures.
func pythonArchive(t *testing.T) []byte {
	t.Helper()
	files := make(map[string][]byte)
	order := []string{"data_batch_4", "test_batch", "data_batch_3", "batches.meta", "data_batch_2", "data_batch_5", "data_batch_1"}
	for _, name := range order {
		b, err := os.ReadFile(filepath.Join("testdata", "mini-py", name+".pkl"))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	return tarGz(t, archiveEntries("cifar-10-batches-py", files, order))
}

func TestOpenArchive(t *testing.T) {
	for _, tc := range []struct {
		file, kind string
		raw        []byte
		n          int
		classes    []string
	}{
		{"cifar-10-binary.tar.gz", "binary", binaryArchive(t, 2), 2, customClasses()},
		{"cifar-10-python.tar.gz", "python", pythonArchive(t), 3, DefaultClasses()},
		// Recognised by contents, not by name.
		{"renamed.tgz", "binary", binaryArchive(t, 1), 1, customClasses()},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := writeTemp(t, tc.file, tc.raw)
			src, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.kind + " archive " + path; src.String() != want {
				t.Errorf("String() = %q, want %q", src, want)
			}
			if !slices.Equal(src.Classes(), DefaultClasses()) {
				t.Errorf("Classes() before reading = %v, want the defaults", src.Classes())
			}
			checkBatches(t, src, tc.n, tc.classes, "test_batch", "data_batch_1", "data_batch_2", "data_batch_1")
			checkBatches(t, src, tc.n, tc.classes, officialBatches...)
		})
	}
}

func TestArchiveErrors(t *testing.T) {
	good := binaryArchive(t, 2)

	corrupt := bytes.Clone(good)
	for i := len(corrupt) / 3; i < len(corrupt)/3+64; i++ {
		corrupt[i] ^= 0x55
	}
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-8] ^= 1 // the gzip trailer's CRC-32

	// A gzip stream that is complete but holds a tar cut inside an entry.
	tarOnly := func(entries []tarEntry) []byte {
		var tb bytes.Buffer
		tw := tar.NewWriter(&tb)
		for _, e := range entries {
			tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg})
			tw.Write(e.body)
		}
		tw.Close()
		return tb.Bytes()
	}
	cutTar := tarOnly([]tarEntry{{name: "cifar-10-batches-bin/data_batch_1.bin", body: binaryBytes(t, makeDataset("", 1, 2))}})
	cutTar = cutTar[:512+RecordSize+100]
	var cutGz bytes.Buffer
	gw := gzip.NewWriter(&cutGz)
	gw.Write(cutTar)
	gw.Close()

	badBatch := tarGz(t, []tarEntry{
		{name: "cifar-10-batches-bin/", typ: tar.TypeDir},
		{name: "cifar-10-batches-bin/test_batch.bin", body: make([]byte, 2*RecordSize-1)},
	})
	badLabel := tarGz(t, []tarEntry{
		{name: "cifar-10-batches-bin/", typ: tar.TypeDir},
		{name: "cifar-10-batches-bin/test_batch.bin", body: append([]byte{10}, make([]byte, ImageSize)...)},
	})
	badMeta := tarGz(t, []tarEntry{
		{name: "cifar-10-batches-bin/", typ: tar.TypeDir},
		{name: "cifar-10-batches-bin/batches.meta.txt", body: []byte("one\ntwo\n")},
	})
	other := tarGz(t, []tarEntry{{name: "something/data_batch_1.bin", body: make([]byte, RecordSize)}})

	for _, tc := range []struct {
		name    string
		raw     []byte
		batches []string
		want    []string
	}{
		{"not gzip", []byte("this is not a gzip file at all"), nil, []string{"not a gzip archive"}},
		{"empty file", nil, nil, []string{"empty file"}},
		{"corrupt gzip", corrupt, officialBatches, []string{"flate"}},
		{"bad gzip checksum", badCRC, []string{"data_batch_1"}, []string{"gzip: invalid checksum"}},
		{"truncated gzip", good[:len(good)/2], officialBatches, []string{"truncated"}},
		{"truncated tar", cutGz.Bytes(), []string{"data_batch_1"}, []string{"cifar-10-batches-bin/data_batch_1.bin", "truncated"}},
		{"missing batch", binaryArchive(t, 1, "data_batch_3.bin"), officialBatches,
			[]string{"batch not found: data_batch_3", "no cifar-10-batches-bin/data_batch_3.bin entry"}},
		{"bad size", badBatch, []string{"test_batch"},
			[]string{"cifar-10-batches-bin/test_batch.bin: 6145 bytes is not a multiple of the 3073-byte record"}},
		{"bad label", badLabel, []string{"test_batch"},
			[]string{"cifar-10-batches-bin/test_batch.bin: record 0: label 10 out of range 0..9"}},
		{"bad meta", badMeta, []string{"test_batch"}, []string{"batches.meta.txt: 2 class names, want 10"}},
		{"not CIFAR", other, nil, []string{"not a CIFAR-10 archive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "cifar-10-binary.tar.gz", tc.raw)
			src, err := Open(path)
			if err == nil {
				if tc.batches == nil {
					t.Fatalf("Open succeeded, want an error")
				}
				var got []*Dataset
				got, err = src.Batches(tc.batches...)
				if got != nil {
					t.Error("Batches returned data with the error")
				}
			}
			wantErr(t, err, append([]string{path + ": "}, tc.want...)...)
		})
	}
}

func TestArchiveMissingBatchIs(t *testing.T) {
	src, err := Open(writeTemp(t, "a.tar.gz", binaryArchive(t, 1, "test_batch.bin")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Batches("test_batch"); !errors.Is(err, ErrBatchNotFound) {
		t.Fatalf("error %v, want ErrBatchNotFound", err)
	}
}
