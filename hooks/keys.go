package hooks

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// RoleHooks is the role an API key needs to post to a webhook.
const RoleHooks = "org.hooks"

// keyPrefix starts every API key, so that keys are recognisable in logs and
// by secret scanners.
const keyPrefix = "ink_"

// APIKey describes an API key. The secret itself is never kept: it is
// returned once, by Keyring.Create.
type APIKey struct {
	ID        string
	Org       string
	Name      string
	Roles     []string
	CreatedAt time.Time
	// LastUsed is when the key last authenticated, to the second; zero
	// if never. The Keyring notes it in memory on each authentication and,
	// when its store is a store.KeyUsageStore, writes it there in the
	// background at most once a minute per key:
	// what List shows is this process's own time, or the stored one (up
	// to a minute behind, from any replica), whichever is later.
	LastUsed time.Time
}

// HasRole reports whether the key holds role.
func (k *APIKey) HasRole(role string) bool { return slices.Contains(k.Roles, role) }

// KeyringOptions configures a Keyring. The zero value works.
type KeyringOptions struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Keyring creates, authenticates, lists and revokes API keys. Only a
// SHA-256 hash of each key's 256-bit random secret is stored, and presented
// keys are compared in constant time. It is safe for concurrent use.
type Keyring struct {
	store store.KeyStore
	usage store.KeyUsageStore // nil: last use is kept in memory only
	now   func() time.Time
	ids   IDGenerator
	used  sync.Map // key ID -> *keyUse
}

// keyUsageInterval is how often at most the last use of a key is written
// to a store.KeyUsageStore.
const keyUsageInterval = time.Minute

// keyUse is when a key was last authenticated, and last written to the
// store, in Unix seconds.
type keyUse struct {
	last, written atomic.Int64
}

// NewKeyring returns a Keyring over s.
func NewKeyring(s store.KeyStore, opts KeyringOptions) (*Keyring, error) {
	if s == nil {
		return nil, invalid("store", "is nil")
	}
	k := &Keyring{store: s, now: opts.Now}
	k.usage, _ = store.As[store.KeyUsageStore](s)
	if k.now == nil {
		k.now = time.Now
	}
	return k, nil
}

// Create makes a key for org with the given name and roles, and returns
// it with its plaintext: "ink_" + ID + "_" + secret. The plaintext is
// never stored and cannot be shown again.
func (k *Keyring) Create(ctx context.Context, org, name string, roles []string) (*APIKey, string, error) {
	name, err := checkName(name)
	if err != nil {
		return nil, "", err
	}
	roles, err = checkRoles(roles)
	if err != nil {
		return nil, "", err
	}
	now := k.now().UTC()
	key := &APIKey{ID: k.ids.New(now), Org: org, Name: name, Roles: roles, CreatedAt: now}
	secret := randomToken(32)
	sum := sha256.Sum256([]byte(secret))
	rec := &store.Key{ID: key.ID, Org: org, Name: name, Roles: slices.Clone(roles), Hash: sum[:], CreatedAt: now}
	if err := k.store.CreateKey(ctx, rec); err != nil {
		return nil, "", fmt.Errorf("hooks: create key: %w", err)
	}
	return key, keyPrefix + key.ID + "_" + secret, nil
}

// dummyHash is compared against when a presented key names no stored key,
// so that the comparison costs the same either way.
var dummyHash = sha256.Sum256([]byte("inbound: no such key"))

// Authenticate checks a presented key and returns what it is. A malformed,
// unknown or revoked key returns ErrInvalidKey; a store failure returns
// another error (callers answer it with 503, not 401).
func (k *Keyring) Authenticate(ctx context.Context, presented string) (*APIKey, error) {
	id, secret, ok := splitKey(presented)
	sum := hashSecret(secret)
	if !ok {
		subtle.ConstantTimeCompare(sum[:], dummyHash[:])
		return nil, ErrInvalidKey
	}
	rec, err := k.store.GetKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		subtle.ConstantTimeCompare(sum[:], dummyHash[:])
		return nil, ErrInvalidKey
	}
	if err != nil {
		return nil, fmt.Errorf("hooks: authenticate key: %w", err)
	}
	if subtle.ConstantTimeCompare(sum[:], rec.Hash) != 1 {
		return nil, ErrInvalidKey
	}
	k.touch(rec.ID)
	return keyFromRecord(rec), nil
}

// hashSecret returns the SHA-256 of secret. A secret of a well-formed
// key (at most 128 bytes) is hashed from a copy on the stack, where
// sha256.Sum256([]byte(secret)) would put one longer than 32 bytes on the
// heap.
func hashSecret(secret string) [sha256.Size]byte {
	var buf [128]byte
	if len(secret) <= len(buf) {
		return sha256.Sum256(append(buf[:0], secret...))
	}
	return sha256.Sum256([]byte(secret))
}

// touch notes that key id was used now: an atomic store in memory (a map
// entry is made once per key) and, at most once per keyUsageInterval, a
// write to the usage store in a goroutine of its own, so that the
// authentication never waits for the store.
func (k *Keyring) touch(id string) {
	sec := k.now().Unix()
	v, ok := k.used.Load(id)
	if !ok {
		v, _ = k.used.LoadOrStore(id, new(keyUse))
	}
	u := v.(*keyUse)
	if u.last.Load() != sec {
		u.last.Store(sec)
	}
	if k.usage == nil {
		return
	}
	w := u.written.Load()
	if sec-w < int64(keyUsageInterval/time.Second) || !u.written.CompareAndSwap(w, sec) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if k.usage.TouchKey(ctx, id, time.Unix(sec, 0).UTC()) != nil {
			// Try again with the next authentication rather than in
			// a minute; the time in memory is right meanwhile.
			u.written.CompareAndSwap(sec, w)
		}
	}()
}

// lastUsed returns when key id was last authenticated by this process.
func (k *Keyring) lastUsed(id string) time.Time {
	if v, ok := k.used.Load(id); ok {
		return time.Unix(v.(*keyUse).last.Load(), 0).UTC()
	}
	return time.Time{}
}

func splitKey(presented string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(presented, keyPrefix)
	if !found {
		return "", presented, false
	}
	id, secret, found = strings.Cut(rest, "_")
	if !found || len(id) != 26 || len(secret) == 0 || len(secret) > 128 {
		return "", secret, false
	}
	return id, secret, true
}

// List returns org's keys without secrets, oldest first.
func (k *Keyring) List(ctx context.Context, org string) ([]*APIKey, error) {
	recs, err := k.store.ListKeys(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("hooks: list keys: %w", err)
	}
	out := make([]*APIKey, 0, len(recs))
	for _, rec := range recs {
		key := keyFromRecord(rec)
		key.LastUsed = rec.LastUsed.UTC()
		if t := k.lastUsed(rec.ID); t.After(key.LastUsed) {
			key.LastUsed = t
		}
		out = append(out, key)
	}
	return out, nil
}

// Revoke deletes org's key; it stops authenticating at once.
func (k *Keyring) Revoke(ctx context.Context, org, id string) error {
	if err := k.store.DeleteKey(ctx, org, id); err != nil {
		return notFound(err)
	}
	k.used.Delete(id)
	return nil
}

func keyFromRecord(rec *store.Key) *APIKey {
	return &APIKey{ID: rec.ID, Org: rec.Org, Name: rec.Name, Roles: slices.Clone(rec.Roles), CreatedAt: rec.CreatedAt}
}

func checkRoles(roles []string) ([]string, error) {
	if len(roles) > 32 {
		return nil, invalid("roles", "at most 32 roles")
	}
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		if r == "" || len(r) > 64 {
			return nil, invalid("roles", "each role must be 1 to 64 characters")
		}
		for i := 0; i < len(r); i++ {
			c := r[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':') {
				return nil, invalid("roles", "roles use lowercase letters, digits and . _ - :")
			}
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}
