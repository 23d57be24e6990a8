package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data/datatest"
)

// fixturePixel and fixtureLabel give the contents of every test image; the
// pickle fixtures of testdata/gen_pickles.py use the same formulas.
func fixturePixel(batch, image, j int) uint8 { return uint8((101*batch + 31*image + 7*j) % 256) }
func fixtureLabel(batch, image int) uint8    { return uint8((3*batch + 7*image + 1) % 10) }

// fixtureBatchIndex numbers the official batches as gen_pickles.py does:
// data_batch_k is k, test_batch is 6.
func fixtureBatchIndex(name string) int {
	if name == "test_batch" {
		return 6
	}
	return int(name[len(name)-1] - '0')
}

// makeDataset returns n fixture images of the given batch.
func makeDataset(name string, batch, n int) *Dataset {
	ds := &Dataset{Name: name, Pixels: make([]uint8, n*ImageSize), Labels: make([]uint8, n), Classes: DefaultClasses()}
	for i := range n {
		ds.Labels[i] = fixtureLabel(batch, i)
		for j := range ImageSize {
			ds.Pixels[i*ImageSize+j] = fixturePixel(batch, i, j)
		}
	}
	return ds
}

// checkFixture fails t unless ds holds n fixture images of batch.
func checkFixture(t *testing.T, ds *Dataset, batch, n int) {
	t.Helper()
	want := makeDataset("", batch, n)
	if ds.Len() != n || len(ds.Pixels) != n*ImageSize {
		t.Fatalf("%s: %d images, %d pixel bytes; want %d images", ds.Name, ds.Len(), len(ds.Pixels), n)
	}
	if !bytes.Equal(ds.Labels, want.Labels) {
		t.Errorf("%s: labels %v, want %v", ds.Name, ds.Labels, want.Labels)
	}
	if !bytes.Equal(ds.Pixels, want.Pixels) {
		t.Errorf("%s: pixels differ from the fixture of batch %d", ds.Name, batch)
	}
}

// binaryBytes returns ds in the binary format.
func binaryBytes(t testing.TB, ds *Dataset) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteBinary(&b, ds); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var officialBatches = []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"}

// binaryFiles returns the files of a miniature cifar-10-batches-bin with
// n images per batch and the given meta file contents (none if empty).
func binaryFiles(t testing.TB, n int, meta string) map[string][]byte {
	t.Helper()
	files := make(map[string][]byte)
	for _, b := range officialBatches {
		files[b+".bin"] = binaryBytes(t, makeDataset(b, fixtureBatchIndex(b), n))
	}
	if meta != "" {
		files["batches.meta.txt"] = []byte(meta)
	}
	return files
}

// writeFiles writes files into dir, creating it.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tarEntry is one entry of a test archive.
type tarEntry struct {
	name string
	body []byte
	typ  byte // tar.TypeReg if zero
	link string
}

// tarGz returns a tar.gz archive of entries, in order.
func tarGz(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typ, Linkname: e.link}
		switch {
		case h.Typeflag == 0:
			h.Typeflag = tar.TypeReg
		case h.Typeflag != tar.TypeReg:
			h.Size = 0
		}
		if h.Typeflag == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// archiveEntries lays files out as the official archives do: the
// directory entry first, then its files in the given order, with a
// readme.html among them.
func archiveEntries(dir string, files map[string][]byte, order []string) []tarEntry {
	entries := []tarEntry{{name: dir + "/", typ: tar.TypeDir}}
	for _, name := range order {
		if body, ok := files[name]; ok {
			entries = append(entries, tarEntry{name: dir + "/" + name, body: body})
		}
	}
	return append(entries, tarEntry{name: dir + "/readme.html", body: []byte("<html></html>")})
}

// binaryOrder is the entry order of the official binary archive, which is
// not sorted.
var binaryOrder = []string{"data_batch_1.bin", "batches.meta.txt", "data_batch_3.bin", "data_batch_4.bin",
	"test_batch.bin", "data_batch_5.bin", "data_batch_2.bin"}

// writeTemp writes b to a new file name in a new temporary directory.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantErr fails t unless err is non-nil and its message contains every
// one of subs.
func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", subs)
	}
	t.Logf("error (as wanted): %v", err)
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

// cifarDir returns the real cifar-10-batches-bin directory named by
// CIFAR10_DIR, skipping the test when it is unset (failing it under
// GTRAIN_REQUIRE_DATA=1).
func cifarDir(t *testing.T) string {
	t.Helper()
	return datatest.CIFAR10Dir(t)
}

// miniPythonDir lays out the pickle fixtures of testdata/mini-py (stored
// with a .pkl suffix, so that the repository holds no file named like a
// CIFAR-10 batch) as <root>/cifar-10-batches-py and returns root.
func miniPythonDir(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "cifar-10-batches-py")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch", "batches.meta"} {
		b, err := os.ReadFile(filepath.Join("testdata", "mini-py", name+".pkl"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
