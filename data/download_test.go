package data

import (
	"archive/tar"
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// archiveServer serves body at /cifar-10-binary.tar.gz and 404 elsewhere,
// counting requests.
func archiveServer(t *testing.T, body []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/cifar-10-binary.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// dirNames lists dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	files := binaryFiles(t, 2, customMeta)
	entries := archiveEntries("cifar-10-batches-bin", files, binaryOrder)
	// Entries that must not be written: outside the directory, nested,
	// or not regular files.
	entries = append(entries,
		tarEntry{name: "cifar-10-batches-bin/../evil.bin", body: []byte("x")},
		tarEntry{name: "/abs.bin", body: []byte("x")},
		tarEntry{name: "cifar-10-batches-bin/sub/nested.bin", body: []byte("x")},
		tarEntry{name: "cifar-10-batches-bin/link", typ: tar.TypeSymlink, link: "/etc/passwd"},
	)
	archive := tarGz(t, entries)
	srv, hits := archiveServer(t, archive)
	dir := t.TempDir()
	var progress strings.Builder
	got, err := Download(context.Background(), dir, DownloadOptions{
		URL: srv.URL + "/cifar-10-binary.tar.gz", MD5: strings.ToUpper(md5Hex(archive)), Client: srv.Client(), Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "cifar-10-batches-bin"); got != want {
		t.Errorf("Download returned %q, want %q", got, want)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"cifar-10-batches-bin"}) {
		t.Errorf("dir holds %v, want only cifar-10-batches-bin", names)
	}
	want := []string{"batches.meta.txt", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
		"data_batch_4.bin", "data_batch_5.bin", "readme.html", "test_batch.bin"}
	if names := dirNames(t, got); !slices.Equal(names, want) {
		t.Errorf("unpacked %v, want %v", names, want)
	}
	if fi, err := os.Stat(got); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("directory mode: %v, %v", fi.Mode(), err)
	}
	if !strings.Contains(progress.String(), "MD5") {
		t.Errorf("progress output %q", progress.String())
	}
	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkBatches(t, src, 2, customClasses(), officialBatches...)
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1", hits.Load())
	}

	// The fixture does not match the official MD5s, so a second download
	// refuses to touch it, without a request.
	_, err = Download(context.Background(), dir, DownloadOptions{URL: srv.URL + "/cifar-10-binary.tar.gz", MD5: md5Hex(archive), Client: srv.Client()})
	wantErr(t, err, "already exists but does not match", "data_batch_1.bin MD5 mismatch", "remove it")
	if hits.Load() != 1 {
		t.Errorf("%d requests, want still 1", hits.Load())
	}
	if names := dirNames(t, got); len(names) != len(want) {
		t.Errorf("existing directory changed: %v", names)
	}
}

func TestDownloadErrors(t *testing.T) {
	good := tarGz(t, archiveEntries("cifar-10-batches-bin", binaryFiles(t, 1, ""), binaryOrder))
	missing := tarGz(t, archiveEntries("cifar-10-batches-bin", binaryFiles(t, 1, ""), binaryOrder[:6]))
	badSize := binaryFiles(t, 1, "")
	badSize["test_batch.bin"] = badSize["test_batch.bin"][:100]
	badSizeArchive := tarGz(t, archiveEntries("cifar-10-batches-bin", badSize, binaryOrder))
	garbage := []byte("not an archive")
	cut := good[:len(good)-20]

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name, path, md5 string
		body            []byte
		ctx             context.Context
		want            []string
	}{
		{"MD5 mismatch", "/cifar-10-binary.tar.gz", md5Hex(good[1:]), good, nil, []string{"MD5 sum " + md5Hex(good), "want " + md5Hex(good[1:])}},
		{"HTTP 404", "/missing.tar.gz", md5Hex(good), good, nil, []string{"missing.tar.gz", "404 Not Found"}},
		{"not gzip", "/cifar-10-binary.tar.gz", md5Hex(garbage), garbage, nil, []string{"not a gzip archive"}},
		{"truncated", "/cifar-10-binary.tar.gz", md5Hex(cut), cut, nil, []string{"unexpected EOF"}},
		{"missing batch", "/cifar-10-binary.tar.gz", md5Hex(missing), missing, nil, []string{"archive has no cifar-10-batches-bin/data_batch_2.bin"}},
		{"bad batch size", "/cifar-10-binary.tar.gz", md5Hex(badSizeArchive), badSizeArchive, nil,
			[]string{"cifar-10-batches-bin/test_batch.bin: 100 bytes is not a multiple of the 3073-byte record"}},
		{"canceled", "/cifar-10-binary.tar.gz", md5Hex(good), good, canceled, []string{"context canceled"}},
		{"bad MD5 option", "/cifar-10-binary.tar.gz", "1234", good, nil, []string{`bad MD5 sum "1234"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := archiveServer(t, tc.body)
			dir := t.TempDir()
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			got, err := Download(ctx, dir, DownloadOptions{URL: srv.URL + tc.path, MD5: tc.md5, Client: srv.Client()})
			wantErr(t, err, tc.want...)
			if got != "" {
				t.Errorf("returned path %q with the error", got)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("left behind %v", names)
			}
		})
	}
}

// TestDownloadExistingReal checks that a verified directory is kept
// without any request.
func TestDownloadExistingReal(t *testing.T) {
	real, err := filepath.Abs(cifarDir(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(real, filepath.Join(dir, "cifar-10-batches-bin")); err != nil {
		t.Fatal(err)
	}
	srv, hits := archiveServer(t, nil)
	got, err := Download(context.Background(), dir, DownloadOptions{URL: srv.URL + "/cifar-10-binary.tar.gz", Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dir, "cifar-10-batches-bin") || hits.Load() != 0 {
		t.Errorf("got %q after %d requests", got, hits.Load())
	}
}

// TestDefaultCacheDir: the data's default home is gtrain in the user's
// cache directory, and Downloaded finds what Download unpacked there.
func TestDefaultCacheDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the cache directory of", runtime.GOOS, "does not come from XDG_CACHE_HOME")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, c := range []struct{ xdg, want string }{
		{filepath.Join(home, "xdg"), filepath.Join(home, "xdg", "gtrain")},
		{"", filepath.Join(home, ".cache", "gtrain")},
	} {
		t.Setenv("XDG_CACHE_HOME", c.xdg)
		if got, err := DefaultCacheDir(); err != nil || got != c.want {
			t.Errorf("XDG_CACHE_HOME=%q: %q, %v; want %q", c.xdg, got, err, c.want)
		}
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if got, err := DefaultCacheDir(); err == nil {
		t.Errorf("no HOME: %q, want an error", got)
	}

	cache := t.TempDir()
	if d := Downloaded(cache); d != "" {
		t.Errorf("empty cache: Downloaded = %q", d)
	}
	bin := filepath.Join(cache, "cifar-10-batches-bin")
	os.Mkdir(bin, 0o755)
	if d := Downloaded(cache); d != "" {
		t.Errorf("empty cifar-10-batches-bin: Downloaded = %q", d)
	}
	os.WriteFile(filepath.Join(bin, "data_batch_1.bin"), nil, 0o644)
	if d := Downloaded(cache); d != bin {
		t.Errorf("Downloaded = %q, want %q", d, bin)
	}
}
