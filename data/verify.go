package data

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
)

// officialMD5 lists the files of cifar-10-batches-bin with the MD5 sums
// published for them. batches.meta.txt is not listed: copies of it
// differ in trailing white space and it carries no image data.
var officialMD5 = []struct{ name, md5 string }{
	{"data_batch_1.bin", "5dd7e06a14cb22eb9f671a540d1b7c25"},
	{"data_batch_2.bin", "5ea93a67294ea407fff1d09f752e9692"},
	{"data_batch_3.bin", "942cd6a4bcdd0dd3c604fbe906cb4421"},
	{"data_batch_4.bin", "ae636b3ba5c66a11e91e8cb52e771fcb"},
	{"data_batch_5.bin", "53f37980c15c3d472c316c40844f3f0d"},
	{"test_batch.bin", "803d5f7f4d78ea53de84dbe85f74fb6d"},
}

// FileCheck is the result of checking one file against its published
// MD5 sum.
type FileCheck struct {
	// Name is the file name, e.g. "data_batch_1.bin".
	Name string
	// Want is the published MD5 sum in hex.
	Want string
	// Got is the MD5 sum of the file in hex, empty if it could not be read.
	Got string
	// OK reports whether Got equals Want.
	OK bool
	// Err is the error reading the file, wrapping fs.ErrNotExist when
	// it is missing.
	Err error
}

// VerifyDir checks each official file of cifar-10-batches-bin in dir
// against its published MD5 sum and returns one FileCheck per file, in
// the order data_batch_1.bin to data_batch_5.bin, test_batch.bin. If dir
// holds no data_batch_1.bin but a cifar-10-batches-bin directory, that
// directory is checked.
func VerifyDir(dir string) []FileCheck {
	if _, err := os.Stat(filepath.Join(dir, officialMD5[0].name)); err != nil {
		sub := filepath.Join(dir, binaryFormat.dir)
		if fi, err := os.Stat(sub); err == nil && fi.IsDir() {
			dir = sub
		}
	}
	checks := make([]FileCheck, len(officialMD5))
	for i, f := range officialMD5 {
		got, err := fileMD5(filepath.Join(dir, f.name))
		checks[i] = FileCheck{Name: f.name, Want: f.md5, Got: got, OK: err == nil && got == f.md5, Err: err}
	}
	return checks
}

// fileMD5 returns the MD5 sum of the file at path in hex.
func fileMD5(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// allOK reports whether every check passed.
func allOK(checks []FileCheck) bool {
	for _, c := range checks {
		if !c.OK {
			return false
		}
	}
	return true
}
