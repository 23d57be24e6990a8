package sweep

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// Status is the state of every run of a sweep directory's plan.
type Status struct {
	Plan   *Plan
	Runs   []RunStatus
	Counts map[State]int
	Other  []string // run directories that are not in the plan
}

// StatusDir reads the plan of the sweep directory out and the state of
// each of its runs.
func StatusDir(out string) (*Status, error) {
	p, err := ReadPlan(out)
	if err != nil {
		return nil, err
	}
	return StatusPlan(out, p), nil
}

// StatusPlan returns the state of each run of p in out.
func StatusPlan(out string, p *Plan) *Status {
	s := &Status{Plan: p, Counts: map[State]int{}}
	ids := map[string]bool{}
	for i := range p.Runs {
		st := StatusOf(out, &p.Runs[i])
		s.Runs = append(s.Runs, st)
		s.Counts[st.State]++
		ids[p.Runs[i].ID] = true
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.IsDir() && !ids[e.Name()] && !strings.HasPrefix(e.Name(), ".") && e.Name() != "slurm" {
			if _, err := os.Stat(filepath.Join(out, e.Name(), "config.json")); err == nil {
				s.Other = append(s.Other, e.Name())
			}
		}
	}
	sort.Strings(s.Other)
	return s
}

// Summary is one line: "14 runs: 10 done, 2 running, 1 failed, 1 missing".
func (s *Status) Summary() string {
	return fmt.Sprintf("%d runs: %d done, %d running, %d failed, %d missing",
		len(s.Runs), s.Counts[Done], s.Counts[Running], s.Counts[Failed], s.Counts[Missing])
}

// Write prints one row per run (index, id, state, name and parameters,
// validation and test accuracy, training time, and who runs it or why it
// failed) and the summary.
func (s *Status) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tid\tstate\trun\tval acc\ttest acc\ttime\tnote")
	for _, st := range s.Runs {
		r := st.Run
		val, test, secs, note := "-", "-", "-", ""
		switch st.State {
		case Done:
			if st.Result != nil {
				val, test = pct(st.Result, "val"), pct(st.Result, "test")
				secs = formatDuration(st.Result.TotalSeconds)
			}
		case Running:
			m := st.Marker
			note = fmt.Sprintf("pid %d on %s", m.PID, m.Host)
			if m.SlurmJob != "" {
				note += ", slurm job " + m.SlurmJob
			}
			if m.Device != "" {
				note += ", " + m.Device
			}
			if !m.Started.IsZero() {
				note += ", since " + m.Started.Local().Format("15:04:05")
			}
		case Failed:
			note, _, _ = strings.Cut(st.Error, "\n")
			if len(note) > 100 {
				note = note[:97] + "..."
			}
		case Missing:
			if st.Stale != nil {
				note = fmt.Sprintf("interrupted (pid %d on %s)", st.Stale.PID, st.Stale.Host)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Index, r.ID, st.State, r.Label(), val, test, secs, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "sweep %s: %s\n", s.Plan.Name, s.Summary())
	if len(s.Other) > 0 {
		fmt.Fprintf(w, "%d run directories belong to no run of the plan: %s\n", len(s.Other), strings.Join(s.Other, ", "))
	}
	return nil
}

// Incomplete returns the plan indices of the runs that are not done and
// not running: what a resubmission has to do.
func (s *Status) Incomplete() []int {
	var out []int
	for _, st := range s.Runs {
		if st.State == Failed || st.State == Missing {
			out = append(out, st.Run.Index)
		}
	}
	return out
}
