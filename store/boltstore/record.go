package boltstore

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

// eventRecord is the delivery state of a queued event: everything of a
// store.QueuedEvent but its payload, which is stored apart (bPayloads),
// written once by Enqueue and never rewritten. Claim, Complete, Fail and
// Replay read and write this small record alone.
type eventRecord struct {
	ID             string
	Org            string
	HookID         string
	IdempotencyKey string
	State          store.EventState
	Attempts       int
	LastError      string
	NextAttempt    time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	PayloadSize    int64
	// Claimed says a claim holds the event's lease (Claim, EnqueueClaimed);
	// every other change clears it. Open releases such leases: the file's
	// lock says the process that held them is gone.
	Claimed bool
}

// claimedBit marks a claimed record in its state byte.
const claimedBit = 0x80

// recordVersion is the first byte of an encoded eventRecord. Version 1
// had no PayloadSize; Open rewrites such records (migrateV2), and
// decodeRecord still reads them (with a size of 0).
const (
	recordVersion   = 2
	recordVersionV1 = 1
)

// The encoded states.
const (
	statePending   = 0
	stateDelivered = 1
	stateDead      = 2
)

func encodeState(st store.EventState) (byte, bool) {
	switch st {
	case store.StatePending:
		return statePending, true
	case store.StateDelivered:
		return stateDelivered, true
	case store.StateDead:
		return stateDead, true
	}
	return 0, false
}

var decodedStates = [...]store.EventState{statePending: store.StatePending,
	stateDelivered: store.StateDelivered, stateDead: store.StateDead}

// encode returns r's stored form, a compact binary record:
//
//	version (1 byte) | state, with claimedBit (1 byte) | uvarint Attempts |
//	uvarint PayloadSize | timeKey(NextAttempt) | timeKey(CreatedAt) | timeKey(UpdatedAt) |
//	lp(Org) | lp(HookID) | lp(IdempotencyKey) | LastError (the rest)
//
// The ID is the record's key and is not repeated.
func (r *eventRecord) encode() []byte {
	st, _ := encodeState(r.State)
	b := make([]byte, 0, 2+2*binary.MaxVarintLen64+3*timeKeyLen+3*binary.MaxVarintLen16+
		len(r.Org)+len(r.HookID)+len(r.IdempotencyKey)+len(r.LastError))
	if r.Claimed {
		st |= claimedBit
	}
	b = append(b, recordVersion, st)
	b = binary.AppendUvarint(b, uint64(max(r.Attempts, 0)))
	b = binary.AppendUvarint(b, uint64(max(r.PayloadSize, 0)))
	b = appendTime(b, r.NextAttempt)
	b = appendTime(b, r.CreatedAt)
	b = appendTime(b, r.UpdatedAt)
	b = appendLP(b, r.Org)
	b = appendLP(b, r.HookID)
	b = appendLP(b, r.IdempotencyKey)
	return append(b, r.LastError...)
}

// decodeRecord is the inverse of encode; id is the record's key. It
// returns an error wrapping ErrCorrupt for bytes encode cannot have made.
func decodeRecord(id string, b []byte) (*eventRecord, error) {
	corrupt := func(what string) error {
		return fmt.Errorf("%w: event %q: %s", ErrCorrupt, id, what)
	}
	if len(b) < 2 || (b[0] != recordVersion && b[0] != recordVersionV1) {
		return nil, corrupt("unknown record version")
	}
	st := b[1] &^ claimedBit
	if int(st) >= len(decodedStates) {
		return nil, corrupt("unknown state")
	}
	r := &eventRecord{ID: id, State: decodedStates[st], Claimed: b[1]&claimedBit != 0}
	attempts, w := binary.Uvarint(b[2:])
	if w <= 0 || attempts > 1<<31 {
		return nil, corrupt("bad attempts")
	}
	r.Attempts = int(attempts)
	rest := b[2+w:]
	if b[0] == recordVersion {
		size, w := binary.Uvarint(rest)
		if w <= 0 || size > 1<<62 {
			return nil, corrupt("bad payload size")
		}
		r.PayloadSize = int64(size)
		rest = rest[w:]
	}
	if len(rest) < 3*timeKeyLen {
		return nil, corrupt("short record")
	}
	r.NextAttempt = parseTime(rest)
	r.CreatedAt = parseTime(rest[timeKeyLen:])
	r.UpdatedAt = parseTime(rest[2*timeKeyLen:])
	rest = rest[3*timeKeyLen:]
	var ok bool
	for _, f := range []*string{&r.Org, &r.HookID, &r.IdempotencyKey} {
		if *f, rest, ok = cutLP(rest); !ok {
			return nil, corrupt("bad field")
		}
	}
	r.LastError = string(rest)
	return r, nil
}

// event returns the store.QueuedEvent of r with the given payload.
func (r *eventRecord) event(payload []byte) *store.QueuedEvent {
	return &store.QueuedEvent{
		ID: r.ID, Org: r.Org, HookID: r.HookID, IdempotencyKey: r.IdempotencyKey,
		Payload: payload, State: r.State, Attempts: r.Attempts, LastError: r.LastError,
		NextAttempt: r.NextAttempt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		PayloadSize: r.PayloadSize,
	}
}

// getRecord reads the delivery state of event id.
func getRecord(tx *bolt.Tx, id string) (*eventRecord, error) {
	data := tx.Bucket(bStates).Get([]byte(id))
	if data == nil {
		return nil, notFound("event", id)
	}
	return decodeRecord(id, data)
}

// bigPayload is the size from which a payload gets a nested bucket of its
// own instead of a value in bPayloads. bbolt rewrites a whole leaf node,
// overflow pages included, whenever one of its keys changes: a large
// value among its neighbours would be rewritten with every Enqueue or
// Prune that touches that leaf. In its own bucket it has its own pages,
// written once and freed by Prune without being read.
const bigPayload = 16 << 10

// payloadKey is the one key of a payload's nested bucket.
var payloadKey = []byte("p")

// putPayload stores the payload of event id. bbolt keeps p until the
// commit, so the caller must not change it meanwhile.
func putPayload(tx *bolt.Tx, id []byte, p []byte) error {
	b := tx.Bucket(bPayloads)
	if p == nil {
		p = []byte{}
	}
	if len(p) < bigPayload {
		return b.Put(id, p)
	}
	nb, err := b.CreateBucket(id)
	if err != nil {
		return err
	}
	return nb.Put(payloadKey, p)
}

// getPayload returns the payload of event id, valid only during tx, and
// whether there is one.
func getPayload(tx *bolt.Tx, id []byte) ([]byte, bool) {
	b := tx.Bucket(bPayloads)
	if v := b.Get(id); v != nil {
		return v, true
	}
	if nb := b.Bucket(id); nb != nil {
		v := nb.Get(payloadKey)
		return v, v != nil
	}
	return nil, false
}

// payloadLen returns the length of the payload of event id without
// copying it (0 when there is none).
func payloadLen(tx *bolt.Tx, id []byte) int64 {
	p, _ := getPayload(tx, id)
	return int64(len(p))
}

// deletePayload removes the payload of event id, if any.
func deletePayload(tx *bolt.Tx, id []byte) error {
	b := tx.Bucket(bPayloads)
	if b.Bucket(id) != nil {
		return b.DeleteBucket(id)
	}
	return b.Delete(id)
}

// getEvent reads event id with a copy of its payload.
func getEvent(tx *bolt.Tx, id string) (*store.QueuedEvent, error) {
	r, err := getRecord(tx, id)
	if err != nil {
		return nil, err
	}
	p, ok := getPayload(tx, []byte(id))
	if !ok {
		return nil, fmt.Errorf("%w: event %q: no payload", ErrCorrupt, id)
	}
	return r.event(clonePayload(p)), nil
}

// clonePayload copies a payload out of a transaction; an empty one stays
// non-nil, as it went in.
func clonePayload(p []byte) []byte {
	return append(make([]byte, 0, len(p)), p...)
}
