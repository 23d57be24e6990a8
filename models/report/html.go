package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"

	"github.com/gtrain/gtrain/models/runfiles"
)

// Picture is one of a run's pictures in the HTML report.
type Picture struct {
	File, Caption string
}

// RunPictures are the pictures the HTML report shows for each run, in
// order, when the run directory holds them.
var RunPictures = []Picture{
	{CurvesPNG, "learning curves"},
	{WeightsPNG, "class templates: the rows of W"},
	{AugmentPNG, "augmented training images"},
}

// EnsurePictures writes a run's curves and montage (WriteRunPictures) when
// one of them is missing or older than the files it is drawn from.
func EnsurePictures(dir string) error {
	stale := func(pic string, sources ...string) bool {
		pi, err := os.Stat(filepath.Join(dir, pic))
		if err != nil {
			return true
		}
		for _, s := range sources {
			if si, err := os.Stat(filepath.Join(dir, s)); err == nil && si.ModTime().After(pi.ModTime()) {
				return true
			}
		}
		return false
	}
	if stale(CurvesPNG, runfiles.MetricsFile, runfiles.ResultFile) || stale(WeightsPNG, runfiles.ModelFile) {
		return WriteRunPictures(dir)
	}
	return nil
}

type htmlImage struct {
	Caption string
	// Src is the src attribute: a data URI of base64 text, which needs
	// no escaping.
	Src template.HTMLAttr
	Alt string
}

type htmlRun struct {
	ID, Name, Dir, Summary string
	Images                 []htmlImage
	Missing                []string
}

type htmlTable struct {
	Heading string
	Columns []Column
	Rows    [][]Cell
	Notes   []string
}

// Numeric says which of the table's columns are numeric.
func (t htmlTable) Numeric() []bool {
	out := make([]bool, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Numeric
	}
	return out
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 1240px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
section.run { border-top: 1px solid #ccc; margin-top: 2em; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; image-rendering: pixelated; }
figcaption { color: #555; font-size: 0.9em; }
p.missing { color: #a00; }
p.dir { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>Runs compared: {{len .Runs}}.</p>
{{range $t := .Tables}}{{if .Heading}}<h2>{{.Heading}}</h2>
{{end}}<table class="comparison">
<thead><tr>{{range .Columns}}<th>{{.Header}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if (index $t.Numeric $i)}} class="num"{{end}}>{{$c.Display}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{range $i, $n := .Notes}}<p class="note">[{{inc $i}}] {{$n}}</p>
{{end}}{{end}}
{{range .Runs}}<section class="run" id="{{.ID}}">
<h2>{{.Name}}</h2>
<p>{{.Summary}}</p>
<p class="dir">Run directory: <code>{{.Dir}}</code></p>
{{range .Images}}<figure><img class="picture" {{.Src}} alt="{{.Alt}}"><figcaption>{{.Caption}}</figcaption></figure>
{{end}}{{range .Missing}}<p class="missing">{{.}}</p>
{{end}}</section>
{{end}}</body>
</html>
`))

// WriteHTML writes a self-contained HTML report: the comparison table t
// (one table per loss when the runs use several), the published-vs-measured
// table (NewExpectTable) when some run states figures, then for each of its
// runs a section with its settings and its pictures (RunPictures that its
// directory holds), embedded as PNG data URIs. Call EnsurePictures first
// to draw missing pictures.
func WriteHTML(w io.Writer, title string, t *Table) error {
	data := struct {
		Title  string
		Tables []htmlTable
		Runs   []htmlRun
	}{Title: title}
	groups, names, err := t.GroupBy("loss")
	if err != nil || len(groups) < 2 {
		data.Tables = []htmlTable{{Columns: t.Columns, Rows: t.Rows}}
	} else {
		for i, g := range groups {
			data.Tables = append(data.Tables, htmlTable{Heading: LossName(names[i]) + " loss", Columns: g.Columns, Rows: g.Rows})
		}
	}
	if et := NewExpectTable(t.Runs); et != nil {
		data.Tables = append(data.Tables, htmlTable{Heading: "Published and measured figures", Columns: et.Columns, Rows: et.Rows, Notes: et.Notes})
	}
	for i, r := range t.Runs {
		hr := htmlRun{ID: fmt.Sprintf("run-%d", i+1), Name: r.Name, Dir: r.Dir, Summary: summary(r)}
		for _, p := range RunPictures {
			b, err := os.ReadFile(filepath.Join(r.Dir, p.File))
			if err != nil {
				if p.File != AugmentPNG {
					hr.Missing = append(hr.Missing, fmt.Sprintf("no %s: %v", p.File, err))
				}
				continue
			}
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				return fmt.Errorf("%s: not a PNG file", filepath.Join(r.Dir, p.File))
			}
			hr.Images = append(hr.Images, htmlImage{
				Caption: p.Caption,
				Alt:     r.Name + ": " + p.Caption,
				Src:     template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"`),
			})
		}
		data.Runs = append(data.Runs, hr)
	}
	return htmlTemplate.Execute(w, data)
}

// summary describes a run's settings and outcome in one sentence.
func summary(r *Run) string {
	c := r.Config
	s := fmt.Sprintf("%s loss, λ = %g, η = %g, %d epochs of batches of %d, decay %g", LossName(c.Loss), c.Lambda, c.Eta, c.Epochs, c.Batch, c.Decay)
	if c.L2 == "half" {
		s += ", L2 term (λ/2)‖W‖²"
	}
	if c.Shuffle {
		s += ", shuffled"
	}
	if a := r.setting("augment"); a != "" {
		s += ", augmentation " + a
	}
	if a := r.TestAccuracy(); a == a {
		s += fmt.Sprintf("; test accuracy %.2f%%", 100*a)
	} else {
		s += "; no result.json (unfinished run)"
	}
	return s + "."
}
