package benchplot

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart limits and defaults, in pixels.
const (
	DefaultWidth  = 960
	DefaultHeight = 600
	MinWidth      = 320
	MinHeight     = 240
	MaxWidth      = 8192
	MaxHeight     = 8192
)

// dpi is the resolution the chart is drawn at: a pixel is 0.75 points.
const dpi = 96

// Point is one data point of a Series.
type Point struct {
	X, Y float64
}

// Series is one line of a Chart.
type Series struct {
	// Name is shown in the legend.
	Name string
	// Color draws the line and its markers; the zero value picks one from
	// a built-in palette by the series' position.
	Color color.RGBA
	// Dashed draws the line dashed (the markers stay whole), to tell apart
	// two series of one colour.
	Dashed bool
	// Points are drawn in order, joined by straight lines.
	Points []Point
}

// Chart is a line chart with its legend at the right of the plot, drawn
// with gonum.org/v1/plot. The y axis is linear from 0; the x axis is
// linear, or log2 when LogX is set. The zero value of each optional field
// works.
type Chart struct {
	// Title is drawn above the plot; Subtitle under it.
	Title, Subtitle string
	// XLabel and YLabel name the axes.
	XLabel, YLabel string
	// Width and Height are the image size; 0 means DefaultWidth and
	// DefaultHeight. Each must lie between the Min and Max constants.
	Width, Height int
	// LogX makes the x axis log2, with a tick at every power of two.
	LogX bool
	// Series are the lines; at least one point in all is required.
	Series []Series
}

// palette colours series whose Color is unset, in order.
var palette = []color.RGBA{
	{0x33, 0x33, 0x33, 0xff}, // near black
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x94, 0x67, 0xbd, 0xff}, // purple
}

// grid is the colour of the grid lines.
var grid = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}

// WritePNG renders the chart and writes it to w as PNG.
func (c *Chart) WritePNG(w io.Writer) error {
	img, err := c.Render()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if err := png.Encode(bw, img); err != nil {
		return fmt.Errorf("benchplot: encode PNG: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("benchplot: write PNG: %w", err)
	}
	return nil
}

// px converts a length in pixels to gonum/plot's points.
func px(n float64) vg.Length { return vg.Length(n) * vg.Inch / dpi }

// Render draws the chart. It fails with ErrSize for a size out of bounds,
// ErrNoData without points, and ErrBadPoint for a coordinate that is not
// finite, a negative y, or an x at or below 0 on a log axis (all of which
// gonum/plot would draw wrongly or panic on).
func (c *Chart) Render() (*image.RGBA, error) {
	w, h := c.Width, c.Height
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if w < MinWidth || w > MaxWidth || h < MinHeight || h > MaxHeight {
		return nil, fmt.Errorf("%w: %dx%d", ErrSize, w, h)
	}
	xmin, xmax, ymax, err := c.bounds()
	if err != nil {
		return nil, err
	}

	// Font sizes follow the image: a small chart gets small text.
	scale := math.Min(1, math.Min(float64(w)/DefaultWidth, float64(h)/DefaultHeight))
	size := func(pt float64) vg.Length { return vg.Length(math.Max(7, pt*scale)) } // text
	width := func(pt float64) vg.Length { return vg.Length(pt * scale) }           // lines and marks

	p := plot.New()
	p.Title.Text = c.Title
	if c.Subtitle != "" {
		if p.Title.Text != "" {
			p.Title.Text += "\n"
		}
		p.Title.Text += c.Subtitle
	}
	p.Title.TextStyle.Font.Size = size(15)
	p.Title.Padding = size(8)
	// A title wider than the image is drawn smaller, down to 7 points.
	for p.Title.TextStyle.Font.Size > 7 && p.Title.TextStyle.Width(p.Title.Text) > px(float64(w))-width(20) {
		p.Title.TextStyle.Font.Size--
	}
	p.X.Label.Text, p.Y.Label.Text = c.XLabel, c.YLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = size(13)
		a.Tick.Label.Font.Size = size(12)
	}

	// Axes: y linear from 0 with about five round ticks, x log2 with a
	// tick at every power of two (or round ticks when linear).
	yticks := niceTicks(0, ymax)
	p.Y.Min, p.Y.Max = 0, yticks[len(yticks)-1]
	p.Y.Tick.Marker = constTicks(yticks)
	var xticks []float64
	if c.LogX {
		p.X.Scale = plot.LogScale{}
		for e := math.Log2(xmin); e <= math.Log2(xmax)+1e-9; e++ {
			xticks = append(xticks, math.Exp2(e))
		}
	} else {
		xticks = niceTicks(xmin, xmax)
		xmin, xmax = xticks[0], xticks[len(xticks)-1]
	}
	p.X.Min, p.X.Max = xmin, xmax
	p.X.Tick.Marker = constTicks(xticks)
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = grid, grid
	p.Add(g)

	// The legend is drawn apart from the plot (p.Draw would put it inside).
	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = size(12)
	legend.Top, legend.Left = true, true
	legend.ThumbnailWidth = width(28)
	legend.Padding = width(4)
	for i, s := range c.Series {
		if len(s.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.Points))
		for j, pt := range s.Points {
			xys[j].X, xys[j].Y = pt.X, pt.Y
		}
		line, dots, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadPoint, s.Name, err)
		}
		col := seriesColor(s, i)
		line.Color, line.Width = col, width(2)
		if s.Dashed {
			line.Dashes = []vg.Length{width(6), width(3)}
		}
		dots.Color, dots.Shape, dots.Radius = col, draw.CircleGlyph{}, width(3)
		p.Add(line, dots)
		legend.Add(s.Name, line, dots)
	}

	cv := vgimg.NewWith(vgimg.UseWH(px(float64(w)), px(float64(h))), vgimg.UseDPI(dpi))
	dc := draw.New(cv)
	// The legend gets a column at the right, as wide as its longest
	// entry, so that it never hides a line.
	lr := legend.Rectangle(dc)
	lw := lr.Max.X - lr.Min.X + width(20)
	if lw > dc.Max.X/3 {
		lw = dc.Max.X / 3
	}
	p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
	// Line the legend's top up with the plot area's, under the title.
	titleH := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
	legend.Draw(draw.Crop(dc, dc.Max.X-lw+width(10), 0, 0, -titleH-width(10)))

	if rgba, ok := cv.Image().(*image.RGBA); ok {
		return rgba, nil
	}
	img := image.NewRGBA(cv.Image().Bounds())
	stddraw.Draw(img, img.Bounds(), cv.Image(), image.Point{}, stddraw.Src)
	return img, nil
}

// constTicks returns gonum/plot ticks at vs, labelled by formatTick.
func constTicks(vs []float64) plot.ConstantTicks {
	ts := make(plot.ConstantTicks, len(vs))
	for i, v := range vs {
		ts[i] = plot.Tick{Value: v, Label: formatTick(v, vs)}
	}
	return ts
}

// bounds checks every point and returns the x range (widened to whole
// powers of two on a log axis) and the largest y.
func (c *Chart) bounds() (xmin, xmax, ymax float64, err error) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	n := 0
	for _, s := range c.Series {
		for _, p := range s.Points {
			if math.IsNaN(p.X) || math.IsInf(p.X, 0) || math.IsNaN(p.Y) || math.IsInf(p.Y, 0) || p.Y < 0 || (c.LogX && p.X <= 0) {
				return 0, 0, 0, fmt.Errorf("%w: %q (%v, %v)", ErrBadPoint, s.Name, p.X, p.Y)
			}
			xmin, xmax, ymax = min(xmin, p.X), max(xmax, p.X), max(ymax, p.Y)
			n++
		}
	}
	if n == 0 {
		return 0, 0, 0, ErrNoData
	}
	if c.LogX {
		xmin, xmax = math.Exp2(math.Floor(math.Log2(xmin))), math.Exp2(math.Ceil(math.Log2(xmax)))
		if xmax <= xmin {
			xmax = 2 * xmin
		}
	} else if xmax <= xmin {
		xmin, xmax = xmin-1, xmax+1
	}
	if ymax <= 0 {
		ymax = 1
	}
	return xmin, xmax, ymax, nil
}

func seriesColor(s Series, i int) color.RGBA {
	if s.Color.A != 0 {
		return s.Color
	}
	return palette[i%len(palette)]
}

// niceTicks returns about five evenly spaced ticks, steps of 1, 2 or 5
// times a power of ten, from at or below lo to at or above hi.
func niceTicks(lo, hi float64) []float64 {
	span := hi - lo
	if span <= 0 {
		span, hi = 1, lo+1
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	var ticks []float64
	for i := 0; ; i++ {
		t := start + float64(i)*step
		ticks = append(ticks, t)
		if t >= hi-step*1e-9 || i > 100 {
			return ticks
		}
	}
}

// formatTick formats v with as many decimals as the spacing of ticks
// needs, and thousands as K when every tick allows it.
func formatTick(v float64, ticks []float64) string {
	step := 1.0
	if len(ticks) > 1 {
		step = ticks[1] - ticks[0]
	}
	if step >= 1000 && math.Mod(step, 1000) == 0 {
		if v == 0 {
			return "0"
		}
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "K"
	}
	dec := 0
	for s := step; s < 1 && dec < 6; s *= 10 {
		dec++
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}
