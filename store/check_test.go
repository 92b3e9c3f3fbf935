package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/store"
)

func TestChecks(t *testing.T) {
	long := strings.Repeat("x", store.MaxIDLen+1)
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"hook", store.CheckHook(&store.Hook{ID: "h", Token: "t"}), true},
		{"nil hook", store.CheckHook(nil), false},
		{"hook without token", store.CheckHook(&store.Hook{ID: "h"}), false},
		{"hook with long org", store.CheckHook(&store.Hook{ID: "h", Token: "t", Org: long}), false},
		{"key", store.CheckKey(&store.Key{ID: "k"}), true},
		{"nil key", store.CheckKey(nil), false},
		{"key with long ID", store.CheckKey(&store.Key{ID: long}), false},
		{"debug entry", store.CheckDebugEntry(&store.DebugEntry{ID: "d", HookID: "h"}), true},
		{"debug entry without hook", store.CheckDebugEntry(&store.DebugEntry{ID: "d"}), false},
		{"nil debug entry", store.CheckDebugEntry(nil), false},
		{"event", store.CheckEvent(&store.QueuedEvent{ID: "e"}), true},
		{"nil event", store.CheckEvent(nil), false},
		{"event with long key", store.CheckEvent(&store.QueuedEvent{ID: "e",
			IdempotencyKey: strings.Repeat("k", store.MaxIdempotencyKeyLen+1)}), false},
	}
	for _, tt := range tests {
		if (tt.err == nil) != tt.ok || tt.err != nil && !errors.Is(tt.err, store.ErrInvalid) {
			t.Errorf("%s: got %v, want ok %v or ErrInvalid", tt.name, tt.err, tt.ok)
		}
	}
}
