// Package rivertrigger is an inbound Trigger that hands each event to
// River (github.com/riverqueue/river), the PostgreSQL job queue: it inserts
// one job of kind "inbound_event" per event, whose args are the event as
// JSON (json.Marshal of the hooks.Event, the library's one JSON shape), and
// returns from Fire only after the insert committed.
//
// It is its own Go module (github.com/inbound-hooks/inbound/triggers/river,
// package rivertrigger), so a host that does not use River does not pull
// it:
//
//	import rivertrigger "github.com/inbound-hooks/inbound/triggers/river"
//
// The host runs River's migrations (rivermigrate) and its workers; a worker
// of these jobs embeds river.WorkerDefaults[rivertrigger.Args] and reads
// job.Args.Event. A client configured with Workers refuses to insert a
// kind it has no worker for, so register one (or set the client's
// SkipUnknownJobCheck); a client without Workers only inserts.
//
// # Delivery
//
// In queue mode (hooks.NewQueue) an event is fired at least once: an
// attempt that fails or times out is retried with backoff. The event ID is
// the job's uniqueness key (Args.ID is tagged river:"unique" and the
// insert is unique by args), so a retry of an event whose insert already
// committed (the attempt timed out after the commit, or the process died
// before the queue recorded the outcome) finds the job and inserts nothing:
// the job table holds one job per event. While PostgreSQL is unreachable
// every attempt fails and events wait in the queue.
//
// # Sharing pgstore's transaction
//
// The insert does not share store/pgstore's transaction, and this package
// does not offer it. In queue mode the event is committed by one
// transaction before the sender is answered; the Trigger runs later, in
// the dispatcher, and the queue records its outcome with a separate store
// call after Fire returns. Neither store.QueueStore nor pgstore exposes a
// transaction, and putting the insert inside the outcome's transaction
// would have to repeat pgstore's lease and attempt checks here. The
// uniqueness key gives what a shared transaction would: a job committed by
// an attempt whose outcome was not recorded is found, not duplicated.
// Sharing the database is fine: the River client may run on pgstore's pool
// (pgstore.Pool), with River's tables in a schema of their own
// (river.Config.Schema, rivermigrate.Config.Schema).
//
// # Caveats
//
// Uniqueness covers the jobs River keeps. A completed job is deleted by
// River's cleaner after CompletedJobRetentionPeriod (24 hours by default),
// and a cancelled or discarded job does not block a new insert; a
// redelivery after that makes a new job. The queue's retries end far
// sooner (its MaxBackoff is 10 minutes by default), so this matters only
// for events replayed by hand from the dead list.
package rivertrigger
