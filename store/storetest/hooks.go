package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

func newHook(id, org, token string, created time.Time) *store.Hook {
	return &store.Hook{
		ID:          id,
		Org:         org,
		Kind:        "web",
		Name:        "hook " + id,
		Description: "description of " + id,
		Token:       token,
		Debug:       true,
		ExampleData: []byte(`{"example":"` + id + `"}`),
		Settings:    []byte(`{"redirect":"https://example.com/` + id + `"}`),
		CreatedAt:   created,
		UpdatedAt:   created.Add(time.Second),
	}
}

func mustCreateHook(t *testing.T, s store.Store, h *store.Hook) {
	t.Helper()
	noErr(t, "CreateHook "+h.ID, s.CreateHook(context.Background(), h))
}

func hookCases() []testCase {
	ctx := context.Background()
	return []testCase{
		{name: "CreateGet", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			want := newHook("h1", "org1", "tok1", at(0))
			// A time with nanoseconds and a zone must come back as the
			// same instant to the microsecond.
			want.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 987654321, time.FixedZone("X", 3600))
			mustCreateHook(t, s, want)
			got, err := s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook", got, want)
			got, err = s.HookByToken(ctx, "tok1")
			noErr(t, "HookByToken", err)
			checkHook(t, "HookByToken", got, want)
		}},
		{name: "CreateEmptyFields", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			want := &store.Hook{ID: "h1", Token: "tok1", Kind: "form", CreatedAt: at(0), UpdatedAt: at(0)}
			mustCreateHook(t, s, want)
			got, err := s.GetHook(ctx, "", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook", got, want)
		}},
		{name: "CreateInvalid", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			wantErr(t, "CreateHook(nil)", s.CreateHook(ctx, nil), store.ErrInvalid)
			wantErr(t, "CreateHook(empty ID)", s.CreateHook(ctx, newHook("", "org1", "tok1", at(0))), store.ErrInvalid)
		}},
		{name: "CreateConflict", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			first := newHook("h1", "org1", "tok1", at(0))
			mustCreateHook(t, s, first)
			wantErr(t, "CreateHook(same ID)", s.CreateHook(ctx, newHook("h1", "org1", "tok2", at(1))), store.ErrConflict)
			wantErr(t, "CreateHook(same ID, other org)", s.CreateHook(ctx, newHook("h1", "org2", "tok3", at(1))), store.ErrConflict)
			wantErr(t, "CreateHook(same token)", s.CreateHook(ctx, newHook("h2", "org1", "tok1", at(1))), store.ErrConflict)
			wantErr(t, "CreateHook(same token, other org)", s.CreateHook(ctx, newHook("h3", "org2", "tok1", at(1))), store.ErrConflict)
			// The failed creates left nothing behind.
			for _, id := range []string{"h2", "h3"} {
				_, err := s.GetHook(ctx, "org1", id)
				wantErr(t, "GetHook "+id, err, store.ErrNotFound)
				_, err = s.GetHook(ctx, "org2", id)
				wantErr(t, "GetHook "+id, err, store.ErrNotFound)
			}
			for _, tok := range []string{"tok2", "tok3"} {
				_, err := s.HookByToken(ctx, tok)
				wantErr(t, "HookByToken "+tok, err, store.ErrNotFound)
			}
			got, err := s.HookByToken(ctx, "tok1")
			noErr(t, "HookByToken", err)
			checkHook(t, "HookByToken", got, first)
		}},
		{name: "NotFound", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustCreateHook(t, s, newHook("h1", "org1", "tok1", at(0)))
			_, err := s.GetHook(ctx, "org1", "nope")
			wantErr(t, "GetHook(unknown)", err, store.ErrNotFound)
			_, err = s.HookByToken(ctx, "nope")
			wantErr(t, "HookByToken(unknown)", err, store.ErrNotFound)
			_, err = s.HookByToken(ctx, "TOK1")
			wantErr(t, "HookByToken(other case)", err, store.ErrNotFound)
			wantErr(t, "UpdateHook(unknown)", s.UpdateHook(ctx, newHook("nope", "org1", "tok9", at(0))), store.ErrNotFound)
			wantErr(t, "DeleteHook(unknown)", s.DeleteHook(ctx, "org1", "nope"), store.ErrNotFound)
			wantErr(t, "UpdateHook(nil)", s.UpdateHook(ctx, nil), store.ErrInvalid)
		}},
		{name: "OrgScoping", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			want := newHook("h1", "org1", "tok1", at(0))
			mustCreateHook(t, s, want)
			mustCreateHook(t, s, newHook("h2", "org2", "tok2", at(0)))
			_, err := s.GetHook(ctx, "org2", "h1")
			wantErr(t, "GetHook(other org)", err, store.ErrNotFound)
			_, err = s.GetHook(ctx, "", "h1")
			wantErr(t, "GetHook(empty org)", err, store.ErrNotFound)
			other := newHook("h1", "org2", "tok9", at(5))
			other.Name = "stolen"
			wantErr(t, "UpdateHook(other org)", s.UpdateHook(ctx, other), store.ErrNotFound)
			wantErr(t, "DeleteHook(other org)", s.DeleteHook(ctx, "org2", "h1"), store.ErrNotFound)
			got, err := s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after foreign update/delete", got, want)
			_, err = s.HookByToken(ctx, "tok9")
			wantErr(t, "HookByToken(token of failed update)", err, store.ErrNotFound)
			list, err := s.ListHooks(ctx, "org2")
			noErr(t, "ListHooks", err)
			checkIDs(t, "ListHooks(org2)", hookIDs(list), []string{"h2"})
			list, err = s.ListHooks(ctx, "org3")
			noErr(t, "ListHooks", err)
			checkIDs(t, "ListHooks(org3)", hookIDs(list), nil)
		}},
		{name: "ListOrder", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			// Created out of order; b and c share a CreatedAt and sort by ID.
			mustCreateHook(t, s, newHook("d", "org1", "tok-d", at(3*time.Hour)))
			mustCreateHook(t, s, newHook("c", "org1", "tok-c", at(time.Hour)))
			mustCreateHook(t, s, newHook("x", "org2", "tok-x", at(0)))
			mustCreateHook(t, s, newHook("a", "org1", "tok-a", at(2*time.Hour)))
			mustCreateHook(t, s, newHook("b", "org1", "tok-b", at(time.Hour)))
			mustCreateHook(t, s, newHook("e", "org1", "tok-e", at(-time.Hour)))
			list, err := s.ListHooks(ctx, "org1")
			noErr(t, "ListHooks", err)
			checkIDs(t, "ListHooks", hookIDs(list), []string{"e", "b", "c", "a", "d"})
			checkHook(t, "ListHooks[0]", list[0], newHook("e", "org1", "tok-e", at(-time.Hour)))
		}},
		{name: "Update", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustCreateHook(t, s, newHook("h1", "org1", "tok1", at(0)))
			mustCreateHook(t, s, newHook("h2", "org1", "tok2", at(0)))
			up := newHook("h1", "org1", "tok1new", at(0))
			up.Name, up.Description, up.Kind = "renamed", "new description", "email"
			up.Debug, up.Disabled = false, true
			up.ExampleData, up.Settings = nil, []byte(`{"x":1}`)
			up.UpdatedAt = at(time.Hour)
			noErr(t, "UpdateHook", s.UpdateHook(ctx, up))
			if up.Revision != 0 {
				t.Fatalf("UpdateHook changed its input's Revision: got %d, want 0", up.Revision)
			}
			up.Revision = 1
			got, err := s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after update", got, up)
			got, err = s.HookByToken(ctx, "tok1new")
			noErr(t, "HookByToken(new token)", err)
			checkHook(t, "HookByToken(new token)", got, up)
			_, err = s.HookByToken(ctx, "tok1")
			wantErr(t, "HookByToken(old token)", err, store.ErrNotFound)
			// The old token is free again.
			mustCreateHook(t, s, newHook("h3", "org2", "tok1", at(0)))

			// Changing the token to one in use fails and changes nothing.
			bad := newHook("h1", "org1", "tok2", at(0))
			bad.Name = "should not stick"
			bad.Revision = 1 // current: the token, not the revision, is refused
			wantTokenConflict(t, "UpdateHook(token in use)", s.UpdateHook(ctx, bad))
			bad.Token = "tok1" // held by h3 in another org
			wantTokenConflict(t, "UpdateHook(token in use in other org)", s.UpdateHook(ctx, bad))
			got, err = s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after failed update", got, up)
			got, err = s.HookByToken(ctx, "tok2")
			noErr(t, "HookByToken(tok2)", err)
			if got.ID != "h2" {
				t.Fatalf("HookByToken(tok2): got %q, want %q", got.ID, "h2")
			}
			// Keeping the same token is not a conflict with itself.
			up.Name = "renamed again"
			noErr(t, "UpdateHook(same token)", s.UpdateHook(ctx, up))
			up.Revision = 2
			got, err = s.HookByToken(ctx, "tok1new")
			noErr(t, "HookByToken", err)
			checkHook(t, "HookByToken after second update", got, up)
			list, err := s.ListHooks(ctx, "org1")
			noErr(t, "ListHooks", err)
			checkIDs(t, "ListHooks", hookIDs(list), []string{"h1", "h2"})
		}},
		{name: "Revision", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			in := newHook("h1", "org1", "tok1", at(0))
			in.Revision = 7 // CreateHook stores 0 whatever it is given
			mustCreateHook(t, s, in)
			want := newHook("h1", "org1", "tok1", at(0))
			got, err := s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after create", got, want)

			// Two writers read revision 0; the first one's write wins.
			first, second := *got, *got
			first.Name, first.Token = "first", "tok-first"
			second.Name, second.Token = "second", "tok-second"
			noErr(t, "UpdateHook(first)", s.UpdateHook(ctx, &first))
			err = s.UpdateHook(ctx, &second)
			wantErr(t, "UpdateHook(stale)", err, store.ErrStale)
			wantErr(t, "UpdateHook(stale)", err, store.ErrConflict)
			want = &first
			want.Revision = 1
			got, err = s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after a stale update", got, want)
			_, err = s.HookByToken(ctx, "tok-second")
			wantErr(t, "HookByToken(token of the stale update)", err, store.ErrNotFound)
			_, err = s.HookByToken(ctx, "tok1")
			wantErr(t, "HookByToken(replaced token)", err, store.ErrNotFound)
			got, err = s.HookByToken(ctx, "tok-first")
			noErr(t, "HookByToken(first)", err)
			checkHook(t, "HookByToken(first)", got, want)

			// Re-reading and re-applying succeeds; each update adds one.
			got.Name = "second"
			noErr(t, "UpdateHook(re-read)", s.UpdateHook(ctx, got))
			got.Revision = 2
			again, err := s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after the re-read update", again, got)
			// A revision from the future is stale too.
			again.Revision = 9
			wantErr(t, "UpdateHook(future revision)", s.UpdateHook(ctx, again), store.ErrStale)
			list, err := s.ListHooks(ctx, "org1")
			noErr(t, "ListHooks", err)
			checkHook(t, "ListHooks after the refused update", list[0], got)
		}},
		{name: "Delete", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustCreateHook(t, s, newHook("h1", "org1", "tok1", at(0)))
			mustCreateHook(t, s, newHook("h2", "org1", "tok2", at(time.Second)))
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h1", "d1", at(0)), 10))
			noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h2", "d2", at(0)), 10))
			noErr(t, "DeleteHook", s.DeleteHook(ctx, "org1", "h1"))
			_, err := s.GetHook(ctx, "org1", "h1")
			wantErr(t, "GetHook(deleted)", err, store.ErrNotFound)
			_, err = s.HookByToken(ctx, "tok1")
			wantErr(t, "HookByToken(deleted)", err, store.ErrNotFound)
			wantErr(t, "DeleteHook(again)", s.DeleteHook(ctx, "org1", "h1"), store.ErrNotFound)
			entries, err := s.ListDebug(ctx, "h1")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(deleted hook)", debugIDs(entries), nil)
			_, err = s.GetDebug(ctx, "h1", "d1")
			wantErr(t, "GetDebug(deleted hook)", err, store.ErrNotFound)
			entries, err = s.ListDebug(ctx, "h2")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug(other hook)", debugIDs(entries), []string{"d2"})
			list, err := s.ListHooks(ctx, "org1")
			noErr(t, "ListHooks", err)
			checkIDs(t, "ListHooks", hookIDs(list), []string{"h2"})
			// ID and token may be used again.
			again := newHook("h1", "org1", "tok1", at(time.Hour))
			mustCreateHook(t, s, again)
			got, err := s.HookByToken(ctx, "tok1")
			noErr(t, "HookByToken", err)
			checkHook(t, "HookByToken(recreated)", got, again)
		}},
		{name: "Copies", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			in := newHook("h1", "org1", "tok1", at(0))
			want := newHook("h1", "org1", "tok1", at(0))
			mustCreateHook(t, s, in)
			// Changing the caller's record after Create changes nothing.
			in.Name = "changed"
			in.ExampleData[0] = 'X'
			in.Settings[0] = 'X'
			got, err := s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after changing the input", got, want)
			// Changing a returned record changes nothing. Its ExampleData
			// and Settings are read-only (the store may share them): a
			// caller replaces them.
			got.Name = "changed"
			got.Token = "changed"
			got.ExampleData = []byte(`{"other":1}`)
			got.Settings = nil
			byTok, err := s.HookByToken(ctx, "tok1")
			noErr(t, "HookByToken", err)
			checkHook(t, "HookByToken after changing a returned record", byTok, want)
			byTok.ExampleData = nil
			list, err := s.ListHooks(ctx, "org1")
			noErr(t, "ListHooks", err)
			checkHook(t, "ListHooks after changing a returned record", list[0], want)
			list[0].ExampleData = []byte(`[]`)
			list[0].Name = "changed"
			got, err = s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after changing a listed record", got, want)
			// An update stores a copy, and the records returned before it
			// keep what they read.
			before, err := s.HookByToken(ctx, "tok1")
			noErr(t, "HookByToken", err)
			up := newHook("h1", "org1", "tok1", at(0))
			wantUp := newHook("h1", "org1", "tok1", at(0))
			wantUp.Revision = 1
			noErr(t, "UpdateHook", s.UpdateHook(ctx, up))
			up.Settings[0] = 'X'
			up.ExampleData[0] = 'X'
			checkHook(t, "a record read before UpdateHook", before, want)
			got, err = s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after changing the update input", got, wantUp)
		}},
	}
}

// wantTokenConflict checks that err is a token conflict (ErrConflict) and
// not a stale revision (ErrStale).
func wantTokenConflict(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, store.ErrConflict)
	if errors.Is(err, store.ErrStale) {
		t.Fatalf("%s: got %v, want a token conflict, not a stale revision", what, err)
	}
}
