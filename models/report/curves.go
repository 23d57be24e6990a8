package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"github.com/gtrain/gtrain/models/runfiles"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
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
	Epochs []runfiles.EpochMetrics
	// Initial, when not nil, is the untrained network's figures,
	// drawn at epoch 0.
	Initial *runfiles.EpochMetrics
	// Eta, when not nil, is the learning rate of every update (a cyclic
	// schedule's), drawn in a third panel against the update.
	Eta []float64
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

// curve is one line of the curves picture.
type curve struct {
	name     string
	accuracy bool // drawn in the accuracy panel (in %), else in the cost panel
	color    color.Color
	dashed   bool
	xy       plotter.XYs // (epoch, value); non-finite values are left out
}

// series returns the lines drawn: costs and losses, then accuracies in
// percent, of both splits, from Initial (epoch 0) and Epochs.
func (c *Curves) series() []curve {
	pts := c.Epochs
	if c.Initial != nil {
		pts = append([]runfiles.EpochMetrics{*c.Initial}, c.Epochs...)
	}
	xy := func(f func(m runfiles.EpochMetrics) float64) plotter.XYs {
		xy := make(plotter.XYs, 0, len(pts))
		for _, m := range pts {
			if v := f(m); !math.IsNaN(v) && !math.IsInf(v, 0) {
				xy = append(xy, plotter.XY{X: float64(m.Epoch), Y: v})
			}
		}
		return xy
	}
	return []curve{
		{"training cost", false, trainColor, false, xy(func(m runfiles.EpochMetrics) float64 { return m.TrainCost })},
		{"validation cost", false, valColor, false, xy(func(m runfiles.EpochMetrics) float64 { return m.ValCost })},
		{"training loss", false, trainColor, true, xy(func(m runfiles.EpochMetrics) float64 { return m.TrainLoss })},
		{"validation loss", false, valColor, true, xy(func(m runfiles.EpochMetrics) float64 { return m.ValLoss })},
		{"training", true, trainColor, false, xy(func(m runfiles.EpochMetrics) float64 { return 100 * m.TrainAcc })},
		{"validation", true, valColor, false, xy(func(m runfiles.EpochMetrics) float64 { return 100 * m.ValAcc })},
	}
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
	costs := plot.New()
	costs.Title.Text = "cost and loss"
	costs.X.Label.Text = "epoch"
	costs.Y.Label.Text = "cost / loss"
	costs.Add(plotter.NewGrid())
	acc := plot.New()
	acc.Title.Text = "accuracy"
	acc.X.Label.Text = "epoch"
	acc.Y.Label.Text = "accuracy (%)"
	acc.Add(plotter.NewGrid())
	for _, s := range c.series() {
		p := costs
		if s.accuracy {
			p = acc
		}
		if err := addLine(p, s.name, s.xy, s.color, s.dashed); err != nil {
			return err
		}
	}
	costs.Legend.Top = true
	acc.Legend.Top = false

	for _, p := range []*plot.Plot{costs, acc} {
		p.X.Tick.Marker = niceTicks{integer: true}
		p.Y.Tick.Marker = niceTicks{}
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
	panels := []*plot.Plot{costs, acc}
	if len(c.Eta) > 0 {
		eta := plot.New()
		eta.Title.Text = "learning rate"
		eta.X.Label.Text = "update"
		eta.Y.Label.Text = "η"
		eta.Add(plotter.NewGrid())
		xy := make(plotter.XYs, len(c.Eta))
		for t, v := range c.Eta {
			xy[t] = plotter.XY{X: float64(t), Y: v}
		}
		if err := addLine(eta, "η per update", xy, trainColor, false); err != nil {
			return err
		}
		eta.X.Tick.Marker = niceTicks{integer: true}
		eta.Y.Tick.Marker = niceTicks{}
		eta.Legend.Top = true
		panels = append(panels, eta)
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(24), PadTop: vg.Points(4), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(10)}
	cs := plot.Align([][]*plot.Plot{panels}, tiles, body)
	for i, p := range panels {
		p.Draw(cs[0][i])
	}
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

// niceTicks labels an axis at about six round values (1, 2, 2.5 or 5
// times a power of ten apart, the step nearest a fifth of the range), with unlabelled ticks halfway; integer
// axes (epochs) get whole steps only.
type niceTicks struct{ integer bool }

func (n niceTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return (plot.DefaultTicks{}).Ticks(min, max)
	}
	raw := (max - min) / 5
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow
	for _, m := range []float64{2, 2.5, 5, 10} {
		if math.Abs(math.Log(m*pow/raw)) < math.Abs(math.Log(step/raw)) {
			step = m * pow
		}
	}
	if n.integer {
		step = math.Max(1, math.Round(step))
	}
	// Decimals needed to write the labels exactly.
	prec := 0
	for prec < 10 && math.Abs(step*math.Pow(10, float64(prec))-math.Round(step*math.Pow(10, float64(prec)))) > 1e-9 {
		prec++
	}
	var ticks []plot.Tick
	for i := math.Ceil(min/step - 1e-9); i*step <= max+1e-9*step; i++ {
		v := i * step
		if v == 0 {
			v = 0 // no "-0"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
		if half := v + step/2; half <= max && (!n.integer || half == math.Trunc(half)) {
			ticks = append(ticks, plot.Tick{Value: half})
		}
	}
	return ticks
}
