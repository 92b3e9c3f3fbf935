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
// # The queue's log
//
// Enqueue must be durable before it returns, which costs an fsync. A
// bbolt commit costs two, and a write of every page it dirties, so
// Enqueue does not commit to bbolt: it writes the event to the queue's
// log, a file beside the bbolt file (its path with "-wal" appended),
// ahead of bbolt. One log writer goroutine takes an Enqueue, then every
// Enqueue already waiting (up to Options.MaxBatch, without waiting for
// more, so a lone event on an idle store is written at once), decides
// each (a new event, a duplicate of an earlier one by idempotency key, an
// ID in use), and writes the new ones with one write and one fdatasync;
// every call returns once that sync is done. The log is grown ahead by
// writing zeros, so that the sync does not also commit a new file size.
// Each record carries a CRC-32C checksum; Open applies every intact
// record that follows the position the bbolt file records as applied, and
// a record a crash cut short ends the log. An event whose payload is 1
// MiB or more (a large email) is not logged but committed straight to
// the bbolt file, so that its payload is written once; the log writer
// waits for that commit before it decides the next events.
//
// The committer applies the logged events to bbolt later, many to a
// transaction: with its next write, or after Options.LazyDelay, or at
// once when thousands of events (or 8 MiB) wait, and it records in
// the same transaction how far the log is applied. While events wait,
// the log writer looks for IDs and idempotency keys among them before it
// looks in the file, and a read of the queue (GetEvent, ListEvents,
// CountEvents) first has them applied, so that every read sees every
// acknowledged Enqueue. When every record is applied and the log is
// longer than 8 MiB, the log writer starts it over (and waits for the
// committer to catch up once it is 64 MiB long, or when 64 MiB of
// payloads wait), so the log stays small however long the store runs.
// Close applies everything and removes the log: a closed store is one
// file. A store that crashed has its log beside it: keep the two
// together (Compact refuses a file whose log holds events not yet
// applied; opening and closing the store applies them).
//
// # Group commit
//
// The dispatcher's Claim, Complete and Fail must be durable too. These
// queue writes (and Replay, Prune and AppendDebug) go through one
// committer goroutine: it takes a request, then every request already
// waiting (up to Options.MaxBatch), and applies them in arrival order in
// one read-write transaction with one fsync, after the logged events
// waiting to be applied. Under load a Claim and the previous events'
// Complete share a commit instead of taking one each. Every call returns
// only after the commit holding it is durable. Each request keeps its own
// outcome: a conflict or an unknown event ID fails only that request; if
// the transaction itself fails, the logged events are applied in a
// transaction of their own (or wait for the next commit) and every
// request of the group is retried in a transaction of its own. Unlike
// bbolt's DB.Batch there is no fixed delay. As in DB.Batch, a write that
// panics inside the committer is recovered: it fails alone (*PanicError)
// and the rest of its group commits. Hook, key and ClearDebug changes use
// one transaction each.
//
// # Local hand-off
//
// A store holds its file's lock, so its queue belongs to this process: it
// has a store.LocalQueue (found with store.As). EnqueueClaimed logs an
// event already claimed, so package hooks hands it straight to a local
// worker with no Claim and no read back; CompleteLater records the
// delivery without a commit of its own: it rides with the commit that
// applies the event, or a later one. A crash before that commit means the
// event is delivered once more (at least once). As the file's lock says
// that an earlier run is gone, Open makes the events it had claimed
// (handed off or claimed, lease running) due at once: after a crash they
// are delivered as soon as the next run's dispatcher starts, not when
// their leases run out.
//
// # Idempotency keys
//
// The store's store.IdempotencyStore (found with store.As; package hooks
// uses it to deduplicate arrivals delivered without the queue) keeps its
// seen-key records lazily, like CompleteLater. As the file is locked to
// this process, ReserveKey, ConfirmKey and ReleaseKey decide exactly in
// memory, against an overlay of the changes not yet committed and then
// the file, and return without waiting for a commit: each change rides
// with the committer's next transaction, or gets one of its own after
// Options.LazyDelay, and Close commits what is left. Concurrent calls for
// one key still reserve it once. PruneKeys is an ordinary durable write,
// and counts the records not yet committed too.
//
// The price is durability: a crash loses the records of the last
// LazyDelay (default 100ms). A lost reservation is harmless: its delivery
// died with the process, and the sender's retry goes through at once
// instead of being answered "in progress" until the reservation would
// have run out. A lost confirmation lets a later copy of the arrival fire
// again (at once, or once the reservation runs out if that was
// committed), which the at-least-once promise allows. A lost release
// leaves a committed reservation holding the key until it runs out, as a
// crash during the delivery would have. If a commit of key
// changes fails, and fails again on its own, the changes are dropped (as
// the completions are) and the records are read from the file again.
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
// unless Options.FileMode says otherwise, and so is the log. Options.NoSync is unsafe
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
