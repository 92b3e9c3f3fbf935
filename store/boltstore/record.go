package boltstore

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

// eventRecord is the stored form of a store.QueuedEvent: the same JSON
// document encoding/json makes of a QueuedEvent (same field names, the
// payload as a base64 string), but with the payload kept as it is stored,
// so that Claim, Complete, Fail and Replay, which change only an event's
// delivery fields, neither decode nor re-encode the payload inside the
// committer's transaction.
type eventRecord struct {
	ID             string
	Org            string
	HookID         string
	IdempotencyKey string
	Payload        json.RawMessage // a JSON string (base64) or null
	State          store.EventState
	Attempts       int
	LastError      string
	NextAttempt    time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// newRecord returns the record of e.
func newRecord(e *store.QueuedEvent) (*eventRecord, error) {
	payload, err := json.Marshal(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("boltstore: encode: %w", err)
	}
	return &eventRecord{
		ID: e.ID, Org: e.Org, HookID: e.HookID, IdempotencyKey: e.IdempotencyKey,
		Payload: payload, State: e.State, Attempts: e.Attempts, LastError: e.LastError,
		NextAttempt: e.NextAttempt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}, nil
}

// event decodes r's payload and returns the event r stores.
func (r *eventRecord) event() (*store.QueuedEvent, error) {
	var payload []byte
	if len(r.Payload) > 0 { // absent: nil, as for a QueuedEvent
		if err := json.Unmarshal(r.Payload, &payload); err != nil {
			return nil, fmt.Errorf("%w: event %q: payload: %v", ErrCorrupt, r.ID, err)
		}
	}
	return &store.QueuedEvent{
		ID: r.ID, Org: r.Org, HookID: r.HookID, IdempotencyKey: r.IdempotencyKey,
		Payload: payload, State: r.State, Attempts: r.Attempts, LastError: r.LastError,
		NextAttempt: r.NextAttempt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}, nil
}

// encode returns r's stored form.
func (r *eventRecord) encode() ([]byte, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("boltstore: encode: %w", err)
	}
	return data, nil
}

// getRecord reads the record of event id, leaving its payload encoded.
func getRecord(tx *bolt.Tx, id string) (*eventRecord, error) {
	data := tx.Bucket(bEvents).Get([]byte(id))
	if data == nil {
		return nil, notFound("event", id)
	}
	var r eventRecord
	if err := decode("event", []byte(id), data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// getEvent reads event id, payload decoded.
func getEvent(tx *bolt.Tx, id string) (*store.QueuedEvent, error) {
	r, err := getRecord(tx, id)
	if err != nil {
		return nil, err
	}
	return r.event()
}
