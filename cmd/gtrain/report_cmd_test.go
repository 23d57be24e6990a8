package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/runfiles"
)

// writeRunDir writes a finished run of cfg with the given test accuracy
// into dir, as train does: config, metrics, result and model.
func writeRunDir(t *testing.T, dir string, cfg config.Config, testAcc float64) {
	t.Helper()
	if err := runfiles.WriteConfig(dir, &cfg); err != nil {
		t.Fatal(err)
	}
	ep := make([]runfiles.EpochMetrics, cfg.Epochs)
	for i := range ep {
		ep[i] = runfiles.EpochMetrics{Epoch: i + 1, Eta: cfg.Eta, TrainLoss: 2 - 0.1*float64(i), TrainCost: 2.1 - 0.1*float64(i),
			TrainAcc: 0.2 + 0.02*float64(i), ValLoss: 2.1 - 0.05*float64(i), ValCost: 2.2 - 0.05*float64(i), ValAcc: 0.2 + 0.01*float64(i)}
	}
	split := runfiles.SplitResult{Size: 10, AccuracyUntrained: 0.1, AccuracyTrained: testAcc, CostUntrained: 2.4, LossUntrained: 2.3}
	res := &runfiles.Result{Splits: map[string]runfiles.SplitResult{"train": split, "val": split, "test": split}, Epochs: ep}
	if err := runfiles.WriteResult(dir, res); err != nil {
		t.Fatal(err)
	}
	p := graph.NewParams[float64](data.NumClasses, data.ImageSize)
	for i := range p.W {
		p.W[i] = float64(i%101) - 50
	}
	nz := &data.Normalizer{Mean: make([]float64, data.ImageSize), Std: make([]float64, data.ImageSize)}
	for i := range nz.Std {
		nz.Std[i] = 1 // ReadModel refuses a deviation of 0
	}
	if err := runfiles.WriteModel(dir, runfiles.NewModel(graph.AsNet(p), data.DefaultClasses(), nz)); err != nil {
		t.Fatal(err)
	}
}

// gtrainReport runs 'gtrain report' with args and returns its error,
// stdout and stderr.
func gtrainReport(args ...string) (error, string, string) {
	var out, errb bytes.Buffer
	app := &cli.App{Name: "gtrain", Commands: []*cli.Command{reportCommand()}, Writer: &out, ErrWriter: &errb,
		ExitErrHandler: func(*cli.Context, error) {}}
	err := runApp(context.Background(), app, append([]string{"gtrain", "report"}, args...))
	return err, out.String(), errb.String()
}

func TestReportCommand(t *testing.T) {
	root := t.TempDir()
	runs := filepath.Join(root, "runs")
	for _, r := range []struct {
		name   string
		loss   string
		lambda float64
		acc    float64
	}{{"c-l0", "cross", 0, 0.39}, {"c-l1", "cross", 1, 0.3754}, {"s-l0", "svm", 0, 0.31}, {"s-l1", "svm", 1, 0.35}} {
		cfg := config.DefaultConfig()
		cfg.Loss, cfg.Lambda, cfg.Epochs = r.loss, r.lambda, 3
		writeRunDir(t, filepath.Join(runs, r.name), cfg, r.acc)
	}
	html := filepath.Join(root, "report.html")

	// Markdown: one table per loss, sorted by descending accuracy; the
	// directory of runs stands for its runs.
	err, out, stderr := gtrainReport("--sort", "-test_accuracy", "--html", html, runs)
	if err != nil {
		t.Fatal(err, stderr)
	}
	want := `### cross-entropy loss

| run | loss | λ | η | epochs | batch size | decay | shuffle | test accuracy (%) |
| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |
| c-l0 | cross | 0 | 0.001 | 3 | 100 | 1 | no | 39.00 |
| c-l1 | cross | 1 | 0.001 | 3 | 100 | 1 | no | 37.54 |

### SVM loss

| run | loss | λ | η | epochs | batch size | decay | shuffle | test accuracy (%) |
| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |
| s-l1 | svm | 1 | 0.001 | 3 | 100 | 1 | no | 35.00 |
| s-l0 | svm | 0 | 0.001 | 3 | 100 | 1 | no | 31.00 |
`
	if out != want {
		t.Errorf("Markdown:\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(stderr, "wrote "+html+" (4 runs)") {
		t.Errorf("stderr %q", stderr)
	}
	// The HTML embeds two pictures per run, drawn into the run directories.
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `<img class="picture" src="data:image/png;base64,`); n != 8 {
		t.Errorf("%d embedded pictures, want 8", n)
	}
	for _, f := range []string{report.CurvesPNG, report.CurvesSVG, report.WeightsPNG} {
		if _, err := os.Stat(filepath.Join(runs, "s-l0", f)); err != nil {
			t.Error(err)
		}
	}

	// CSV of two runs named one by one, sorted by λ, no HTML.
	err, out, _ = gtrainReport("--format", "csv", "--sort", "lambda", "--html", "", filepath.Join(runs, "s-l1"), filepath.Join(runs, "c-l0"))
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "run,loss,lambda,eta,epochs,batch,decay,shuffle,test_accuracy\nc-l0,cross,0,0.001,3,100,1,no,39.00\ns-l1,svm,1,0.001,3,100,1,no,35.00\n"
	if out != wantCSV {
		t.Errorf("CSV:\n%s\nwant\n%s", out, wantCSV)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "name at least one run directory"},
		{[]string{"--format", "xml", runs}, `--format "xml"`},
		{[]string{"--sort", "colour", runs}, `no column "colour"`},
		{[]string{filepath.Join(root, "none")}, "no such file"},
		{[]string{root + "/report.html"}, "not a directory"},
		{[]string{t.TempDir()}, "not a run directory"},
	} {
		err, _, _ := gtrainReport(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line with %q", tc.args, err, tc.want)
		}
	}
}
