package loadgen_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

// openPGStore opens a pgstore on a fresh, random schema of the database in
// INBOUND_TEST_PG_DSN, with the default pool size, and drops the schema
// when the benchmark ends (after newQueueServer's cleanup closed the
// store). Without the variable the benchmark skips, except under CI=true,
// where it fails.
func openPGStore(b *testing.B) store.Store {
	dsn := os.Getenv("INBOUND_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			b.Fatal("INBOUND_TEST_PG_DSN is not set, and CI=true: PostgreSQL benchmarks must run")
		}
		b.Skip("INBOUND_TEST_PG_DSN is not set; skipping pgstore " +
			`(e.g. INBOUND_TEST_PG_DSN="postgres://postgres@127.0.0.1:5432/test?sslmode=disable")`)
	}
	r := make([]byte, 8)
	_, _ = rand.Read(r)
	schema := "loadgen_bench_" + hex.EncodeToString(r) // [a-z0-9_]: no quoting needed
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: schema})
	if err != nil {
		b.Fatalf("pgstore.Open: %v", err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The benchmark's store is closed by now: open one more for the drop.
		d, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: schema, MaxConns: 1})
		if err != nil {
			b.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer d.Close()
		if _, err := d.Pool().Exec(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			b.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}
