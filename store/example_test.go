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

// A driver checks what it is given with the shared rules before its own.
func ExampleCheckEvent() {
	err := store.CheckEvent(&store.QueuedEvent{HookID: "h1"})
	fmt.Println(errors.Is(err, store.ErrInvalid), err)
	// Output: true store: event ID is empty: store: invalid record
}
