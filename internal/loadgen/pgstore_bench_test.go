package loadgen_test

import (
	"context"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

// openPGStore opens a pgstore on a fresh, random schema of the test
// database, with the default pool size; the schema is dropped when the
// benchmark ends (after newQueueServer's cleanup closed the store).
// Without a database the benchmark skips, except under CI=true, where it
// fails.
func openPGStore(b *testing.B) store.Store {
	dsn := testenv.PostgresDSN(b)
	schema := testenv.PostgresSchema(b, dsn, "loadgen_bench_")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: schema})
	if err != nil {
		b.Fatalf("pgstore.Open: %v", err)
	}
	return s
}
