package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gtrain/gtrain/models/runfiles"
	"golang.org/x/term"
)

// progress shows a training run's progress. On a terminal it draws a bar
// with the epoch, the step, the current mini-batch cost and the estimated
// time left, redrawn in place at most every redrawEvery, and keeps one
// line per finished epoch above it; elsewhere (files, pipes, CI logs) it
// writes only the line per epoch; quiet, nothing. Its methods are the
// trainer's hooks: Options{OnStep: p.Step, OnEpoch: p.Epoch}.
type progress struct {
	w      io.Writer
	tty    bool
	quiet  bool
	epochs int
	width  int // terminal columns
	now    func() time.Time

	start     time.Time // of the first step seen
	startDone int       // steps of the run done at start (a resumed run starts late)
	drawn     time.Time // when the bar was last drawn
	barShown  bool
}

// redrawEvery limits how often the bar is redrawn.
const redrawEvery = 100 * time.Millisecond

// newProgress returns the progress display of a run of epochs epochs,
// writing to w: a bar when w is a terminal (and TERM is not "dumb"), plain
// lines otherwise, nothing when quiet.
func newProgress(w io.Writer, epochs int, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet, epochs: epochs, width: 80, now: time.Now}
	if f, ok := w.(*os.File); ok && !quiet && os.Getenv("TERM") != "dumb" && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			p.width = cols
		}
	}
	return p
}

// Step is the trainer's OnStep hook: step of steps (1-based) of epoch has
// just been taken with mini-batch cost cost.
func (p *progress) Step(epoch, step, steps int, cost float64) {
	if !p.tty || steps < 1 {
		return
	}
	t := p.now()
	done, total := (epoch-1)*steps+step, p.epochs*steps
	if p.start.IsZero() {
		p.start, p.startDone = t, done
	}
	if p.barShown && t.Sub(p.drawn) < redrawEvery && step != steps {
		return
	}
	p.drawn = t
	// The rate is measured over the steps this process has taken, epoch
	// evaluations included.
	eta := "--"
	if elapsed := t.Sub(p.start); done > p.startDone && elapsed > 0 {
		left := time.Duration(float64(elapsed) / float64(done-p.startDone) * float64(total-done))
		eta = formatDuration(left)
	}
	head := fmt.Sprintf("epoch %*d/%d ", digits(p.epochs), epoch, p.epochs)
	tail := fmt.Sprintf(" %*d/%d  cost %.4f  ETA %s", digits(steps), step, steps, cost, eta)
	barWidth := min(40, p.width-1-len(head)-len(tail)-2)
	line := strings.TrimSuffix(head, " ") + tail
	if barWidth >= 5 {
		filled := barWidth * step / steps
		line = head + "[" + strings.Repeat("=", filled) + strings.Repeat(" ", barWidth-filled) + "]" + tail
	}
	if len(line) > p.width-1 {
		line = line[:p.width-1]
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	p.barShown = true
}

// Epoch is the trainer's OnEpoch hook: it writes the epoch's line.
func (p *progress) Epoch(m runfiles.EpochMetrics) {
	if p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "epoch %3d/%d  eta %-8.3g train cost %.4f acc %5.2f%%  val cost %.4f acc %5.2f%%  %.2fs\n",
		m.Epoch, p.epochs, m.Eta, m.TrainCost, 100*m.TrainAcc, m.ValCost, 100*m.ValAcc, m.Seconds)
}

// Done removes the bar; call it when training ends, also on an error.
func (p *progress) Done() { p.clear() }

func (p *progress) clear() {
	if p.barShown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.barShown = false
	}
}

// formatDuration writes d as 1h02m, 3m04s or 5.2s.
func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
}

func digits(n int) int { return len(fmt.Sprint(n)) }
