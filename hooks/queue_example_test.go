package hooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func ExampleQueue() {
	ctx := context.Background()
	s := memstore.New() // a host uses boltstore or pgstore: events survive a restart
	defer s.Close()

	fired := make(chan *hooks.Event, 10)
	trigger := hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
		fired <- e
		return nil
	})
	q, err := hooks.NewQueue(s, trigger, hooks.QueueOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The Queue is the pipeline's Delivery:
	//	hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q})
	if err := q.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}

	var ids hooks.IDGenerator
	for range 2 { // the sender retries with the same Idempotency-Key
		e := &hooks.Event{ID: ids.New(time.Now()), HookID: "h1", Data: map[string]any{"qty": json.Number("2")},
			IdempotencyKey: "order-7"}
		r, err := q.Deliver(ctx, e) // committed when it returns
		fmt.Println(r.ID == e.ID, r.Duplicate, err)
	}
	e := <-fired
	fmt.Println("fired:", e.Data)

	shutdown, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	fmt.Println(q.Shutdown(shutdown))
	st, _ := q.Get(ctx, "", e.ID)
	fmt.Println(st.State, st.Attempts)
	// Output:
	// true false <nil>
	// false true <nil>
	// fired: map[qty:2]
	// <nil>
	// delivered 1
}
