package store_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// Every Store reports the same sentinel errors, so callers match them with
// errors.Is whatever the backend.
func Example() {
	ctx := context.Background()
	var s store.Store = memstore.New()
	defer s.Close()

	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	h := &store.Hook{ID: "h1", Org: "acme", Kind: "form", Name: "Contact", Token: "tok1", CreatedAt: now, UpdatedAt: now}
	fmt.Println(s.CreateHook(ctx, h))

	dup := *h
	dup.ID = "h2" // same token
	fmt.Println(errors.Is(s.CreateHook(ctx, &dup), store.ErrConflict))

	_, err := s.GetHook(ctx, "other-org", "h1")
	fmt.Println(errors.Is(err, store.ErrNotFound))

	id, err := s.Enqueue(ctx, &store.QueuedEvent{ID: "e1", Org: "acme", HookID: "h1", IdempotencyKey: "k",
		Payload: []byte(`{}`), CreatedAt: now, UpdatedAt: now, NextAttempt: now}, now.Add(-24*time.Hour))
	fmt.Println(id, err)
	id, err = s.Enqueue(ctx, &store.QueuedEvent{ID: "e2", Org: "acme", HookID: "h1", IdempotencyKey: "k",
		Payload: []byte(`{}`), CreatedAt: now, UpdatedAt: now, NextAttempt: now}, now.Add(-24*time.Hour))
	fmt.Println(id, errors.Is(err, store.ErrDuplicate))
	// Output:
	// <nil>
	// true
	// true
	// e1 <nil>
	// e1 true
}

// As finds a store's optional abilities; the portable Store that the
// drivers return applies its rules to them too.
func ExampleAs() {
	ctx := context.Background()
	var s store.Store = memstore.New()
	defer s.Close()

	lq, ok := store.As[store.LocalQueue](s)
	fmt.Println(ok)
	_, err := lq.EnqueueClaimed(ctx, &store.QueuedEvent{HookID: "h1"}, time.Time{}, time.Minute)
	fmt.Println(err)

	_, ok = store.As[store.EnqueueNotifier](s) // a queue shared by replicas (pgstore) has one
	fmt.Println(ok)

	_, ok = s.(store.LocalQueue) // a type assertion does not find it
	fmt.Println(ok)
	// Output:
	// true
	// store: event ID is empty: store: invalid record
	// false
	// false
}
