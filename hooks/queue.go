package hooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// Defaults of QueueOptions.
const (
	defaultQueueWorkers        = 8
	defaultQueueLease          = 30 * time.Second
	defaultQueueAttemptTimeout = 10 * time.Second
	defaultQueueMinBackoff     = time.Second
	defaultQueueMaxBackoff     = 10 * time.Minute
	defaultQueueMaxAttempts    = 10
	defaultQueuePollInterval   = time.Second
	defaultQueueClaimDelay     = 2 * time.Millisecond
	defaultQueueDedupWindow    = 24 * time.Hour
	defaultQueueRetention      = 7 * 24 * time.Hour
	defaultQueuePruneInterval  = time.Hour
	defaultQueueListLimit      = 100
	maxQueueListLimit          = 1000
)

// maxStoredKeyLen is the longest idempotency key stored as it is; longer
// keys are stored as "sha256:" and the hex digest of the key.
const maxStoredKeyLen = 128

// maxLastError is the longest error message kept with an event, in bytes.
const maxLastError = 1000

// storeCallTimeout bounds the store calls that record an attempt's outcome;
// they run even when the dispatcher is being stopped.
const storeCallTimeout = 10 * time.Second

// QueueOptions configures a Queue. The zero value applies the defaults.
type QueueOptions struct {
	// Workers is how many events are delivered to the Trigger at once;
	// 0 means 8.
	Workers int
	// Lease is how long a claimed event is reserved for this dispatcher:
	// another dispatcher on the same store claims it again only after the
	// lease runs out (because this process died, for example). It must be
	// longer than AttemptTimeout; 0 means 30s.
	Lease time.Duration
	// AttemptTimeout bounds one call of Trigger.Fire; 0 means 10s, or half
	// of Lease when Lease is set and shorter than twice that, since the
	// lease must outlast an attempt.
	AttemptTimeout time.Duration
	// MinBackoff is the delay before the first retry; each further retry
	// doubles it, up to MaxBackoff, and a random jitter takes up to half
	// of it away. 0 means 1s.
	MinBackoff time.Duration
	// MaxBackoff caps the retry delay; 0 means 10m.
	// It must not be below MinBackoff.
	MaxBackoff time.Duration
	// MaxAttempts is how many delivery attempts an event gets before it is
	// parked as dead; 0 means 10.
	MaxAttempts int
	// ClaimDelay is how long a dispatcher woken by a new event waits before
	// it claims, so that one claim (one store commit) covers the events
	// that arrive meanwhile instead of one each. It adds that much to the
	// delivery latency, never to the sender's answer. 0 means 2ms; a
	// negative value claims at once.
	ClaimDelay time.Duration
	// PollInterval is how often an idle dispatcher looks for retries that
	// came due and leases that ran out. New events wake it at once. 0 means 1s.
	PollInterval time.Duration
	// DedupWindow is how long an idempotency key is remembered for its
	// hook: an event with the same key inside the window is acknowledged
	// with the first event's ID and not delivered again. 0 means 24h.
	DedupWindow time.Duration
	// Retention is how long delivered events are kept before they are
	// pruned. It must be at least DedupWindow (a pruned event's key no
	// longer deduplicates); 0 means 7 days. Dead and
	// pending events are never pruned.
	Retention time.Duration
	// PruneInterval is how often a running dispatcher prunes; 0 means 1h.
	PruneInterval time.Duration
	// Logger receives operational logs (event and hook IDs, errors; never
	// payloads); nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Telemetry chooses the OpenTelemetry providers for the fired, failed
	// and dead counters, the trigger latency and the queue depth gauge;
	// the zero value uses the global ones.
	Telemetry Telemetry
	// EmailParts, when set (to emailhook.Parts), lets the queue store an
	// email event's raw message without its text and HTML bodies and its
	// attachments' contents beside it, when the email kind read them from
	// that message (Decoded.PartsFromRaw) and they are unchanged: they are
	// read again from the message on the rare read back (after a crash, a
	// failed attempt, a lease that ran out, or Get). An email's payload is
	// then about the message's own size, not twice it.
	//
	// Every process that reads the queue's events must set it: an event
	// stored so cannot be decoded without it; its delivery then fails and
	// it is parked dead, its payload intact, for Replay once it is set.
	EmailParts EmailParts
}

func (o *QueueOptions) setDefaults() error {
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"lease", &o.Lease, defaultQueueLease},
		{"attempt_timeout", &o.AttemptTimeout, defaultQueueAttemptTimeout},
		{"min_backoff", &o.MinBackoff, defaultQueueMinBackoff},
		{"max_backoff", &o.MaxBackoff, defaultQueueMaxBackoff},
		{"poll_interval", &o.PollInterval, defaultQueuePollInterval},
		{"dedup_window", &o.DedupWindow, defaultQueueDedupWindow},
		{"retention", &o.Retention, defaultQueueRetention},
		{"prune_interval", &o.PruneInterval, defaultQueuePruneInterval},
	}
	if o.AttemptTimeout == 0 && o.Lease > 0 {
		o.AttemptTimeout = min(defaultQueueAttemptTimeout, o.Lease/2)
	}
	if o.ClaimDelay == 0 {
		o.ClaimDelay = defaultQueueClaimDelay
	}
	for _, d := range durations {
		if *d.v < 0 {
			return invalid(d.name, "must not be negative")
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.Workers < 0 {
		return invalid("workers", "must not be negative")
	}
	if o.Workers == 0 {
		o.Workers = defaultQueueWorkers
	}
	if o.MaxAttempts < 0 {
		return invalid("max_attempts", "must not be negative")
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = defaultQueueMaxAttempts
	}
	if o.Lease <= o.AttemptTimeout {
		return invalid("lease", "must be longer than the attempt timeout")
	}
	if o.MaxBackoff < o.MinBackoff {
		return invalid("max_backoff", "must not be below min_backoff")
	}
	if o.Retention < o.DedupWindow {
		return invalid("retention", "must be at least the dedup window")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Queue is the durable Delivery: Deliver commits each event to a
// store.QueueStore before the sender is answered, and a dispatcher (Start,
// Shutdown) delivers committed events to the Trigger at least once, with
// exponential backoff and jitter between attempts, parking an event as dead
// after MaxAttempts. Dead events can be listed (Events) and replayed
// (Replay). It is safe for concurrent use.
//
// Several Queues, in one process or in several, may share a store: a
// claimed event is leased to one dispatcher, and another takes it only
// when the lease runs out.
type Queue struct {
	store   store.QueueStore
	local   store.LocalQueue // the store, when this process owns its queue; else nil
	trigger Trigger
	opts    QueueOptions
	log     *slog.Logger
	now     func() time.Time
	wake    chan struct{} // a non-blocking nudge: new or replayed events
	ins     *instruments

	mu      sync.Mutex
	started bool
	stop    chan struct{}      // closed by Shutdown: stop claiming
	done    chan struct{}      // closed when the dispatcher has drained
	cancel  context.CancelFunc // cancels in-flight attempts
	// unobserve unregisters the queue depth gauge.
	unobserve func()

	// busy counts attempts in flight, claimed or handed off; freed is
	// nudged when one ends.
	busy  atomic.Int64
	freed chan struct{}
	// The local hand-off: while handOpen (a running dispatcher), Deliver
	// may start attempts of its own, counted in handoffs, which Shutdown
	// waits for. handCtx is the parent of their contexts.
	handMu   sync.RWMutex
	handOpen bool
	handCtx  context.Context
	handoffs sync.WaitGroup
	// backlog holds handed-off events that found every worker busy: the
	// next free worker takes them. admitted and admittedBytes count what
	// it holds (or is promised to), within maxBacklog and
	// maxBacklogBytes.
	backlog       chan handoff
	admitted      atomic.Int64
	admittedBytes atomic.Int64
}

// handoff is an event committed claimed (attempt 1), waiting for a local
// worker: qe as stored, e as accepted.
type handoff struct {
	qe *store.QueuedEvent
	e  *Event
}

// Bounds of the hand-off backlog: past them, accepted events are
// enqueued unclaimed, for the dispatcher to claim.
const (
	maxBacklog      = 1024
	maxBacklogBytes = 64 << 20
)

var _ Delivery = (*Queue)(nil)

// NewQueue returns a Queue that keeps events in s and delivers them to t.
// It returns a *ValidationError for inconsistent options. The dispatcher
// does not run until Start.
func NewQueue(s store.QueueStore, t Trigger, opts QueueOptions) (*Queue, error) {
	if s == nil {
		return nil, invalid("store", "is nil")
	}
	if t == nil {
		return nil, invalid("trigger", "is nil")
	}
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	q := &Queue{store: s, trigger: t, opts: opts, log: opts.Logger, now: opts.Now,
		wake: make(chan struct{}, 1), freed: make(chan struct{}, 1), ins: opts.Telemetry.instruments(),
		backlog: make(chan handoff, maxBacklog)}
	q.local, _ = store.As[store.LocalQueue](s)
	return q, nil
}

// Deliver implements Delivery: it encodes e and commits it to the store,
// durably, before it returns, so that the sender's 2xx means the event is
// committed. An event whose IdempotencyKey was seen for the same hook
// within DedupWindow is not stored again: the Receipt carries the earlier
// event's ID and Duplicate. Deliver works whether or not the dispatcher
// runs; it wakes a running dispatcher.
//
// When the store is a store.LocalQueue (this process owns the queue, as
// with boltstore and memstore), the dispatcher runs and a worker is idle,
// the event is committed already claimed and handed to that worker at
// once: e itself reaches the Trigger, as in sync mode, with no Claim and
// no read of the store, and the completion is committed lazily with a
// later write. The store is read back only after a crash, a failed
// attempt or a lease that ran out; a crash between the Trigger's success
// and that lazy commit means one more delivery after the lease (at least
// once, as always).
func (q *Queue) Deliver(ctx context.Context, e *Event) (Receipt, error) {
	if e == nil || e.ID == "" {
		return Receipt{}, invalid("event", "needs an ID")
	}
	payload, err := encodeEvent(e, q.opts.EmailParts != nil && partsFromRaw(ctx, e))
	if err != nil {
		return Receipt{}, err
	}
	now := q.now().UTC()
	qe := &store.QueuedEvent{
		ID: e.ID, Org: e.Org, HookID: e.HookID, IdempotencyKey: storedKey(e.IdempotencyKey),
		Payload: payload, State: store.StatePending, NextAttempt: now, CreatedAt: now, UpdatedAt: now,
	}
	since := now.Add(-q.opts.DedupWindow)
	var id string
	if q.local != nil && q.admit(len(payload)) {
		id, err = q.local.EnqueueClaimed(ctx, qe, since, q.opts.Lease)
		if err == nil {
			q.backlog <- handoff{qe: qe, e: e} // never blocks: admitted
			if q.takeSlot() {
				q.handoffs.Add(1)
				go q.work(true)
			}
			q.handMu.RUnlock()
			return Receipt{ID: id}, nil
		}
		q.unadmit(len(payload))
		q.handMu.RUnlock()
	} else {
		id, err = q.store.Enqueue(ctx, qe, since)
	}
	if errors.Is(err, store.ErrDuplicate) && id != "" {
		return Receipt{ID: id, Duplicate: true}, nil
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("hooks: enqueue event %s: %w", e.ID, err)
	}
	q.nudge()
	return Receipt{ID: id}, nil
}

// admit reserves room in the hand-off backlog for an event of the given
// payload size, if the dispatcher runs. On success it returns with
// q.handMu read-locked, so that Shutdown cannot close hand-offs until the
// event is in the backlog; the caller unlocks it.
func (q *Queue) admit(size int) bool {
	q.handMu.RLock()
	if !q.handOpen {
		q.handMu.RUnlock()
		return false
	}
	if q.admitted.Add(1) > maxBacklog || q.admittedBytes.Add(int64(size)) > maxBacklogBytes {
		q.unadmit(size)
		q.handMu.RUnlock()
		return false
	}
	return true
}

func (q *Queue) unadmit(size int) {
	q.admitted.Add(-1)
	q.admittedBytes.Add(-int64(size))
}

// takeSlot takes an idle worker, if there is one.
func (q *Queue) takeSlot() bool {
	if q.busy.Add(1) <= int64(q.opts.Workers) {
		return true
	}
	q.busy.Add(-1)
	return false
}

// work runs on a worker slot: it delivers handed-off events from the
// backlog until it finds it empty, then gives the slot back (and takes it
// again if an event came meanwhile: a sender that found every worker
// busy relies on that). spawned says the goroutine counts in q.handoffs.
func (q *Queue) work(spawned bool) {
	if spawned {
		defer q.handoffs.Done()
	}
	for {
		select {
		case h := <-q.backlog:
			q.unadmit(len(h.qe.Payload))
			q.deliverHandoff(h)
			continue
		default:
		}
		q.busy.Add(-1)
		select {
		case q.freed <- struct{}{}:
		default:
		}
		if len(q.backlog) == 0 || !q.takeSlot() {
			return
		}
	}
}

// deliverHandoff delivers the event h that Deliver accepted and
// committed claimed (attempt 1), e itself reaching the Trigger.
func (q *Queue) deliverHandoff(h handoff) {
	ev := *h.qe
	ev.Payload, ev.Attempts = nil, 1
	q.handMu.RLock()
	ctx := q.handCtx
	q.handMu.RUnlock()
	q.attemptDecoded(ctx, &ev, h.e, true)
}

// nudge wakes the dispatcher without blocking.
func (q *Queue) nudge() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// storedKey returns the idempotency key as the store keeps it: long keys
// are replaced by their SHA-256, so that a sender cannot make the store
// index arbitrarily long keys.
func storedKey(k string) string {
	if len(k) <= maxStoredKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Start starts the dispatcher. ctx is the parent of every delivery
// attempt's context (its values reach the Trigger); cancelling it stops the
// dispatcher at once, cancelling attempts in flight, like a Shutdown whose
// context has expired. Start returns an error if the dispatcher was
// already started.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return ErrQueueStarted
	}
	q.started = true
	unobserve, err := q.ins.observeDepth(q.Depth)
	if err != nil {
		q.log.WarnContext(ctx, "inbound: queue depth gauge not registered", "err", err)
	}
	q.unobserve = unobserve
	dctx, cancel := context.WithCancel(ctx)
	q.stop = make(chan struct{})
	q.done = make(chan struct{})
	q.cancel = cancel
	q.handMu.Lock()
	q.handOpen, q.handCtx = true, dctx
	q.handMu.Unlock()
	go q.run(dctx, q.stop, q.done)
	return nil
}

// Shutdown stops the dispatcher gracefully: it claims no more events and
// waits until the attempts in flight have finished and their outcome is
// recorded. If ctx is done first, it cancels those attempts (their events
// are retried later, by this or another dispatcher), waits for them to
// return and returns ctx's error: a Trigger that ignores its context keeps
// Shutdown waiting until it returns. An attempt cut short this way still
// counts toward MaxAttempts. Shutdown of a dispatcher that was never
// started returns nil; calling it again waits like the first call.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if !q.started {
		q.mu.Unlock()
		return nil
	}
	stop, done, cancel := q.stop, q.done, q.cancel
	select {
	case <-stop:
	default:
		close(stop)
		q.unobserve()
	}
	q.mu.Unlock()
	// No more hand-offs; those in flight finish like claimed attempts.
	q.handMu.Lock()
	q.handOpen = false
	q.handMu.Unlock()
	drained := make(chan struct{})
	go func() {
		<-done
		q.handoffs.Wait()
		if q.local != nil {
			// Lazily recorded successes are made durable before Shutdown
			// returns, as the claimed attempts' outcomes are.
			fctx, fcancel := context.WithTimeout(context.Background(), storeCallTimeout)
			if err := q.local.FlushCompletions(fctx); err != nil {
				q.log.Error("inbound: committing delivered events failed; they will be delivered again", "err", err)
			}
			fcancel()
		}
		close(drained)
	}()
	select {
	case <-drained:
		cancel()
		return nil
	case <-ctx.Done():
		cancel()
		<-drained
		return ctx.Err()
	}
}

// run is the dispatcher loop: claim as many due events as there are idle
// workers, deliver each in its own goroutine, and wait for a new event, the
// poll interval or a stop. When a claim takes all it asked for (a
// backlog), the next claim waits until half the workers are idle, so that
// claims stay batched instead of taking one event per store transaction.
func (q *Queue) run(ctx context.Context, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	var wg sync.WaitGroup
	defer wg.Wait()
	if n, ok := store.As[store.EnqueueNotifier](q.store); ok {
		// Events accepted by other processes on the store wake this
		// dispatcher as local ones do.
		notified, unsubscribe := n.NotifyEnqueued()
		defer unsubscribe()
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				case <-notified:
					q.nudge()
				}
			}
		})
	}
	workers := q.opts.Workers
	busy, freed := &q.busy, q.freed // hand-offs count too
	poll := time.NewTimer(q.opts.PollInterval)
	defer poll.Stop()
	nextPrune := time.Now() // prune at start, then every PruneInterval
	want := 1               // idle workers needed before the next claim
	for {
		for workers-int(busy.Load()) < want {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-freed:
			}
		}
		if !time.Now().Before(nextPrune) {
			q.prune(ctx)
			nextPrune = time.Now().Add(q.opts.PruneInterval)
		}
		idle := workers - int(busy.Load())
		if idle < 1 {
			continue // hand-offs took the workers meanwhile
		}
		busy.Add(int64(idle)) // reserved, so that hand-offs do not take them too
		evs, err := q.store.Claim(ctx, q.now().UTC(), q.opts.Lease, idle)
		busy.Add(-int64(idle - len(evs)))
		for len(q.backlog) > 0 && q.takeSlot() {
			// Hand-offs that found the slots reserved by this claim.
			wg.Add(1)
			go func() {
				defer wg.Done()
				q.work(false)
			}()
		}
		if len(evs) < idle {
			select {
			case freed <- struct{}{}:
			default:
			}
		}
		if err != nil && ctx.Err() == nil {
			q.log.ErrorContext(ctx, "inbound: queue claim failed", "err", err)
		}
		for _, ev := range evs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				q.attempt(ctx, ev)
				q.work(false) // then the hand-off backlog; gives the slot back
			}()
		}
		if err == nil && len(evs) == idle {
			want = max(1, workers/2)
			continue
		}
		want = 1
		poll.Reset(q.opts.PollInterval) // Go 1.23+ timers: no stale tick after Reset
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-q.wake:
			if q.opts.ClaimDelay > 0 {
				delay := time.NewTimer(q.opts.ClaimDelay)
				select {
				case <-stop:
					delay.Stop()
					return
				case <-ctx.Done():
					delay.Stop()
					return
				case <-delay.C:
				}
			}
		case <-poll.C:
		}
	}
}

func (q *Queue) prune(ctx context.Context) {
	n, err := q.store.Prune(ctx, q.now().UTC().Add(-q.opts.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		q.log.ErrorContext(ctx, "inbound: queue prune failed", "err", err)
	case n > 0:
		q.log.InfoContext(ctx, "inbound: pruned delivered events", "count", n)
	}
}

// attempt delivers one claimed event and records the outcome.
func (q *Queue) attempt(ctx context.Context, ev *store.QueuedEvent) {
	// The outcome is recorded even when ctx is cancelled by a stop: a
	// success must not be delivered again, a failure must be retried soon.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), storeCallTimeout)
	defer rcancel()
	e, err := decodeEvent(ev.Payload, ev.ID, ev.Org, ev.HookID, q.opts.EmailParts)
	if err != nil {
		q.log.ErrorContext(ctx, "inbound: queued event is unreadable; parking it as dead", "event", ev.ID, "hook", ev.HookID, "err", err)
		q.fail(rctx, ev, err.Error(), q.now().UTC(), true)
		return
	}
	q.attemptDecoded(ctx, ev, e, false)
}

// attemptDecoded delivers the claimed event ev, decoded as e, and records
// the outcome; a success is recorded lazily when lazy (a hand-off).
func (q *Queue) attemptDecoded(ctx context.Context, ev *store.QueuedEvent, e *Event, lazy bool) {
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), storeCallTimeout)
	defer rcancel()
	actx, acancel := context.WithTimeout(ctx, q.opts.AttemptTimeout)
	err := q.fire(actx, e)
	acancel()
	if err == nil && lazy {
		q.local.CompleteLater(ev.ID, ev.Attempts, q.now().UTC())
		return
	}
	if err == nil {
		switch err := q.store.Complete(rctx, ev.ID, ev.Attempts, q.now().UTC()); {
		case errors.Is(err, store.ErrConflict):
			// The attempt outlived its lease: another claim owns the event
			// now (and may have delivered it already).
			q.log.InfoContext(ctx, "inbound: delivered event was claimed again meanwhile; leaving it to that claim", "event", ev.ID, "attempts", ev.Attempts, "err", err)
		case err != nil:
			q.log.ErrorContext(ctx, "inbound: recording a delivered event failed; it will be delivered again", "event", ev.ID, "err", err)
		}
		return
	}
	now := q.now().UTC()
	if ctx.Err() != nil {
		// The dispatcher was stopped mid-attempt: not the Trigger's fault.
		// Make the event due again at once, for the next dispatcher.
		q.fail(rctx, ev, "dispatcher stopped during the attempt: "+err.Error(), now, false)
		return
	}
	if ev.Attempts >= q.opts.MaxAttempts {
		q.log.WarnContext(ctx, "inbound: event is dead after its last attempt", "event", ev.ID, "hook", ev.HookID, "attempts", ev.Attempts, "err", err)
		q.ins.dead.Add(ctx, 1, q.ins.kind(e.HookKind).add...)
		q.fail(rctx, ev, err.Error(), now, true)
		return
	}
	next := now.Add(q.backoff(ev.Attempts))
	q.log.InfoContext(ctx, "inbound: delivery attempt failed; retrying", "event", ev.ID, "hook", ev.HookID, "attempts", ev.Attempts, "next", next, "err", err)
	q.fail(rctx, ev, err.Error(), next, false)
}

// fire calls the Trigger (a panic becomes an error) and records it.
func (q *Queue) fire(ctx context.Context, e *Event) error {
	return q.ins.fire(ctx, q.trigger, e, "queue")
}

func (q *Queue) fail(ctx context.Context, ev *store.QueuedEvent, msg string, next time.Time, dead bool) {
	if len(msg) > maxLastError {
		msg = strings.ToValidUTF8(msg[:maxLastError], "")
	}
	switch err := q.store.Fail(ctx, ev.ID, ev.Attempts, msg, next, dead); {
	case errors.Is(err, store.ErrConflict):
		// The attempt outlived its lease: another claim owns the event now,
		// and its outcome, not this stale one, counts.
		q.log.InfoContext(ctx, "inbound: failed attempt's event was claimed again meanwhile; leaving it to that claim", "event", ev.ID, "attempts", ev.Attempts, "err", err)
	case err != nil:
		q.log.ErrorContext(ctx, "inbound: recording a failed attempt failed; the event is retried when its lease runs out", "event", ev.ID, "err", err)
	}
}

// backoff returns the delay after the given (1-based) failed attempt:
// MinBackoff doubled attempts-1 times, capped at MaxBackoff, less a random
// jitter of up to half of it.
func (q *Queue) backoff(attempts int) time.Duration {
	d := q.opts.MinBackoff
	for i := 1; i < attempts && d < q.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, q.opts.MaxBackoff)
	half := d / 2
	if half <= 0 {
		return d
	}
	return d - rand.N(half+1)
}

// EventStatus is a queued event's delivery status, as the admin API shows
// it.
type EventStatus struct {
	ID          string    `json:"id"`
	HookID      string    `json:"hook_id"`
	State       string    `json:"state"` // "pending", "delivered" or "dead"
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"` // for pending events
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// IdempotencyKey is the key the event arrived with, if any.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Size is the length of the encoded event in bytes (its data, raw
	// body and files, as the queue stores them).
	Size int64 `json:"size"`
	// Event is the queued event itself; only Get fills it.
	Event *Event `json:"event,omitempty"`
}

func statusOf(ev *store.QueuedEvent) EventStatus {
	s := EventStatus{ID: ev.ID, HookID: ev.HookID, State: string(ev.State), Attempts: ev.Attempts,
		LastError: ev.LastError, CreatedAt: ev.CreatedAt.UTC(), UpdatedAt: ev.UpdatedAt.UTC(),
		IdempotencyKey: ev.IdempotencyKey, Size: ev.PayloadSize}
	if ev.State == store.StatePending {
		s.NextAttempt = ev.NextAttempt.UTC()
	}
	return s
}

// parseEventState checks a state name given by an admin ("pending",
// "delivered" or "dead"); it returns a *ValidationError for any other.
func parseEventState(s string) (store.EventState, error) {
	switch st := store.EventState(s); st {
	case store.StatePending, store.StateDelivered, store.StateDead:
		return st, nil
	}
	return "", invalid("state", `must be "pending", "delivered" or "dead"`)
}

// Events lists org's events that q selects, newest first, without their
// content: q.State may be "" (every state), "pending", "delivered" or
// "dead"; q.After continues a list after its last event
// (store.CursorOf). A q.Limit of 0 means 100; it is capped at 1000. An unknown state or a negative
// limit gives a *ValidationError.
func (q *Queue) Events(ctx context.Context, org string, query store.EventQuery) ([]EventStatus, error) {
	if query.State != "" {
		if _, err := parseEventState(string(query.State)); err != nil {
			return nil, err
		}
	}
	if query.Limit < 0 {
		return nil, invalid("limit", "must not be negative")
	}
	if query.Limit == 0 {
		query.Limit = defaultQueueListLimit
	}
	query.Limit = min(query.Limit, maxQueueListLimit)
	evs, err := q.store.ListEvents(ctx, org, query)
	if err != nil {
		return nil, fmt.Errorf("hooks: list events: %w", err)
	}
	out := make([]EventStatus, len(evs))
	for i, ev := range evs {
		out[i] = statusOf(ev)
	}
	return out, nil
}

// Get returns org's queued event with its status and content, or
// ErrNotFound. Event is nil if the stored payload cannot be decoded (such
// an event is dead, and LastError says why).
func (q *Queue) Get(ctx context.Context, org, id string) (*EventStatus, error) {
	ev, err := q.store.GetEvent(ctx, org, id)
	if err != nil {
		return nil, notFound(err)
	}
	s := statusOf(ev)
	if e, err := decodeEvent(ev.Payload, ev.ID, ev.Org, ev.HookID, q.opts.EmailParts); err == nil {
		s.Event = e
	}
	return &s, nil
}

// Replay makes org's dead event pending again, with its attempt count
// reset, and wakes the dispatcher. It returns ErrNotFound for an unknown
// event (or one of another org), and an error matching store.ErrConflict
// for an event that is not dead.
func (q *Queue) Replay(ctx context.Context, org, id string) error {
	if err := q.store.Replay(ctx, org, id, q.now().UTC()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("hooks: replay event %s: %w", id, err)
	}
	q.nudge()
	return nil
}

// Depth returns how many events wait for delivery (pending, including those
// being attempted), for metrics.
func (q *Queue) Depth(ctx context.Context) (int, error) {
	n, err := q.store.CountEvents(ctx, store.StatePending)
	if err != nil {
		return 0, fmt.Errorf("hooks: count pending events: %w", err)
	}
	return n, nil
}
