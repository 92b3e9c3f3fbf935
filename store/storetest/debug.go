package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

func newDebug(hookID, id string, tm time.Time) *store.DebugEntry {
	return &store.DebugEntry{
		ID:     id,
		HookID: hookID,
		Time:   tm,
		Data:   []byte(`{"entry":"` + id + `"}`),
	}
}

func debugCases() []testCase {
	ctx := context.Background()
	return []testCase{
		{name: "AppendListGet", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			var all []*store.DebugEntry
			for i := range 4 {
				d := newDebug("h1", fmt.Sprintf("d%02d", i), at(time.Duration(i)*time.Second))
				all = append(all, d)
				noErr(t, "AppendDebug", s.AppendDebug(ctx, d, 10))
			}
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h2", "x01", at(0)), 10))
			list, err := s.ListDebug(ctx, "h1")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug", debugIDs(list), []string{"d03", "d02", "d01", "d00"})
			checkDebug(t, "ListDebug[0]", list[0], all[3])
			got, err := s.GetDebug(ctx, "h1", "d01")
			noErr(t, "GetDebug", err)
			checkDebug(t, "GetDebug", got, all[1])
			_, err = s.GetDebug(ctx, "h2", "d01")
			wantErr(t, "GetDebug(other hook)", err, store.ErrNotFound)
			_, err = s.GetDebug(ctx, "h1", "nope")
			wantErr(t, "GetDebug(unknown)", err, store.ErrNotFound)
			list, err = s.ListDebug(ctx, "nope")
			noErr(t, "ListDebug(unknown hook)", err)
			checkIDs(t, "ListDebug(unknown hook)", debugIDs(list), nil)
		}},
		{name: "Invalid", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			wantErr(t, "AppendDebug(nil)", s.AppendDebug(ctx, nil, 10), store.ErrInvalid)
			wantErr(t, "AppendDebug(empty ID)", s.AppendDebug(ctx, newDebug("h1", "", at(0)), 10), store.ErrInvalid)
			wantErr(t, "AppendDebug(empty hook)", s.AppendDebug(ctx, newDebug("", "d1", at(0)), 10), store.ErrInvalid)
		}},
		{name: "Trim", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			for i := range 6 {
				noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h1", fmt.Sprintf("d%02d", i), at(time.Duration(i)*time.Second)), 3))
				noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h2", fmt.Sprintf("e%02d", i), at(time.Duration(i)*time.Second)), 10))
			}
			list, err := s.ListDebug(ctx, "h1")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(keep 3)", debugIDs(list), []string{"d05", "d04", "d03"})
			_, err = s.GetDebug(ctx, "h1", "d00")
			wantErr(t, "GetDebug(trimmed)", err, store.ErrNotFound)
			list, err = s.ListDebug(ctx, "h2")
			noErr(t, "ListDebug", err)
			if len(list) != 6 {
				t.Fatalf("ListDebug(other hook): got %d entries, want 6", len(list))
			}
			// A smaller keep trims the older entries at once.
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h2", "e06", at(time.Minute)), 2))
			list, err = s.ListDebug(ctx, "h2")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(keep 2)", debugIDs(list), []string{"e06", "e05"})
			// keep < 1 means 1.
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h2", "e07", at(2*time.Minute)), 0))
			list, err = s.ListDebug(ctx, "h2")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(keep 0)", debugIDs(list), []string{"e07"})
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h2", "e08", at(3*time.Minute)), -5))
			list, err = s.ListDebug(ctx, "h2")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(keep -5)", debugIDs(list), []string{"e08"})
		}},
		{name: "Clear", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h1", "d1", at(0)), 10))
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h1", "d2", at(1)), 10))
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h2", "d3", at(0)), 10))
			noErr(t, "ClearDebug", s.ClearDebug(ctx, "h1"))
			list, err := s.ListDebug(ctx, "h1")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(cleared)", debugIDs(list), nil)
			_, err = s.GetDebug(ctx, "h1", "d1")
			wantErr(t, "GetDebug(cleared)", err, store.ErrNotFound)
			list, err = s.ListDebug(ctx, "h2")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(other hook)", debugIDs(list), []string{"d3"})
			noErr(t, "ClearDebug(empty)", s.ClearDebug(ctx, "h1"))
			noErr(t, "ClearDebug(unknown)", s.ClearDebug(ctx, "nope"))
			// Appending after a clear works.
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h1", "d4", at(2)), 10))
			list, err = s.ListDebug(ctx, "h1")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(after clear)", debugIDs(list), []string{"d4"})
		}},
		{name: "Copies", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			in := newDebug("h1", "d1", at(0))
			want := newDebug("h1", "d1", at(0))
			noErr(t, "AppendDebug", s.AppendDebug(ctx, in, 10))
			in.Data[0] = 'X'
			got, err := s.GetDebug(ctx, "h1", "d1")
			noErr(t, "GetDebug", err)
			checkDebug(t, "GetDebug after changing the input", got, want)
			got.Data[0] = 'X'
			list, err := s.ListDebug(ctx, "h1")
			noErr(t, "ListDebug", err)
			checkDebug(t, "ListDebug after changing a returned record", list[0], want)
			list[0].Data[0] = 'X'
			got, err = s.GetDebug(ctx, "h1", "d1")
			noErr(t, "GetDebug", err)
			checkDebug(t, "GetDebug after changing a listed record", got, want)
		}},
	}
}
