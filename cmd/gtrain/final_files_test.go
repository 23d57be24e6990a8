package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/runfiles"
)

// block makes path unwritable for WriteFileAtomic: a directory that is
// not empty cannot be renamed over (a full disk fails the same write).
func block(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestResumeWritesMissingFinalFiles: a run that failed writing model.json
// or result.json (a full disk) leaves a finished checkpoint; --resume then
// writes the final files as the uninterrupted run did, and only then is
// the run complete.
func TestResumeWritesMissingFinalFiles(t *testing.T) {
	dir := syntheticDir(t, 40)
	args := []string{"train", "--data", dir, "--epochs", "3", "--batch", "10", "--eta", "0.01", "--shuffle", "--early-stop", "2", "-q"}
	whole := filepath.Join(t.TempDir(), "whole")
	if code, _, stderr := gtrain(t, append(args, "--out", whole)...); code != 0 {
		t.Fatalf("uninterrupted run: %s", stderr)
	}
	for _, blocked := range []string{runfiles.ModelFile, runfiles.ResultFile} {
		t.Run(blocked, func(t *testing.T) {
			run := filepath.Join(t.TempDir(), "run")
			block(t, filepath.Join(run, blocked))
			hint := fmt.Sprintf("'gtrain train --resume %s' writes the missing files)", run)
			if code, _, stderr := gtrain(t, append(args, "--out", run)...); code == 0 || !strings.Contains(stderr, blocked) || !strings.Contains(stderr, hint) {
				t.Fatalf("run with %s unwritable: exit %d, %s\nwant the error and %q", blocked, code, stderr, hint)
			}
			if _, err := os.Stat(filepath.Join(run, runfiles.ResultFile)); !os.IsNotExist(err) && blocked == runfiles.ModelFile {
				t.Fatalf("result.json after a failed model.json: %v", err)
			}
			os.RemoveAll(filepath.Join(run, blocked))
			code, stdout, stderr := gtrain(t, "train", "--resume", run, "-q")
			if code != 0 || !strings.Contains(stdout, "Test data:") {
				t.Fatalf("resume: exit %d, %s", code, stderr)
			}
			for _, f := range []string{runfiles.ModelFile, report.WeightsPNG} {
				a, _ := os.ReadFile(filepath.Join(whole, f))
				b, _ := os.ReadFile(filepath.Join(run, f))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("%s differs from the uninterrupted run's", f)
				}
			}
			ra, _ := runfiles.ReadResult(whole)
			rb, err := runfiles.ReadResult(run)
			if err != nil {
				t.Fatal(err)
			}
			ra.TotalSeconds, rb.TotalSeconds = 0, 0
			// Each run has its own epoch times; the figures are the same.
			ra.EpochSeconds, rb.EpochSeconds = nil, nil
			if !reflect.DeepEqual(ra, rb) {
				t.Errorf("result.json differs:\n%+v\n%+v", rb, ra)
			}
			if ma, mb := metricsWithoutSeconds(t, whole), metricsWithoutSeconds(t, run); !reflect.DeepEqual(ma, mb) {
				t.Error("metrics.csv differs from the uninterrupted run's")
			}
			for _, f := range []string{report.CurvesPNG, report.CurvesSVG, runfiles.MetricsJSONL} {
				if _, err := os.Stat(filepath.Join(run, f)); err != nil {
					t.Errorf("no %s after the resume: %v", f, err)
				}
			}
			if code, _, stderr := gtrain(t, "train", "--resume", run); code == 0 || !strings.Contains(stderr, "the run is complete") {
				t.Errorf("second resume: exit %d, %s", code, stderr)
			}
		})
	}
}

// TestPictureFailureIsAnError: a picture that cannot be written is an
// error exit naming it, with or without -q, after the run wrote its other
// files.
func TestPictureFailureIsAnError(t *testing.T) {
	dir := syntheticDir(t, 40)
	for _, c := range []struct {
		name, picture string
		extra         []string
	}{
		{"weights -q", report.WeightsPNG, []string{"-q"}},
		{"weights", report.WeightsPNG, nil},
		{"curves -q", report.CurvesPNG, []string{"-q"}},
		{"augment preview -q", report.AugmentPNG, []string{"-q", "--augment", "flip:0.5"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := filepath.Join(t.TempDir(), "run")
			block(t, filepath.Join(run, c.picture))
			args := append([]string{"train", "--data", dir, "--epochs", "2", "--batch", "10", "--out", run}, c.extra...)
			code, stdout, stderr := gtrain(t, args...)
			quiet := len(c.extra) > 0 && c.extra[0] == "-q"
			if code == 0 || !strings.Contains(stderr, c.picture) || quiet && strings.Contains(strings.TrimSpace(stderr), "\n") {
				t.Fatalf("exit %d, want an error line naming %s:\n%s", code, c.picture, stderr)
			}
			t.Log(stderr)
			if !strings.Contains(stdout, "Test data:") {
				t.Errorf("no result block on stdout: %q", stdout)
			}
			for _, f := range []string{runfiles.ModelFile, runfiles.ResultFile, runfiles.MetricsFile, runfiles.CheckpointFile} {
				if _, err := os.Stat(filepath.Join(run, f)); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		})
	}
}
