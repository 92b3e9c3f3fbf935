package benchplot

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
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
	// Points are drawn in order, joined by straight lines.
	Points []Point
}

// Chart is a line chart with a legend under the plot. The y axis is linear
// from 0; the x axis is linear, or log2 when LogX is set. The zero value
// of each optional field works.
type Chart struct {
	// Title is drawn above the plot; Subtitle under it in a smaller size.
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

var (
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink   = color.RGBA{0x20, 0x20, 0x20, 0xff}
	grid  = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	muted = color.RGBA{0x55, 0x55, 0x55, 0xff}
)

// layout, in pixels.
const (
	marginLeft   = 110
	marginRight  = 30
	marginTop    = 80
	marginBottom = 110
	tickLen      = 6
	markerHalf   = 4
)

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

// Render draws the chart. It fails with ErrSize for a size out of bounds,
// ErrNoData without points, and ErrBadPoint for a coordinate that is not
// finite, a negative y, or an x at or below 0 on a log axis.
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

	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fillRect(img, 0, 0, w, h, white)
	left, top := marginLeft, marginTop
	right, bottom := w-marginRight, h-marginBottom
	pw, ph := right-left, bottom-top

	// Axes scales.
	var xticks []float64
	fx := func(x float64) float64 { return (x - xmin) / (xmax - xmin) }
	if c.LogX {
		lmin, lmax := math.Log2(xmin), math.Log2(xmax)
		fx = func(x float64) float64 { return (math.Log2(x) - lmin) / (lmax - lmin) }
		for e := lmin; e <= lmax+1e-9; e++ {
			xticks = append(xticks, math.Exp2(e))
		}
	} else {
		xticks = niceTicks(xmin, xmax)
	}
	yticks := niceTicks(0, ymax)
	ytop := yticks[len(yticks)-1]
	px := func(x float64) int { return left + int(math.Round(fx(x)*float64(pw))) }
	py := func(y float64) int { return bottom - int(math.Round(y/ytop*float64(ph))) }

	// Grid, ticks and tick labels.
	for _, y := range yticks {
		yy := py(y)
		hline(img, left, right, yy, grid)
		hline(img, left-tickLen, left, yy, ink)
		s := formatTick(y, yticks)
		drawText(img, left-tickLen-6-textWidth(s, 2), yy-textHeight(2)/2, s, 2, ink)
	}
	for _, x := range xticks {
		xx := px(x)
		vline(img, xx, top, bottom, grid)
		vline(img, xx, bottom, bottom+tickLen, ink)
		s := formatTick(x, xticks)
		drawText(img, xx-textWidth(s, 2)/2, bottom+tickLen+6, s, 2, ink)
	}
	// Axes over the grid.
	hline(img, left, right, bottom, ink)
	vline(img, left, top, bottom, ink)

	// Labels and titles.
	if c.XLabel != "" {
		drawText(img, left+pw/2-textWidth(c.XLabel, 2)/2, bottom+tickLen+6+textHeight(2)+12, c.XLabel, 2, ink)
	}
	if c.YLabel != "" {
		drawTextUp(img, 18, top+ph/2+textWidth(c.YLabel, 2)/2, c.YLabel, 2, ink)
	}
	if c.Title != "" {
		sc := fitScale(c.Title, 3, w-20)
		drawText(img, w/2-textWidth(c.Title, sc)/2, 16, c.Title, sc, ink)
	}
	if c.Subtitle != "" {
		sc := fitScale(c.Subtitle, 2, w-20)
		drawText(img, w/2-textWidth(c.Subtitle, sc)/2, 16+textHeight(3)+12, c.Subtitle, sc, muted)
	}

	// Lines, then markers on top.
	for i, s := range c.Series {
		col := seriesColor(s, i)
		for j := 1; j < len(s.Points); j++ {
			a, b := s.Points[j-1], s.Points[j]
			thickLine(img, px(a.X), py(a.Y), px(b.X), py(b.Y), col)
		}
		for _, p := range s.Points {
			fillRect(img, px(p.X)-markerHalf, py(p.Y)-markerHalf, 2*markerHalf+1, 2*markerHalf+1, col)
		}
	}

	// Legend: one row under the x-axis label, centred.
	const swatch, gap = 28, 28
	total := 0
	for _, s := range c.Series {
		total += swatch + 8 + textWidth(s.Name, 2) + gap
	}
	total -= gap
	lx, ly := max(left, w/2-total/2), h-textHeight(2)-14
	for i, s := range c.Series {
		col := seriesColor(s, i)
		fillRect(img, lx, ly+textHeight(2)/2-1, swatch, 3, col)
		fillRect(img, lx+swatch/2-markerHalf, ly+textHeight(2)/2-markerHalf, 2*markerHalf+1, 2*markerHalf+1, col)
		lx += swatch + 8
		drawText(img, lx, ly, s.Name, 2, ink)
		lx += textWidth(s.Name, 2) + gap
	}
	return img, nil
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

// fitScale returns the largest scale up to want at which s fits in width
// pixels, and at least 1 (wider text is clipped).
func fitScale(s string, want, width int) int {
	for sc := want; sc > 1; sc-- {
		if textWidth(s, sc) <= width {
			return sc
		}
	}
	return 1
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

// fillRect paints the w x h rectangle at (x, y), clipped to the image.
func fillRect(img *image.RGBA, x, y, w, h int, c color.RGBA) {
	r := image.Rect(x, y, x+w, y+h).Intersect(img.Bounds())
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		for xx := r.Min.X; xx < r.Max.X; xx++ {
			img.SetRGBA(xx, yy, c)
		}
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) { fillRect(img, x0, y, x1-x0+1, 1, c) }

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) { fillRect(img, x, y0, 1, y1-y0+1, c) }

// thickLine draws a 3-pixel-wide line from (x0, y0) to (x1, y1)
// (Bresenham, stamping a 3x3 square at each step).
func thickLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		fillRect(img, x0-1, y0-1, 3, 3, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
