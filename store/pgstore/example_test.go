package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

// Example shows a replica opening the shared store and taking a batch of
// due events. It needs a running PostgreSQL, so it has no // Output: line
// and go test compiles it without running it; ExampleOpen_options runs.
func Example() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, os.Getenv("INBOUND_PG_DSN"), &pgstore.Options{
		Schema:   "inbound",
		MaxConns: 16,
		Logger:   slog.Default(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	now := time.Now()
	id, err := s.Enqueue(ctx, &store.QueuedEvent{
		ID: "01HZX3T0000000000000000000", HookID: "h1", IdempotencyKey: "msg-42",
		Payload: []byte(`{"hello":"world"}`), NextAttempt: now, CreatedAt: now, UpdatedAt: now,
	}, now.Add(-24*time.Hour))
	switch {
	case errors.Is(err, store.ErrDuplicate):
		fmt.Println("already queued as", id)
	case err != nil:
		log.Fatal(err)
	}

	// Each replica claims with a lease; no other replica gets these
	// events until the lease ends.
	evs, err := s.Claim(ctx, time.Now(), time.Minute, 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range evs {
		fmt.Println("deliver", ev.ID)
		if err := s.Complete(ctx, ev.ID, ev.Attempts, time.Now()); err != nil {
			log.Fatal(err)
		}
	}
}

// Open checks its options before it connects.
func ExampleOpen_options() {
	ctx := context.Background()
	_, err := pgstore.Open(ctx, "", nil)
	fmt.Println(errors.Is(err, pgstore.ErrOptions))
	_, err = pgstore.Open(ctx, "postgres://inbound@db/app", &pgstore.Options{MaxConns: -1})
	fmt.Println(err)
	// Output:
	// true
	// pgstore: invalid options: negative MaxConns
}
