// Package boltstore is the default store.Store: one embedded bbolt
// (go.etcd.io/bbolt) file, no server to run. It is the only package of
// the module that imports bbolt.
//
//	s, err := boltstore.Open("/var/lib/myapp/inbound.db", nil)
//	if err != nil {
//		return err // boltstore.ErrLocked if another process has the file
//	}
//	defer s.Close()
//
// Open returns the store behind the portable layer of package store
// (store.Portable), which checks every call's arguments before the file
// sees it; store.As finds its optional abilities.
//
// Hooks, keys and debug entries are kept as JSON in buckets. A queued
// event is kept in two parts: its payload, as the bytes it was given,
// written once by Enqueue (a payload of 16 KiB or more gets a nested
// bucket of its own, so that its pages are never rewritten when its
// neighbours change), and its delivery state, a compact binary record of
// tens of bytes that Claim, Complete, Fail and Replay rewrite alone. Index
// buckets sit beside them: a
// token index for HookByToken, per-org indexes ordered by creation for
// the lists, one nested bucket of debug entries per hook (keyed by the
// time-sortable entry ID, so newest first is a reverse cursor walk), an
// idempotency index (hook ID and key to the newest event's creation time
// and ID), an index of pending events ordered by NextAttempt (Claim reads
// only due events, never delivered ones), an index of delivered events
// ordered by UpdatedAt (Prune reads only what it deletes), and per-state
// counters for CountEvents. Every record returned is freshly decoded, so
// callers own it.
//
// # Group commit
//
// Enqueue must be durable before it returns, which costs an fsync, and so
// must the dispatcher's Claim, Complete and Fail. These queue writes (and
// Replay, Prune and AppendDebug) therefore go through one committer goroutine:
// it takes a request, then every request already waiting (up to
// Options.MaxBatch, without waiting for more, so a lone write on an idle
// store is committed at once), and applies them in arrival order in one
// read-write transaction with one fsync. Under load an HTTP Enqueue, a
// Claim and the previous events' Complete share a commit instead of
// taking one each. Every call returns only after the commit holding it
// is durable. Each request keeps its own outcome: a duplicate, a conflict
// or an unknown event ID fails only that request; if the transaction
// itself fails, every request of the group is retried in a transaction
// of its own. Unlike bbolt's DB.Batch there is no fixed delay. As in
// DB.Batch, a write that panics inside the committer is recovered: it
// fails alone (*PanicError) and the rest of its group commits. Hook, key
// and ClearDebug changes use one transaction each.
//
// # Local hand-off
//
// A store holds its file's lock, so its queue belongs to this process: it
// has a store.LocalQueue (found with store.As). EnqueueClaimed commits an event already
// claimed, so package hooks hands it straight to a local worker with no
// Claim and no read back; CompleteLater records the delivery without a
// commit of its own: it rides with the next write, or is committed after
// Options.LazyDelay (10ms), or at Close. A crash before that commit means
// the event is delivered once more (at least once). As the file's lock
// says that an earlier run is gone, Open makes the events it had claimed
// (handed off or claimed, lease running) due at once: after a crash they
// are delivered as soon as the next run's dispatcher starts, not when
// their leases run out.
//
// Files written by version 1 of this package (one JSON record per event,
// the payload in base64) are migrated by Open, in one transaction; so are
// files of version 2 (delivery state records without the payload's size,
// which ListEvents shows: Open reads each payload's length once).
//
// ListEvents walks an index of each org's events by state and creation
// time: a filter by state and time range reads only what it returns; a
// filter by hook or idempotency key alone also reads (and skips) the
// small delivery state records of the org's other events in the range.
//
// # Security
//
// The file holds hook tokens (which are the addresses of form and email
// hooks), API key hashes (never secrets), event payloads and debug
// entries: treat it as sensitive. New files are created with mode 0600
// unless Options.FileMode says otherwise. Options.NoSync is unsafe
// outside tests: a crash can lose acknowledged events.
//
// # Caveats
//
// A bbolt file belongs to one process at a time: Open takes an exclusive
// file lock (flock) and fails with ErrLocked after Options.Timeout
// (default 1s) if another process, or another store in this process, has
// it. Hosts that run several replicas need store/pgstore instead. Locking
// may not work on network file systems.
//
// # Disk space
//
// The file does not shrink when records are deleted: bbolt keeps the
// freed pages and reuses them for later writes. Under a queue's retention
// (hooks.QueueOptions.Retention: delivered events are pruned after 7 days
// by default) and the debug log's fixed number of entries per hook, the
// file so grows to the high-water mark of what is live at once (events
// within the retention, dead events, debug entries) and then stops
// growing: writing and pruning at a steady rate reuses the same pages.
// After a burst that is then pruned, the file keeps the burst's size until
// it is compacted: stop the process, run Compact (examples/server:
// "server compact -data FILE") into a new file, and rename it over the
// old one. Each stored event costs its body once (a multipart form's
// files are stored as their place in the body), its decoded data unless
// it is the JSON body itself, and at most 16 KiB of
// headers.
//
// A queued event whose stored record cannot be decoded (damage from
// outside this package) does not stop deliveries: the Claim that meets it
// parks it as dead with LastError "unreadable record", keeping the stored
// bytes as its Payload, and claims the other events.
package boltstore
