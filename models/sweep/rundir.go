package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gtrain/gtrain/models/runfiles"
)

// Files of a sweep directory: PlanFile at its top, one run directory per
// run id beneath, each holding the run's files (config.json, metrics.csv,
// model.json, result.json) and while it runs or after it failed a marker.
const (
	PlanFile    = "sweep.json"
	RunningFile = "running" // JSON Marker: the run is in progress
	FailedFile  = "failed"  // the error of the last attempt
)

// State of a run in a sweep directory.
type State string

const (
	Done    State = "done"    // result.json matches config.json and the plan
	Running State = "running" // a live marker: a process trains it now
	Failed  State = "failed"  // the last attempt failed; its error is in the failed file
	Missing State = "missing" // never run, interrupted, or half-written
)

// Marker is the content of the running file.
type Marker struct {
	PID      int       `json:"pid"`
	Host     string    `json:"host"`
	Device   string    `json:"device,omitempty"`
	Started  time.Time `json:"started"`
	SlurmJob string    `json:"slurm_job,omitempty"` // "123_4" for array task 4 of job 123
}

// Timing of the markers: a running run touches its marker every
// HeartbeatEvery; a marker untouched for StaleAfter is dead (its process
// was killed or its machine is gone), as is one of this host whose process
// is gone.
var (
	HeartbeatEvery = 30 * time.Second
	StaleAfter     = 3 * time.Minute
)

// RunDir returns the directory of a run in the sweep directory out.
func RunDir(out string, r *Run) string { return filepath.Join(out, r.ID) }

// IsDone reports whether dir holds a finished run of r: result.json and
// config.json are there, config.json is r's configuration (up to the
// device's index), result.json was written for that config.json and is
// not the partial result of an interrupted run.
// result.json is written last and atomically, so a run directory left
// half-written by a killed process is never done.
func IsDone(dir string, r *Run) bool {
	cfg, err := runfiles.ReadConfig(dir)
	if err != nil || RunID(*cfg) != r.ID {
		return false
	}
	res, err := runfiles.ReadResult(dir)
	if err != nil || res.Partial {
		return false
	}
	return res.ConfigHash == cfg.Hash()
}

// RunStatus is the state of one run of a plan in a sweep directory.
type RunStatus struct {
	Run    *Run
	State  State
	Marker *Marker          // Running: who runs it
	Stale  *Marker          // Missing: a dead marker (an interrupted attempt)
	Error  string           // Failed: the error
	Result *runfiles.Result // Done
}

// StatusOf returns the state of run r in the sweep directory out.
func StatusOf(out string, r *Run) RunStatus {
	dir := RunDir(out, r)
	st := RunStatus{Run: r, State: Missing}
	if IsDone(dir, r) {
		st.State = Done
		st.Result, _ = runfiles.ReadResult(dir)
		return st
	}
	if m, live := readMarker(dir); m != nil {
		if live {
			st.State, st.Marker = Running, m
			return st
		}
		st.Stale = m
	}
	if b, err := os.ReadFile(filepath.Join(dir, FailedFile)); err == nil {
		st.State, st.Error = Failed, strings.TrimSpace(string(b))
	}
	return st
}

// readMarker reads the running file of dir and says whether it is live.
func readMarker(dir string) (*Marker, bool) {
	path := filepath.Join(dir, RunningFile)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	b, err := os.ReadFile(path)
	var m Marker
	if err != nil || json.Unmarshal(b, &m) != nil {
		// Being written, or garbage: live while fresh.
		return &Marker{Started: fi.ModTime()}, time.Since(fi.ModTime()) < StaleAfter
	}
	if time.Since(fi.ModTime()) > StaleAfter {
		return &m, false
	}
	if host, _ := os.Hostname(); m.Host == host {
		return &m, processAlive(m.PID)
	}
	return &m, true
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func newMarker(device string) Marker {
	host, _ := os.Hostname()
	m := Marker{PID: os.Getpid(), Host: host, Device: device, Started: time.Now().UTC().Truncate(time.Second)}
	if job := os.Getenv("SLURM_ARRAY_JOB_ID"); job != "" {
		m.SlurmJob = job + "_" + os.Getenv("SLURM_ARRAY_TASK_ID")
	} else if job := os.Getenv("SLURM_JOB_ID"); job != "" {
		m.SlurmJob = job
	}
	return m
}

// WritePlan writes the plan as sweep.json into out, atomically, so that
// status can tell which runs are missing.
func WritePlan(out string, p *Plan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return runfiles.WriteFileAtomic(filepath.Join(out, PlanFile), append(b, '\n'))
}

// ReadPlan reads sweep.json from a sweep directory.
func ReadPlan(out string) (*Plan, error) {
	b, err := os.ReadFile(filepath.Join(out, PlanFile))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s: no %s: not a sweep directory (gtrain sweep run or slurm writes it)", out, PlanFile)
		}
		return nil, err
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(out, PlanFile), err)
	}
	return &p, nil
}

// formatDuration writes 75.3 s as "1m15s".
func formatDuration(secs float64) string {
	d := time.Duration(secs * float64(time.Second))
	switch {
	case d < time.Second:
		return strconv.FormatFloat(secs, 'f', 2, 64) + "s"
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
