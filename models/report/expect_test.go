package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/expect"
)

// The published-vs-measured table: one row per figure in the order of
// expect.Keys, the difference signed, the mark, and the note column only
// with a figure marked unreproduced; nil without figures; the HTML report
// shows it.
func TestExpectTable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m3")
	writeTestRun(t, dir, cfgWith("cross", 0.1, 0.001, 5, 100), 0.3901, 1)
	r, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if NewExpectTable([]*Run{r}) != nil {
		t.Error("a table without figures")
	}
	r.Label = "model3"
	r.Expect = []expect.Figure{
		{Key: "train_cost", Value: 1.69, Tol: 0.05, Unreproduced: "noise"},
		{Key: "test_accuracy", Value: 41.01, Tol: 1},
		{Key: "train_accuracy", Value: 43.66, Tol: 1, Unreproduced: "noise"},
	}
	tb := NewExpectTable([]*Run{r})
	var md bytes.Buffer
	if err := tb.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	want := `| run | figure | published | measured | difference | mark | note |
| --- | --- | ---: | ---: | ---: | --- | --- |
| model3 (m3) | train_accuracy | 43.66 ± 1 | 45.00 | +1.34 | ✗ unreproduced | [1] |
| model3 (m3) | test_accuracy | 41.01 ± 1 | 39.01 | −2.00 | ✗ | – |
| model3 (m3) | train_cost | 1.69 ± 0.05 | 1.90 | +0.21 | ✗ unreproduced | [1] |

[1] noise
`
	if md.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", md.String(), want)
	}
	r.Expect = r.Expect[1:2]
	if tb := NewExpectTable([]*Run{r}); len(tb.Columns) != 6 || tb.Columns[5].Key != "mark" {
		t.Errorf("columns without a note: %+v", tb.Columns)
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, "t", NewTable([]*Run{r})); err != nil {
		t.Fatal(err)
	}
	r.Expect = []expect.Figure{{Key: "test_accuracy", Value: 41.01, Tol: 1, Unreproduced: "a <reason>"}}
	if err := WriteHTML(&html, "t", NewTable([]*Run{r})); err != nil {
		t.Fatal(err)
	}
	if s := html.String(); !strings.Contains(s, "<h2>Published and measured figures</h2>") || !strings.Contains(s, `<td class="num">−2.00</td><td>✗</td>`) ||
		!strings.Contains(s, `<td>✗ unreproduced</td><td>[1]</td>`) || !strings.Contains(s, `<p class="note">[1] a &lt;reason&gt;</p>`) {
		t.Errorf("HTML lacks the figures:\n%s", s)
	}
}
