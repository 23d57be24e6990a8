package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/sweep"
)

// userCache points the user's cache directory at a new temporary one
// (HOME too, for the systems that derive it from HOME) and returns where
// 'gtrain data download' puts CIFAR-10 by default.
func userCache(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("LocalAppData", filepath.Join(home, "cache"))
	t.Setenv("CIFAR10_DIR", "")
	return filepath.Join(home, "cache", "gtrain")
}

// TestDataFromCache: with no --data and no CIFAR10_DIR, the commands read
// the data that 'gtrain data download' put into the cache directory;
// without it the error names both ways of giving the data.
func TestDataFromCache(t *testing.T) {
	cache := userCache(t)
	code, _, stderr := gtrain(t, "train", "--epochs", "1", "--out", filepath.Join(t.TempDir(), "run"))
	if code == 0 || !strings.Contains(stderr, "CIFAR10_DIR") || !strings.Contains(stderr, "gtrain data download") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("no data: exit %d, stderr %q; want one line naming CIFAR10_DIR and 'gtrain data download'", code, stderr)
	}
	if code, stdout, _ := gtrain(t, "data", "download", "--help"); code != 0 || !strings.Contains(stdout, cache) {
		t.Errorf("data download --help: exit %d; want the default --dir %s in\n%s", code, cache, stdout)
	}

	bin := filepath.Join(cache, "cifar-10-batches-bin")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(syntheticDir(t, 20), bin); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	if code, _, stderr := gtrain(t, "train", "--epochs", "1", "--batch", "10", "--out", out, "-q"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if cfg, err := os.ReadFile(filepath.Join(out, "config.json")); err != nil || !strings.Contains(string(cfg), bin) {
		t.Errorf("config.json %s, %v: want data.dir %s", cfg, err, bin)
	}
	for _, args := range [][]string{
		{"gradcheck", "--samples", "5", "--dims", "5"},
		{"augment-preview", "--augment", "flip:1", "--images", "2", "--versions", "1", "--out", filepath.Join(t.TempDir(), "p.png")},
		{"bench", "--loss", "cross", "--dtype", "float32", "--batch", "10", "--epochs", "1"},
	} {
		if code, _, stderr := gtrain(t, args...); code != 0 {
			t.Errorf("gtrain %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
	}

	// A sweep file without data.dir trains on it too.
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte("name: s\nepochs: 1\nbatch: 10\ngrid:\n  loss: [cross, svm]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := gtrain(t, "sweep", "plan", file, "--json")
	var p sweep.Plan
	if code != 0 || json.Unmarshal([]byte(stdout), &p) != nil || len(p.Runs) != 2 || p.Runs[0].Config.Data.Dir != bin {
		t.Errorf("sweep plan: exit %d, %s; want 2 runs on %s", code, stderr, bin)
	}

	// CIFAR10_DIR comes before the cache.
	t.Setenv("CIFAR10_DIR", filepath.Join(t.TempDir(), "elsewhere"))
	if code, _, stderr := gtrain(t, "gradcheck", "--samples", "5", "--dims", "5"); code == 0 || !strings.Contains(stderr, "elsewhere") {
		t.Errorf("CIFAR10_DIR set: exit %d, stderr %q; want it read", code, stderr)
	}
}

// TestDownloadThenTrain: 'gtrain data download' and 'gtrain train' with
// no flags are the whole set-up of a fresh machine.
func TestDownloadThenTrain(t *testing.T) {
	cache := userCache(t)
	src := syntheticDir(t, 20)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/" + e.Name(), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	gz.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(buf.Bytes()) }))
	defer srv.Close()
	sum := md5.Sum(buf.Bytes())

	code, stdout, stderr := gtrain(t, "data", "download", "--url", srv.URL+"/cifar-10-binary.tar.gz", "--md5", hex.EncodeToString(sum[:]))
	bin := filepath.Join(cache, "cifar-10-batches-bin")
	if code != 0 || strings.TrimSpace(stdout) != bin {
		t.Fatalf("data download: exit %d, stdout %q, stderr %q; want %s", code, stdout, stderr, bin)
	}
	if code, stdout, stderr := gtrain(t, "train", "--epochs", "1", "--batch", "10", "--out", filepath.Join(t.TempDir(), "run")); code != 0 || !strings.Contains(stdout, "Test data:") {
		t.Errorf("train after data download: exit %d: %s", code, stderr)
	}
}
