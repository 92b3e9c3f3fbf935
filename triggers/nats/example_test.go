package natstrigger_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
	natstrigger "github.com/inbound-hooks/inbound/triggers/nats"
)

// Example wires the trigger into a host's queue. It needs a NATS server
// with JetStream, so it is compiled but not run.
func Example() {
	ctx := context.Background()
	nc, err := nats.Connect(nats.DefaultURL, nats.MaxReconnects(-1))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	// The stream that stores the events; an hour of deduplication covers
	// the queue's retries.
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: "INBOUND", Subjects: []string{"inbound.>"}, Duplicates: time.Hour,
	}); err != nil {
		log.Fatal(err)
	}
	trigger, err := natstrigger.New(js, natstrigger.Options{Stream: "INBOUND"})
	if err != nil {
		log.Fatal(err)
	}
	st := memstore.New() // a host uses boltstore or pgstore
	q, err := hooks.NewQueue(st, trigger, hooks.QueueOptions{})
	if err != nil {
		log.Fatal(err)
	}
	// q is the pipeline's Delivery: hooks.PipelineOptions{Delivery: q}.
	if err := q.Start(ctx); err != nil {
		log.Fatal(err)
	}
}

// printer is a Publisher that prints what it is given and acks it, as a
// stream would.
type printer struct{}

func (printer) PublishMsg(_ context.Context, m *nats.Msg, _ ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	fmt.Println("subject:", m.Subject)
	for _, h := range []string{"Content-Type", natstrigger.HeaderEventID, natstrigger.HeaderHookID,
		natstrigger.HeaderHookKind, natstrigger.HeaderContentType} {
		fmt.Printf("%s: %s\n", h, m.Header.Get(h))
	}
	fmt.Printf("data: %.60s...\n", m.Data)
	return &jetstream.PubAck{Stream: "INBOUND", Sequence: 1}, nil
}

// ExampleTrigger_Fire shows the message an event becomes.
func ExampleTrigger_Fire() {
	t, err := natstrigger.New(printer{}, natstrigger.Options{Subject: "inbound.{kind}.{hook_name}"})
	if err != nil {
		log.Fatal(err)
	}
	e := &hooks.Event{ID: "0001KZ3J4ZV8Q", HookID: "h1", HookKind: hooks.KindWeb, HookName: "Orders EU",
		ReceivedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Data: map[string]any{"order": "42"},
		ContentType: "application/json"}
	fmt.Println(t.Fire(context.Background(), e))
	// Output:
	// subject: inbound.web.Orders_EU
	// Content-Type: application/json
	// Inbound-Event-Id: 0001KZ3J4ZV8Q
	// Inbound-Hook-Id: h1
	// Inbound-Hook-Kind: web
	// Inbound-Content-Type: application/json
	// data: {"id":"0001KZ3J4ZV8Q","hook_id":"h1","hook_kind":"web","hook...
	// <nil>
}
