package benchplot

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/loadgen"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// startAll starts the three targets the command sweeps: bare, sync on
// memstore, queue on boltstore with fsync on.
func startAll(t *testing.T) []*Target {
	t.Helper()
	ctx := context.Background()
	mem := memstore.New()
	t.Cleanup(func() { mem.Close() })
	bolt, err := boltstore.Open(filepath.Join(t.TempDir(), "q.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bolt.Close() })
	var out []*Target
	for _, start := range []func() (*Target, error){
		func() (*Target, error) { return StartBare("bare") },
		func() (*Target, error) { return StartSync(ctx, "sync", mem) },
		func() (*Target, error) { return StartQueue(ctx, "queue", bolt) },
	} {
		tg, err := start()
		if err != nil {
			t.Fatal(err)
		}
		// Registered after the stores' cleanups, so it runs before them.
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := tg.Close(sctx); err != nil {
				t.Errorf("Close %s: %v", tg.Name, err)
			}
		})
		out = append(out, tg)
	}
	return out
}

func TestSweep(t *testing.T) {
	targets := startAll(t)
	var progress int
	ms, err := Sweep(context.Background(), targets, SweepOptions{Connections: []int{1, 3}, Runs: 2, Requests: 20,
		Progress: func(string, int, *loadgen.Result) { progress++ }})
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if got, want := len(ms), 2*len(targets); got != want {
		t.Fatalf("measurements: got %d, want %d", got, want)
	}
	if got, want := progress, 2*2*len(targets); got != want {
		t.Fatalf("progress calls: got %d, want %d", got, want)
	}
	for i, m := range ms {
		wantConns, wantTarget := []int{1, 3}[i/len(targets)], targets[i%len(targets)].Name
		if m.Connections != wantConns || m.Target != wantTarget {
			t.Fatalf("measurement %d: got %s at %d, want %s at %d", i, m.Target, m.Connections, wantTarget, wantConns)
		}
		if m.Throughput <= 0 || len(m.Runs) != 2 || m.P50 <= 0 || m.P99 < m.P50 {
			t.Fatalf("measurement %d: got %+v, want positive throughput, 2 runs, 0 < p50 <= p99", i, m)
		}
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, ms); err != nil {
		t.Fatalf("WriteMarkdown: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "| connections | bare req/s | sync req/s | sync x bare |") ||
		!strings.HasPrefix(lines[2], "| 1 |") || !strings.HasPrefix(lines[3], "| 3 |") {
		t.Fatalf("markdown: got\n%s\nwant a header, a separator and rows for 1 and 3", md.String())
	}
	for i, l := range lines {
		if got, want := strings.Count(l, "|"), strings.Count(lines[0], "|"); got != want {
			t.Fatalf("markdown line %d: got %d cells separators, want %d", i, got, want)
		}
	}

	var cb bytes.Buffer
	if err := WriteCSV(&cb, ms); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	recs, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatalf("read CSV back: %v", err)
	}
	if len(recs) != 1+len(ms) || !slices.Equal(recs[0][:4], []string{"target", "connections", "req_s", "x_bare"}) ||
		recs[1][3] != "1.00" {
		t.Fatalf("CSV: got %v, want a header and one line per measurement, bare x 1.00", recs)
	}

	c := ChartOf(ms, "t", "s")
	if len(c.Series) != len(targets) || len(c.Series[2].Points) != 2 || !c.LogX {
		t.Fatalf("ChartOf: got %d series, want %d of 2 points on a log axis", len(c.Series), len(targets))
	}
	if err := c.WritePNG(&bytes.Buffer{}); err != nil {
		t.Fatalf("WritePNG: %v", err)
	}
}

func TestSweepInvalid(t *testing.T) {
	bare, err := StartBare("bare")
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close(context.Background())
	tests := []struct {
		name    string
		targets []*Target
		opts    SweepOptions
		want    error
	}{
		{"no targets", nil, SweepOptions{Requests: 1}, ErrNoTargets},
		{"no limit", []*Target{bare}, SweepOptions{}, ErrNoLimit},
		{"zero connections", []*Target{bare}, SweepOptions{Requests: 1, Connections: []int{0}}, ErrConnections},
		{"failing target", []*Target{{Name: "gone", URL: "http://127.0.0.1:1/", srv: bare.srv}}, SweepOptions{Requests: 1, Connections: []int{1}}, ErrRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sweep(context.Background(), tt.targets, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseConnections(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"1,2,4,8,16,32,64", []int{1, 2, 4, 8, 16, 32, 64}, false},
		{" 3 , 5 ", []int{3, 5}, false},
		{"4096", []int{4096}, false},
		{"", nil, true},
		{"1,,2", nil, true},
		{"0", nil, true},
		{"-1", nil, true},
		{"4097", nil, true},
		{"two", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseConnections(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrConnections) {
					t.Fatalf("got %v, %v; want ErrConnections", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func FuzzParseConnections(f *testing.F) {
	for _, s := range []string{"1,2,4", "64", "", ",", "0", "99999999999999999999", " 7 ,8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseConnections(s)
		if err != nil {
			if !errors.Is(err, ErrConnections) {
				t.Fatalf("error %v is not ErrConnections", err)
			}
			return
		}
		for _, n := range got {
			if n < 1 || n > MaxConnections {
				t.Fatalf("%q: got %d, want 1 to %d", s, n, MaxConnections)
			}
		}
	})
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Fatalf("median(%v): got %v, want %v", tt.in, got, tt.want)
		}
	}
}
