package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/cuda"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// TestNormalizeArgs: flags move after the command that defines them, with
// their values (also ones that look like flags), and the leaf command's
// arguments after a "--".
func TestNormalizeArgs(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"train --data D --device cuda", "train --data D --device cuda"},
		{"report R1 --format csv --html r.html R2", "report --format csv --html r.html -- R1 R2"},
		{"train --lambda -1 --eta=-2", "train --lambda -1 --eta=-2"},
		{"train --shuffle --batch 10", "train --shuffle --batch 10"},
		{"sweep run F --out O --no-html --workers 2", "sweep run --out O --no-html --workers 2 -- F"},
		{"sweep status D", "sweep status -- D"},
		{"sweep run-one F --index 3 -q", "sweep run-one --index 3 -q -- F"},
		{"predict IMG --model M -- -x.png --top", "predict --model M -- IMG -x.png --top"},
		{"train --noise gaussian:0.1 --augment flip:1 --noise sp:0.01", "train --noise gaussian:0.1 --augment flip:1 --noise sp:0.01"},
		{"--device cuda train --device cpu", "--device cuda train --device cpu"},
		{"train --cpuprofile p --epochs 2", "--cpuprofile p train --epochs 2"},
		{"data verify D --help", "data verify --help -- D"},
		{"data download --dir D", "data download --dir D"},
		{"help train", "train --help"},
		{"help", "--help"},
		{"train --lamda 1 X", "train --lamda --  1 X"},
		{"--devce cuda train", "--devce cuda train"},
		{"", ""},
	} {
		args := append([]string{"gtrain"}, strings.Fields(c.in)...)
		got, err := normalizeArgs(newApp(), args)
		want := append([]string{"gtrain"}, strings.Fields(c.want)...)
		if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, want)
		}
	}
}

// TestFlagsAnywhere: the command lines a newcomer types, with flags after
// the command and its arguments, run; a command's --device wins over the
// global one and over $GTRAIN_DEVICE.
func TestFlagsAnywhere(t *testing.T) {
	dir := syntheticDir(t, 20)
	for _, c := range []struct {
		env  string
		args []string
	}{
		{"unset", []string{"train", "--data", dir, "--epochs", "1", "--batch", "10", "--device", "cpu", "-q"}},
		{"", []string{"train", "--data", dir, "--epochs", "1", "--batch", "10", "-q"}}, // empty is none
		{"", []string{"--device", "cuda", "train", "--data", dir, "--epochs", "1", "--batch", "10", "--device", "cpu", "-q"}},
		{"cuda:7", []string{"train", "--device", "cpu", "--data", dir, "--epochs", "1", "--batch", "10", "-q"}},
	} {
		t.Setenv("GTRAIN_DEVICE", c.env)
		if c.env == "unset" {
			os.Unsetenv("GTRAIN_DEVICE")
		}
		out := filepath.Join(t.TempDir(), "run")
		code, _, stderr := gtrain(t, append(c.args, "--out", out)...)
		if code != 0 {
			t.Errorf("GTRAIN_DEVICE=%s gtrain %s: exit %d: %s", c.env, strings.Join(c.args, " "), code, stderr)
			continue
		}
		if res, err := runfiles.ReadResult(out); err != nil || res.Device != "cpu" {
			t.Errorf("gtrain %s: result %+v, %v; want device cpu", strings.Join(c.args, " "), res, err)
		}
	}
	t.Setenv("GTRAIN_DEVICE", "")
	if !cuda.Built {
		for _, cmd := range [][]string{
			{"train", "--data", dir, "--device", "cuda"},
			{"eval", "--model", dir, "--device", "cuda:1"},
			{"gradcheck", "--data", dir, "--device", "cuda"},
			{"bench", "--data", dir, "--device", "cuda"},
		} {
			code, _, stderr := gtrain(t, cmd...)
			if code == 0 || !strings.Contains(stderr, "without CUDA support") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("gtrain %s: exit %d, stderr %q; want one line saying there is no CUDA", strings.Join(cmd, " "), code, stderr)
			}
		}
	}
	code, stdout, stderr := gtrain(t, "gradcheck", "--samples", "5", "--data", dir, "--dims", "5", "--device", "auto")
	if code != 0 || !strings.Contains(stdout, "PASS") || !strings.Contains(stderr, "--device auto") {
		t.Errorf("gradcheck --device auto: exit %d, %q %q", code, stdout, stderr)
	}

	// The README's report line, flags after the run directories.
	runs := t.TempDir()
	writeRunDir(t, filepath.Join(runs, "a"), config.DefaultConfig(), 0.4)
	html := filepath.Join(t.TempDir(), "r.html")
	code, stdout, stderr = gtrain(t, "report", runs, "--format", "csv", "--html", html)
	if code != 0 || !strings.HasPrefix(stdout, "run,loss") {
		t.Fatalf("report RUNDIR --format csv --html: exit %d, %q %q", code, stdout, stderr)
	}
	if _, err := os.Stat(html); err != nil {
		t.Error(err)
	}
}

// TestReportWritesHTMLOnlyWhenAsked: 'gtrain report --format csv' leaves
// the current directory alone.
func TestReportWritesHTMLOnlyWhenAsked(t *testing.T) {
	runs := t.TempDir()
	writeRunDir(t, filepath.Join(runs, "a"), config.DefaultConfig(), 0.4)
	cwd := t.TempDir()
	t.Chdir(cwd)
	if code, _, stderr := gtrain(t, "report", "--format", "csv", runs); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("report without --html wrote %v into the current directory", entries)
	}
}

// TestUsageErrors: a usage error is one line on stderr, exit status 2, no
// help on stdout; a mistyped flag or command names the closest one.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--lamda", "1"}, "gtrain: train: unknown flag --lamda: did you mean --lambda?"},
		{[]string{"train", "--ephocs", "1"}, "did you mean --epochs?"},
		{[]string{"train", "--nonsense"}, "train: unknown flag --nonsense (see 'gtrain train --help')"},
		{[]string{"train", "--epochs", "many"}, `train: invalid value "many" for flag --epochs: parse error (see 'gtrain train --help')`},
		{[]string{"--devce", "cuda", "train"}, "unknown flag --devce: did you mean --device?"},
		{[]string{"trian"}, `unknown command "trian": did you mean train?`},
		{[]string{"nosuchcommand"}, `unknown command "nosuchcommand" (see 'gtrain --help')`},
		{[]string{"sweep", "plann", "f.yaml"}, `sweep: unknown command "plann": did you mean plan?`},
		{[]string{"data", "dowload"}, "did you mean download?"},
		{[]string{"sweep", "run", "f.yaml", "--wokers", "2"}, "sweep run: unknown flag --wokers: did you mean --workers?"},
		{[]string{"eval"}, "eval: missing --model (see 'gtrain eval --help')"},
		{[]string{"sweep", "run-one", "f.yaml"}, "sweep run-one: missing --index"},
		{[]string{"train", "runs/x", "--epochs", "2"}, `train: takes no arguments, got ["runs/x"]`},
		{[]string{"data", "download", "extra"}, "data download: takes no arguments"},
	} {
		code, stdout, stderr := gtrain(t, c.args...)
		if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "gtrain: ") || !strings.Contains(stderr, c.want) {
			t.Errorf("gtrain %s: exit %d, stdout %d bytes, stderr %q; want exit 2 and one line with %q", strings.Join(c.args, " "), code, len(stdout), stderr, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"lambda", "eta", "epochs", "batch", "data", "device", "q", "train"}
	for _, c := range []struct{ typed, want string }{
		{"lamda", "lambda"},   // a deletion
		{"lambad", "lambda"},  // a transposition
		{"ephocs", "epochs"},  // two edits in six letters
		{"bach", "batch"},     // one in four
		{"trian", "train"},    // a transposition
		{"dat", "data"},       // one in three
		{"et", ""},            // two letters: no guess
		{"x", ""},             // one letter: no guess (not -q)
		{"nonsense", ""},      // nothing close
		{"lambda", "lambda"},  // exact
		{"devicce", "device"}, // an insertion
	} {
		if got := closest(c.typed, names); got != c.want {
			t.Errorf("closest(%q) = %q, want %q", c.typed, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "abc", 3}, {"abc", "abc", 0}, {"ab", "ba", 1}, {"ca", "abc", 3}, {"kitten", "sitting", 3}} {
		if d := editDistance(c.a, c.b); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
	}
}

// TestDeviceFlagInHelp: every command that runs a model has --device.
func TestDeviceFlagInHelp(t *testing.T) {
	for _, cmd := range [][]string{{"train"}, {"eval"}, {"gradcheck"}, {"bench"}, {"sweep", "run"}, {"sweep", "run-one"}} {
		code, stdout, _ := gtrain(t, append(cmd, "--help")...)
		if code != 0 || !strings.Contains(stdout, "--device") {
			t.Errorf("gtrain %s --help: exit %d, no --device in\n%s", strings.Join(cmd, " "), code, stdout)
		}
	}
}
