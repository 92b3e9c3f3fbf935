package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
)

func Example() {
	dir, err := os.MkdirTemp("", "boltstore-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "inbound.db")

	s, err := boltstore.Open(path, &boltstore.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := &store.QueuedEvent{ID: "e1", Org: "acme", HookID: "h1", Payload: []byte(`{}`), NextAttempt: now, CreatedAt: now, UpdatedAt: now}
	id, err := s.Enqueue(ctx, ev, now.Add(-time.Hour))
	fmt.Println(id, err)

	// A second Open of the same file fails instead of hanging.
	_, err = boltstore.Open(path, &boltstore.Options{Timeout: 100 * time.Millisecond})
	fmt.Println(errors.Is(err, boltstore.ErrLocked))

	s.Close()
	s, err = boltstore.Open(path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	n, _ := s.CountEvents(ctx, store.StatePending)
	fmt.Println(n, "pending after reopen")
	// Output:
	// e1 <nil>
	// true
	// 1 pending after reopen
}
