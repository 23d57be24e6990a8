package data

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadMetaText(t *testing.T) {
	names := strings.Join(DefaultClasses(), "\n")
	for _, tc := range []struct {
		name, text string
		want       string // error substring; "" for the default classes
	}{
		{"official", names + "\n", ""},
		{"trailing blank lines", names + "\n\n  \n", ""},
		{"surrounding spaces", "  " + strings.ReplaceAll(names, "\n", " \n\t") + "\r\n", ""},
		{"ten identical", strings.Repeat("cat\n", 10), `classes 0 and 1 are both named "cat"`},
		{"one repeated", strings.Replace(names, "truck", "bird", 1), `classes 2 and 9 are both named "bird"`},
		{"blank line inside", strings.Replace(names, "bird\n", "\nbird\n", 1), "line 3 is blank"},
		{"blank line first", "\n" + names, "line 1 is blank"},
		{"white space inside", strings.Replace(names, "cat\n", "cat\n \t\n", 1), "line 5 is blank"},
		{"nine", strings.Join(DefaultClasses()[:9], "\n"), "9 class names, want 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readMetaText(strings.NewReader(tc.text), "dir/batches.meta.txt")
			if tc.want == "" {
				if err != nil || !slices.Equal(got, DefaultClasses()) {
					t.Fatalf("got %v, %v; want the default classes", got, err)
				}
				return
			}
			wantErr(t, err, "dir/batches.meta.txt: ", tc.want)
		})
	}
}

// TestCheckClasses covers the names of a pickled batches.meta, which have
// no lines to skip.
func TestCheckClasses(t *testing.T) {
	with := func(i int, s string) []string { c := DefaultClasses(); c[i] = s; return c }
	for _, tc := range []struct {
		name  string
		names []string
		want  string
	}{
		{"empty", with(4, ""), "class 4 has an empty name"},
		{"blank", with(7, " \t"), "class 7 has an empty name"},
		{"duplicate", with(8, "airplane"), `classes 0 and 8 are both named "airplane"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkClasses(tc.names)
			wantErr(t, err, tc.want)
		})
	}
}

// TestOpenDuplicateClasses: a directory whose meta file repeats a name is
// refused when opened, naming the file.
func TestOpenDuplicateClasses(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, binaryFiles(t, 1, strings.Repeat("dog\n", 10)))
	src, err := Open(dir)
	wantErr(t, err, filepath.Join(dir, "batches.meta.txt"), "both named")
	if src != nil {
		t.Error("returned a source with the error")
	}
}
