package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/expect"
	"github.com/gtrain/gtrain/models/runfiles"
)

// Run is one run directory read for a report.
type Run struct {
	// Dir is the directory as given; Name is its base name.
	Dir, Name string
	// Label names the run in its sweep ("model1: loss=svm"); "" outside one.
	Label  string
	Config *config.Config
	// Result is nil for a run without result.json (not finished).
	Result *runfiles.Result
	// Expect are the figures the run should reproduce (its sweep's
	// plan states them); nil when none.
	Expect []expect.Figure
	// raw is config.json as a generic object, for the settings that
	// some versions of the configuration have and others lack.
	raw map[string]any
}

// ReadRun reads config.json and, when present, result.json of a run
// directory.
func ReadRun(dir string) (*Run, error) {
	cfg, err := runfiles.ReadConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	r := &Run{Dir: dir, Name: runName(dir), Config: cfg}
	if b, err := os.ReadFile(filepath.Join(dir, runfiles.ConfigFile)); err == nil {
		_ = json.Unmarshal(b, &r.raw)
	}
	res, err := runfiles.ReadResult(dir)
	switch {
	case err == nil:
		r.Result = res
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	return r, nil
}

// runName is the base name of a run directory, also for "." or "..".
func runName(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Base(dir)
}

// TestAccuracy returns the trained network's test accuracy as a
// fraction, or NaN when the run has no result.
func (r *Run) TestAccuracy() float64 {
	if r.Result == nil {
		return math.NaN()
	}
	s, ok := r.Result.Splits["test"]
	if !ok {
		return math.NaN()
	}
	return s.AccuracyTrained
}

// setting returns a configuration value that not every configuration
// has, as text; "" when absent or empty.
func (r *Run) setting(key string) string {
	v, ok := r.raw[key]
	if !ok || v == nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, " ")
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// Column is a column of a comparison table.
type Column struct {
	// Key names the column in CSV and for sorting; Header is its
	// Markdown and HTML heading.
	Key, Header string
	// Numeric columns sort by value and are right-aligned.
	Numeric bool
}

// Cell is a table entry: its text ("" when missing) and, in numeric
// columns, its value (NaN when missing).
type Cell struct {
	Text  string
	Value float64
}

// Table compares runs: one row per run.
type Table struct {
	Columns []Column
	Rows    [][]Cell
	// Runs are the rows' runs, in row order.
	Runs []*Run
	// Notes are the texts that cells refer to as "[1]", "[2]", …;
	// Markdown and HTML print them under the table.
	Notes []string
}

// column is a candidate column and how a run fills it.
type column struct {
	Column
	cell func(r *Run) Cell
	// optional columns are shown only when some run has a value.
	optional bool
}

// Display is the cell's text as shown to a person: an en dash when empty.
func (c Cell) Display() string {
	if c.Text == "" {
		return "–"
	}
	return c.Text
}

func num(v float64, text string) Cell { return Cell{Text: text, Value: v} }

var columns = []column{
	{Column: Column{Key: "run", Header: "run"}, cell: func(r *Run) Cell { return Cell{Text: r.Name} }},
	{Column: Column{Key: "loss", Header: "loss"}, cell: func(r *Run) Cell { return Cell{Text: r.Config.Loss} }},
	{Column: Column{Key: "hidden", Header: "hidden layers"}, optional: true, cell: func(r *Run) Cell { return Cell{Text: r.Config.Network()} }},
	{Column: Column{Key: "init", Header: "init"}, optional: true, cell: func(r *Run) Cell { return Cell{Text: string(r.Config.WeightInit())} }},
	{Column: Column{Key: "lambda", Header: "λ", Numeric: true}, cell: func(r *Run) Cell {
		return num(r.Config.Lambda, strconv.FormatFloat(r.Config.Lambda, 'g', -1, 64))
	}},
	{Column: Column{Key: "l2", Header: "L2"}, optional: true, cell: func(r *Run) Cell {
		if r.Config.L2 == "half" {
			return Cell{Text: "λ/2·‖W‖²"}
		}
		return Cell{}
	}},
	{Column: Column{Key: "eta", Header: "η", Numeric: true}, cell: func(r *Run) Cell {
		if r.Config.Schedule == "cyclic" {
			g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
			return num(r.Config.EtaMax, g(r.Config.EtaMin)+".."+g(r.Config.EtaMax))
		}
		return num(r.Config.Eta, strconv.FormatFloat(r.Config.Eta, 'g', -1, 64))
	}},
	{Column: Column{Key: "epochs", Header: "epochs", Numeric: true}, cell: func(r *Run) Cell {
		if r.Config.Cycles > 0 {
			return num(math.NaN(), "") // the length is in cycles
		}
		return num(float64(r.Config.Epochs), strconv.Itoa(r.Config.Epochs))
	}},
	{Column: Column{Key: "cycles", Header: "cycles (n_s)"}, optional: true, cell: func(r *Run) Cell {
		if r.Config.Cycles == 0 {
			return Cell{}
		}
		return Cell{Text: fmt.Sprintf("%d (%d)", r.Config.Cycles, r.Config.CycleSteps)}
	}},
	{Column: Column{Key: "batch", Header: "batch size", Numeric: true}, cell: func(r *Run) Cell {
		return num(float64(r.Config.Batch), strconv.Itoa(r.Config.Batch))
	}},
	{Column: Column{Key: "decay", Header: "decay", Numeric: true}, cell: func(r *Run) Cell {
		return num(r.Config.Decay, strconv.FormatFloat(r.Config.Decay, 'g', -1, 64))
	}},
	{Column: Column{Key: "schedule", Header: "schedule"}, optional: true, cell: func(r *Run) Cell {
		if s := r.setting("schedule"); s != "exp" {
			return Cell{Text: s}
		}
		return Cell{}
	}},
	{Column: Column{Key: "shuffle", Header: "shuffle"}, cell: func(r *Run) Cell {
		if r.Config.Shuffle {
			return Cell{Text: "yes"}
		}
		return Cell{Text: "no"}
	}},
	{Column: Column{Key: "augment", Header: "augmentation"}, optional: true, cell: func(r *Run) Cell { return Cell{Text: r.setting("augment")} }},
	{Column: Column{Key: "test_accuracy", Header: "test accuracy (%)", Numeric: true}, cell: func(r *Run) Cell {
		a := r.TestAccuracy()
		if math.IsNaN(a) {
			return num(a, "")
		}
		return num(100*a, strconv.FormatFloat(100*a, 'f', 2, 64))
	}},
}

// NewTable builds the comparison table of runs, in the given order: run,
// loss, λ, η, epochs, batch size, decay, shuffle and test accuracy in %,
// and the learning-rate schedule and the augmentation when some run has
// them.
func NewTable(runs []*Run) *Table {
	t := &Table{Runs: slices.Clone(runs)}
	var used []column
	for _, c := range columns {
		if c.optional && !slices.ContainsFunc(runs, func(r *Run) bool { return c.cell(r).Text != "" }) {
			continue
		}
		used = append(used, c)
		t.Columns = append(t.Columns, c.Column)
	}
	for _, r := range runs {
		row := make([]Cell, len(used))
		for j, c := range used {
			row[j] = c.cell(r)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// Column returns the index of the column named key (its Key or its
// Header, in any case), or an error listing the columns.
func (t *Table) Column(key string) (int, error) {
	for i, c := range t.Columns {
		if strings.EqualFold(key, c.Key) || strings.EqualFold(key, c.Header) {
			return i, nil
		}
	}
	keys := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		keys[i] = c.Key
	}
	return -1, fmt.Errorf("no column %q: want one of %s (prefix - for descending order)", key, strings.Join(keys, ", "))
}

// Sort orders the rows stably by the column named key, ascending, or
// descending when key starts with '-'. Numeric columns sort by value,
// missing values last; the others by text.
func (t *Table) Sort(key string) error {
	desc := strings.HasPrefix(key, "-")
	j, err := t.Column(strings.TrimPrefix(key, "-"))
	if err != nil {
		return err
	}
	idx := make([]int, len(t.Rows))
	for i := range idx {
		idx[i] = i
	}
	numeric := t.Columns[j].Numeric
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := t.Rows[a][j], t.Rows[b][j]
		if numeric {
			xn, yn := math.IsNaN(x.Value), math.IsNaN(y.Value)
			switch {
			case xn && yn:
				return 0
			case xn:
				return 1
			case yn:
				return -1
			}
			if desc {
				return cmp.Compare(y.Value, x.Value)
			}
			return cmp.Compare(x.Value, y.Value)
		}
		if desc {
			return strings.Compare(y.Text, x.Text)
		}
		return strings.Compare(x.Text, y.Text)
	})
	rows, runs := make([][]Cell, len(idx)), make([]*Run, len(idx))
	for i, k := range idx {
		rows[i], runs[i] = t.Rows[k], t.Runs[k]
	}
	t.Rows, t.Runs = rows, runs
	return nil
}

// GroupBy splits the table into one table per distinct text of the column
// named key, in order of first appearance, keeping the row order.
func (t *Table) GroupBy(key string) ([]*Table, []string, error) {
	j, err := t.Column(key)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	groups := map[string]*Table{}
	for i, row := range t.Rows {
		name := row[j].Text
		g, ok := groups[name]
		if !ok {
			g = &Table{Columns: t.Columns}
			groups[name] = g
			names = append(names, name)
		}
		g.Rows = append(g.Rows, row)
		g.Runs = append(g.Runs, t.Runs[i])
	}
	tables := make([]*Table, len(names))
	for i, n := range names {
		tables[i] = groups[n]
	}
	return tables, names, nil
}

// WriteMarkdown writes the table as a GitHub-flavoured Markdown table,
// numeric columns right-aligned, missing entries as an en dash.
func (t *Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("|")
	for _, c := range t.Columns {
		b.WriteString(" " + esc(c.Header) + " |")
	}
	b.WriteString("\n|")
	for _, c := range t.Columns {
		if c.Numeric {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, cell := range row {
			b.WriteString(" " + esc(cell.Display()) + " |")
		}
		b.WriteString("\n")
	}
	for i, n := range t.Notes {
		if i == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[%d] %s\n", i+1, n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes the table as CSV with the column keys as header;
// missing entries are empty fields.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Key
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for i, cell := range row {
			rec[i] = cell.Text
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// LossName is the heading of a loss's table: "cross-entropy" for "cross",
// "SVM" for "svm", the name itself otherwise.
func LossName(loss string) string {
	switch loss {
	case "cross":
		return "cross-entropy"
	case "svm":
		return "SVM"
	}
	return loss
}
