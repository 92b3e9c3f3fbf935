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
