package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// Option changes how Run checks a Store.
type Option func(*config)

type config struct {
	reopen      func(t *testing.T, s store.Store) store.Store
	concurrency int
	caps        map[Capability]bool
}

// Capability names an optional ability of a store, beyond the interfaces
// every Store implements, that Run checks.
type Capability string

// The capabilities a driver can declare with WithCapabilities.
const (
	// LocalQueue: store.As finds the store's store.LocalQueue (it
	// enqueues events already claimed and completes them lazily).
	LocalQueue Capability = "LocalQueue"
	// Idempotency: store.As finds the store's store.IdempotencyStore (it
	// remembers the idempotency keys of arrivals delivered without the
	// queue).
	Idempotency Capability = "Idempotency"
)

// WithCapabilities declares the optional abilities of the store under
// test. Run fails a declared capability that store.As does not find (a
// host's wrapper that hides an optional interface, for example); it also
// checks the abilities a store has without declaring them, since package
// hooks finds them with store.As and uses them.
func WithCapabilities(caps ...Capability) Option {
	return func(c *config) {
		for _, cp := range caps {
			c.caps[cp] = true
		}
	}
}

// WithReopen makes Run also check that everything survives closing the
// store and opening it again. reopen must close s and return a new Store
// on the same underlying data (the same file, the same database). Without
// this option the persistence checks are skipped.
func WithReopen(reopen func(t *testing.T, s store.Store) store.Store) Option {
	return func(c *config) { c.reopen = reopen }
}

// WithConcurrency sets how many goroutines the concurrency checks run at
// once; n < 2 keeps the default of 16.
func WithConcurrency(n int) Option {
	return func(c *config) {
		if n >= 2 {
			c.concurrency = n
		}
	}
}

// Run checks that the Store made by newStore follows the contract of
// package store. It runs one subtest per behaviour and calls newStore
// once per subtest; newStore must return a new, empty Store and should
// register its Close with t.Cleanup. Run checks the Store behind the
// portable layer (store.Portable): a driver that is not behind it yet (a
// bare third-party implementation) is put behind it, so that the shared
// argument rules and error mapping apply to it as they do for hosts. Close must tolerate being called
// again after the kit closed the store itself (returning nil or
// store.ErrClosed).
//
// The kit only passes explicit times to the store (time.Date values), as a
// Store must never read its own clock. It compares timestamps to the
// microsecond, the precision PostgreSQL keeps.
//
// Run it under the race detector: several subtests use many goroutines.
func Run(t *testing.T, newStore func(t *testing.T) store.Store, opts ...Option) {
	t.Helper()
	cfg := config{concurrency: 16, caps: map[Capability]bool{}}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if reopen := cfg.reopen; reopen != nil {
		cfg.reopen = func(t *testing.T, s store.Store) store.Store { return store.Portable(reopen(t, s)) }
	}
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"Hooks", hookCases()},
		{"Keys", keyCases()},
		{"Debug", debugCases()},
		{"Queue", queueCases()},
		{"LocalQueue", localQueueCases()},
		{"Idempotency", idempotencyCases()},
		{"Close", closeCases()},
		{"Concurrency", concurrencyCases()},
		{"Persistence", persistenceCases()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					if tc.needsReopen && cfg.reopen == nil {
						t.Skip("storetest: no WithReopen option given")
					}
					tc.fn(t, &env{newStore: portable(newStore), cfg: cfg})
				})
			}
		})
	}
}

// portable returns newStore with what it makes put behind the portable
// layer (store.Portable, which leaves a portable Store as it is), so that
// the kit checks a store as hosts get it, and a bare third-party driver
// gets the shared rules too.
func portable[TB testing.TB](newStore func(TB) store.Store) func(TB) store.Store {
	return func(tb TB) store.Store { return store.Portable(newStore(tb)) }
}

type testCase struct {
	name        string
	needsReopen bool
	fn          func(t *testing.T, e *env)
}

type env struct {
	newStore func(t *testing.T) store.Store
	cfg      config
}

// base is the fixed instant every check's times are derived from.
var base = time.Date(2026, time.March, 4, 5, 6, 7, 123456000, time.UTC)

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// sameTime reports whether a and b are the same instant to the microsecond
// (PostgreSQL rounds, so a difference under a microsecond is tolerated).
func sameTime(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Microsecond && d < time.Microsecond
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func diffHook(got, want *store.Hook) string {
	switch {
	case got == nil:
		return "got nil hook"
	case got.ID != want.ID:
		return fmt.Sprintf("ID: got %q, want %q", got.ID, want.ID)
	case got.Org != want.Org:
		return fmt.Sprintf("Org: got %q, want %q", got.Org, want.Org)
	case got.Kind != want.Kind:
		return fmt.Sprintf("Kind: got %q, want %q", got.Kind, want.Kind)
	case got.Name != want.Name:
		return fmt.Sprintf("Name: got %q, want %q", got.Name, want.Name)
	case got.Description != want.Description:
		return fmt.Sprintf("Description: got %q, want %q", got.Description, want.Description)
	case got.Token != want.Token:
		return fmt.Sprintf("Token: got %q, want %q", got.Token, want.Token)
	case got.Debug != want.Debug:
		return fmt.Sprintf("Debug: got %v, want %v", got.Debug, want.Debug)
	case got.Disabled != want.Disabled:
		return fmt.Sprintf("Disabled: got %v, want %v", got.Disabled, want.Disabled)
	case !bytes.Equal(got.ExampleData, want.ExampleData):
		return fmt.Sprintf("ExampleData: got %q, want %q", got.ExampleData, want.ExampleData)
	case !bytes.Equal(got.Settings, want.Settings):
		return fmt.Sprintf("Settings: got %q, want %q", got.Settings, want.Settings)
	case !sameTime(got.CreatedAt, want.CreatedAt):
		return fmt.Sprintf("CreatedAt: got %v, want %v", got.CreatedAt, want.CreatedAt)
	case !sameTime(got.UpdatedAt, want.UpdatedAt):
		return fmt.Sprintf("UpdatedAt: got %v, want %v", got.UpdatedAt, want.UpdatedAt)
	case got.Revision != want.Revision:
		return fmt.Sprintf("Revision: got %d, want %d", got.Revision, want.Revision)
	}
	return ""
}

func checkHook(t *testing.T, what string, got, want *store.Hook) {
	t.Helper()
	if d := diffHook(got, want); d != "" {
		t.Fatalf("%s: %s", what, d)
	}
}

func diffKey(got, want *store.Key) string {
	switch {
	case got == nil:
		return "got nil key"
	case got.ID != want.ID:
		return fmt.Sprintf("ID: got %q, want %q", got.ID, want.ID)
	case got.Org != want.Org:
		return fmt.Sprintf("Org: got %q, want %q", got.Org, want.Org)
	case got.Name != want.Name:
		return fmt.Sprintf("Name: got %q, want %q", got.Name, want.Name)
	case fmt.Sprint(got.Roles) != fmt.Sprint(want.Roles) || len(got.Roles) != len(want.Roles):
		return fmt.Sprintf("Roles: got %q, want %q", got.Roles, want.Roles)
	case !bytes.Equal(got.Hash, want.Hash):
		return fmt.Sprintf("Hash: got %x, want %x", got.Hash, want.Hash)
	case !sameTime(got.CreatedAt, want.CreatedAt):
		return fmt.Sprintf("CreatedAt: got %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	return ""
}

func checkKey(t *testing.T, what string, got, want *store.Key) {
	t.Helper()
	if d := diffKey(got, want); d != "" {
		t.Fatalf("%s: %s", what, d)
	}
}

func checkDebug(t *testing.T, what string, got, want *store.DebugEntry) {
	t.Helper()
	switch {
	case got == nil:
		t.Fatalf("%s: got nil entry", what)
	case got.ID != want.ID:
		t.Fatalf("%s: ID: got %q, want %q", what, got.ID, want.ID)
	case got.HookID != want.HookID:
		t.Fatalf("%s: HookID: got %q, want %q", what, got.HookID, want.HookID)
	case !sameTime(got.Time, want.Time):
		t.Fatalf("%s: Time: got %v, want %v", what, got.Time, want.Time)
	case !bytes.Equal(got.Data, want.Data):
		t.Fatalf("%s: Data: got %q, want %q", what, got.Data, want.Data)
	}
}

// checkEvent compares the fields that Enqueue takes from the caller; the
// delivery fields are checked by the callers that change them.
func checkEvent(t *testing.T, what string, got, want *store.QueuedEvent) {
	t.Helper()
	switch {
	case got == nil:
		t.Fatalf("%s: got nil event", what)
	case got.ID != want.ID:
		t.Fatalf("%s: ID: got %q, want %q", what, got.ID, want.ID)
	case got.Org != want.Org:
		t.Fatalf("%s: Org: got %q, want %q", what, got.Org, want.Org)
	case got.HookID != want.HookID:
		t.Fatalf("%s: HookID: got %q, want %q", what, got.HookID, want.HookID)
	case got.IdempotencyKey != want.IdempotencyKey:
		t.Fatalf("%s: IdempotencyKey: got %q, want %q", what, got.IdempotencyKey, want.IdempotencyKey)
	case !bytes.Equal(got.Payload, want.Payload):
		t.Fatalf("%s: Payload: got %q, want %q", what, got.Payload, want.Payload)
	case !sameTime(got.CreatedAt, want.CreatedAt):
		t.Fatalf("%s: CreatedAt: got %v, want %v", what, got.CreatedAt, want.CreatedAt)
	}
}

func hookIDs(hs []*store.Hook) []string {
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	return ids
}

func keyIDs(ks []*store.Key) []string {
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = k.ID
	}
	return ids
}

func debugIDs(es []*store.DebugEntry) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func eventIDs(es []*store.QueuedEvent) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func checkIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}
