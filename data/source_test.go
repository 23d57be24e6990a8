package data

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// customMeta is a batches.meta.txt with names other than the defaults, so
// tests can tell that it was read; it ends in blank lines as the official
// one does.
const customMeta = "Airplane\nAutomobile\nBird\nCat\nDeer\nDog\nFrog\nHorse\nShip\nTruck\n\n\n"

func customClasses() []string {
	c := DefaultClasses()
	for i, s := range c {
		c[i] = strings.ToUpper(s[:1]) + s[1:]
	}
	return c
}

// checkBatches fails t unless src yields the named fixture batches of n
// images with the given classes.
func checkBatches(t *testing.T, src Source, n int, classes []string, names ...string) {
	t.Helper()
	got, err := src.Batches(names...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(names) {
		t.Fatalf("%d batches for %d names", len(got), len(names))
	}
	for i, ds := range got {
		if ds.Name != names[i] {
			t.Errorf("batch %d named %q, want %q", i, ds.Name, names[i])
		}
		checkFixture(t, ds, fixtureBatchIndex(names[i]), n)
		if !slices.Equal(ds.Classes, classes) {
			t.Errorf("%s: classes %v, want %v", ds.Name, ds.Classes, classes)
		}
	}
	if !slices.Equal(src.Classes(), classes) {
		t.Errorf("Classes() = %v, want %v", src.Classes(), classes)
	}
}

func TestOpenBinaryDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cifar-10-batches-bin")
	writeFiles(t, dir, binaryFiles(t, 2, customMeta))
	for _, path := range []string{dir, root} { // the directory itself, or one holding it
		src, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := "binary dir " + dir; src.String() != want {
			t.Errorf("String() = %q, want %q", src, want)
		}
		checkBatches(t, src, 2, customClasses(), "test_batch", "data_batch_1", "data_batch_5", "data_batch_1")
	}
}

func TestOpenBinaryDirDefaultClasses(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, binaryFiles(t, 1, ""))
	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkBatches(t, src, 1, DefaultClasses(), officialBatches...)
}

func TestOpenPythonDir(t *testing.T) {
	root := miniPythonDir(t)
	py := filepath.Join(root, "cifar-10-batches-py")
	for _, path := range []string{py, root} {
		src, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := "python dir " + py; src.String() != want {
			t.Errorf("String() = %q, want %q", src, want)
		}
		checkBatches(t, src, 3, DefaultClasses(), officialBatches...)
	}
}

func TestOpenErrors(t *testing.T) {
	empty := t.TempDir()
	badMeta := t.TempDir()
	files := binaryFiles(t, 1, "a\nb\nc\n")
	writeFiles(t, badMeta, files)
	pyBadMeta := t.TempDir()
	writeFiles(t, pyBadMeta, map[string][]byte{"data_batch_1": nil, "batches.meta": []byte("garbage")})
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"missing", filepath.Join(empty, "nope"), []string{"nope", "no such file"}},
		{"empty dir", empty, []string{empty, "no batches found"}},
		{"bad meta", badMeta, []string{filepath.Join(badMeta, "batches.meta.txt"), "3 class names, want 10"}},
		{"bad meta pickle", pyBadMeta, []string{filepath.Join(pyBadMeta, "batches.meta"), "pickle"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(tc.path)
			wantErr(t, err, tc.want...)
			if src != nil {
				t.Error("returned a source with the error")
			}
		})
	}
}

func TestDirBatchErrors(t *testing.T) {
	dir := t.TempDir()
	files := binaryFiles(t, 2, "")
	delete(files, "data_batch_3.bin")
	files["data_batch_4.bin"] = files["data_batch_4.bin"][:RecordSize+5]
	writeFiles(t, dir, files)
	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Batches("data_batch_1", "data_batch_3")
	if !errors.Is(err, ErrBatchNotFound) {
		t.Errorf("missing batch: error %v, want ErrBatchNotFound", err)
	}
	wantErr(t, err, dir, "data_batch_3")
	_, err = src.Batches("data_batch_4")
	wantErr(t, err, filepath.Join(dir, "data_batch_4.bin")+": 3078 bytes is not a multiple of the 3073-byte record")
	for _, name := range []string{"", "../data_batch_1", `a\b`, ".."} {
		_, err = src.Batches(name)
		wantErr(t, err, "bad batch name")
	}
	_, err = src.Batches()
	wantErr(t, err, "no batches requested")

	py := t.TempDir()
	raw, err := os.ReadFile("testdata/pickle/bad_label.pkl")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, py, map[string][]byte{"test_batch": raw})
	src, err = Open(py)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Batches("test_batch")
	wantErr(t, err, filepath.Join(py, "test_batch")+": labels: image 1: label 12 out of range 0..9")
	_, err = src.Batches("data_batch_1")
	if !errors.Is(err, ErrBatchNotFound) {
		t.Errorf("missing python batch: error %v, want ErrBatchNotFound", err)
	}
}
