package data

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestVerifyDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cifar-10-batches-bin")
	wrong := binaryBytes(t, makeDataset("", 1, 1))
	writeFiles(t, dir, map[string][]byte{"data_batch_1.bin": wrong, "test_batch.bin": nil})
	sum := md5.Sum(wrong)
	for _, path := range []string{dir, root} {
		checks := VerifyDir(path)
		if len(checks) != 6 {
			t.Fatalf("%d checks, want 6", len(checks))
		}
		for i, c := range checks {
			if c.Name != officialMD5[i].name || c.Want != officialMD5[i].md5 || c.OK {
				t.Errorf("check %d: %+v", i, c)
			}
			switch c.Name {
			case "data_batch_1.bin":
				if c.Err != nil || c.Got != hex.EncodeToString(sum[:]) {
					t.Errorf("wrong file: %+v, want a mismatch with Got its MD5", c)
				}
			case "test_batch.bin":
				if c.Err != nil || c.Got != "d41d8cd98f00b204e9800998ecf8427e" { // MD5 of nothing
					t.Errorf("empty file: %+v", c)
				}
			default:
				if !errors.Is(c.Err, fs.ErrNotExist) || c.Got != "" {
					t.Errorf("missing file: %+v, want fs.ErrNotExist", c)
				}
			}
		}
		if allOK(checks) {
			t.Error("allOK of failed checks")
		}
	}
}

func TestVerifyDirReal(t *testing.T) {
	dir := cifarDir(t)
	checks := VerifyDir(dir)
	for _, c := range checks {
		if !c.OK || c.Err != nil || c.Got != c.Want {
			t.Errorf("%s: %+v", c.Name, c)
		}
	}
	if !allOK(checks) {
		t.Error("allOK is false")
	}
	// Detect a changed byte.
	if testing.Short() {
		return
	}
	raw, err := os.ReadFile(filepath.Join(dir, "test_batch.bin"))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 1
	tmp := t.TempDir()
	writeFiles(t, tmp, map[string][]byte{"test_batch.bin": raw})
	if c := VerifyDir(tmp)[5]; c.Name != "test_batch.bin" || c.OK || c.Err != nil {
		t.Errorf("one flipped bit: %+v, want a mismatch", c)
	}
}
