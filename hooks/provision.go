package hooks

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/inbound-hooks/inbound/store"
)

// maxKeyLen is the longest provisioning key Ensure takes, in characters.
const maxKeyLen = 200

// Ensure returns org's hook for key, creating it from spec if there is
// none: the get-or-create a host runs at every start, so that starting
// twice (or two replicas starting at once) makes one "Contact" hook, not
// two. key is the host's stable name for the hook ("contact",
// "stripe-payments"); it is not shown anywhere and may differ from
// spec.Name. created reports whether this call made the hook.
//
// An existing hook is returned as it is: Ensure never changes it, since an
// admin may have renamed it, rotated its address or changed its settings
// (call Update to apply a new spec). A hook of the key with another kind
// than spec.Kind fails with ErrHookMismatch. A hook that was deleted is
// made again, with a new address.
//
// Concurrent calls, in one process or in replicas sharing a store, agree:
// the hook's ID is derived from org and key, so the store's uniqueness of
// IDs lets exactly one creation win, and the others read the winner's hook.
// No lock or extra column is needed in any store.
func (r *Registry) Ensure(ctx context.Context, org, key string, spec HookSpec) (h *Hook, created bool, err error) {
	if key == "" || utf8.RuneCountInString(key) > maxKeyLen || !utf8.ValidString(key) {
		return nil, false, invalid("key", fmt.Sprintf("must be 1 to %d characters of UTF-8", maxKeyLen))
	}
	id := keyedID(org, key)
	for try := 0; try < 3; try++ {
		h, err = r.Get(ctx, org, id)
		switch {
		case err == nil:
			if h.Kind != spec.Kind {
				return nil, false, fmt.Errorf("%w: key %q is a %s hook, not %s", ErrHookMismatch, key, h.Kind, spec.Kind)
			}
			return h, false, nil
		case !errors.Is(err, ErrNotFound):
			return nil, false, err
		}
		h, err = r.create(ctx, org, id, spec)
		if err == nil {
			return h, true, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, false, err
		}
		// Another caller created it first (or deleted it again since):
		// read theirs.
	}
	return nil, false, fmt.Errorf("hooks: ensure hook %q: %w", key, err)
}

// keyedID returns the ID of org's hook for a provisioning key: "k" and 120
// bits of SHA-256 over both, in the ID alphabet. It is 25 characters long,
// so it cannot be mistaken for a time-sortable ID (IDTime reports false),
// and distinct orgs never share one.
func keyedID(org, key string) string {
	h := sha256.New()
	h.Write([]byte("inbound hook key\x00"))
	// Length-prefixed, so that no two (org, key) pairs hash the same input.
	h.Write(binary.AppendUvarint(nil, uint64(len(org))))
	h.Write([]byte(org))
	h.Write([]byte(key))
	return "k" + idEncoding.EncodeToString(h.Sum(nil)[:15])
}
