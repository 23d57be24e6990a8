package runfiles

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMetricsFiles(t *testing.T) {
	dir := t.TempDir()
	ep := testEpochs(5)
	ep[2].TrainCost = 1.0 / 3 // needs all 17 digits
	if err := WriteMetrics(dir, ep); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ep) {
		t.Fatalf("%d epochs read, want %d", len(got), len(ep))
	}
	for i := range ep {
		if got[i] != ep[i] {
			t.Errorf("epoch %d: read %+v, want %+v (exact)", i+1, got[i], ep[i])
		}
	}

	if err := WriteMetricsJSONL(dir, ep); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, MetricsJSONL))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var m EpochMetrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		var keys map[string]any
		json.Unmarshal(sc.Bytes(), &keys)
		for _, k := range MetricsHeader {
			if _, ok := keys[k]; !ok {
				t.Errorf("line %d lacks %q", n+1, k)
			}
		}
		if m != ep[n] {
			t.Errorf("line %d: %+v, want %+v", n+1, m, ep[n])
		}
		n++
	}
	if n != len(ep) {
		t.Errorf("%d lines, want %d", n, len(ep))
	}
	// A diverged epoch's non-finite figures are null, and the line is
	// still valid JSON.
	bad := []EpochMetrics{{Epoch: 1, Eta: 1e-5, TrainCost: math.NaN(), ValCost: math.Inf(1)}}
	if err := WriteMetricsJSONL(dir, bad); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, MetricsJSONL))
	want := `{"epoch":1,"eta":1e-05,"train_loss":0,"train_cost":null,"train_accuracy":0,"val_loss":0,"val_cost":null,"val_accuracy":0,"seconds":0}` + "\n"
	if string(b) != want {
		t.Errorf("non-finite metrics:\n%s\nwant\n%s", b, want)
	}
	if !json.Valid(bytes.TrimSpace(b)) {
		t.Error("non-finite metrics: invalid JSON")
	}

	for _, bad := range []string{"", "epoch,eta\n1,2\n", strings.Join(MetricsHeader, ",") + "\n1,x,1,1,1,1,1,1,1\n"} {
		if err := os.WriteFile(filepath.Join(dir, MetricsFile), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadMetrics(dir); err == nil {
			t.Errorf("metrics.csv %q: no error", bad)
		}
	}
}
