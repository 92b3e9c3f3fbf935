package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/pgstore"
	"github.com/inbound-hooks/inbound/store/storetest"
)

// testDSN returns the test database's DSN, or skips (fails under CI=true).
func testDSN(t testing.TB) string { return testenv.PostgresDSN(t) }

// newSchema returns a fresh, random schema name and drops that schema
// (whatever a test put in it) when the test ends. It drops with pgx
// directly, not through a Store: some tests leave a schema no Store opens.
func newSchema(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "pgstore_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// mustPool returns the connection pool of s, a pgstore store.
func mustPool(s store.Store) *pgxpool.Pool {
	p, ok := pgstore.Pool(s)
	if !ok {
		panic(fmt.Sprintf("pgstore.Pool: %T is not a pgstore store", s))
	}
	return p
}

// openStore opens a Store on schema and closes it when the test ends.
func openStore(t testing.TB, dsn, schema string) store.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, &pgstore.Options{Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoretest(t *testing.T) {
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openStore(t, dsn, newSchema(t, dsn))
	}, storetest.WithCapabilities(storetest.LocalQueue, storetest.Idempotency), storetest.WithReopen(func(t *testing.T, s store.Store) store.Store {
		schema, ok := pgstore.Schema(s)
		if !ok {
			t.Fatalf("Schema: %T is not a pgstore store", s)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		return openStore(t, dsn, schema)
	}))
}

func TestSchemaVersionMatchesMigrations(t *testing.T) {
	if got, want := pgstore.NumMigrations(), pgstore.SchemaVersion; got != want {
		t.Fatalf("migrations: got %d, want SchemaVersion %d", got, want)
	}
}

func TestOpenInvalidOptions(t *testing.T) {
	ctx := context.Background()
	long := make([]byte, 64)
	for i := range long {
		long[i] = 'a'
	}
	for _, tc := range []struct {
		name string
		dsn  string
		opts *pgstore.Options
	}{
		{"empty DSN", "", nil},
		{"bad DSN", "postgres://%zz", nil},
		{"long schema", "postgres://u@127.0.0.1:1/db", &pgstore.Options{Schema: string(long)}},
		{"NUL in schema", "postgres://u@127.0.0.1:1/db", &pgstore.Options{Schema: "a\x00b"}},
		{"negative MaxConns", "postgres://u@127.0.0.1:1/db", &pgstore.Options{MaxConns: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pgstore.Open(ctx, tc.dsn, tc.opts)
			if !errors.Is(err, pgstore.ErrOptions) {
				t.Fatalf("Open: got %v, want %v", err, pgstore.ErrOptions)
			}
			if s != nil {
				t.Fatalf("Open: got a Store with an error")
			}
		})
	}
	if _, err := pgstore.New(ctx, nil, nil); !errors.Is(err, pgstore.ErrOptions) {
		t.Fatalf("New(nil pool): got %v, want %v", err, pgstore.ErrOptions)
	}
}

func TestNewKeepsCallersPool(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatalf("pgxpool.New: %v", err)
	}
	defer pool.Close()
	s, err := pgstore.New(ctx, pool, &pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.CreateKey(ctx, &store.Key{ID: "k1"}); err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.GetKey(ctx, "k1"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("GetKey after Close: got %v, want %v", err, store.ErrClosed)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "keys"}.Sanitize()).Scan(&n); err != nil {
		t.Fatalf("pool after Store.Close: %v", err)
	}
	if n != 1 {
		t.Fatalf("keys: got %d, want 1", n)
	}
}
