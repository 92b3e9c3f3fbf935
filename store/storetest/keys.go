package storetest

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

func newKey(id, org string, created time.Time) *store.Key {
	sum := sha256.Sum256([]byte("secret of " + id))
	return &store.Key{
		ID:        id,
		Org:       org,
		Name:      "key " + id,
		Roles:     []string{"org.hooks", "org.admin"},
		Hash:      sum[:],
		CreatedAt: created,
	}
}

func mustCreateKey(t *testing.T, s store.Store, k *store.Key) {
	t.Helper()
	noErr(t, "CreateKey "+k.ID, s.CreateKey(context.Background(), k))
}

func keyCases() []testCase {
	ctx := context.Background()
	return []testCase{
		{name: "TouchKey", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			ku, ok := store.As[store.KeyUsageStore](s)
			if !ok {
				t.Skip("the store keeps no key usage (store.KeyUsageStore is optional)")
			}
			k := newKey("k1", "org1", at(0))
			k.LastUsed = at(time.Hour) // CreateKey ignores it
			mustCreateKey(t, s, k)
			lastUsed := func() time.Time {
				t.Helper()
				ks, err := s.ListKeys(ctx, "org1")
				noErr(t, "ListKeys", err)
				if len(ks) != 1 {
					t.Fatalf("ListKeys: got %d keys, want 1", len(ks))
				}
				return ks[0].LastUsed
			}
			if got := lastUsed(); !got.IsZero() {
				t.Fatalf("LastUsed of a new key: got %v, want zero", got)
			}
			noErr(t, "TouchKey", ku.TouchKey(ctx, "k1", at(10*time.Second)))
			if got := lastUsed(); !sameTime(got, at(10*time.Second)) {
				t.Fatalf("LastUsed: got %v, want %v", got, at(10*time.Second))
			}
			noErr(t, "TouchKey(earlier)", ku.TouchKey(ctx, "k1", at(5*time.Second)))
			if got := lastUsed(); !sameTime(got, at(10*time.Second)) {
				t.Fatalf("LastUsed after an earlier touch: got %v, want %v", got, at(10*time.Second))
			}
			noErr(t, "TouchKey(unknown)", ku.TouchKey(ctx, "nope", at(0)))
			noErr(t, "DeleteKey", s.DeleteKey(ctx, "org1", "k1"))
			noErr(t, "TouchKey(revoked)", ku.TouchKey(ctx, "k1", at(time.Minute)))
			mustCreateKey(t, s, newKey("k1", "org1", at(0)))
			if got := lastUsed(); !got.IsZero() {
				t.Fatalf("LastUsed of a key made again with a revoked key's ID: got %v, want zero", got)
			}
		}},
		{name: "CreateGet", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			want := newKey("k1", "org1", at(0))
			mustCreateKey(t, s, want)
			got, err := s.GetKey(ctx, "k1")
			noErr(t, "GetKey", err)
			checkKey(t, "GetKey", got, want)
			noRoles := &store.Key{ID: "k2", Hash: want.Hash, CreatedAt: at(time.Second)}
			mustCreateKey(t, s, noRoles)
			got, err = s.GetKey(ctx, "k2")
			noErr(t, "GetKey", err)
			checkKey(t, "GetKey(no roles, no org)", got, noRoles)
		}},
		{name: "Invalid", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			wantErr(t, "CreateKey(nil)", s.CreateKey(ctx, nil), store.ErrInvalid)
			wantErr(t, "CreateKey(empty ID)", s.CreateKey(ctx, newKey("", "org1", at(0))), store.ErrInvalid)
		}},
		{name: "Conflict", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			want := newKey("k1", "org1", at(0))
			mustCreateKey(t, s, want)
			wantErr(t, "CreateKey(same ID)", s.CreateKey(ctx, newKey("k1", "org1", at(1))), store.ErrConflict)
			other := newKey("k1", "org2", at(1))
			other.Name = "other"
			wantErr(t, "CreateKey(same ID, other org)", s.CreateKey(ctx, other), store.ErrConflict)
			got, err := s.GetKey(ctx, "k1")
			noErr(t, "GetKey", err)
			checkKey(t, "GetKey after conflicts", got, want)
		}},
		{name: "NotFoundAndOrgScoping", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			want := newKey("k1", "org1", at(0))
			mustCreateKey(t, s, want)
			_, err := s.GetKey(ctx, "nope")
			wantErr(t, "GetKey(unknown)", err, store.ErrNotFound)
			wantErr(t, "DeleteKey(unknown)", s.DeleteKey(ctx, "org1", "nope"), store.ErrNotFound)
			wantErr(t, "DeleteKey(other org)", s.DeleteKey(ctx, "org2", "k1"), store.ErrNotFound)
			wantErr(t, "DeleteKey(empty org)", s.DeleteKey(ctx, "", "k1"), store.ErrNotFound)
			got, err := s.GetKey(ctx, "k1")
			noErr(t, "GetKey", err)
			checkKey(t, "GetKey after foreign delete", got, want)
			list, err := s.ListKeys(ctx, "org2")
			noErr(t, "ListKeys", err)
			checkIDs(t, "ListKeys(org2)", keyIDs(list), nil)
		}},
		{name: "ListOrder", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustCreateKey(t, s, newKey("d", "org1", at(3*time.Hour)))
			mustCreateKey(t, s, newKey("c", "org1", at(time.Hour)))
			mustCreateKey(t, s, newKey("x", "org2", at(0)))
			mustCreateKey(t, s, newKey("a", "org1", at(2*time.Hour)))
			mustCreateKey(t, s, newKey("b", "org1", at(time.Hour)))
			list, err := s.ListKeys(ctx, "org1")
			noErr(t, "ListKeys", err)
			checkIDs(t, "ListKeys", keyIDs(list), []string{"b", "c", "a", "d"})
			checkKey(t, "ListKeys[0]", list[0], newKey("b", "org1", at(time.Hour)))
		}},
		{name: "Delete", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustCreateKey(t, s, newKey("k1", "org1", at(0)))
			mustCreateKey(t, s, newKey("k2", "org1", at(time.Second)))
			noErr(t, "DeleteKey", s.DeleteKey(ctx, "org1", "k1"))
			_, err := s.GetKey(ctx, "k1")
			wantErr(t, "GetKey(deleted)", err, store.ErrNotFound)
			wantErr(t, "DeleteKey(again)", s.DeleteKey(ctx, "org1", "k1"), store.ErrNotFound)
			list, err := s.ListKeys(ctx, "org1")
			noErr(t, "ListKeys", err)
			checkIDs(t, "ListKeys", keyIDs(list), []string{"k2"})
		}},
		{name: "Copies", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			in := newKey("k1", "org1", at(0))
			want := newKey("k1", "org1", at(0))
			mustCreateKey(t, s, in)
			in.Roles[0] = "changed"
			in.Hash[0] ^= 0xff
			got, err := s.GetKey(ctx, "k1")
			noErr(t, "GetKey", err)
			checkKey(t, "GetKey after changing the input", got, want)
			got.Roles[0] = "changed"
			got.Hash[0] ^= 0xff
			list, err := s.ListKeys(ctx, "org1")
			noErr(t, "ListKeys", err)
			checkKey(t, "ListKeys after changing a returned record", list[0], want)
			list[0].Roles[1] = "changed"
			list[0].Hash[1] ^= 0xff
			got, err = s.GetKey(ctx, "k1")
			noErr(t, "GetKey", err)
			checkKey(t, "GetKey after changing a listed record", got, want)
		}},
	}
}
