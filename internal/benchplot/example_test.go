package benchplot_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/inbound-hooks/inbound/internal/benchplot"
)

func ExampleChart_WritePNG() {
	c := &benchplot.Chart{
		Title: "Throughput", XLabel: "connections", YLabel: "req/s", LogX: true,
		Width: 640, Height: 400,
		Series: []benchplot.Series{
			{Name: "bare", Points: []benchplot.Point{{X: 1, Y: 9000}, {X: 8, Y: 14000}, {X: 64, Y: 13000}}},
			{Name: "queue", Points: []benchplot.Point{{X: 1, Y: 400}, {X: 8, Y: 2500}, {X: 64, Y: 7000}}},
		},
	}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf); err != nil {
		fmt.Println(err)
		return
	}
	img, err := png.Decode(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy())
	// Output: 640 400
}

func ExampleParseConnections() {
	conns, err := benchplot.ParseConnections("1,2,4,8,16,32,64")
	fmt.Println(conns, err)
	_, err = benchplot.ParseConnections("1,0")
	fmt.Println(err)
	// Output:
	// [1 2 4 8 16 32 64] <nil>
	// benchplot: bad connection list: "0"
}
