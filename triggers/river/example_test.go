package rivertrigger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
	rivertrigger "github.com/inbound-hooks/inbound/triggers/river"
)

// worker is how a host processes the jobs.
type worker struct {
	river.WorkerDefaults[rivertrigger.Args]
}

func (worker) Work(ctx context.Context, job *river.Job[rivertrigger.Args]) error {
	e := job.Args.Event
	fmt.Println("event", e.ID, "from hook", e.HookName, "data", e.Data)
	return nil
}

// Example wires the trigger into a host's queue and runs a worker. It
// needs PostgreSQL, so it is compiled but not run.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://127.0.0.1:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: "river"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		log.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker{})
	client, err := river.NewClient[pgx.Tx](riverpgxv5.New(pool), &river.Config{
		Schema: "river", Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}
	trigger, err := rivertrigger.New(client, rivertrigger.Options{})
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

// printer is an Inserter that prints the job it is given.
type printer struct{}

func (printer) Insert(_ context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	fmt.Println("kind:", args.Kind(), "queue:", opts.Queue, "unique by args:", opts.UniqueOpts.ByArgs)
	b, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	fmt.Printf("args: %.60s...\n", b)
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{ID: 1}}, nil
}

// ExampleTrigger_Fire shows the job an event becomes.
func ExampleTrigger_Fire() {
	t, err := rivertrigger.New(printer{}, rivertrigger.Options{InsertOpts: &river.InsertOpts{Queue: "hooks"}})
	if err != nil {
		log.Fatal(err)
	}
	e := &hooks.Event{ID: "0001KZ3J4ZV8Q", HookID: "h1", HookKind: hooks.KindWeb, HookName: "Orders",
		Data: map[string]any{"order": "42"}}
	fmt.Println(t.Fire(context.Background(), e))
	// Output:
	// kind: inbound_event queue: hooks unique by args: true
	// args: {"id":"0001KZ3J4ZV8Q","hook_id":"h1","hook_kind":"web","hook...
	// <nil>
}
