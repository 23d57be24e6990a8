package data

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// readMetaText reads class names from batches.meta.txt: one name per
// line, surrounding white space ignored. Blank lines may only end the file
// (the official file may end in blank lines): a blank line before a name
// would be a class with an empty name.
func readMetaText(r io.Reader, name string) ([]string, error) {
	var names []string
	blank := 0 // the first blank line after the last name, or 0
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "" && blank == 0:
			blank = line
		case s != "" && blank != 0:
			return nil, fmt.Errorf("%s: line %d is blank: class names must not be empty", name, blank)
		case s != "":
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

// checkClasses reports whether names can label CIFAR-10 classes: ten
// distinct, non-blank names.
func checkClasses(names []string) ([]string, error) {
	if len(names) != NumClasses {
		return nil, fmt.Errorf("%d class names, want %d", len(names), NumClasses)
	}
	seen := make(map[string]int, len(names))
	for i, s := range names {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("class %d has an empty name", i)
		}
		if j, ok := seen[s]; ok {
			return nil, fmt.Errorf("classes %d and %d are both named %q: class names must be distinct", j, i, s)
		}
		seen[s] = i
	}
	return names, nil
}
