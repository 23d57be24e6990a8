package data

import (
	"archive/tar"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// The official binary archive and its published MD5 sum.
const (
	// ArchiveURL is where the official cifar-10-binary.tar.gz is published.
	ArchiveURL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
	// ArchiveMD5 is the published MD5 sum of the archive at ArchiveURL.
	ArchiveMD5 = "c32a1d4ab5d03f1284b67883e8d87530"
)

// DownloadOptions configures Download. The zero value downloads the
// official archive.
type DownloadOptions struct {
	// URL is the archive to fetch; empty means ArchiveURL.
	URL string
	// MD5 is the expected MD5 sum of the archive in hex; empty means
	// ArchiveMD5.
	MD5 string
	// Client makes the request; nil means http.DefaultClient.
	Client *http.Client
	// Progress, if not nil, receives progress lines.
	Progress io.Writer
}

// DefaultCacheDir is where Download puts the data unless told otherwise,
// as Keras and torchvision keep theirs: gtrain in the user's cache
// directory ($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on
// macOS, %LocalAppData% on Windows).
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for CIFAR-10: %w", err)
	}
	return filepath.Join(dir, "gtrain"), nil
}

// Downloaded returns the cifar-10-batches-bin directory that Download
// unpacked into dir, or "" when dir holds none.
func Downloaded(dir string) string {
	d := filepath.Join(dir, binaryFormat.dir)
	if hasBatches(d, binaryFormat) {
		return d
	}
	return ""
}

// Download fetches the CIFAR-10 binary archive and unpacks its
// cifar-10-batches-bin directory into dir, returning the path of that
// directory.
//
// If dir/cifar-10-batches-bin already exists and its files match the
// published MD5 sums, Download does nothing; if they do not match it
// returns an error and leaves the directory alone.
//
// Otherwise the archive is downloaded to a temporary file in dir and its
// MD5 sum is checked before anything is unpacked. The batches are
// unpacked into a temporary directory in dir, which is renamed into place
// only once the archive has been read completely and found to hold every
// batch, so a failure never leaves a partial cifar-10-batches-bin
// behind. Temporary files are removed in every case.
func Download(ctx context.Context, dir string, opt DownloadOptions) (string, error) {
	if opt.URL == "" {
		opt.URL = ArchiveURL
	}
	if opt.MD5 == "" {
		opt.MD5 = ArchiveMD5
	}
	opt.MD5 = strings.ToLower(opt.MD5)
	if b, err := hex.DecodeString(opt.MD5); err != nil || len(b) != md5.Size {
		return "", fmt.Errorf("download: bad MD5 sum %q: want 32 hex digits", opt.MD5)
	}
	if opt.Client == nil {
		opt.Client = http.DefaultClient
	}

	final := filepath.Join(dir, binaryFormat.dir)
	if _, err := os.Lstat(final); err == nil {
		if err := verifyExisting(final); err != nil {
			return "", err
		}
		progressf(opt.Progress, "%s already present and verified\n", final)
		return final, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("download: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("download: %w", err)
	}

	archive, err := fetch(ctx, dir, opt)
	if archive != "" {
		defer os.Remove(archive)
	}
	if err != nil {
		return "", err
	}

	tmp, err := os.MkdirTemp(dir, "."+binaryFormat.dir+"-*.tmp")
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	defer os.RemoveAll(tmp) // empty after a successful rename
	out := filepath.Join(tmp, binaryFormat.dir)
	if err := unpackBinary(ctx, out, archive, opt.URL); err != nil {
		return "", err
	}
	if err := os.Rename(out, final); err != nil {
		return "", fmt.Errorf("download: moving the batches into place: %w", err)
	}
	progressf(opt.Progress, "unpacked %s\n", final)
	return final, nil
}

// verifyExisting reports whether the existing directory dir holds the
// official files.
func verifyExisting(dir string) error {
	var bad []string
	for _, c := range VerifyDir(dir) {
		switch {
		case errors.Is(c.Err, fs.ErrNotExist):
			bad = append(bad, c.Name+" missing")
		case c.Err != nil:
			bad = append(bad, c.Err.Error())
		case !c.OK:
			bad = append(bad, c.Name+" MD5 mismatch")
		}
	}
	if bad != nil {
		return fmt.Errorf("download: %s already exists but does not match the published MD5 sums (%s); remove it to download again",
			dir, strings.Join(bad, ", "))
	}
	return nil
}

// fetch downloads opt.URL to a temporary file in dir and checks its MD5
// sum. It returns the file's path, also on error if the file was
// created, for the caller to remove.
func fetch(ctx context.Context, dir string, opt DownloadOptions) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, opt.URL, nil)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", opt.URL, err)
	}
	resp, err := opt.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("download: %w", err) // *url.Error names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: HTTP status %s", opt.URL, resp.Status)
	}

	f, err := os.CreateTemp(dir, "."+binaryFormat.archive+"-*.part")
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	h := md5.New()
	p := &progress{w: opt.Progress, url: opt.URL, total: resp.ContentLength}
	_, err = io.Copy(io.MultiWriter(f, h, p), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return f.Name(), fmt.Errorf("download %s: %w", opt.URL, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != opt.MD5 {
		return f.Name(), fmt.Errorf("download %s: MD5 sum %s, want %s: the download is corrupt or not the expected archive",
			opt.URL, got, opt.MD5)
	}
	progressf(opt.Progress, "downloaded %s: %d bytes, MD5 %s OK\n", opt.URL, p.n, opt.MD5)
	return f.Name(), nil
}

// unpackBinary writes the files of cifar-10-batches-bin/ in the archive
// to the new directory out and checks that every official batch was
// there with a plausible size. url names the archive in errors.
func unpackBinary(ctx context.Context, out, archive, url string) error {
	if err := os.Mkdir(out, 0o755); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	err := walkArchive(archive, func(name string, h *tar.Header, r io.Reader) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		dir, file := splitEntry(name)
		// Only the regular files directly inside cifar-10-batches-bin/,
		// so that no entry can write outside out.
		if dir != binaryFormat.dir || file == "" || h.Typeflag != tar.TypeReg {
			return false, nil
		}
		return false, writeFile(filepath.Join(out, file), r)
	})
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	for _, f := range officialMD5 {
		fi, err := os.Stat(filepath.Join(out, f.name))
		if err != nil {
			return fmt.Errorf("download %s: archive has no %s/%s", url, binaryFormat.dir, f.name)
		}
		if err := checkRecordCount(binaryFormat.dir+"/"+f.name, fi.Size()); err != nil {
			return fmt.Errorf("download %s: %w", url, err)
		}
	}
	return nil
}

// writeFile creates the file path, which must not exist, with the
// contents of r.
func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), readErr(err))
	}
	return nil
}

// progress reports download progress every 10 percent, or every 10 MiB
// when the size is unknown.
type progress struct {
	w     io.Writer
	url   string
	total int64 // -1 if unknown
	n     int64
	step  int64 // last step reported
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.w == nil {
		return len(b), nil
	}
	if p.total > 0 {
		if s := p.n * 10 / p.total; s > p.step {
			p.step = s
			fmt.Fprintf(p.w, "downloading %s: %3d%% (%.1f of %.1f MB)\n", p.url, s*10, float64(p.n)/1e6, float64(p.total)/1e6)
		}
	} else if s := p.n >> 20 / 10; s > p.step {
		p.step = s
		fmt.Fprintf(p.w, "downloading %s: %.1f MB\n", p.url, float64(p.n)/1e6)
	}
	return len(b), nil
}

func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
