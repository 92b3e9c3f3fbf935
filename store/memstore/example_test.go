package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func Example() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()

	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := s.CreateHook(ctx, &store.Hook{ID: "h1", Org: "acme", Kind: "web", Name: "Orders", Token: "t0k3n", CreatedAt: now, UpdatedAt: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, _ := s.HookByToken(ctx, "t0k3n")
	fmt.Println(h.Name)

	ev := &store.QueuedEvent{ID: "e1", Org: "acme", HookID: "h1", IdempotencyKey: "msg-1", NextAttempt: now, CreatedAt: now, UpdatedAt: now}
	id, err := s.Enqueue(ctx, ev, now.Add(-time.Hour))
	fmt.Println(id, err)
	ev.ID = "e2"
	id, err = s.Enqueue(ctx, ev, now.Add(-time.Hour))
	fmt.Println(id, err)

	claimed, _ := s.Claim(ctx, now, time.Minute, 10)
	fmt.Println(len(claimed), claimed[0].Attempts)
	// Output:
	// Orders
	// e1 <nil>
	// e1 memstore: event "e1": store: duplicate idempotency key
	// 1 1
}
