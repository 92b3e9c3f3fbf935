package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		cfg    config
		wantIn string
	}{
		{"markdown, sync on bolt", config{out: filepath.Join(dir, "a.png"), table: filepath.Join(dir, "a.md"), conns: "1,2",
			syncStore: "bolt", format: "md", requests: 10, runs: 1, bodySize: 1024, quiet: true}, "| 2 |"},
		{"csv, sync on mem", config{out: filepath.Join(dir, "b.png"), conns: "1", syncStore: "mem", format: "csv",
			requests: 10, runs: 1, bodySize: 256, quiet: true}, "queue-bolt,1,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), tt.cfg, &stdout, &stderr); err != nil {
				t.Fatalf("run: %v", err)
			}
			if !strings.Contains(stdout.String(), tt.wantIn) {
				t.Fatalf("stdout: got %q, want it to contain %q", stdout.String(), tt.wantIn)
			}
			f, err := os.Open(tt.cfg.out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := png.Decode(f); err != nil {
				t.Fatalf("PNG: %v", err)
			}
			if tt.cfg.table != "" {
				b, err := os.ReadFile(tt.cfg.table)
				if err != nil || !bytes.Equal(b, stdout.Bytes()) {
					t.Fatalf("table file: got %q (%v), want the standard output", b, err)
				}
			}
		})
	}
}

func TestRunInvalid(t *testing.T) {
	ok := config{conns: "1", syncStore: "mem", format: "md", requests: 1, runs: 1, bodySize: 1024}
	tests := []struct {
		name string
		edit func(c *config)
	}{
		{"bad connections", func(c *config) { c.conns = "0" }},
		{"bad format", func(c *config) { c.format = "xml" }},
		{"bad store", func(c *config) { c.syncStore = "pg" }},
		{"small body", func(c *config) { c.bodySize = 10 }},
		{"no limit", func(c *config) { c.requests, c.dur = 0, 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			if err := run(context.Background(), c, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
				t.Fatalf("got nil, want an error")
			}
		})
	}
}

// TestRunPG adds the PostgreSQL targets, and checks that their schema is
// dropped at the end.
func TestRunPG(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx := context.Background()
	count := func() int {
		s, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: testenv.PostgresSchema(t, dsn, "benchplot_test_"), MaxConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var n int
		pool, _ := pgstore.Pool(s)
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'benchplot\\_%' AND nspname NOT LIKE 'benchplot\\_test\\_%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	out := filepath.Join(t.TempDir(), "pg.png")
	var stdout, stderr bytes.Buffer
	cfg := config{out: out, conns: "1,4", syncStore: "bolt", format: "csv", requests: 20, runs: 1,
		bodySize: 512, quiet: true, pg: dsn}
	if err := run(ctx, cfg, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"sync-pg,1,", "queue-pg,4,"} {
		if !strings.Contains(stdout.String(), want) {
			t.Fatalf("stdout: got %q, want it to contain %q", stdout.String(), want)
		}
	}
	if after := count(); after != before {
		t.Fatalf("benchplot schemas: got %d after the run, want %d as before", after, before)
	}
}
