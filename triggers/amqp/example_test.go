package amqptrigger_test

import (
	"context"
	"fmt"
	"log"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
	amqptrigger "github.com/inbound-hooks/inbound/triggers/amqp"
)

// Example wires the trigger into a host's queue. It needs RabbitMQ, so it
// is compiled but not run.
func Example() {
	ctx := context.Background()
	const url = "amqp://guest:guest@127.0.0.1:5672/"
	// The host's topology: a topic exchange and a durable queue for every
	// event.
	conn, err := amqp.Dial(url)
	if err != nil {
		log.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		log.Fatal(err)
	}
	if err := ch.ExchangeDeclare("inbound", "topic", true, false, false, false, nil); err != nil {
		log.Fatal(err)
	}
	if _, err := ch.QueueDeclare("inbound.events", true, false, false, false, nil); err != nil {
		log.Fatal(err)
	}
	if err := ch.QueueBind("inbound.events", "inbound.#", "inbound", false, nil); err != nil {
		log.Fatal(err)
	}
	_ = conn.Close()

	trigger, err := amqptrigger.New(url, amqptrigger.Options{Exchange: "inbound"})
	if err != nil {
		log.Fatal(err)
	}
	defer trigger.Close()
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

// ExampleTrigger_Publishing shows the message an event becomes.
func ExampleTrigger_Publishing() {
	t, err := amqptrigger.New("amqp://guest:guest@127.0.0.1:5672/", amqptrigger.Options{Exchange: "inbound"})
	if err != nil {
		log.Fatal(err)
	}
	e := &hooks.Event{ID: "0001KZ3J4ZV8Q", HookID: "h1", HookKind: hooks.KindWeb, HookName: "Orders",
		ReceivedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Data: map[string]any{"order": "42"},
		ContentType: "application/json"}
	key, m, err := t.Publishing(e)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("routing key:", key)
	fmt.Println("message-id:", m.MessageId, "persistent:", m.DeliveryMode == amqp.Persistent, "content-type:", m.ContentType)
	fmt.Println("headers:", m.Headers)
	fmt.Printf("body: %.60s...\n", m.Body)
	// Output:
	// routing key: inbound.web.h1
	// message-id: 0001KZ3J4ZV8Q persistent: true content-type: application/json
	// headers: map[Inbound-Content-Type:application/json Inbound-Hook-Id:h1 Inbound-Hook-Kind:web]
	// body: {"id":"0001KZ3J4ZV8Q","hook_id":"h1","hook_kind":"web","hook...
}
