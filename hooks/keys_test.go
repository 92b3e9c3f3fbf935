package hooks_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// failingKeyStore fails every call, to check store failures are not
// reported as invalid keys.
type failingKeyStore struct{ store.KeyStore }

func (failingKeyStore) GetKey(context.Context, string) (*store.Key, error) {
	return nil, errors.New("disk on fire")
}

func TestKeyring(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	kr, err := hooks.NewKeyring(st, hooks.KeyringOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k, plain, err := kr.Create(ctx, "acme", "ci", []string{hooks.RoleHooks, hooks.RoleHooks, "org.admin"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, "ink_"+k.ID+"_") || len(plain) < 4+26+1+50 {
		t.Fatalf("got plaintext %q", plain)
	}
	if len(k.Roles) != 2 || !k.HasRole(hooks.RoleHooks) || k.HasRole("x") {
		t.Fatalf("got roles %v, want deduplicated", k.Roles)
	}
	// Only a hash is stored.
	rec, err := st.GetKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	secret := plain[strings.LastIndexByte(plain, '_')+1:]
	if bytes.Contains(rec.Hash, []byte(secret)) || len(rec.Hash) != 32 {
		t.Fatalf("stored %x, want a SHA-256 hash", rec.Hash)
	}
	got, err := kr.Authenticate(ctx, plain)
	if err != nil || got.ID != k.ID || got.Org != "acme" || !got.HasRole(hooks.RoleHooks) {
		t.Fatalf("authenticate: got %+v, %v", got, err)
	}
	flip := byte('a')
	if plain[len(plain)-1] == 'a' {
		flip = 'b'
	}
	other := plain[:len(plain)-1] + string(flip)
	tests := []struct{ name, key string }{
		{"empty", ""},
		{"no prefix", strings.TrimPrefix(plain, "ink_")},
		{"wrong secret", other},
		{"unknown id", "ink_" + strings.Repeat("0", 26) + "_" + secret},
		{"short id", "ink_abc_" + secret},
		{"no secret", "ink_" + k.ID + "_"},
		{"huge secret", "ink_" + k.ID + "_" + strings.Repeat("a", 1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := kr.Authenticate(ctx, tt.key); !errors.Is(err, hooks.ErrInvalidKey) {
				t.Fatalf("got %v, want ErrInvalidKey", err)
			}
		})
	}
	// List never shows secrets and is org-scoped.
	_, _, _ = kr.Create(ctx, "other", "theirs", nil)
	list, err := kr.List(ctx, "acme")
	if err != nil || len(list) != 1 || list[0].ID != k.ID {
		t.Fatalf("list: got %v, %v", list, err)
	}
	// Another org cannot revoke it.
	if err := kr.Revoke(ctx, "other", k.ID); !errors.Is(err, hooks.ErrNotFound) {
		t.Fatalf("cross-org revoke: got %v, want ErrNotFound", err)
	}
	if err := kr.Revoke(ctx, "acme", k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Authenticate(ctx, plain); !errors.Is(err, hooks.ErrInvalidKey) {
		t.Fatalf("revoked: got %v, want ErrInvalidKey", err)
	}
}

func TestKeyringValidationAndStoreFailure(t *testing.T) {
	ctx := context.Background()
	kr, _ := hooks.NewKeyring(memstore.New(), hooks.KeyringOptions{})
	for name, roles := range map[string][]string{
		"upper-case role": {"Org.Hooks"}, "empty role": {""}, "space": {"org hooks"}, "too many": make([]string, 33),
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := kr.Create(ctx, "", "k", roles); !errors.Is(err, hooks.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
	if _, _, err := kr.Create(ctx, "", "", nil); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("empty name: got %v, want ErrInvalid", err)
	}
	if _, err := hooks.NewKeyring(nil, hooks.KeyringOptions{}); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("nil store: got %v", err)
	}
	bad, _ := hooks.NewKeyring(failingKeyStore{}, hooks.KeyringOptions{})
	_, err := bad.Authenticate(ctx, "ink_"+strings.Repeat("0", 26)+"_secret")
	if err == nil || errors.Is(err, hooks.ErrInvalidKey) {
		t.Fatalf("store failure: got %v, want a non-ErrInvalidKey error", err)
	}
}

// rejectionPaths are presented keys that each take one rejection path of
// Authenticate: malformed, unknown id, and a known id with a wrong secret.
func rejectionPaths(t testing.TB) (*hooks.Keyring, map[string]string) {
	ctx := context.Background()
	kr, _ := hooks.NewKeyring(memstore.New(), hooks.KeyringOptions{})
	k, _, err := kr.Create(ctx, "", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.Repeat("z", 52)
	return kr, map[string]string{
		"malformed": "nope_" + secret,
		"unknown":   "ink_" + strings.Repeat("0", 26) + "_" + secret,
		"wrong":     "ink_" + k.ID + "_" + secret,
	}
}

// Every rejection path answers the same error; their cost is compared in
// BenchmarkAuthenticateRejections (each hashes the presented secret and
// makes one constant-time comparison).
func TestAuthenticateRejectionPaths(t *testing.T) {
	kr, paths := rejectionPaths(t)
	for name, key := range paths {
		if _, err := kr.Authenticate(context.Background(), key); !errors.Is(err, hooks.ErrInvalidKey) {
			t.Errorf("%s: got %v, want ErrInvalidKey", name, err)
		}
	}
}

func BenchmarkAuthenticateRejections(b *testing.B) {
	kr, paths := rejectionPaths(b)
	// bare is the work no rejection can skip: hashing the presented secret
	// and one constant-time comparison.
	b.Run("bare", func(b *testing.B) {
		secret := []byte(strings.Repeat("z", 52))
		want := sha256.Sum256([]byte("another secret"))
		for b.Loop() {
			sum := sha256.Sum256(secret)
			subtle.ConstantTimeCompare(sum[:], want[:])
		}
	})
	for _, name := range []string{"malformed", "unknown", "wrong"} {
		key := paths[name]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _ = kr.Authenticate(context.Background(), key)
			}
		})
	}
}

func TestIDsUniqueAndSortable(t *testing.T) {
	var g hooks.IDGenerator
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				id := g.New(now)
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var prev string
	for i := range 100 {
		id := g.New(now.Add(time.Duration(i%3) * time.Millisecond)) // same and later milliseconds
		if id <= prev {
			t.Fatalf("got %s after %s, want increasing", id, prev)
		}
		prev = id
		if ts, ok := hooks.IDTime(id); !ok || ts.Before(now) {
			t.Fatalf("IDTime(%s): got %v, %v", id, ts, ok)
		}
	}
	later := g.New(now.Add(time.Hour))
	if ts, _ := hooks.IDTime(later); !ts.Equal(now.Add(time.Hour)) {
		t.Fatalf("got %v, want %v", ts, now.Add(time.Hour))
	}
	if _, ok := hooks.IDTime("short"); ok {
		t.Fatal("IDTime accepted a short string")
	}
}

func TestKeyringLastUsed(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 5, 6, 7, 8, 9, 500, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	st := memstore.New()
	kr, err := hooks.NewKeyring(st, hooks.KeyringOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	k, plain, err := kr.Create(ctx, "acme", "ci", nil)
	if err != nil {
		t.Fatal(err)
	}
	listed := func(kr *hooks.Keyring) time.Time {
		t.Helper()
		list, err := kr.List(ctx, "acme")
		if err != nil || len(list) != 1 {
			t.Fatalf("List: got %v, %v", list, err)
		}
		return list[0].LastUsed
	}
	stored := func() time.Time {
		ks, _ := st.ListKeys(ctx, "acme")
		return ks[0].LastUsed
	}
	waitStored := func(want time.Time) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !stored().Equal(want) {
			if time.Now().After(deadline) {
				t.Fatalf("stored LastUsed: got %v, want %v", stored(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if got := listed(kr); !got.IsZero() {
		t.Fatalf("unused key: LastUsed %v, want zero", got)
	}
	if _, err := kr.Authenticate(ctx, plain+"x"); err == nil {
		t.Fatal("wrong secret authenticated")
	}
	if got := listed(kr); !got.IsZero() {
		t.Fatalf("failed authentication: LastUsed %v, want zero", got)
	}
	first := now.Truncate(time.Second)
	if _, err := kr.Authenticate(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if got := listed(kr); !got.Equal(first) {
		t.Fatalf("LastUsed: got %v, want %v", got, first)
	}
	waitStored(first)
	// Within the minute: memory moves, the store does not.
	advance(30 * time.Second)
	if _, err := kr.Authenticate(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if got := listed(kr); !got.Equal(first.Add(30 * time.Second)) {
		t.Fatalf("LastUsed: got %v, want %v", got, first.Add(30*time.Second))
	}
	time.Sleep(20 * time.Millisecond)
	if got := stored(); !got.Equal(first) {
		t.Fatalf("stored within the minute: got %v, want %v (no write)", got, first)
	}
	advance(31 * time.Second)
	if _, err := kr.Authenticate(ctx, plain); err != nil {
		t.Fatal(err)
	}
	waitStored(first.Add(61 * time.Second))
	// Another process (or a restart) sees the stored time.
	other, _ := hooks.NewKeyring(st, hooks.KeyringOptions{Now: clock})
	if got := listed(other); !got.Equal(first.Add(61 * time.Second)) {
		t.Fatalf("another Keyring: LastUsed %v, want %v", got, first.Add(61*time.Second))
	}
	if err := kr.Revoke(ctx, "acme", k.ID); err != nil {
		t.Fatal(err)
	}
}
