package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// bareDriver is a deliberately bare driver: it checks nothing, records
// which of its methods were called, and answers with err. The methods it
// does not define are those of the nil store.Store it embeds, which
// panic: a call the layer should have stopped shows as a panic.
type bareDriver struct {
	store.Store
	calls int // how many of its methods were called
	err   error
	keep  int         // what AppendDebug was given
	hook  *store.Hook // what HookByToken returns
}

func (d *bareDriver) call(string) error { d.calls++; return d.err }

func (d *bareDriver) CreateHook(context.Context, *store.Hook) error { return d.call("CreateHook") }
func (d *bareDriver) UpdateHook(context.Context, *store.Hook) error { return d.call("UpdateHook") }
func (d *bareDriver) CreateKey(context.Context, *store.Key) error   { return d.call("CreateKey") }
func (d *bareDriver) GetKey(context.Context, string) (*store.Key, error) {
	return nil, d.call("GetKey")
}
func (d *bareDriver) HookByToken(context.Context, string) (*store.Hook, error) {
	return d.hook, d.call("HookByToken")
}
func (d *bareDriver) AppendDebug(_ context.Context, _ *store.DebugEntry, keep int) error {
	d.keep = keep
	return d.call("AppendDebug")
}
func (d *bareDriver) Enqueue(_ context.Context, e *store.QueuedEvent, _ time.Time) (string, error) {
	return e.ID, d.call("Enqueue")
}
func (d *bareDriver) Claim(context.Context, time.Time, time.Duration, int) ([]*store.QueuedEvent, error) {
	return nil, d.call("Claim")
}
func (d *bareDriver) Close() error { return d.call("Close") }

// ableDriver is a bareDriver with every optional ability.
type ableDriver struct{ *bareDriver }

func (d *ableDriver) EnqueueClaimed(context.Context, *store.QueuedEvent, time.Time, time.Duration) (string, error) {
	return "", d.call("EnqueueClaimed")
}
func (d *ableDriver) CompleteLater(string, int, time.Time)              { _ = d.call("CompleteLater") }
func (d *ableDriver) FlushCompletions(context.Context) error            { return d.call("FlushCompletions") }
func (d *ableDriver) TouchKey(context.Context, string, time.Time) error { return d.call("TouchKey") }
func (d *ableDriver) ReserveKey(context.Context, string, string, string, time.Time, time.Time) (string, error) {
	return "", d.call("ReserveKey")
}
func (d *ableDriver) ConfirmKey(context.Context, string, string, string, time.Time, time.Time) error {
	return d.call("ConfirmKey")
}
func (d *ableDriver) ReleaseKey(context.Context, string, string, string) error {
	return d.call("ReleaseKey")
}
func (d *ableDriver) PruneKeys(context.Context, time.Time) (int, error) {
	return 0, d.call("PruneKeys")
}
func (d *ableDriver) NotifyEnqueued() (<-chan struct{}, func()) {
	_ = d.call("NotifyEnqueued")
	return nil, func() {}
}

// extra is a driver's own type, which it hands out through its As method.
type extra struct{ name string }

func (d *ableDriver) As(target any) bool {
	if p, ok := target.(*extra); ok {
		*p = extra{name: "the driver's"}
		return true
	}
	return false
}

// hostStore is a host's own Store, not behind the layer, with a
// LocalQueue of its own.
type hostStore struct{ *ableDriver }

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func TestPortableRules(t *testing.T) {
	long := strings.Repeat("x", store.MaxIDLen+1)
	longKey := strings.Repeat("k", store.MaxIdempotencyKeyLen+1)
	ctx := context.Background()
	hook := func(id, token, org string) *store.Hook { return &store.Hook{ID: id, Token: token, Org: org} }
	event := func(id, org, hookID, key string) *store.QueuedEvent {
		return &store.QueuedEvent{ID: id, Org: org, HookID: hookID, IdempotencyKey: key}
	}
	cases := []struct {
		name  string
		call  func(s store.Store) error
		valid bool // the driver is called, and nothing is refused
	}{
		{"hook", func(s store.Store) error { return s.CreateHook(ctx, hook("h", "t", "")) }, true},
		{"nil hook", func(s store.Store) error { return s.CreateHook(ctx, nil) }, false},
		{"hook without ID", func(s store.Store) error { return s.CreateHook(ctx, hook("", "t", "")) }, false},
		{"hook without token", func(s store.Store) error { return s.CreateHook(ctx, hook("h", "", "")) }, false},
		{"hook with long token", func(s store.Store) error { return s.CreateHook(ctx, hook("h", long, "")) }, false},
		{"hook with long org", func(s store.Store) error { return s.CreateHook(ctx, hook("h", "t", long)) }, false},
		{"updated hook", func(s store.Store) error { return s.UpdateHook(ctx, hook("h", "t", "o")) }, true},
		{"updated nil hook", func(s store.Store) error { return s.UpdateHook(ctx, nil) }, false},
		{"key", func(s store.Store) error { return s.CreateKey(ctx, &store.Key{ID: "k"}) }, true},
		{"nil key", func(s store.Store) error { return s.CreateKey(ctx, nil) }, false},
		{"key with long ID", func(s store.Store) error { return s.CreateKey(ctx, &store.Key{ID: long}) }, false},
		{"key with long org", func(s store.Store) error { return s.CreateKey(ctx, &store.Key{ID: "k", Org: long}) }, false},
		{"debug entry", func(s store.Store) error {
			return s.AppendDebug(ctx, &store.DebugEntry{ID: "d", HookID: "h"}, 5)
		}, true},
		{"debug entry without hook", func(s store.Store) error {
			return s.AppendDebug(ctx, &store.DebugEntry{ID: "d"}, 5)
		}, false},
		{"nil debug entry", func(s store.Store) error { return s.AppendDebug(ctx, nil, 5) }, false},
		{"event", func(s store.Store) error { _, err := s.Enqueue(ctx, event("e", "o", "h", "k"), t0); return err }, true},
		{"nil event", func(s store.Store) error { _, err := s.Enqueue(ctx, nil, t0); return err }, false},
		{"event without ID", func(s store.Store) error { _, err := s.Enqueue(ctx, event("", "o", "h", ""), t0); return err }, false},
		{"event with long org", func(s store.Store) error { _, err := s.Enqueue(ctx, event("e", long, "h", ""), t0); return err }, false},
		{"event with long hook ID", func(s store.Store) error { _, err := s.Enqueue(ctx, event("e", "o", long, ""), t0); return err }, false},
		{"event with long key", func(s store.Store) error { _, err := s.Enqueue(ctx, event("e", "o", "h", longKey), t0); return err }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &bareDriver{}
			err := tc.call(store.Portable(d))
			if tc.valid {
				if err != nil || d.calls != 1 {
					t.Fatalf("got %v after %d driver calls, want nil after 1", err, d.calls)
				}
				return
			}
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("got %v, want %v", err, store.ErrInvalid)
			}
			if strings.Contains(err.Error(), long) {
				t.Fatalf("the error quotes the value: %.80s...", err)
			}
			if d.calls != 0 {
				t.Fatalf("the driver was called %d times", d.calls)
			}
		})
	}
}

func TestPortableNormalises(t *testing.T) {
	ctx := context.Background()
	d := &bareDriver{}
	s := store.Portable(d)
	for _, tc := range []struct{ keep, want int }{{-3, 1}, {0, 1}, {1, 1}, {50, 50}} {
		if err := s.AppendDebug(ctx, &store.DebugEntry{ID: "d", HookID: "h"}, tc.keep); err != nil {
			t.Fatal(err)
		}
		if d.keep != tc.want {
			t.Errorf("AppendDebug(keep %d): the driver got %d, want %d", tc.keep, d.keep, tc.want)
		}
	}
	d.calls = 0
	for _, limit := range []int{0, -1} {
		evs, err := s.Claim(ctx, t0, time.Minute, limit)
		if evs != nil || err != nil {
			t.Errorf("Claim(limit %d): got %v, %v, want nothing", limit, evs, err)
		}
	}
	if d.calls != 0 {
		t.Errorf("Claim with no limit called the driver %d times", d.calls)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.CreateKey(cancelled, &store.Key{ID: "k"}); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateKey(cancelled): got %v, want %v", err, context.Canceled)
	}
	if _, err := s.GetKey(cancelled, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetKey(cancelled): got %v, want %v", err, context.Canceled)
	}
	if d.calls != 0 {
		t.Errorf("a cancelled context reached the driver %d times", d.calls)
	}
}

// driverError is a driver's own error type, for errors.As.
type driverError struct{ code int }

func (e *driverError) Error() string { return "disk on fire" }

func TestPortableErrors(t *testing.T) {
	ctx := context.Background()
	own := &driverError{code: 28}
	sentinel := errors.Join(errors.New("pgstore: hook token"), store.ErrNotFound)
	stale := errors.Join(errors.New("boltstore: revision 3, not 2"), store.ErrStale)
	cases := []struct {
		name     string
		driver   error
		call     func(s store.Store) error
		wantText string // "" for the driver's error unchanged
	}{
		{"own error", own, func(s store.Store) error { return s.CreateHook(ctx, &store.Hook{ID: "h", Token: "t"}) },
			"store: CreateHook: disk on fire"},
		{"own error of a lookup", own, func(s store.Store) error { _, err := s.GetKey(ctx, "k"); return err },
			"store: GetKey: disk on fire"},
		{"own error of Close", own, func(s store.Store) error { return s.Close() }, "store: Close: disk on fire"},
		{"sentinel", sentinel, func(s store.Store) error { _, err := s.HookByToken(ctx, "t"); return err }, ""},
		{"stale", stale, func(s store.Store) error { return s.UpdateHook(ctx, &store.Hook{ID: "h", Token: "t"}) }, ""},
		{"closed", store.ErrClosed, func(s store.Store) error { _, err := s.Claim(ctx, t0, time.Minute, 1); return err }, ""},
		{"deadline", context.DeadlineExceeded, func(s store.Store) error {
			_, err := s.Enqueue(ctx, &store.QueuedEvent{ID: "e"}, t0)
			return err
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(store.Portable(&bareDriver{err: tc.driver}))
			if !errors.Is(err, tc.driver) {
				t.Fatalf("got %v, which does not match the driver's %v", err, tc.driver)
			}
			if tc.wantText == "" {
				if err != tc.driver {
					t.Fatalf("got %v, want the driver's error unchanged", err)
				}
				return
			}
			if err.Error() != tc.wantText {
				t.Fatalf("got %q, want %q", err, tc.wantText)
			}
			if de, ok := errors.AsType[*driverError](err); !ok || de.code != 28 {
				t.Fatalf("errors.As: got %v, %v, want the driver's error", de, ok)
			}
		})
	}
}

func TestPortableIsIdempotent(t *testing.T) {
	s := store.Portable(&ableDriver{&bareDriver{}})
	if again := store.Portable(s); again != s {
		t.Fatalf("Portable of a portable Store: got a new %T, want it unchanged", again)
	}
	lq, _ := store.As[store.LocalQueue](s)
	view, ok := lq.(store.Store)
	if !ok {
		t.Fatalf("the LocalQueue view %T is not a Store", lq)
	}
	if again := store.Portable(view); again != s {
		t.Fatalf("Portable of a view: got %T, want the Store it is a view of", again)
	}
}

// hiding wraps a Store as a host's type that counts or traces its calls
// might: it embeds the store.Store interface, so it has the Store's
// methods and none of the optional ones.
type hiding struct{ store.Store }

// unwrapping is hiding with an Unwrap (a store.Wrapper).
type unwrapping struct{ hiding }

func (u unwrapping) Unwrap() store.Store { return u.Store }

func TestAs(t *testing.T) {
	bare := store.Portable(&bareDriver{})
	able := store.Portable(&ableDriver{&bareDriver{}})
	host := store.Store(&hostStore{&ableDriver{&bareDriver{}}})
	cases := []struct {
		name string
		as   func() bool
		want bool
	}{
		{"Store", func() bool { s, ok := store.As[store.Store](bare); return ok && s == bare }, true},
		{"QueueStore", func() bool { _, ok := store.As[store.QueueStore](bare); return ok }, true},
		{"LocalQueue of a bare driver", func() bool { _, ok := store.As[store.LocalQueue](bare); return ok }, false},
		{"IdempotencyStore of a bare driver", func() bool { _, ok := store.As[store.IdempotencyStore](bare); return ok }, false},
		{"KeyUsageStore of a bare driver", func() bool { _, ok := store.As[store.KeyUsageStore](bare); return ok }, false},
		{"EnqueueNotifier of a bare driver", func() bool { _, ok := store.As[store.EnqueueNotifier](bare); return ok }, false},
		{"extra of a bare driver", func() bool { _, ok := store.As[extra](bare); return ok }, false},
		{"LocalQueue", func() bool { _, ok := store.As[store.LocalQueue](able); return ok }, true},
		{"IdempotencyStore", func() bool { _, ok := store.As[store.IdempotencyStore](able); return ok }, true},
		{"KeyUsageStore", func() bool { _, ok := store.As[store.KeyUsageStore](able); return ok }, true},
		{"EnqueueNotifier", func() bool { _, ok := store.As[store.EnqueueNotifier](able); return ok }, true},
		{"extra", func() bool { e, ok := store.As[extra](able); return ok && e.name == "the driver's" }, true},
		{"LocalQueue through a narrow interface", func() bool {
			var q store.QueueStore = able
			_, ok := store.As[store.LocalQueue](q)
			return ok
		}, true},
		{"IdempotencyStore of a LocalQueue view", func() bool {
			lq, _ := store.As[store.LocalQueue](able)
			_, ok := store.As[store.IdempotencyStore](lq)
			return ok
		}, true},
		{"Store of a view", func() bool {
			is, _ := store.As[store.IdempotencyStore](able)
			s, ok := store.As[store.Store](is)
			return ok && s == able
		}, true},
		// The trap As exists for: the portable Store does not satisfy
		// the optional interfaces.
		{"type assertion on a portable Store", func() bool { _, ok := able.(store.LocalQueue); return ok }, false},
		{"LocalQueue of a host's Store", func() bool { _, ok := store.As[store.LocalQueue](host); return ok }, true},
		{"extra of a host's Store", func() bool { _, ok := store.As[extra](host); return ok }, false},
		// A host's wrapper hides what it does not forward, unless As
		// can reach the wrapped Store through Unwrap.
		{"LocalQueue of a wrapper", func() bool { _, ok := store.As[store.LocalQueue](hiding{able}); return ok }, false},
		{"LocalQueue through Unwrap", func() bool {
			lq, ok := store.As[store.LocalQueue](unwrapping{hiding{able}})
			return ok && lq != nil
		}, true},
		{"Store of a wrapper is the wrapper", func() bool {
			w := unwrapping{hiding{able}}
			s, ok := store.As[store.Store](w)
			return ok && s == store.Store(w)
		}, true},
		{"LocalQueue through Unwrap of a bare driver", func() bool {
			_, ok := store.As[store.LocalQueue](unwrapping{hiding{bare}})
			return ok
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.as(); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAsViewsAreChecked: the optional interfaces As returns apply the
// layer's rules to their own writes.
func TestAsViewsAreChecked(t *testing.T) {
	ctx := context.Background()
	d := &ableDriver{&bareDriver{}}
	s := store.Portable(d)
	lq, _ := store.As[store.LocalQueue](s)
	is, _ := store.As[store.IdempotencyStore](s)
	ku, _ := store.As[store.KeyUsageStore](s)
	ev := &store.QueuedEvent{ID: "e", HookID: "h"}
	long := strings.Repeat("x", store.MaxIDLen+1)
	refused := []struct {
		name string
		err  error
	}{
		{"EnqueueClaimed(nil)", func() error { _, err := lq.EnqueueClaimed(ctx, nil, t0, time.Minute); return err }()},
		{"EnqueueClaimed(lease 0)", func() error { _, err := lq.EnqueueClaimed(ctx, ev, t0, 0); return err }()},
		{"ReserveKey(no key)", func() error { _, err := is.ReserveKey(ctx, "h", "", "e", t0, t0); return err }()},
		{"ConfirmKey(no hook)", is.ConfirmKey(ctx, "", "k", "e", t0, t0)},
		{"ReleaseKey(long event ID)", is.ReleaseKey(ctx, "h", "k", long)},
	}
	for _, r := range refused {
		if !errors.Is(r.err, store.ErrInvalid) {
			t.Errorf("%s: got %v, want %v", r.name, r.err, store.ErrInvalid)
		}
	}
	if err := ku.TouchKey(ctx, long, t0); err != nil {
		t.Errorf("TouchKey(long ID): got %v, want nil (an unknown key)", err)
	}
	if d.calls != 0 {
		t.Fatalf("refused calls reached the driver %d times", d.calls)
	}
	d.err = errors.New("disk on fire")
	if _, err := lq.EnqueueClaimed(ctx, ev, t0, time.Minute); err == nil || err.Error() != "store: EnqueueClaimed: disk on fire" {
		t.Errorf("EnqueueClaimed: got %v, want the driver's error named", err)
	}
	if err := ku.TouchKey(ctx, "k", t0); !errors.Is(err, d.err) || !strings.HasPrefix(err.Error(), "store: TouchKey: ") {
		t.Errorf("TouchKey: got %v, want the driver's error named", err)
	}
}

// TestPortableAllocs: the layer adds no allocation to a call that
// succeeds, on the hot path.
func TestPortableAllocs(t *testing.T) {
	ctx := context.Background()
	d := &bareDriver{hook: &store.Hook{ID: "h", Token: "t"}}
	s := store.Portable(d)
	lq := store.Portable(&ableDriver{d})
	ev := &store.QueuedEvent{ID: "e", Org: "o", HookID: "h", IdempotencyKey: "k"}
	for _, tc := range []struct {
		name string
		call func()
	}{
		{"HookByToken", func() { _, _ = s.HookByToken(ctx, "t") }},
		{"Enqueue", func() { _, _ = s.Enqueue(ctx, ev, t0) }},
		{"As", func() { _, _ = store.As[store.Store](lq) }},
	} {
		if n := testing.AllocsPerRun(100, tc.call); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tc.name, n)
		}
	}
}
