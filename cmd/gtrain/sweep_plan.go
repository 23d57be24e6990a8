package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/sweep"
)

func sweepPlan(c *cli.Context) error {
	p, devices, err := loadSweepOnDevices(c)
	if err != nil {
		return err
	}
	if devices == nil {
		devices = planDevices(p)
	}
	if c.Int("stack") < 1 {
		return fmt.Errorf("--stack %d: want at least 1 (1 trains each run alone)", c.Int("stack"))
	}
	w := bufio.NewWriterSize(c.App.Writer, 1<<16)
	if c.Bool("json") {
		err = writePlanJSON(c.Context, w, p)
	} else {
		workers := c.Int("workers")
		if workers == 0 {
			workers = len(devices)
		}
		err = writePlanTable(c.Context, w, p, planStacks(p, devices[0], c.Int("stack"), workers))
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// linesEvery is how many lines of a plan are written between two looks at
// the context: a plan of a million runs is stopped by a signal.
const linesEvery = 1024

// stacking is how a sweep's runs are trained: stackOf[i] is run i's stack
// (0-based), of at most max runs, on device.
type stacking struct {
	stackOf  []int
	count    int
	max      int
	device   string
	alone    bool // device's engine trains runs alone
	networks int  // runs of networks with hidden layers that train alone (models.Stackable)
}

// planStacks groups the plan's runs as 'gtrain sweep run --stack n
// --workers w' does on device.
func planStacks(p *sweep.Plan, device string, n, workers int) stacking {
	st := stacking{stackOf: make([]int, len(p.Runs)), max: n, device: device}
	if n > 1 && !engine.Stacks(device) {
		st.alone, n = true, 1
	}
	idx := make([]int, len(p.Runs))
	for i := range idx {
		idx[i] = i
	}
	stacks := sweep.StacksFor(p.Runs, idx, n, workers)
	for s, members := range stacks {
		for _, i := range members {
			st.stackOf[i] = s
		}
	}
	st.count = len(stacks)
	for _, r := range p.Runs {
		if !models.Stackable(&r.Config) {
			st.networks++
		}
	}
	return st
}

// writePlanTable writes the plan as a table of index, id, stack and label,
// in the layout of a tabwriter with padding 2, a line at a time: a
// tabwriter would hold the whole table, and Label's strings would be as
// much again in garbage for a plan of a million runs.
func writePlanTable(ctx context.Context, w *bufio.Writer, p *sweep.Plan, st stacking) error {
	how := fmt.Sprintf("%s of up to %d runs (--stack %d) on %s", sweep.Plural(st.count, "stack"), st.max, st.max, st.device)
	switch {
	case st.alone:
		how = fmt.Sprintf("each run alone: the %s engine does not train stacks", st.device)
	case st.max <= 1:
		how = "each run alone (--stack 1)"
	case st.networks > 0:
		how += fmt.Sprintf("; the %s with hidden layers alone (the %s engine does not stack networks)", sweep.Plural(st.networks, "network"), st.device)
	}
	from := p.File
	if from == "" {
		from = "--grid"
	}
	if _, err := fmt.Fprintf(w, "sweep %s: %d runs (%s), %s\n", p.Name, len(p.Runs), from, how); err != nil {
		return err
	}
	wStack := max(5, len(strconv.Itoa(st.count))) // "stack"

	wIndex := len(strconv.Itoa(max(0, len(p.Runs)-1)))
	wID := 2 // "id"
	for _, r := range p.Runs {
		wID = max(wID, utf8.RuneCountInString(r.ID))
	}
	var num []byte
	cell := func(s []byte, width int) {
		w.Write(s)
		for n := utf8.RuneCount(s); n < width+2; n++ {
			w.WriteByte(' ')
		}
	}
	cell([]byte("#"), wIndex)
	cell([]byte("id"), wID)
	cell([]byte("stack"), wStack)
	w.WriteString("run\n")
	for i := range p.Runs {
		if i%linesEvery == 0 && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		r := &p.Runs[i]
		num = strconv.AppendInt(num[:0], int64(r.Index), 10)
		cell(num, wIndex)
		num = append(num[:0], r.ID...)
		cell(num, wID)
		num = strconv.AppendInt(num[:0], int64(st.stackOf[i]), 10)
		cell(num, wStack)
		writeLabel(w, r)
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// writeLabel writes r.Label().
func writeLabel(w *bufio.Writer, r *sweep.Run) {
	w.WriteString(r.Name)
	if r.Name != "" && len(r.Params) > 0 {
		w.WriteString(": ")
	}
	for i, p := range r.Params {
		if i > 0 {
			w.WriteByte(' ')
		}
		w.WriteString(p.Key)
		w.WriteByte('=')
		w.WriteString(p.Value)
	}
}

// writePlanJSON writes what json.MarshalIndent(p, "", "  ") would, one run
// at a time.
func writePlanJSON(ctx context.Context, w *bufio.Writer, p *sweep.Plan) error {
	if len(p.Runs) == 0 {
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	name, _ := json.Marshal(p.Name)
	fmt.Fprintf(w, "{\n  \"name\": %s,\n", name)
	if p.File != "" {
		file, _ := json.Marshal(p.File)
		fmt.Fprintf(w, "  \"file\": %s,\n", file)
	}
	io.WriteString(w, "  \"runs\": [\n")
	// One encoder and buffer for all the runs: MarshalIndent's bytes are
	// the encoder's without the final newline.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("    ", "  ")
	for i := range p.Runs {
		if i%linesEvery == 0 && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		buf.Reset()
		if err := enc.Encode(&p.Runs[i]); err != nil {
			return err
		}
		w.WriteString("    ")
		w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		sep := ",\n"
		if i == len(p.Runs)-1 {
			sep = "\n"
		}
		if _, err := w.WriteString(sep); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "  ]\n}\n")
	return err
}
