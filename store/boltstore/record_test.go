package boltstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// TestRecordCompatible checks that an eventRecord is stored exactly as
// encoding/json stores a store.QueuedEvent (so files written before the
// record type, and readers of either form, keep working) and that it
// decodes back to the same event.
func TestRecordCompatible(t *testing.T) {
	base := store.QueuedEvent{
		ID: "ev1", Org: "acme", HookID: "h1", IdempotencyKey: "k\u2028<&>\"",
		State: store.StateDead, Attempts: 3, LastError: "trigger: 503",
		NextAttempt: t0.Add(time.Minute), CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
	tests := []struct {
		name    string
		payload []byte
	}{
		{"nil payload", nil},
		{"empty payload", []byte{}},
		{"json payload", []byte(`{"data":{"name":"Ada"}}`)},
		{"binary payload", []byte{0, 0xff, 0xfe, '"', '\\', '\n'}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			e.Payload = tc.payload
			want, err := json.Marshal(&e)
			if err != nil {
				t.Fatal(err)
			}
			r, err := newRecord(&e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoding:\ngot  %s\nwant %s", got, want)
			}
			var back eventRecord
			if err := decode("event", []byte(e.ID), want, &back); err != nil {
				t.Fatal(err)
			}
			ev, err := back.event()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev, &e) {
				t.Fatalf("decoded: got %+v, want %+v", ev, &e)
			}
		})
	}
}

// FuzzDecodeEventRecord checks, for arbitrary stored bytes, that reading
// them as an eventRecord and then decoding the payload agrees with
// reading them as a store.QueuedEvent: both fail, or both give the same
// event. It never panics.
func FuzzDecodeEventRecord(f *testing.F) {
	f.Add([]byte(`{"ID":"e1","Payload":"eyJhIjoxfQ==","State":"pending","CreatedAt":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"Payload":"!!"}`))
	f.Add([]byte(`{"Payload":null,"Attempts":2}`))
	f.Add([]byte(`{"Payload":12}`))
	f.Add([]byte{0xff, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var want store.QueuedEvent
		wantErr := json.Unmarshal(data, &want)
		var r eventRecord
		err := decode("event", []byte("id"), data, &r)
		var got *store.QueuedEvent
		if err == nil {
			got, err = r.event()
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error: got %v, want one wrapping %v", err, ErrCorrupt)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("record error %v, event error %v", err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, &want) {
			t.Fatalf("decoded: got %+v, want %+v", got, &want)
		}
	})
}
