package data

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"
)

// archiveSource reads batches from an official tar.gz archive as a
// stream.
type archiveSource struct {
	path string
	f    *format

	mu      sync.Mutex
	classes []string // from the meta entry once seen, else DefaultClasses
}

// openArchive opens the tar.gz archive at p and tells its format from
// the first entry inside cifar-10-batches-bin/ or cifar-10-batches-py/,
// which in the official archives is the first entry of all.
func openArchive(p string) (*archiveSource, error) {
	var found *format
	err := walkArchive(p, func(name string, _ *tar.Header, _ io.Reader) (bool, error) {
		for _, f := range formats {
			if dir, _ := splitEntry(name); dir == f.dir {
				found = f
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("%s: not a CIFAR-10 archive: no %s/ or %s/ entries", p, binaryFormat.dir, pythonFormat.dir)
	}
	return &archiveSource{path: p, f: found, classes: DefaultClasses()}, nil
}

// String implements Source.
func (s *archiveSource) String() string { return s.f.kind + " archive " + s.path }

// Classes implements Source. The class names of an archive are read by
// Batches, as the archive is a stream with the meta entry anywhere in
// it; until then Classes returns the DefaultClasses.
func (s *archiveSource) Classes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.classes
}

// Batches implements Source. It reads the whole archive once, so that
// the gzip checksum is verified, and unpacks nothing to disk.
func (s *archiveSource) Batches(names ...string) ([]*Dataset, error) {
	unique, err := checkBatchNames(s, names)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool)
	for _, n := range unique {
		want[s.f.fileName(n)] = true
	}
	byName := make(map[string]*Dataset)
	var classes []string
	err = walkArchive(s.path, func(name string, h *tar.Header, r io.Reader) (bool, error) {
		dir, file := splitEntry(name)
		if dir != s.f.dir || h.Typeflag != tar.TypeReg {
			return false, nil
		}
		entry := s.path + ": " + name
		switch {
		case file == s.f.meta:
			c, err := s.f.readMeta(r, entry)
			if err != nil {
				return false, err
			}
			classes = c
		case want[file]:
			ds, err := s.f.read(r, entry, h.Size)
			if err != nil {
				return false, err
			}
			ds.Name = strings.TrimSuffix(file, s.f.ext)
			byName[ds.Name] = ds
			delete(want, file)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range unique {
		if byName[n] == nil {
			return nil, fmt.Errorf("%s: %w: %s (no %s/%s entry)", s, ErrBatchNotFound, n, s.f.dir, s.f.fileName(n))
		}
	}
	s.mu.Lock()
	if classes != nil {
		s.classes = classes
	}
	classes = s.classes
	s.mu.Unlock()
	for _, ds := range byName {
		ds.Classes = classes
	}
	return inOrder(names, byName), nil
}

// walkArchive calls fn for each entry of the tar.gz file p in order,
// with the entry's cleaned name and contents, until fn returns true or
// an error. When fn never stops it, walkArchive reads to the end of the
// gzip stream so that a corrupt archive is reported by its checksum.
// Errors name p.
func walkArchive(p string, fn func(name string, h *tar.Header, r io.Reader) (stop bool, err error)) error {
	file, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open CIFAR-10 archive: %w", err)
	}
	defer file.Close()
	gz, err := gzip.NewReader(file)
	if err == io.EOF {
		return fmt.Errorf("%s: empty file, want a tar.gz archive", p)
	}
	if err != nil {
		return fmt.Errorf("%s: not a gzip archive: %w", p, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: reading archive: %w", p, readErr(err))
		}
		stop, err := fn(path.Clean(h.Name), h, tr)
		if err != nil {
			return err
		}
		if stop {
			return nil
		}
	}
	// Past the tar end marker: drain the rest so gzip checks its CRC.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return fmt.Errorf("%s: reading archive: %w", p, readErr(err))
	}
	return nil
}

// splitEntry splits a cleaned entry name "dir/file" into its parts;
// names at other depths give an empty dir.
func splitEntry(name string) (dir, file string) {
	dir, file = path.Split(name)
	if dir == "" {
		return name, "" // a top-level entry, such as the directory itself
	}
	dir = dir[:len(dir)-1]
	if path.Dir(dir) != "." {
		return "", file
	}
	return dir, file
}
