package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtrain/gtrain/models/runfiles"
)

// fakeClock advances by step at each call.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(step); return t }
}

func TestProgressPlain(t *testing.T) {
	// A file is no terminal: one line per epoch, no bar.
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(f, 2, false)
	if p.tty {
		t.Fatal("a file taken for a terminal")
	}
	for e := 1; e <= 2; e++ {
		for s := 1; s <= 10; s++ {
			p.Step(e, s, 10, 2.3)
		}
		p.Epoch(runfiles.EpochMetrics{Epoch: e, Eta: 0.001, TrainCost: 1.5, TrainAcc: 0.4, ValCost: 1.7, ValAcc: 0.35, Seconds: 0.25})
	}
	p.Done()
	f.Close()
	b, _ := os.ReadFile(f.Name())
	want := "epoch   1/2  eta 0.001    train cost 1.5000 acc 40.00%  val cost 1.7000 acc 35.00%  0.25s\n" +
		"epoch   2/2  eta 0.001    train cost 1.5000 acc 40.00%  val cost 1.7000 acc 35.00%  0.25s\n"
	if string(b) != want {
		t.Errorf("plain log:\n%q\nwant\n%q", b, want)
	}

	var buf bytes.Buffer
	q := newProgress(&buf, 2, true)
	q.Step(1, 1, 10, 2.3)
	q.Epoch(runfiles.EpochMetrics{Epoch: 1})
	q.Done()
	if buf.Len() != 0 {
		t.Errorf("quiet wrote %q", buf.String())
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, epochs: 4, width: 100, now: fakeClock(time.Second)}
	// Every step takes a second: after step 3 of 10 in epoch 2, 13 steps
	// are done and 27 left; the rate measured since step 1 is 1 s/step.
	for s := 1; s <= 10; s++ {
		p.Step(1, s, 10, 2.3)
	}
	p.Epoch(runfiles.EpochMetrics{Epoch: 1})
	buf.Reset()
	for s := 1; s <= 3; s++ {
		p.Step(2, s, 10, 1.8765)
	}
	out := buf.String()
	last := out[strings.LastIndex(out, "\r")+1:]
	// 3 of 10 steps fill 12 of the 40 columns of the bar.
	for _, s := range []string{"epoch 2/4 [" + strings.Repeat("=", 12) + strings.Repeat(" ", 28) + "]", " 3/10  cost 1.8765  ETA 27.0s\x1b[K"} {
		if !strings.Contains(last, s) {
			t.Errorf("bar %q lacks %q", last, s)
		}
	}
	if len(strings.TrimSuffix(last, "\x1b[K")) > 99 {
		t.Errorf("bar of %d columns on a terminal of 100", len(last))
	}
	// The epoch line replaces the bar; Done clears it.
	buf.Reset()
	p.Epoch(runfiles.EpochMetrics{Epoch: 2})
	if !strings.HasPrefix(buf.String(), "\r\x1b[Kepoch   2/4") {
		t.Errorf("epoch line after the bar: %q", buf.String())
	}
	p.Step(3, 1, 10, 1)
	buf.Reset()
	p.Done()
	if buf.String() != "\r\x1b[K" {
		t.Errorf("Done wrote %q", buf.String())
	}

	// Redraws are throttled: steps 10 ms apart draw once per 100 ms.
	buf.Reset()
	p = &progress{w: &buf, tty: true, epochs: 1, width: 80, now: fakeClock(10 * time.Millisecond)}
	for s := 1; s <= 50; s++ {
		p.Step(1, s, 50, 1)
	}
	if n := strings.Count(buf.String(), "\r"); n < 4 || n > 7 {
		t.Errorf("%d redraws of 50 steps in 0.5 s, want about 5", n)
	}
	// A resumed run measures its rate from its own first step: resumed at
	// epoch 3 of 4, 6 steps 1 s apart take 5 s: 1 s per step, 14 steps left.
	buf.Reset()
	p = &progress{w: &buf, tty: true, epochs: 4, width: 100, now: fakeClock(time.Second)}
	for s := 1; s <= 6; s++ {
		p.Step(3, s, 10, 1)
	}
	if out := buf.String(); !strings.HasSuffix(out, "ETA 14.0s\x1b[K") {
		t.Errorf("resumed run: %q", out[strings.LastIndex(out, "\r"):])
	}

	// A narrow terminal gets no bar but keeps the figures.
	buf.Reset()
	p = &progress{w: &buf, tty: true, epochs: 40, width: 46, now: fakeClock(time.Second)}
	p.Step(1, 1, 100, 2)
	if s := strings.TrimSuffix(buf.String(), "\x1b[K"); strings.Contains(s, "[") || !strings.Contains(s, "epoch  1/40 ") || !strings.Contains(s, " 1/100  cost 2.0000  ETA --") {
		t.Errorf("narrow terminal: %q", s)
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{5200 * time.Millisecond, "5.2s"}, {184 * time.Second, "3m04s"}, {3720 * time.Second, "1h02m"}} {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.d, got, tc.want)
		}
	}
}
