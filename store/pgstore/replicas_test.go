package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

var t0 = time.Date(2026, time.May, 6, 7, 8, 9, 0, time.UTC)

// start runs fn(i) for i in [0, n) on n goroutines released together and
// waits for all of them.
func start(n int, fn func(i int)) {
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			fn(i)
		}()
	}
	close(gate)
	wg.Wait()
}

func event(id, hookID, key string, created time.Time) *store.QueuedEvent {
	return &store.QueuedEvent{
		ID: id, Org: "org1", HookID: hookID, IdempotencyKey: key,
		Payload:     []byte(`{"id":"` + id + `"}`),
		NextAttempt: created, CreatedAt: created, UpdatedAt: created,
	}
}

func TestConcurrentMigration(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	const n = 6
	stores := make([]store.Store, n)
	errs := make([]error, n)
	start(n, func(i int) {
		stores[i], errs[i] = pgstore.Open(context.Background(), dsn, &pgstore.Options{Schema: schema, MaxConns: 2})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d of %d at once: %v", i, n, err)
		}
		defer stores[i].Close()
	}
	// Every instance works on the one schema.
	ctx := context.Background()
	for i, s := range stores {
		if err := s.CreateKey(ctx, &store.Key{ID: fmt.Sprintf("k%d", i), CreatedAt: t0}); err != nil {
			t.Fatalf("CreateKey on store %d: %v", i, err)
		}
	}
	keys, err := stores[0].ListKeys(ctx, "")
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	if len(keys) != n {
		t.Fatalf("ListKeys: got %d keys, want %d", len(keys), n)
	}
	// Opening again changes nothing.
	openStore(t, dsn, schema)
	var versions []int
	rows, err := mustPool(stores[0]).Query(ctx, "SELECT version FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+" ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if len(versions) != pgstore.SchemaVersion || versions[len(versions)-1] != pgstore.SchemaVersion {
		t.Fatalf("schema_migrations: got %v, want 1..%d once each", versions, pgstore.SchemaVersion)
	}
}

func TestSchemaTooNew(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	s := openStore(t, dsn, schema)
	ctx := context.Background()
	if _, err := mustPool(s).Exec(ctx, "INSERT INTO "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+" (version) VALUES ($1)", pgstore.SchemaVersion+1); err != nil {
		t.Fatalf("insert version: %v", err)
	}
	s2, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: schema})
	if !errors.Is(err, pgstore.ErrSchemaTooNew) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("Open on a newer schema: got %v, want %v", err, pgstore.ErrSchemaTooNew)
	}
}

// TestReplicasClaim runs several claimers in each of two Stores on one
// schema, as two replicas would: within a lease no event is handed out
// twice, and every event is handed out.
func TestReplicasClaim(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a, b := openStore(t, dsn, schema), openStore(t, dsn, schema)
	ctx := context.Background()
	const total, perStore, batch = 600, 6, 7
	for i := range total {
		if _, err := a.Enqueue(ctx, event(fmt.Sprintf("e%05d", i), "h1", "", t0.Add(time.Duration(i)*time.Millisecond)), t0); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	now := t0.Add(time.Hour)
	claimed := make([][]string, 2*perStore)
	errs := make([]error, 2*perStore)
	start(2*perStore, func(i int) {
		s := a
		if i%2 == 1 {
			s = b
		}
		for {
			evs, err := s.Claim(ctx, now, time.Hour, batch)
			if err != nil {
				errs[i] = err
				return
			}
			if len(evs) == 0 {
				return
			}
			for _, ev := range evs {
				claimed[i] = append(claimed[i], ev.ID)
			}
		}
	})
	seen := map[string]int{}
	perInstance := [2]int{}
	for i := range claimed {
		if errs[i] != nil {
			t.Fatalf("Claim: %v", errs[i])
		}
		perInstance[i%2] += len(claimed[i])
		for _, id := range claimed[i] {
			seen[id]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("event %s claimed %d times within one lease, want 1", id, n)
		}
	}
	if len(seen) != total {
		t.Fatalf("claimed %d distinct events, want %d", len(seen), total)
	}
	t.Logf("claims per replica: %v", perInstance)
	// While the leases run nothing is due; after they end, all of it is.
	for _, c := range []struct {
		at   time.Time
		want int
	}{{now.Add(time.Hour - time.Microsecond), 0}, {now.Add(time.Hour), total}} {
		evs, err := b.Claim(ctx, c.at, time.Hour, 2*total)
		if err != nil {
			t.Fatalf("Claim: %v", err)
		}
		if len(evs) != c.want {
			t.Fatalf("Claim at %v: got %d events, want %d", c.at, len(evs), c.want)
		}
	}
}

// TestReplicasDedup enqueues one idempotency key from 50 goroutines
// spread over two Stores: one event is stored, and every other Enqueue
// names it.
func TestReplicasDedup(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a, b := openStore(t, dsn, schema), openStore(t, dsn, schema)
	ctx := context.Background()
	const n = 50
	ids := make([]string, n)
	errs := make([]error, n)
	start(n, func(i int) {
		s := a
		if i%2 == 1 {
			s = b
		}
		ids[i], errs[i] = s.Enqueue(ctx, event(fmt.Sprintf("e%03d", i), "h1", "same-key", t0), t0.Add(-time.Hour))
	})
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Fatalf("both %s and %s accepted with one key", winner, ids[i])
			}
			winner = ids[i]
		case !errors.Is(err, store.ErrDuplicate):
			t.Fatalf("Enqueue: got %v, want nil or %v", err, store.ErrDuplicate)
		}
	}
	if winner == "" {
		t.Fatal("no Enqueue accepted")
	}
	for i, err := range errs {
		if err != nil && ids[i] != winner {
			t.Fatalf("Enqueue(duplicate): got ID %q, want %q", ids[i], winner)
		}
	}
	for _, s := range []store.Store{a, b} {
		if c, err := s.CountEvents(ctx, store.StatePending); err != nil || c != 1 {
			t.Fatalf("CountEvents: got %d, %v, want 1", c, err)
		}
	}
	// Outside the window the key is free again, once, under the same race.
	later := t0.Add(48 * time.Hour)
	start(n, func(i int) {
		s := a
		if i%2 == 1 {
			s = b
		}
		ids[i], errs[i] = s.Enqueue(ctx, event(fmt.Sprintf("f%03d", i), "h1", "same-key", later), later.Add(-24*time.Hour))
	})
	accepted := 0
	for _, err := range errs {
		if err == nil {
			accepted++
		} else if !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("Enqueue: got %v, want nil or %v", err, store.ErrDuplicate)
		}
	}
	if accepted != 1 {
		t.Fatalf("Enqueue after the window: got %d accepted, want 1", accepted)
	}
}

// TestReplicasDebugTrim appends to one hook's debug ring from many
// goroutines over two Stores while a reader watches: no reader ever sees
// more than keep entries, and the newest keep remain.
func TestReplicasDebugTrim(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a, b := openStore(t, dsn, schema), openStore(t, dsn, schema)
	ctx := context.Background()
	const n, keep = 60, 5
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(readErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			list, err := b.ListDebug(ctx, "h1")
			if err != nil {
				readErr <- err
				return
			}
			if len(list) > keep {
				readErr <- fmt.Errorf("ListDebug during appends: got %d entries, want at most %d", len(list), keep)
				return
			}
		}
	}()
	errs := make([]error, n)
	start(n, func(i int) {
		s := a
		if i%2 == 1 {
			s = b
		}
		errs[i] = s.AppendDebug(ctx, &store.DebugEntry{ID: fmt.Sprintf("d%03d", i), HookID: "h1", Time: t0, Data: []byte(`{}`)}, keep)
	})
	close(stop)
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	for _, err := range errs {
		if err != nil {
			t.Fatalf("AppendDebug: %v", err)
		}
	}
	list, err := a.ListDebug(ctx, "h1")
	if err != nil {
		t.Fatalf("ListDebug: %v", err)
	}
	if len(list) != keep {
		t.Fatalf("ListDebug: got %d entries, want %d", len(list), keep)
	}
	for i, e := range list {
		if want := fmt.Sprintf("d%03d", n-1-i); e.ID != want {
			t.Fatalf("ListDebug[%d]: got %q, want %q", i, e.ID, want)
		}
	}
}

// TestPruneBatches prunes more delivered events than one batch deletes,
// from two Stores at once: every event is deleted once, with its key.
func TestPruneBatches(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a, b := openStore(t, dsn, schema), openStore(t, dsn, schema)
	ctx := context.Background()
	const total, workers = 2300, 8
	errs := make([]error, workers)
	start(workers, func(w int) {
		for i := w; i < total; i += workers {
			id := fmt.Sprintf("e%05d", i)
			if _, err := a.Enqueue(ctx, event(id, "h1", "k"+id, t0), t0); err != nil {
				errs[w] = err
				return
			}
			if err := a.Complete(ctx, id, 0, t0); err != nil {
				errs[w] = err
				return
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Enqueue/Complete: %v", err)
		}
	}
	var n [2]int
	var pruneErrs [2]error
	start(2, func(i int) {
		s := a
		if i == 1 {
			s = b
		}
		n[i], pruneErrs[i] = s.Prune(ctx, t0.Add(time.Second))
	})
	for _, err := range pruneErrs {
		if err != nil {
			t.Fatalf("Prune: %v", err)
		}
	}
	if got := n[0] + n[1]; got != total {
		t.Fatalf("Prune from two stores: got %d+%d deleted, want %d in all", n[0], n[1], total)
	}
	if c, err := a.CountEvents(ctx, store.StateDelivered); err != nil || c != 0 {
		t.Fatalf("CountEvents(delivered): got %d, %v, want 0", c, err)
	}
	var keys int
	if err := mustPool(a).QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "idempotency_keys"}.Sanitize()).Scan(&keys); err != nil {
		t.Fatalf("count keys: %v", err)
	}
	if keys != 0 {
		t.Fatalf("idempotency keys after Prune: got %d, want 0", keys)
	}
}
