// Command benchplot measures loopback HTTP throughput against concurrent
// connections for the bare handler (json.Unmarshal only), a form hook in
// sync mode and a form hook in queue mode on boltstore (fsync on, a real
// temporary file) and, with -pg, the same two on store/pgstore, prints a
// markdown (or CSV) table to standard output and draws the chart as a PNG.
// Run it from the repository root:
//
//	go run ./internal/benchplot/cmd/benchplot -out docs/throughput.png -table docs/throughput.md \
//		-pg 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// The PostgreSQL targets share one fresh schema (benchplot_ and random
// hex), dropped at the end.
//
// The default sweep (1 to 64 connections, median of 3 runs of 1.5s per
// point, the three servers' runs interleaved) takes about two and a half
// minutes. On a busy machine, more runs (-runs 5) steady the medians.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/inbound-hooks/inbound/internal/baseline"
	"github.com/inbound-hooks/inbound/internal/benchplot"
	"github.com/inbound-hooks/inbound/internal/loadgen"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

type config struct {
	out, table, conns, syncStore, format string
	pg                                   string
	dur                                  time.Duration
	requests, runs, bodySize             int
	quiet                                bool
}

func main() {
	var c config
	flag.StringVar(&c.out, "out", "docs/throughput.png", "PNG file to write (empty: none)")
	flag.StringVar(&c.table, "table", "", "also write the table (with its header line) to this file")
	flag.StringVar(&c.conns, "conns", "1,2,4,8,16,32,64", "comma-separated connection counts")
	flag.DurationVar(&c.dur, "d", 1500*time.Millisecond, "duration of one run (0: use -n)")
	flag.IntVar(&c.requests, "n", 0, "requests in one run (0: use -d; with -d, whichever ends first)")
	flag.IntVar(&c.runs, "runs", 3, "runs per point; the point is their median")
	flag.IntVar(&c.bodySize, "body", 1024, "size of the JSON body in bytes")
	flag.StringVar(&c.syncStore, "sync-store", "bolt", "store of the sync-mode hook: bolt (fsync on, temporary file) or mem")
	flag.StringVar(&c.format, "format", "md", "table format on standard output: md or csv")
	flag.StringVar(&c.pg, "pg", "", "PostgreSQL DSN: add sync-pg and queue-pg targets on store/pgstore (a fresh schema, dropped after)")
	flag.BoolVar(&c.quiet, "q", false, "no progress on standard error")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config, stdout, stderr io.Writer) (err error) {
	conns, err := benchplot.ParseConnections(c.conns)
	if err != nil {
		return err
	}
	if c.format != "md" && c.format != "csv" {
		return fmt.Errorf("-format: want md or csv, got %q", c.format)
	}
	if c.bodySize < 128 || c.bodySize > 1<<20 {
		return fmt.Errorf("-body: want 128 to 1048576 bytes, got %d", c.bodySize)
	}
	dir, err := os.MkdirTemp("", "benchplot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var closers []func() error
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			err = errors.Join(err, closers[i]())
		}
	}()
	openBolt := func(name string) (store.Store, error) {
		s, err := boltstore.Open(filepath.Join(dir, name), nil) // fsync on
		if err == nil {
			closers = append(closers, s.Close)
		}
		return s, err
	}
	var syncStore store.Store
	switch c.syncStore {
	case "bolt":
		if syncStore, err = openBolt("sync.db"); err != nil {
			return err
		}
	case "mem":
		m := memstore.New()
		closers = append(closers, m.Close)
		syncStore = m
	default:
		return fmt.Errorf("-sync-store: want bolt or mem, got %q", c.syncStore)
	}
	queueStore, err := openBolt("queue.db")
	if err != nil {
		return err
	}

	var targets []*benchplot.Target
	add := func(t *benchplot.Target, err error) error {
		if err != nil {
			return err
		}
		targets = append(targets, t)
		closers = append(closers, func() error {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return t.Close(sctx)
		})
		return nil
	}
	if err := add(benchplot.StartBare("bare")); err != nil {
		return err
	}
	if err := add(benchplot.StartSync(ctx, "sync-"+c.syncStore, syncStore)); err != nil {
		return err
	}
	if err := add(benchplot.StartQueue(ctx, "queue-bolt", queueStore)); err != nil {
		return err
	}
	pgVer := ""
	if c.pg != "" {
		pg, err := openPG(ctx, c.pg)
		if err != nil {
			return err
		}
		closers = append(closers, func() error { return dropPG(pg) })
		pgVer = pgVersion(ctx, pg)
		if err := add(benchplot.StartSync(ctx, "sync-pg", pg)); err != nil {
			return err
		}
		if err := add(benchplot.StartQueue(ctx, "queue-pg", pg)); err != nil {
			return err
		}
	}

	load0 := loadAvg()
	start := time.Now()
	opts := benchplot.SweepOptions{Connections: conns, Runs: c.runs, Duration: c.dur, Requests: c.requests,
		Body: baseline.Body(c.bodySize)}
	if !c.quiet {
		opts.Progress = func(target string, n int, r *loadgen.Result) {
			fmt.Fprintf(stderr, "%-10s c=%-3d %s\n", target, n, r)
		}
	}
	ms, err := benchplot.Sweep(ctx, targets, opts)
	if err != nil {
		return err
	}
	load1 := loadAvg()

	limit := fmt.Sprintf("%v", c.dur)
	if c.dur <= 0 || (c.requests > 0) {
		limit = fmt.Sprintf("%d requests", c.requests)
		if c.dur > 0 {
			limit += fmt.Sprintf(" or %v", c.dur)
		}
	}
	var tbl bytes.Buffer
	fmt.Fprintf(&tbl, "Loopback, %d-byte JSON body, median of %d runs of %s per point; GOMAXPROCS=%d, %s/%s; sweep took %v; load average before %s, after %s.\n\n",
		c.bodySize, max(c.runs, 1), limit, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH,
		time.Since(start).Round(time.Second), load0, load1)
	switch c.format {
	case "md":
		err = benchplot.WriteMarkdown(&tbl, ms)
	default:
		err = benchplot.WriteCSV(&tbl, ms)
	}
	if err != nil {
		return err
	}
	if _, err := stdout.Write(tbl.Bytes()); err != nil {
		return err
	}
	if c.table != "" {
		if err := os.WriteFile(c.table, tbl.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if c.out == "" {
		return nil
	}
	stores := "bolt fsync on"
	if c.pg != "" {
		stores += "\ndashed: PostgreSQL " + pgVer + " on the same host (pgstore)"
	}
	chart := benchplot.ChartOf(ms, "Throughput vs concurrent connections",
		fmt.Sprintf("loopback, %d B JSON, median of %d runs, GOMAXPROCS=%d, %s",
			c.bodySize, max(c.runs, 1), runtime.GOMAXPROCS(0), stores))
	var buf bytes.Buffer
	if err := chart.WritePNG(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(c.out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if !c.quiet {
		fmt.Fprintln(stderr, "wrote", c.out)
	}
	return nil
}

// openPG opens a pgstore on a fresh schema of the database at dsn.
func openPG(ctx context.Context, dsn string) (store.Store, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return pgstore.Open(ctx, dsn, &pgstore.Options{Schema: "benchplot_" + hex.EncodeToString(b), MaxConns: 16})
}

// dropPG drops the store's schema, then closes it.
func dropPG(s store.Store) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, _ := pgstore.Pool(s)
	schema, _ := pgstore.Schema(s)
	_, err := pool.Exec(ctx, "DROP SCHEMA "+quoteIdent(schema)+" CASCADE")
	return errors.Join(err, s.Close())
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// pgVersion returns the server's major version, such as "17", or "".
func pgVersion(ctx context.Context, s store.Store) string {
	var v string
	pool, _ := pgstore.Pool(s)
	if err := pool.QueryRow(ctx, "SELECT current_setting('server_version')").Scan(&v); err != nil {
		return ""
	}
	major, _, _ := strings.Cut(v, ".")
	return major
}

// loadAvg returns the 1-minute load average from /proc/loadavg, or "n/a".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "n/a"
}
