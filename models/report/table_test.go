package report

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// testRuns are in-memory runs: the report's four cross-entropy
// configurations and one SVM run without a result.
func testRuns() []*Run {
	mk := func(n string, cfg config.Config, acc float64) *Run {
		r := &Run{Dir: filepath.Join("runs", n), Name: n, Config: &cfg}
		if !math.IsNaN(acc) {
			r.Result = &runfiles.Result{Splits: map[string]runfiles.SplitResult{"test": {AccuracyTrained: acc}}}
		}
		return r
	}
	return []*Run{
		mk("m1", cfgWith("cross", 0, 0.1, 40, 100), 0.2844),
		mk("m2", cfgWith("cross", 0, 0.001, 40, 100), 0.3903),
		mk("m3", cfgWith("cross", 0.1, 0.001, 40, 100), 0.3924),
		mk("m4", cfgWith("cross", 1, 0.001, 40, 100), 0.3754),
		mk("s1", cfgWith("svm", 0.1, 0.001, 40, 100), math.NaN()),
	}
}

func columnText(t *Table, key string) string {
	j, _ := t.Column(key)
	var s []string
	for _, row := range t.Rows {
		s = append(s, row[j].Text)
	}
	return strings.Join(s, " ") + "|"
}

func TestTableSort(t *testing.T) {
	for _, tc := range []struct {
		key, col, want string
	}{
		{"", "run", "m1 m2 m3 m4 s1|"},
		{"lambda", "run", "m1 m2 m3 s1 m4|"},
		{"-lambda", "run", "m4 m3 s1 m1 m2|"}, // stable: equal λ keep their order
		{"η", "run", "m2 m3 m4 s1 m1|"},
		{"test_accuracy", "test_accuracy", "28.44 37.54 39.03 39.24 |"}, // missing last
		{"-Test accuracy (%)", "run", "m3 m2 m4 m1 s1|"},                // header, any case; missing last
		{"-loss", "run", "s1 m1 m2 m3 m4|"},                             // text
		{"run", "run", "m1 m2 m3 m4 s1|"},
	} {
		tb := NewTable(testRuns())
		if tc.key != "" {
			if err := tb.Sort(tc.key); err != nil {
				t.Fatalf("sort %q: %v", tc.key, err)
			}
		}
		if got := columnText(tb, tc.col); got != tc.want {
			t.Errorf("sort %q: %s %q, want %q", tc.key, tc.col, got, tc.want)
		}
		// Runs follow their rows.
		for i, r := range tb.Runs {
			if tb.Rows[i][0].Text != r.Name {
				t.Errorf("sort %q: row %d is %s, run %s", tc.key, i, tb.Rows[i][0].Text, r.Name)
			}
		}
	}
	if err := NewTable(testRuns()).Sort("colour"); err == nil || !strings.Contains(err.Error(), "test_accuracy") {
		t.Errorf("unknown column: %v", err)
	}
}

func TestTableFormats(t *testing.T) {
	tb := NewTable(testRuns())
	var md bytes.Buffer
	if err := tb.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	wantMD := `| run | loss | λ | η | epochs | batch size | decay | shuffle | test accuracy (%) |
| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |
| m1 | cross | 0 | 0.1 | 40 | 100 | 1 | no | 28.44 |
| m2 | cross | 0 | 0.001 | 40 | 100 | 1 | no | 39.03 |
| m3 | cross | 0.1 | 0.001 | 40 | 100 | 1 | no | 39.24 |
| m4 | cross | 1 | 0.001 | 40 | 100 | 1 | no | 37.54 |
| s1 | svm | 0.1 | 0.001 | 40 | 100 | 1 | no | – |
`
	if md.String() != wantMD {
		t.Errorf("Markdown:\n%s\nwant\n%s", md.String(), wantMD)
	}
	var csv bytes.Buffer
	if err := tb.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	wantCSV := `run,loss,lambda,eta,epochs,batch,decay,shuffle,test_accuracy
m1,cross,0,0.1,40,100,1,no,28.44
m2,cross,0,0.001,40,100,1,no,39.03
m3,cross,0.1,0.001,40,100,1,no,39.24
m4,cross,1,0.001,40,100,1,no,37.54
s1,svm,0.1,0.001,40,100,1,no,
`
	if csv.String() != wantCSV {
		t.Errorf("CSV:\n%s\nwant\n%s", csv.String(), wantCSV)
	}

	// Optional columns appear when a run has them; pipes are escaped.
	runs := testRuns()
	runs[1].raw = map[string]any{"augment": []any{"flip:0.5", "translate:4"}, "schedule": "exp"}
	runs[2].raw = map[string]any{"schedule": "cyclic"}
	runs[3].Name = "a|b"
	tb = NewTable(runs)
	md.Reset()
	tb.WriteMarkdown(&md)
	lines := strings.Split(md.String(), "\n")
	if !strings.Contains(lines[0], "| schedule | shuffle | augmentation | test accuracy (%) |") {
		t.Errorf("header with optional columns: %s", lines[0])
	}
	if !strings.Contains(lines[3], "| – | no | flip:0.5 translate:4 |") || !strings.Contains(lines[4], "| cyclic | no | – |") {
		t.Errorf("optional columns:\n%s", md.String())
	}
	if !strings.HasPrefix(lines[5], `| a\|b |`) {
		t.Errorf("unescaped pipe: %s", lines[5])
	}

	groups, names, err := NewTable(testRuns()).GroupBy("loss")
	if err != nil || len(groups) != 2 || names[0] != "cross" || names[1] != "svm" || len(groups[0].Rows) != 4 || groups[1].Runs[0].Name != "s1" {
		t.Errorf("GroupBy(loss): %v %v %v", names, len(groups), err)
	}
}

func TestReadRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m3")
	cfg := cfgWith("cross", 0.1, 0.001, 2, 100)
	writeTestRun(t, dir, cfg, 0.3924, 1)
	r, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "m3" || r.Config.Lambda != 0.1 || math.Abs(r.TestAccuracy()-0.3924) > 0 {
		t.Errorf("run %+v, test accuracy %v", r, r.TestAccuracy())
	}
	if _, err := ReadRun(t.TempDir()); err == nil {
		t.Error("empty directory: no error")
	}
}

// TestTableNetworks: runs of networks add the hidden-layer, init and
// cycles columns; a cyclic run's η is its range; the linear runs' cells
// there are empty, and a table of linear runs alone has none of them.
func TestTableNetworks(t *testing.T) {
	runs := testRuns()
	if _, err := NewTable(runs).Column("hidden"); err == nil {
		t.Error("a hidden-layers column for linear runs only")
	}
	net := cfgWith("cross", 0.005, 0.001, 0, 100)
	net.Hidden, net.BatchNorm = []int{50, 50}, true
	net.Schedule, net.EtaMin, net.EtaMax, net.CycleSteps, net.Cycles = "cyclic", 1e-5, 0.1, 2250, 2
	runs = append(runs, &Run{Dir: "runs/bn", Name: "bn", Config: &net})
	tb := NewTable(runs)
	for _, c := range []struct{ key, want string }{
		{"hidden", "     50-50 BN|"},
		{"init", "     he|"},
		{"cycles", "     2 (2250)|"},
		{"eta", "0.1 0.001 0.001 0.001 0.001 1e-05..0.1|"},
		{"epochs", "40 40 40 40 40 |"},
	} {
		if got := columnText(tb, c.key); got != c.want {
			t.Errorf("%s: %q, want %q", c.key, got, c.want)
		}
	}
}
