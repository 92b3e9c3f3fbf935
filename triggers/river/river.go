package rivertrigger

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/inbound-hooks/inbound/hooks"
)

// Kind is the River job kind of the jobs the Trigger inserts; a host's
// worker for them embeds river.WorkerDefaults[Args].
const Kind = "inbound_event"

// Args are the job args of one event. They encode as the event itself
// (json.Marshal of the hooks.Event, the library's one JSON shape), so the
// job's args column is the event's JSON, and decode back into Event with
// numbers kept as json.Number, as the library hands them to a Trigger.
//
// The event ID is River's uniqueness key (the field ID, tagged
// river:"unique", which is the JSON's "id"): inserting Args for an event
// that already has a job does not make a second one.
type Args struct {
	// ID is the event's ID.
	ID string `json:"id" river:"unique"`
	// Event is the event; MarshalJSON encodes it, not ID.
	Event *hooks.Event `json:"-"`
}

// ArgsFor returns the Args of e.
func ArgsFor(e *hooks.Event) Args { return Args{ID: e.ID, Event: e} }

// Kind implements river.JobArgs.
func (Args) Kind() string { return Kind }

// InsertOpts implements river.JobArgsWithInsertOpts: Args are unique by
// event ID, so an insert anywhere (a host that replays Args itself, too)
// never duplicates an event's job.
func (Args) InsertOpts() river.InsertOpts { return river.InsertOpts{UniqueOpts: uniqueByEvent} }

// uniqueByEvent makes the uniqueness key the kind and the args' unique
// fields, that is the event ID. River's default states apply: an event
// whose job is available, pending, scheduled, running, retryable or
// completed (until River's cleaner deletes it, 24h by default) is not
// inserted again.
var uniqueByEvent = river.UniqueOpts{ByArgs: true}

// MarshalJSON encodes the event; the ID field is the event's "id".
func (a Args) MarshalJSON() ([]byte, error) {
	if a.Event == nil {
		return nil, ErrNilEvent
	}
	if a.ID != a.Event.ID {
		return nil, fmt.Errorf("rivertrigger: args ID %q is not the event's ID %q", a.ID, a.Event.ID)
	}
	return json.Marshal(a.Event)
}

// UnmarshalJSON decodes an event encoded by MarshalJSON, keeping numbers
// in Data as json.Number.
func (a *Args) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var e hooks.Event
	if err := dec.Decode(&e); err != nil {
		return fmt.Errorf("rivertrigger: decode event: %w", err)
	}
	a.ID, a.Event = e.ID, &e
	return nil
}

// Inserter inserts a job and returns when its transaction committed.
// *river.Client[TTx] implements it, for any driver.
type Inserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Options configures a Trigger. The zero value works.
type Options struct {
	// InsertOpts are the options of every insert (Queue, Priority,
	// MaxAttempts, Tags, Metadata...); their UniqueOpts are replaced by
	// uniqueness on the event ID. nil uses River's defaults (the "default"
	// queue).
	InsertOpts *river.InsertOpts
	// Logger receives debug logs of skipped duplicates; nil discards them.
	Logger *slog.Logger
}

// Trigger inserts one River job per event. It is safe for concurrent use.
type Trigger struct {
	client Inserter
	opts   river.InsertOpts
	log    *slog.Logger
}

var _ hooks.Trigger = (*Trigger)(nil)

// New returns a Trigger that inserts jobs with client.
func New(client Inserter, opts Options) (*Trigger, error) {
	if client == nil {
		return nil, ErrNilInserter
	}
	t := &Trigger{client: client, log: opts.Logger}
	if opts.InsertOpts != nil {
		t.opts = *opts.InsertOpts
	}
	t.opts.UniqueOpts = uniqueByEvent
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	return t, nil
}

// Fire inserts a job of kind Kind whose args are e, and returns after the
// insert committed. When e already has a job (a redelivery of an event
// whose earlier insert committed but whose attempt did not finish), River
// skips the insert and Fire returns nil: the job table holds one job per
// event. A failed or timed-out insert is an error, which the queue
// retries.
func (t *Trigger) Fire(ctx context.Context, e *hooks.Event) error {
	if e == nil || e.ID == "" {
		return ErrNilEvent
	}
	opts := t.opts // a copy per insert: River may fill in defaults
	res, err := t.client.Insert(ctx, ArgsFor(e), &opts)
	if err != nil {
		return fmt.Errorf("rivertrigger: insert job for event %s: %w", e.ID, err)
	}
	if res.UniqueSkippedAsDuplicate {
		t.log.DebugContext(ctx, "rivertrigger: event already has a job", "event", e.ID, "job", res.Job.ID)
	}
	return nil
}
