package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/inbound-hooks/inbound/store"
)

// pruneBatch is how many events one Prune statement deletes at most; Prune
// loops, so that a large backlog is removed in short transactions.
const pruneBatch = 1000

// stateColumns are the events table's columns (the delivery state and
// what identifies the event); the payload is in event_payloads.
const stateColumns = `id, org, hook_id, idempotency_key, state, attempts, last_error, next_attempt, created_at, updated_at`

// eventSelect selects an event with its payload, in scanEvent's order,
// from events e joined with event_payloads p.
const eventSelect = `e.id, e.org, e.hook_id, e.idempotency_key, coalesce(p.payload, ''::bytea), e.state, e.attempts,
	e.last_error, e.next_attempt, e.created_at, e.updated_at, e.payload_size`

func scanEvent(row pgx.Row) (*store.QueuedEvent, error) {
	var (
		e        store.QueuedEvent
		key, msg []byte
		state    string
	)
	if err := row.Scan(&e.ID, &e.Org, &e.HookID, &key, &e.Payload, &state, &e.Attempts, &msg,
		&e.NextAttempt, &e.CreatedAt, &e.UpdatedAt, &e.PayloadSize); err != nil {
		return nil, err
	}
	e.IdempotencyKey, e.LastError, e.State = string(key), string(msg), store.EventState(state)
	e.NextAttempt, e.CreatedAt, e.UpdatedAt = utc(e.NextAttempt), utc(e.CreatedAt), utc(e.UpdatedAt)
	return &e, nil
}

func collectEvents(rows pgx.Rows) ([]*store.QueuedEvent, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.QueuedEvent, error) { return scanEvent(r) })
}

// maxEnqueueTries bounds the tries of an Enqueue whose idempotency row
// disappeared (pruned) or was replaced before Enqueue could read it.
const maxEnqueueTries = 3

// enqueueSQL stores a group of events, given as parallel arrays (one
// element per event, at most one event per ID and per hook and
// idempotency key), in one statement that fails for no reason of one
// event's own in normal operation (so that the other events of its group
// commit). For each event, as the statement's snapshot sees the tables: an
// ID already in use (c.taken) inserts nothing; with an idempotency key, it
// upserts the (hook, key) row of idempotency_keys and inserts the event
// only if the upsert took the row (the row is replaced only when the event
// it names was created before the event's dedupSince, and keeps naming the
// newest event with the key). The table's primary key makes concurrent
// Enqueues with one key, in any process, wait for each other; the keys
// are upserted in (hook, key) order, so that two groups wait for each
// other's keys in one order. The payloads go to event_payloads, written
// this once. The result has a row per event, by its ordinal n (from 1),
// that says what happened and names the event that holds the key. Only an
// ID inserted concurrently by another transaction makes it fail (a unique
// violation): the group is then retried one event at a time.
//
// It runs a generic plan (see plansSQL): the events and idempotency_keys
// rows of the group are looked up one by one (LATERAL ... LIMIT 1, which
// the planner cannot turn into a hash of the whole table).
//
// $1 ids, $2 orgs, $3 hook_ids, $4 keys, $5 payloads, $6 next_attempts,
// $7 created_ats, $8 updated_ats, $9 dedupSinces, $10 attempts (0, or 1
// for EnqueueClaimed).
const enqueueSQL = `WITH c AS (
	SELECT v.*, t.id IS NOT NULL AS taken
	FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::timestamptz[],
		$7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::integer[])
		WITH ORDINALITY AS v(id, org, hook_id, key, payload, next_attempt, created_at, updated_at, since, attempts, n)
	LEFT JOIN LATERAL (SELECT e.id FROM {s}.events e WHERE e.id = v.id LIMIT 1) t ON true
), k AS (
	INSERT INTO {s}.idempotency_keys AS i (hook_id, key, event_id, created_at)
	SELECT hook_id, key, id, created_at FROM c WHERE key <> ''::bytea AND NOT taken
	ORDER BY hook_id, key
	ON CONFLICT (hook_id, key) DO UPDATE SET
		event_id = CASE WHEN EXCLUDED.created_at >= i.created_at THEN EXCLUDED.event_id ELSE i.event_id END,
		created_at = GREATEST(EXCLUDED.created_at, i.created_at)
	WHERE i.created_at < (SELECT since FROM c WHERE c.hook_id = EXCLUDED.hook_id AND c.key = EXCLUDED.key)
	RETURNING i.hook_id, i.key
), e AS (
	INSERT INTO {s}.events (` + stateColumns + `, payload_size)
	SELECT id, org, hook_id, key, 'pending', attempts, ''::bytea, next_attempt, created_at, updated_at,
		octet_length(payload) FROM c
	WHERE NOT taken AND (key = ''::bytea OR EXISTS (SELECT 1 FROM k WHERE k.hook_id = c.hook_id AND k.key = c.key))
	RETURNING id
), p AS (
	INSERT INTO {s}.event_payloads (id, payload) SELECT c.id, c.payload FROM c JOIN e ON e.id = c.id
	ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload
)
SELECT c.n, c.taken, c.id IN (SELECT id FROM e), i.event_id, i.created_at
FROM c LEFT JOIN LATERAL (SELECT event_id, created_at FROM {s}.idempotency_keys i
	WHERE i.hook_id = c.hook_id AND i.key = c.key LIMIT 1) i ON c.key <> ''::bytea`

// enqueueResult is what enqueueSQL reports for one event.
type enqueueResult struct {
	taken, inserted bool
	dupID           *string
	dupCreated      *time.Time
}

// errRetryAlone marks a request its group could not settle: it is run
// again on its own.
var errRetryAlone = errors.New("pgstore: retry alone")

// outcome turns what enqueueSQL did into Enqueue's answer.
func (r *enqueueResult) outcome(req *enqueueReq) (id string, err error) {
	e := req.e
	switch {
	case r.inserted:
		return e.ID, nil
	case r.taken:
		return "", fmt.Errorf("pgstore: enqueue event %q: ID in use: %w", e.ID, store.ErrConflict)
	case r.dupID != nil && r.dupCreated != nil && !r.dupCreated.Before(req.since):
		return *r.dupID, fmt.Errorf("pgstore: event %q: %w", *r.dupID, store.ErrDuplicate)
	default:
		// The row that blocked the key is not visible to the statement's
		// snapshot (committed meanwhile, or pruned), or was replaced by an
		// event older than the window (its clock lags): try again.
		return "", errRetryAlone
	}
}

// enqueueArgs returns enqueueSQL's arguments for reqs.
func enqueueArgs(reqs []*enqueueReq) []any {
	n := len(reqs)
	var (
		ids, orgs, hooks                 = make([]string, n), make([]string, n), make([]string, n)
		keys, payloads                   = make([][]byte, n), make([][]byte, n)
		nexts, createds, updateds, since = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		attempts                         = make([]int32, n)
	)
	for i, r := range reqs {
		e := r.e
		payload := e.Payload
		if payload == nil {
			payload = []byte{}
		}
		next, updated, att := e.NextAttempt, e.UpdatedAt, int32(0)
		if r.lease > 0 { // EnqueueClaimed: claimed at e.NextAttempt
			next, updated, att = e.NextAttempt.Add(r.lease), e.NextAttempt, 1
		}
		ids[i], orgs[i], hooks[i], keys[i], payloads[i] = e.ID, e.Org, e.HookID, []byte(e.IdempotencyKey), payload
		nexts[i], createds[i], updateds[i], since[i], attempts[i] = next, e.CreatedAt, updated, r.since, att
	}
	return []any{ids, orgs, hooks, keys, payloads, nexts, createds, updateds, since, attempts}
}

// Enqueue implements store.QueueStore. Enqueues from concurrent callers
// share a transaction (group commit): the store's committers each take
// what is waiting, up to maxEnqueueBatch events, and commit it at once, so
// that a burst costs a few commits (and WAL flushes) instead of one each;
// an idle store commits a lone event at once. A group is one round trip:
// a pipeline of one statement for all its events (see enqueueSQL) and a
// NOTIFY that wakes the dispatchers of every replica (NotifyEnqueued; not
// for a group of events enqueued claimed, which no dispatcher may take
// before their lease runs out), which PostgreSQL runs as one implicit
// transaction. An event whose ID or idempotency key an earlier event of
// its group carries is stored alone after the group. A group that fails
// is retried one event at a time.
func (s *driver) Enqueue(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time) (string, error) {
	return s.enqueue(ctx, e, dedupSince, 0)
}

// EnqueueClaimed implements store.LocalQueue: Enqueue of an event claimed
// in the same commit, by this process, for lease. The claim is a lease in
// the database like any other, so this is as safe with several replicas
// as with one: the others leave the event alone until the lease runs out,
// and then deliver it if this process has not settled it.
func (s *driver) EnqueueClaimed(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time, lease time.Duration) (string, error) {
	return s.enqueue(ctx, e, dedupSince, lease) // lease > 0: the portable layer checked it
}

// enqueue is Enqueue, or EnqueueClaimed when lease is positive.
func (s *driver) enqueue(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time, lease time.Duration) (string, error) {
	for _, f := range []string{e.ID, e.Org, e.HookID} {
		if !validText(f) {
			return "", invalid("event ID, org and hook ID must be UTF-8 without NUL")
		}
	}
	if err := s.check(); err != nil {
		return "", err
	}
	req := &enqueueReq{e: e, since: dedupSince, lease: lease, done: make(chan struct{})}
	select {
	case s.enqueues <- req:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-s.quit:
		return "", fmt.Errorf("pgstore: %w", store.ErrClosed)
	}
	<-req.done
	return req.id, req.err
}

// validText reports whether s can be stored in a text column.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// enqueueReq is one Enqueue waiting for a committer.
type enqueueReq struct {
	e     *store.QueuedEvent
	since time.Time
	lease time.Duration // > 0: EnqueueClaimed
	id    string
	err   error
	done  chan struct{} // closed when id and err are set
}

// Group commit of Enqueue.
const (
	// enqueueCommitters is how many groups may be in flight at once: while
	// one group commits (waits for its WAL flush), the next one forms.
	enqueueCommitters = 4
	// maxEnqueueBatch bounds a group.
	maxEnqueueBatch = 256
	// commitTimeout bounds a group's transaction; callers' contexts do not,
	// as a group holds many callers' events.
	commitTimeout = 30 * time.Second
)

// plansSQL opens each transaction that runs enqueueSQL or completeSQL
// (see newBatch): the statements after it, in its transaction, run their
// prepared statement's generic plan, planned without sequential or bitmap
// scans. Both statements find their rows by key, a lookup per event, and
// no other plan is right at any size of the tables; but PostgreSQL would
// choose by its estimates, which lag a queue table that grows by
// thousands of rows a second (a generic plan made on a small table scans
// it whole, and keeps doing so as it grows), and would plan enqueueSQL
// again at every execution (custom plans, for short arrays), which costs
// more than running it. The settings end with the transaction.
const plansSQL = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
	set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`

// newBatch returns a pipeline that opens with plansSQL and, when notify is
// set, the NOTIFY that wakes the dispatchers of every replica (delivered
// when the transaction commits). Read that first result with Exec.
func (s *driver) newBatch(notify bool) *pgx.Batch {
	b := &pgx.Batch{}
	if notify {
		b.Queue(plansSQL+`, pg_notify($1, $2)`, s.channel, eventsReady)
	} else {
		b.Queue(plansSQL)
	}
	return b
}

// runEnqueues stores reqs (at most one per ID and per hook and
// idempotency key) in one implicit transaction (one pipeline, one round
// trip: plansSQL with the NOTIFY, the completions left for later,
// enqueueSQL) and returns each one's answer.
// An error means nothing was stored.
func (s *driver) runEnqueues(ctx context.Context, reqs []*enqueueReq) ([]enqueueAnswer, error) {
	// An event enqueued claimed (EnqueueClaimed) is leased to its process:
	// no dispatcher could take it now, so it wakes none.
	claimable := false
	for _, r := range reqs {
		claimable = claimable || r.lease == 0
	}
	b := s.newBatch(claimable)
	// Completions left for later ride on this transaction.
	lazy := s.takeLazy()
	lazyStmts := s.queueLazy(b, lazy)
	b.Queue(s.q(enqueueSQL), enqueueArgs(reqs)...)
	s.groups.Add(1)
	br := s.pool.SendBatch(ctx, b)
	fail := func(err error) ([]enqueueAnswer, error) {
		br.Close()
		s.putBackLazy(lazy) // not committed
		return nil, err
	}
	if _, err := br.Exec(); err != nil { // plansSQL
		return fail(err)
	}
	for range lazyStmts {
		if _, err := br.Exec(); err != nil {
			return fail(err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return fail(err)
	}
	answers := make([]enqueueAnswer, len(reqs))
	got := 0
	for rows.Next() {
		var (
			n   int64
			res enqueueResult
		)
		if err := rows.Scan(&n, &res.taken, &res.inserted, &res.dupID, &res.dupCreated); err != nil {
			rows.Close()
			return fail(err)
		}
		if n < 1 || n > int64(len(reqs)) || answers[n-1].done {
			rows.Close()
			return fail(fmt.Errorf("pgstore: enqueue: unexpected result row %d", n))
		}
		a := &answers[n-1]
		a.id, a.err = res.outcome(reqs[n-1])
		a.done = true
		got++
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if got != len(reqs) {
		return fail(fmt.Errorf("pgstore: enqueue: %d result rows for %d events", got, len(reqs)))
	}
	// Close reads up to the end of the pipeline, the commit included.
	if err := br.Close(); err != nil {
		s.putBackLazy(lazy)
		return nil, err
	}
	return answers, nil
}

type enqueueAnswer struct {
	id   string
	err  error
	done bool // set by its result row
}

// commitGroup stores the batch in one transaction and answers each
// request. A request whose ID or idempotency key (for its hook) an earlier
// request of the batch carries is run on its own after the others have
// committed, as if it had come after them. If the transaction fails, each
// request is run again on its own, so that one bad request cannot fail its
// group.
func (s *driver) commitGroup(batch []*enqueueReq) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	type hookKey struct{ hook, key string }
	var group, later []*enqueueReq
	ids := make(map[string]bool, len(batch))
	keys := make(map[hookKey]bool, len(batch))
	for _, r := range batch {
		hk := hookKey{r.e.HookID, r.e.IdempotencyKey}
		if ids[r.e.ID] || hk.key != "" && keys[hk] {
			later = append(later, r)
			continue
		}
		ids[r.e.ID], keys[hk] = true, true
		group = append(group, r)
	}
	answers, err := s.runEnqueues(ctx, group)
	for i, r := range group {
		if err != nil && len(group) > 1 || err == nil && errors.Is(answers[i].err, errRetryAlone) {
			s.enqueueAlone(ctx, r)
			continue
		}
		if err != nil {
			r.id, r.err = "", s.wrap("enqueue event "+r.e.ID, err)
		} else {
			r.id, r.err = answers[i].id, answers[i].err
		}
		close(r.done)
	}
	for _, r := range later {
		s.enqueueAlone(ctx, r)
	}
}

// enqueueAlone stores one event on its own, trying again while the
// idempotency row that blocked it cannot be read, and answers the request.
func (s *driver) enqueueAlone(ctx context.Context, r *enqueueReq) {
	defer close(r.done)
	for range maxEnqueueTries {
		answers, err := s.runEnqueues(ctx, []*enqueueReq{r})
		if err != nil {
			r.id, r.err = "", s.wrap("enqueue event "+r.e.ID, err)
			return
		}
		if !errors.Is(answers[0].err, errRetryAlone) {
			r.id, r.err = answers[0].id, answers[0].err
			return
		}
	}
	r.id, r.err = "", fmt.Errorf("pgstore: enqueue event %q: idempotency key changed %d times while enqueuing: %w",
		r.e.ID, maxEnqueueTries, store.ErrConflict)
}

// lazyComplete is a completion CompleteLater left for a later commit.
type lazyComplete struct {
	id       string
	attempts int32
	now      time.Time
}

// lazyDelay is how long a completion left by CompleteLater waits for a
// write to ride on before it is committed on its own.
const lazyDelay = 10 * time.Millisecond

// completeSQL marks the events of three parallel arrays (IDs, claims'
// attempts, times) delivered, where the claim still holds, and returns
// the IDs it changed.
//
// It runs after plansSQL. The rows are found by primary key alone (id =
// ANY), each with its attempts and time by its position in the arrays:
// a join with the arrays (UPDATE ... FROM unnest) leaves the planner a
// nested loop over the arrays, rescanned for each row. "Not delivered and
// not dead" is "pending" (the state column's CHECK) in a form that does
// not match the predicate of the partial index events_claim: the planner,
// told by the statistics that few events are pending, would otherwise
// scan that index whole, with the entries of every event completed since
// the last VACUUM.
const completeSQL = `UPDATE {s}.events e SET state = 'delivered',
	updated_at = ($3::timestamptz[])[array_position($1::text[], e.id)]
WHERE e.id = ANY($1::text[]) AND e.state <> 'delivered' AND e.state <> 'dead'
	AND e.attempts = ($2::integer[])[array_position($1::text[], e.id)]
RETURNING e.id`

// CompleteLater implements store.LocalQueue. The completion is committed
// with the store's next Enqueue (in the same transaction), or on its own
// within lazyDelay (10ms), or by FlushCompletions or Close. A stale claim
// or an unknown ID changes nothing, silently.
func (s *driver) CompleteLater(id string, attempts int, now time.Time) {
	s.lazyMu.Lock()
	s.lazy = append(s.lazy, lazyComplete{id: id, attempts: int32(attempts), now: now})
	s.lazyMu.Unlock()
	select {
	case s.lazyKick <- struct{}{}:
	default:
	}
}

// FlushCompletions implements store.LocalQueue: it commits what
// CompleteLater left before it returns.
func (s *driver) FlushCompletions(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.flushLazy(ctx)
}

func (s *driver) takeLazy() []lazyComplete {
	s.lazyMu.Lock()
	defer s.lazyMu.Unlock()
	l := s.lazy
	s.lazy = nil
	return l
}

// putBackLazy returns completions whose commit failed, for a later one.
func (s *driver) putBackLazy(l []lazyComplete) {
	if len(l) == 0 {
		return
	}
	s.lazyMu.Lock()
	s.lazy = append(l, s.lazy...)
	s.lazyMu.Unlock()
}

// queueLazy adds to b the UPDATEs of completions l and returns how many
// it added. completeSQL finds each row's attempts by the first position
// of its ID, so the IDs of one statement must be distinct: an ID that l
// holds again (a stale CompleteLater beside the current one) goes into the
// next statement, where it matches what the claim holds or changes
// nothing.
func (s *driver) queueLazy(b *pgx.Batch, l []lazyComplete) int {
	n := 0
	for len(l) > 0 {
		seen := make(map[string]bool, len(l))
		var ids []string
		var atts []int32
		var nows []time.Time
		var again []lazyComplete
		for _, c := range l {
			if seen[c.id] {
				again = append(again, c)
				continue
			}
			seen[c.id] = true
			ids, atts, nows = append(ids, c.id), append(atts, c.attempts), append(nows, c.now)
		}
		b.Queue(s.q(completeSQL), ids, atts, nows)
		n++
		l = again
	}
	return n
}

// flushLazy commits the completions left for later, on their own.
func (s *driver) flushLazy(ctx context.Context) error {
	l := s.takeLazy()
	if len(l) == 0 {
		return nil
	}
	b := s.newBatch(false)
	s.queueLazy(b, l)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		s.putBackLazy(l)
		return s.wrap("commit completions", err)
	}
	return nil
}

// lazyLoop commits completions left for later that no Enqueue carried
// within lazyDelay, and what is left when the store closes.
func (s *driver) lazyLoop() {
	for {
		select {
		case <-s.quit:
			ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
			if err := s.flushLazy(ctx); err != nil {
				s.log.Error("pgstore: completions not committed at Close; their events will be delivered again after their lease", "err", err)
			}
			cancel()
			return
		case <-s.lazyKick:
		}
		select {
		case <-s.quit:
			continue // flush at once, above
		case <-time.After(lazyDelay):
		}
		ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
		if err := s.flushLazy(ctx); err != nil {
			s.log.Warn("pgstore: completions not committed; retrying", "err", err)
			select {
			case s.lazyKick <- struct{}{}:
			default:
			}
		}
		cancel()
	}
}

// NotifyEnqueued returns a channel that receives a value (coalesced: it
// holds at most one) soon after events were enqueued or replayed through
// any store on the schema, in this process or another, and when the store
// may have missed such news (its listening connection came back), and a
// function that stops the notifications. A dispatcher waits on it instead
// of polling for new events. It is safe for concurrent use.
func (s *driver) NotifyEnqueued() (<-chan struct{}, func()) {
	return s.listen.subscribe()
}

// Claim implements store.QueueStore. It updates the delivery state alone
// and reads the payloads beside it. Due events are taken by NextAttempt,
// then CreatedAt, then ID, with SELECT ... FOR UPDATE SKIP LOCKED: claimers
// in any number of processes skip the rows another claimer is taking
// instead of waiting for them, and each event goes to one claimer. A
// claim may return fewer than limit events while other claims run.
func (s *driver) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q(`WITH c AS (
	SELECT id, next_attempt AS due FROM {s}.events
	WHERE state = 'pending' AND next_attempt <= $1
	ORDER BY next_attempt, created_at, id
	LIMIT $3
	FOR UPDATE SKIP LOCKED
), e AS (
	UPDATE {s}.events e SET attempts = e.attempts + 1, next_attempt = $2, updated_at = $1
	FROM c WHERE e.id = c.id
	RETURNING e.*, c.due
)
SELECT `+eventSelect+` FROM e LEFT JOIN {s}.event_payloads p ON p.id = e.id
ORDER BY e.due, e.created_at, e.id`), now, now.Add(lease), limit)
	if err != nil {
		return nil, s.wrap("claim events", err)
	}
	evs, err := collectEvents(rows)
	if err != nil {
		return nil, s.wrap("claim events", err)
	}
	return evs, nil
}

// Complete implements store.QueueStore. Completions from concurrent
// callers (the dispatcher's workers) share a statement and a commit, as
// Enqueues do: two committers each take the completions waiting and mark
// them delivered in one UPDATE.
func (s *driver) Complete(ctx context.Context, id string, attempts int, now time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	req := &completeReq{id: id, attempts: attempts, now: now, done: make(chan struct{})}
	select {
	case s.completes <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return fmt.Errorf("pgstore: %w", store.ErrClosed)
	}
	<-req.done
	return req.err
}

// completeReq is one Complete waiting for a committer.
type completeReq struct {
	id       string
	attempts int
	now      time.Time
	err      error
	done     chan struct{} // closed when err is set
}

// completeCommitters is how many groups of completions may be in flight.
const completeCommitters = 2

// groupLoop takes one request from in, then whatever others are already
// waiting (up to max, without waiting for more), and hands them to run,
// until quit is closed.
func groupLoop[R any](quit <-chan struct{}, in <-chan R, max int, run func([]R)) {
	batch := make([]R, 0, max)
	for {
		select {
		case <-quit:
			return
		case r := <-in:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < max {
				select {
				case r := <-in:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			run(batch)
			clear(batch)
		}
	}
}

// completeGroup marks the batch's events delivered in one statement and
// answers each request; a request the statement did not apply is
// explained by notClaimed. A second completion of one event in the batch,
// or a batch whose statement fails, is run alone.
func (s *driver) completeGroup(batch []*completeReq) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	var group, later []*completeReq
	seen := make(map[string]bool, len(batch))
	for _, r := range batch {
		if seen[r.id] {
			later = append(later, r)
			continue
		}
		seen[r.id] = true
		group = append(group, r)
	}
	if len(group) == 1 {
		s.completeAlone(ctx, group[0])
	} else {
		ids := make([]string, len(group))
		atts := make([]int32, len(group))
		nows := make([]time.Time, len(group))
		for i, r := range group {
			ids[i], atts[i], nows[i] = r.id, int32(r.attempts), r.now
		}
		b := s.newBatch(false)
		b.Queue(s.q(completeSQL), ids, atts, nows)
		br := s.pool.SendBatch(ctx, b)
		var done []string
		_, err := br.Exec() // plansSQL
		if err == nil {
			var rows pgx.Rows
			if rows, err = br.Query(); err == nil {
				done, err = pgx.CollectRows(rows, pgx.RowTo[string])
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			for _, r := range group {
				s.completeAlone(ctx, r)
			}
		} else {
			applied := make(map[string]bool, len(done))
			for _, id := range done {
				applied[id] = true
			}
			for _, r := range group {
				if !applied[r.id] {
					r.err = s.notClaimed(ctx, r.id, r.attempts)
				}
				close(r.done)
			}
		}
	}
	for _, r := range later {
		s.completeAlone(ctx, r)
	}
}

// completeAlone marks one event delivered and answers the request.
func (s *driver) completeAlone(ctx context.Context, r *completeReq) {
	defer close(r.done)
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {s}.events SET state = 'delivered', updated_at = $2
WHERE id = $1 AND state = 'pending' AND attempts = $3`), r.id, r.now, r.attempts)
	switch {
	case err != nil:
		r.err = s.wrap("complete event "+r.id, err)
	case tag.RowsAffected() == 0:
		r.err = s.notClaimed(ctx, r.id, r.attempts)
	}
}

// notClaimed explains why a Complete or Fail of event id for the claim
// attempts changed nothing: the event is unknown (store.ErrNotFound) or
// no longer held by that claim (store.ErrStale).
func (s *driver) notClaimed(ctx context.Context, id string, attempts int) error {
	var state string
	var got int
	err := s.pool.QueryRow(ctx, s.q(`SELECT state, attempts FROM {s}.events WHERE id = $1`), id).Scan(&state, &got)
	if err != nil {
		return s.wrap(fmt.Sprintf("event %q", id), err)
	}
	return fmt.Errorf("pgstore: event %q is %s at attempt %d, not pending at attempt %d: %w", id, state, got, attempts, store.ErrStale)
}

// Fail implements store.QueueStore. It leaves UpdatedAt at the time of
// the claim, as it is given no clock reading.
func (s *driver) Fail(ctx context.Context, id string, attempts int, lastError string, next time.Time, dead bool) error {
	if err := s.check(); err != nil {
		return err
	}
	state := store.StatePending
	if dead {
		state = store.StateDead
	}
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {s}.events SET last_error = $2, next_attempt = $3, state = $4
WHERE id = $1 AND state = 'pending' AND attempts = $5`),
		id, []byte(lastError), next, string(state), attempts)
	if err != nil {
		return s.wrap("fail event "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return s.notClaimed(ctx, id, attempts)
	}
	return nil
}

// GetEvent implements store.QueueStore.
func (s *driver) GetEvent(ctx context.Context, org, id string) (*store.QueuedEvent, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ev, err := scanEvent(s.pool.QueryRow(ctx, s.q(`SELECT `+eventSelect+` FROM {s}.events e
LEFT JOIN {s}.event_payloads p ON p.id = e.id WHERE e.id = $1 AND e.org = $2`), id, org))
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("event %q", id), err)
	}
	return ev, nil
}

// ListEvents implements store.QueueStore: newest (by CreatedAt, then ID)
// first, without payloads. The statement holds only the conditions q
// sets, so that the planner picks the index that serves them
// (events_org_state, events_org_hook, events_org_idem or
// events_org_created); the cursor is a row comparison those indexes
// serve too.
func (s *driver) ListEvents(ctx context.Context, org string, q store.EventQuery) ([]*store.QueuedEvent, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	args := []any{org}
	where := []string{"org = $1"}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args))))
	}
	if q.State != "" {
		add("state = $?", string(q.State))
	}
	if q.HookID != "" {
		add("hook_id = $?", q.HookID)
	}
	if q.IdempotencyKey != "" {
		add("idempotency_key = $?", []byte(q.IdempotencyKey))
	}
	if !q.Since.IsZero() {
		add("created_at >= $?", q.Since)
	}
	if !q.Until.IsZero() {
		add("created_at < $?", q.Until)
	}
	if q.After.ID != "" {
		args = append(args, q.After.CreatedAt)
		add(fmt.Sprintf("(created_at, id) < ($%d, $?)", len(args)), q.After.ID)
	}
	var lim *int // NULL: LIMIT ALL
	if q.Limit > 0 {
		lim = &q.Limit
	}
	args = append(args, lim)
	// A list carries delivery states only: no payload is read.
	rows, err := s.pool.Query(ctx, s.q(`SELECT id, org, hook_id, idempotency_key, NULL::bytea, state, attempts, last_error,
	next_attempt, created_at, updated_at, payload_size FROM {s}.events
WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args))), args...)
	if err != nil {
		return nil, s.wrap("list events", err)
	}
	evs, err := collectEvents(rows)
	if err != nil {
		return nil, s.wrap("list events", err)
	}
	return evs, nil
}

// Replay implements store.QueueStore.
func (s *driver) Replay(ctx context.Context, org, id string, now time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	// One statement: the update, and the NOTIFY that wakes the
	// dispatchers of every replica, in one transaction.
	var n int
	err := s.pool.QueryRow(ctx, s.q(`WITH u AS (
	UPDATE {s}.events SET state = 'pending', attempts = 0, next_attempt = $3, updated_at = $3
	WHERE id = $1 AND org = $2 AND state = 'dead'
	RETURNING 1
)
SELECT count(*), pg_notify($4, $5) FROM u`), id, org, now, s.channel, eventsReady).Scan(&n, nil)
	if err != nil {
		return s.wrap("replay event "+id, err)
	}
	if n == 1 {
		return nil
	}
	var state string
	err = s.pool.QueryRow(ctx, s.q(`SELECT state FROM {s}.events WHERE id = $1 AND org = $2`), id, org).Scan(&state)
	if err != nil {
		return s.wrap(fmt.Sprintf("replay event %q", id), err)
	}
	return fmt.Errorf("pgstore: event %q is %s, not dead: %w", id, state, store.ErrConflict)
}

// Prune implements store.QueueStore. It deletes in batches of at most
// pruneBatch events, each with its payload and idempotency rows in one
// statement, and
// skips events another transaction holds locked (a later Prune takes
// them).
func (s *driver) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	total := 0
	for {
		var n int
		err := s.pool.QueryRow(ctx, s.q(`WITH d AS (
	DELETE FROM {s}.events WHERE state = 'delivered' AND updated_at < $1 AND id IN (
		SELECT id FROM {s}.events WHERE state = 'delivered' AND updated_at < $1
		ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
	RETURNING id, hook_id, idempotency_key
), k AS (
	DELETE FROM {s}.idempotency_keys i USING d
	WHERE i.hook_id = d.hook_id AND i.key = d.idempotency_key AND i.event_id = d.id
), p AS (
	DELETE FROM {s}.event_payloads p USING d WHERE p.id = d.id
)
SELECT count(*) FROM d`), before, pruneBatch).Scan(&n)
		if err != nil {
			return total, s.wrap("prune events", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// CountEvents implements store.QueueStore.
func (s *driver) CountEvents(ctx context.Context, state store.EventState) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	var n int
	if err := s.pool.QueryRow(ctx, s.q(`SELECT count(*) FROM {s}.events WHERE state = $1`), string(state)).Scan(&n); err != nil {
		return 0, s.wrap("count events", err)
	}
	return n, nil
}
