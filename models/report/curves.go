package report

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gtrain/gtrain/models"
)

// Size of the curves picture: two panels side by side, cost and loss on
// the left, accuracy on the right. At CurvesDPI the PNG is
// CurvesWidthPx × CurvesHeightPx pixels.
const (
	CurvesWidth    = 12 * vg.Inch
	CurvesHeight   = 4.5 * vg.Inch
	CurvesDPI      = 100
	CurvesWidthPx  = 1200
	CurvesHeightPx = 450
)

// Line colours of the training and the validation split.
var (
	trainColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	valColor   = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
)

// Curves are the learning curves of a run.
type Curves struct {
	// Title is drawn above the panels; empty for none.
	Title string
	// Epochs are the per-epoch figures, as in metrics.csv.
	Epochs []models.EpochMetrics
	// Initial, when not nil, is the untrained network's figures,
	// drawn at epoch 0.
	Initial *models.EpochMetrics
}

// WritePNG draws the curves as a CurvesWidthPx × CurvesHeightPx PNG.
func (c *Curves) WritePNG(w io.Writer) error {
	cv := vgimg.NewWith(vgimg.UseWH(CurvesWidth, CurvesHeight), vgimg.UseDPI(CurvesDPI), vgimg.UseBackgroundColor(color.White))
	if err := c.draw(draw.New(cv)); err != nil {
		return err
	}
	_, err := vgimg.PngCanvas{Canvas: cv}.WriteTo(w)
	return err
}

// WriteSVG draws the curves as SVG.
func (c *Curves) WriteSVG(w io.Writer) error {
	cv := vgsvg.New(CurvesWidth, CurvesHeight)
	if err := c.draw(draw.New(cv)); err != nil {
		return err
	}
	_, err := cv.WriteTo(w)
	return err
}

func (c *Curves) draw(dc draw.Canvas) (err error) {
	if len(c.Epochs) == 0 {
		return fmt.Errorf("no epochs to draw")
	}
	// gonum/plot panics on some degenerate input; report it as an error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing the curves: %v", r)
		}
	}()
	pts := c.Epochs
	if c.Initial != nil {
		pts = append([]models.EpochMetrics{*c.Initial}, c.Epochs...)
	}
	series := func(f func(m models.EpochMetrics) float64) plotter.XYs {
		xy := make(plotter.XYs, 0, len(pts))
		for _, m := range pts {
			v := f(m)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(m.Epoch), Y: v})
		}
		return xy
	}

	costs := plot.New()
	costs.Title.Text = "cost and loss"
	costs.X.Label.Text = "epoch"
	costs.Y.Label.Text = "cost / loss"
	costs.Add(plotter.NewGrid())
	for _, s := range []struct {
		name   string
		col    color.Color
		dashed bool
		f      func(models.EpochMetrics) float64
	}{
		{"training cost", trainColor, false, func(m models.EpochMetrics) float64 { return m.TrainCost }},
		{"validation cost", valColor, false, func(m models.EpochMetrics) float64 { return m.ValCost }},
		{"training loss", trainColor, true, func(m models.EpochMetrics) float64 { return m.TrainLoss }},
		{"validation loss", valColor, true, func(m models.EpochMetrics) float64 { return m.ValLoss }},
	} {
		if err := addLine(costs, s.name, series(s.f), s.col, s.dashed); err != nil {
			return err
		}
	}
	costs.Legend.Top = true

	acc := plot.New()
	acc.Title.Text = "accuracy"
	acc.X.Label.Text = "epoch"
	acc.Y.Label.Text = "accuracy (%)"
	acc.Add(plotter.NewGrid())
	if err := addLine(acc, "training", series(func(m models.EpochMetrics) float64 { return 100 * m.TrainAcc }), trainColor, false); err != nil {
		return err
	}
	if err := addLine(acc, "validation", series(func(m models.EpochMetrics) float64 { return 100 * m.ValAcc }), valColor, false); err != nil {
		return err
	}
	acc.Legend.Top = false

	for _, p := range []*plot.Plot{costs, acc} {
		p.X.Tick.Marker = epochTicks{}
		p.Legend.Padding = vg.Points(2)
		p.Legend.XOffs = -vg.Points(6)
		if p.Legend.Top {
			p.Legend.YOffs = -vg.Points(6)
		} else {
			p.Legend.YOffs = vg.Points(6)
		}
	}

	body := dc
	if c.Title != "" {
		title := plot.New().Title.TextStyle
		title.Font.Size = vg.Points(13)
		h := title.Height(c.Title) + vg.Points(8)
		dc.FillText(title, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(4)}, c.Title)
		body = draw.Crop(dc, 0, 0, 0, -h)
	}
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(24), PadTop: vg.Points(4), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(10)}
	cs := plot.Align([][]*plot.Plot{{costs, acc}}, tiles, body)
	costs.Draw(cs[0][0])
	acc.Draw(cs[0][1])
	return nil
}

func addLine(p *plot.Plot, name string, xy plotter.XYs, col color.Color, dashed bool) error {
	if len(xy) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	l.Color = col
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// epochTicks labels the epoch axis with whole numbers only.
type epochTicks struct{}

func (epochTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Label != "" && t.Value != math.Trunc(t.Value) {
			continue
		}
		ticks = append(ticks, t)
	}
	return ticks
}
