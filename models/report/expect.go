package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/gtrain/gtrain/models/expect"
)

// note returns the reference "[n]" to reason in t.Notes, adding it once;
// "" for no reason.
func (t *Table) note(reason string) string {
	if reason == "" {
		return ""
	}
	i := slices.Index(t.Notes, reason)
	if i < 0 {
		t.Notes = append(t.Notes, reason)
		i = len(t.Notes) - 1
	}
	return fmt.Sprintf("[%d]", i+1)
}

// ExpectColumns are the columns of the published-vs-measured table.
var ExpectColumns = []Column{
	{Key: "run", Header: "run"},
	{Key: "figure", Header: "figure"},
	{Key: "published", Header: "published", Numeric: true},
	{Key: "measured", Header: "measured", Numeric: true},
	{Key: "difference", Header: "difference", Numeric: true},
	{Key: "mark", Header: "mark"},
	{Key: "note", Header: "note"},
}

// NewExpectTable is the published-vs-measured table of the runs that state
// figures: one row per figure (run, figure, published with its tolerance
// or bound, measured, measured − published, ✓ or ✗, and, when some figure
// is marked unreproduced, a note: "[1]", whose reason is t.Notes[0]), in run order and each run's figures in the
// order of expect.Keys. It is nil when no run states a figure.
func NewExpectTable(runs []*Run) *Table {
	t := &Table{Columns: ExpectColumns}
	for _, r := range runs {
		figs := slices.Clone(r.Expect)
		slices.SortStableFunc(figs, func(a, b expect.Figure) int {
			return slices.Index(expect.Keys, a.Key) - slices.Index(expect.Keys, b.Key)
		})
		for _, v := range expect.CheckAll(figs, r.Result) {
			mark := v.Mark()
			if math.IsNaN(v.Measured) {
				mark = "✗ no result"
				if v.Unreproduced != "" {
					mark += ", unreproduced"
				}
			}
			name := r.Name
			if r.Label != "" {
				name = r.Label + " (" + r.Name + ")"
			}
			t.Rows = append(t.Rows, []Cell{
				{Text: name},
				{Text: v.Key},
				num(v.Value, v.Published()),
				num(v.Measured, v.MeasuredText()),
				num(v.Diff, v.DiffText()),
				{Text: mark},
				{Text: t.note(v.Unreproduced)},
			})
			t.Runs = append(t.Runs, r)
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	// The note column only when some figure is marked unreproduced.
	note := len(t.Columns) - 1
	if !slices.ContainsFunc(t.Rows, func(row []Cell) bool { return row[note].Text != "" }) {
		t.Columns = t.Columns[:note]
		for i := range t.Rows {
			t.Rows[i] = t.Rows[i][:note]
		}
	}
	return t
}
