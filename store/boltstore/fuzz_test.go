package boltstore

import (
	"bytes"
	"testing"
	"time"
)

// FuzzTimeKey checks that the time encoding of the index keys round-trips
// and sorts in time order, for any pair of instants.
func FuzzTimeKey(f *testing.F) {
	f.Add(int64(0), uint32(0), int64(1), uint32(0))
	f.Add(int64(-62135596800), uint32(0), int64(1778051289), uint32(999999999))
	f.Add(int64(-1), uint32(999999999), int64(0), uint32(0))
	f.Fuzz(func(t *testing.T, s1 int64, n1 uint32, s2 int64, n2 uint32) {
		a := time.Unix(s1, int64(n1%1e9))
		b := time.Unix(s2, int64(n2%1e9))
		ka, kb := appendTime(nil, a), appendTime(nil, b)
		if got := parseTime(ka); !got.Equal(a) {
			t.Fatalf("parseTime: got %v, want %v", got, a)
		}
		if got, want := bytes.Compare(ka, kb), a.Compare(b); got != want {
			t.Fatalf("order of %v and %v: got %d, want %d", a, b, got, want)
		}
	})
}

// FuzzDecodeJSON feeds arbitrary bytes to the JSON decoder of hook, key
// and debug records, as a damaged file would: it must return an error,
// never panic.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"ID":"h1","Token":"t","CreatedAt":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"Hash":"!!"}`))
	f.Add([]byte{0xff, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var v struct {
			ID        string
			Hash      []byte
			CreatedAt time.Time
		}
		_ = decode("hook", []byte("id"), data, &v)
	})
}

// FuzzScanWAL feeds arbitrary bytes to the log's reader, as a damaged or
// cut-short log would be: it must never panic, and every record it
// returns must be one appendWALRecord writes back to the same bytes.
// The seeds are whole logs, which the reader must return whole.
func FuzzScanWAL(f *testing.F) {
	header := func(epoch uint64) []byte {
		return append(append([]byte(nil), walMagic...), 0, 0, 0, 0, 0, 0, 0, byte(epoch))
	}
	rec := func(id, org, key string, payload []byte) *eventRecord {
		return &eventRecord{ID: id, Org: org, HookID: "h1", IdempotencyKey: key,
			NextAttempt: t0, CreatedAt: t0, UpdatedAt: t0, PayloadSize: int64(len(payload))}
	}
	one := appendWALRecord(header(1), 1, rec("ev1", "acme", "", []byte(`{"a":1}`)), []byte(`{"a":1}`))
	two := appendWALRecord(one, 1, rec("ev2", "acme", "k", nil), nil)
	f.Add(one, uint64(1))
	f.Add(two, uint64(1))
	f.Add(two, uint64(2))
	f.Add(append(two, 0, 0, 0, 0), uint64(1))
	f.Add(two[:len(two)-3], uint64(1))
	f.Add([]byte{}, uint64(0))
	for _, seed := range []struct {
		data  []byte
		epoch uint64
		want  int
	}{{one, 1, 1}, {two, 1, 2}, {two, 2, 0}, {append(two, 0, 0, 0, 0), 1, 2}, {two[:len(two)-3], 1, 1}} {
		if evs, err := scanWAL(seed.data, seed.epoch, walHeaderLen); err != nil || len(evs) != seed.want {
			f.Fatalf("scanWAL of a %d-byte seed, epoch %d: got %d records, %v; want %d", len(seed.data), seed.epoch, len(evs), err, seed.want)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, epoch uint64) {
		evs, err := scanWAL(data, epoch, walHeaderLen)
		if err != nil {
			return
		}
		off := int64(walHeaderLen)
		for _, ev := range evs {
			want := data[off:ev.end.off]
			got := appendWALRecord(nil, epoch, ev.rec, ev.payload)
			if !bytes.Equal(got, want) {
				t.Fatalf("record at %d: written back as %x, was %x", off, got, want)
			}
			off = ev.end.off
		}
	})
}
