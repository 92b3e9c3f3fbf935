package benchplot

import (
	"bytes"
	"errors"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
)

func TestWritePNG(t *testing.T) {
	three := []Series{
		{Name: "bare", Points: []Point{{1, 15000}, {2, 21000}, {4, 20000}, {64, 18000}}},
		{Name: "sync", Points: []Point{{1, 14000}, {2, 19000}, {4, 18500}, {64, 17000}}},
		{Name: "queue", Color: color.RGBA{0, 0x80, 0, 0xff}, Points: []Point{{1, 300}, {2, 600}, {4, 1200}, {64, 9000}}},
	}
	tests := []struct {
		name         string
		chart        Chart
		wantW, wantH int
	}{
		{"defaults log2", Chart{Title: "Throughput", Subtitle: "sub", XLabel: "connections", YLabel: "req/s", LogX: true, Series: three}, DefaultWidth, DefaultHeight},
		{"small linear", Chart{Width: MinWidth, Height: MinHeight, Series: three}, MinWidth, MinHeight},
		{"one point", Chart{Width: 400, Height: 300, LogX: true, Series: []Series{{Name: "x", Points: []Point{{3, 0}}}}}, 400, 300},
		{"fractional values", Chart{Width: 500, Height: 300, Series: []Series{{Name: "f", Points: []Point{{0, 0.1}, {1, 0.35}}}}}, 500, 300},
		{"long title shrinks", Chart{Width: MinWidth, Height: MinHeight, Title: strings.Repeat("W", 200), Series: three}, MinWidth, MinHeight},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.chart.WritePNG(&buf); err != nil {
				t.Fatalf("WritePNG: %v", err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("png.Decode: %v", err)
			}
			if got := img.Bounds(); got.Dx() != tt.wantW || got.Dy() != tt.wantH {
				t.Fatalf("size: got %dx%d, want %dx%d", got.Dx(), got.Dy(), tt.wantW, tt.wantH)
			}
			// Something other than the white background was drawn.
			inked := 0
			for y := 0; y < tt.wantH; y++ {
				for x := 0; x < tt.wantW; x++ {
					if r, g, b, _ := img.At(x, y).RGBA(); r != 0xffff || g != 0xffff || b != 0xffff {
						inked++
					}
				}
			}
			if inked < 1000 {
				t.Fatalf("inked pixels: got %d, want at least 1000", inked)
			}
		})
	}
}

func TestWritePNGSeriesColor(t *testing.T) {
	red := color.RGBA{0xff, 0, 0, 0xff}
	c := Chart{Width: 400, Height: 300, Series: []Series{{Name: "r", Color: red, Points: []Point{{0, 0}, {10, 10}}}}}
	img, err := c.Render()
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	found := false
	for y := 0; y < 300 && !found; y++ {
		for x := 0; x < 400; x++ {
			if img.RGBAAt(x, y) == red {
				found = true
				break
			}
		}
	}
	if !found {
		t.Fatalf("series colour: got no %v pixel, want the line in it", red)
	}
}

func TestRenderErrors(t *testing.T) {
	ok := []Series{{Name: "a", Points: []Point{{1, 1}}}}
	tests := []struct {
		name  string
		chart Chart
		want  error
	}{
		{"no series", Chart{}, ErrNoData},
		{"no points", Chart{Series: []Series{{Name: "a"}}}, ErrNoData},
		{"too narrow", Chart{Width: MinWidth - 1, Series: ok}, ErrSize},
		{"too tall", Chart{Height: MaxHeight + 1, Series: ok}, ErrSize},
		{"negative size", Chart{Width: -5, Series: ok}, ErrSize},
		{"NaN", Chart{Series: []Series{{Points: []Point{{1, math.NaN()}}}}}, ErrBadPoint},
		{"Inf x", Chart{Series: []Series{{Points: []Point{{math.Inf(1), 1}}}}}, ErrBadPoint},
		{"negative y", Chart{Series: []Series{{Points: []Point{{1, -1}}}}}, ErrBadPoint},
		{"zero x on log axis", Chart{LogX: true, Series: []Series{{Points: []Point{{0, 1}}}}}, ErrBadPoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.chart.WritePNG(&bytes.Buffer{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNiceTicksAndFormat(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   string
	}{
		{0, 18000, "0 5K 10K 15K 20K"},
		{0, 950, "0 200 400 600 800 1000"},
		{0, 0.35, "0.0 0.1 0.2 0.3 0.4"},
		{0, 0, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{0, 1234567, "0 500K 1000K 1500K"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			ticks := niceTicks(tt.lo, tt.hi)
			var got []string
			for _, v := range ticks {
				got = append(got, formatTick(v, ticks))
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Fatalf("got %q, want %q", s, tt.want)
			}
		})
	}
}
