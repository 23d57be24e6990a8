package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dirSource reads batches from a directory of one format.
type dirSource struct {
	dir     string
	f       *format
	classes []string
}

// openDir opens the directory dir of batches in format f, reading its
// class names.
func openDir(dir string, f *format) (*dirSource, error) {
	s := &dirSource{dir: dir, f: f, classes: DefaultClasses()}
	mf, err := os.Open(filepath.Join(dir, f.meta))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	defer mf.Close()
	if s.classes, err = f.readMeta(mf, mf.Name()); err != nil {
		return nil, err
	}
	return s, nil
}

// String implements Source.
func (s *dirSource) String() string { return s.f.kind + " dir " + s.dir }

// Classes implements Source.
func (s *dirSource) Classes() []string { return s.classes }

// Batches implements Source.
func (s *dirSource) Batches(names ...string) ([]*Dataset, error) {
	unique, err := checkBatchNames(s, names)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*Dataset)
	for _, n := range unique {
		ds, err := s.read(n)
		if err != nil {
			return nil, err
		}
		byName[n] = ds
	}
	return inOrder(names, byName), nil
}

// read reads one batch.
func (s *dirSource) read(batch string) (*Dataset, error) {
	path := filepath.Join(s.dir, s.f.fileName(batch))
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w: %s (no %s)", s, ErrBatchNotFound, batch, s.f.fileName(batch))
	}
	if err != nil {
		return nil, err
	}
	defer file.Close()
	size := int64(-1)
	if fi, err := file.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	ds, err := s.f.read(file, path, size)
	if err != nil {
		return nil, err
	}
	ds.Name = batch
	ds.Classes = s.classes
	return ds, nil
}
