package data

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// readMetaText reads class names from batches.meta.txt: one name per
// line, surrounding white space and blank lines ignored (the official
// file ends in blank lines).
func readMetaText(r io.Reader, name string) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			names = append(names, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	names, err := checkClasses(names)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return names, nil
}

// checkClasses reports whether names can label CIFAR-10 classes.
func checkClasses(names []string) ([]string, error) {
	if len(names) != NumClasses {
		return nil, fmt.Errorf("%d class names, want %d", len(names), NumClasses)
	}
	for i, s := range names {
		if s == "" {
			return nil, fmt.Errorf("class %d has an empty name", i)
		}
	}
	return names, nil
}
