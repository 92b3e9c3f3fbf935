package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

// invalidationBound is what the tests allow a change made through one
// replica to take before another replica stops serving the old value
// from memory, with the cache's maximum age out of play (an hour): the
// notification alone must do it. In practice it takes a few milliseconds.
const invalidationBound = 2 * time.Second

// openCached opens a Store on schema with the given cache age, and waits
// until its listener listens (its cache is on).
func openCached(t *testing.T, dsn, schema string, age time.Duration) store.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, &pgstore.Options{Schema: schema, MaxConns: 4, CacheMaxAge: age})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	waitFor(t, "the listener to listen", 10*time.Second, func() bool { return pgstore.Listening(s) })
	return s
}

// waitFor polls cond every millisecond until it holds, and fails the test
// after limit. It returns how long it took.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

func notFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// TestCacheAcrossReplicas: replica B serves a hook and a key from memory;
// replica A rotates the hook's token, deletes the hook and revokes the
// key; each change reaches B within invalidationBound, by NOTIFY alone.
func TestCacheAcrossReplicas(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a := openCached(t, dsn, schema, time.Hour)
	b := openCached(t, dsn, schema, time.Hour)
	ctx := context.Background()

	h := &store.Hook{ID: "h1", Org: "o1", Kind: "web", Token: "old", CreatedAt: t0, UpdatedAt: t0}
	if err := a.CreateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateKey(ctx, &store.Key{ID: "k1", Org: "o1", Hash: []byte{1}, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// B reads, and so caches: the hook, the key, and the new token's absence.
	if got, err := b.HookByToken(ctx, "old"); err != nil || got.ID != "h1" {
		t.Fatalf("B HookByToken(old): got %v, %v", got, err)
	}
	if _, err := b.HookByToken(ctx, "new"); !notFound(err) {
		t.Fatalf("B HookByToken(new) before the rotation: got %v, want %v", err, store.ErrNotFound)
	}
	if _, err := b.GetKey(ctx, "k1"); err != nil {
		t.Fatalf("B GetKey: %v", err)
	}
	if _, err := b.GetHook(ctx, "o2", "h1"); !notFound(err) {
		t.Fatalf("B GetHook(other org): got %v, want %v", err, store.ErrNotFound)
	}
	if hooks, keys := pgstore.CacheLen(b); hooks != 1 || keys != 1 {
		t.Fatalf("B cache: got %d hooks, %d keys, want 1, 1", hooks, keys)
	}

	// Rotation.
	h.Token = "new"
	if err := a.UpdateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, "B to drop the old token", invalidationBound, func() bool {
		_, err := b.HookByToken(ctx, "old")
		return notFound(err)
	})
	t.Logf("rotation reached replica B in %v", d)
	if got, err := b.HookByToken(ctx, "new"); err != nil || got.Revision != 1 {
		t.Fatalf("B HookByToken(new) after the rotation: got %v, %v, want revision 1", got, err)
	}

	// Revocation.
	if err := a.DeleteKey(ctx, "o1", "k1"); err != nil {
		t.Fatal(err)
	}
	d = waitFor(t, "B to drop the revoked key", invalidationBound, func() bool {
		_, err := b.GetKey(ctx, "k1")
		return notFound(err)
	})
	t.Logf("revocation reached replica B in %v", d)

	// Deletion.
	if _, err := b.GetHook(ctx, "o1", "h1"); err != nil {
		t.Fatalf("B GetHook: %v", err)
	}
	if err := a.DeleteHook(ctx, "o1", "h1"); err != nil {
		t.Fatal(err)
	}
	d = waitFor(t, "B to drop the deleted hook", invalidationBound, func() bool {
		_, err1 := b.GetHook(ctx, "o1", "h1")
		_, err2 := b.HookByToken(ctx, "new")
		return notFound(err1) && notFound(err2)
	})
	t.Logf("deletion reached replica B in %v", d)

	// A change made by hand (TRUNCATE) is announced too.
	if err := a.CreateKey(ctx, &store.Key{ID: "k2", Org: "o1", Hash: []byte{2}, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetKey(ctx, "k2"); err != nil {
		t.Fatalf("B GetKey(k2): %v", err)
	}
	if _, err := mustPool(a).Exec(ctx, "TRUNCATE "+pgx.Identifier{schema, "keys"}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B to forget the truncated keys", invalidationBound, func() bool {
		_, err := b.GetKey(ctx, "k2")
		return notFound(err)
	})
}

// TestCacheOwnWrites: a replica's own writes are seen by its next lookup,
// without waiting for the notification.
func TestCacheOwnWrites(t *testing.T) {
	dsn := testDSN(t)
	s := openCached(t, dsn, newSchema(t, dsn), time.Hour)
	ctx := context.Background()
	h := &store.Hook{ID: "h1", Token: "t1", CreatedAt: t0, UpdatedAt: t0}
	if _, err := s.HookByToken(ctx, "t1"); !notFound(err) {
		t.Fatalf("HookByToken before create: got %v", err)
	}
	if err := s.CreateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HookByToken(ctx, "t1"); err != nil {
		t.Fatalf("HookByToken right after create: %v", err)
	}
	h.Token = "t2"
	if err := s.UpdateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HookByToken(ctx, "t1"); !notFound(err) {
		t.Fatalf("old token right after the rotation: got %v, want %v", err, store.ErrNotFound)
	}
	if _, err := s.GetKey(ctx, "k1"); !notFound(err) {
		t.Fatalf("GetKey before create: got %v", err)
	}
	if err := s.CreateKey(ctx, &store.Key{ID: "k1", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetKey(ctx, "k1"); err != nil {
		t.Fatalf("GetKey right after create: %v", err)
	}
	if err := s.DeleteKey(ctx, "", "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetKey(ctx, "k1"); !notFound(err) {
		t.Fatalf("GetKey right after revocation: got %v", err)
	}
}

// TestCacheMaxAge: a change that is not announced (the trigger disabled
// by hand) is served stale from memory, but no longer than CacheMaxAge.
func TestCacheMaxAge(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	const age = time.Second
	s := openCached(t, dsn, schema, age)
	ctx := context.Background()
	if err := s.CreateHook(ctx, &store.Hook{ID: "h1", Token: "t1", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// The store hears its own write's notification too: let it arrive
	// before caching.
	time.Sleep(200 * time.Millisecond)
	if _, err := s.HookByToken(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	hooks := pgx.Identifier{schema, "hooks"}.Sanitize()
	if _, err := mustPool(s).Exec(ctx, "ALTER TABLE "+hooks+" DISABLE TRIGGER hooks_notify"); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	if _, err := mustPool(s).Exec(ctx, "UPDATE "+hooks+" SET token = 't9'"); err != nil {
		t.Fatal(err)
	}
	// Served from memory: the database no longer has t1.
	if _, err := s.HookByToken(ctx, "t1"); err != nil {
		t.Fatalf("HookByToken right after an unannounced change: got %v, want the cached hook", err)
	}
	waitFor(t, "the cached entry to expire", age+time.Second, func() bool {
		_, err := s.HookByToken(ctx, "t1")
		return notFound(err)
	})
	if d := time.Since(changed); d > age+200*time.Millisecond {
		t.Fatalf("stale for %v, want at most CacheMaxAge %v (and a little)", d, age)
	}
}

// TestListenerLost: when the listening connection dies, the replica stops
// serving from memory at once (a change made meanwhile is not missed),
// then listens again and caches again.
func TestListenerLost(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a := openCached(t, dsn, schema, time.Hour)
	b := openCached(t, dsn, schema, time.Hour)
	ctx := context.Background()
	h := &store.Hook{ID: "h1", Token: "t1", CreatedAt: t0, UpdatedAt: t0}
	if err := a.CreateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := b.HookByToken(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	pid := pgstore.ListenPID(b)
	var ok bool
	if err := mustPool(a).QueryRow(ctx, "SELECT pg_terminate_backend($1)", int(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d): %v, %v", pid, ok, err)
	}
	// The notification of this change goes nowhere: B is not listening.
	h.Token = "t2"
	if err := a.UpdateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, "B to stop serving the old token", invalidationBound, func() bool {
		_, err := b.HookByToken(ctx, "t1")
		return notFound(err)
	})
	t.Logf("B noticed the lost connection within %v", d)
	waitFor(t, "B to listen again", 10*time.Second, func() bool {
		p := pgstore.ListenPID(b)
		return p != 0 && p != pid
	})
	if _, err := b.HookByToken(ctx, "t2"); err != nil {
		t.Fatal(err)
	}
	if hooks, _ := pgstore.CacheLen(b); hooks != 1 {
		t.Fatalf("B cache after reconnecting: got %d hooks, want 1", hooks)
	}
	// And it hears changes again.
	h.Revision++
	h.Token = "t3"
	if err := a.UpdateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B to drop t2", invalidationBound, func() bool {
		_, err := b.HookByToken(ctx, "t2")
		return notFound(err)
	})
}

// TestCacheOff: a negative CacheMaxAge serves every lookup from the
// database.
func TestCacheOff(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	s, err := pgstore.Open(context.Background(), dsn, &pgstore.Options{Schema: schema, MaxConns: 2, CacheMaxAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.CreateHook(ctx, &store.Hook{ID: "h1", Token: "t1", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HookByToken(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if hooks, _ := pgstore.CacheLen(s); hooks != 0 {
		t.Fatalf("cache off: got %d hooks in memory", hooks)
	}
}

// TestNotifyEnqueued: a dispatcher subscribed on replica B is woken when
// replica A enqueues or replays, and not when A enqueues an event claimed.
func TestNotifyEnqueued(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a := openCached(t, dsn, schema, 0)
	b := openCached(t, dsn, schema, 0)
	ctx := context.Background()
	n, ok := store.As[store.EnqueueNotifier](b)
	if !ok {
		t.Fatal("store.As: no store.EnqueueNotifier")
	}
	wake, stop := n.NotifyEnqueued()
	defer stop()
	drain := func() {
		for {
			select {
			case <-wake:
			case <-time.After(50 * time.Millisecond):
				return
			}
		}
	}
	expect := func(what string) {
		t.Helper()
		select {
		case <-wake:
		case <-time.After(invalidationBound):
			t.Fatalf("no wake-up within %v after %s", invalidationBound, what)
		}
	}
	drain()
	if _, err := a.Enqueue(ctx, event("e1", "h1", "", t0), t0); err != nil {
		t.Fatal(err)
	}
	expect("an Enqueue on another replica")
	evs, err := a.Claim(ctx, t0, time.Minute, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Claim: %v, %v", evs, err)
	}
	if err := a.Fail(ctx, "e1", 1, "x", t0, true); err != nil {
		t.Fatal(err)
	}
	drain()
	if err := a.Replay(ctx, "org1", "e1", t0); err != nil {
		t.Fatal(err)
	}
	expect("a Replay on another replica")
	// An event enqueued claimed is leased to its process: waking another
	// replica's dispatcher would only cost it a Claim that finds nothing.
	drain()
	local, ok := store.As[store.LocalQueue](a)
	if !ok {
		t.Fatal("pgstore is not a store.LocalQueue")
	}
	if _, err := local.EnqueueClaimed(ctx, event("e2", "h1", "", t0), t0, time.Minute); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
		t.Fatal("an EnqueueClaimed woke another replica's dispatcher")
	case <-time.After(invalidationBound):
	}
	stop()
	stop() // twice is harmless
}
