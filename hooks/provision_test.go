package hooks_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	reg, err := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	registerTestKinds(t, reg)
	spec := hooks.HookSpec{Name: "Contact", Kind: kindForm}
	h1, created, err := reg.Ensure(ctx, "", "contact", spec)
	if err != nil || !created {
		t.Fatalf("first Ensure: got created=%v, %v", created, err)
	}
	if _, ok := hooks.IDTime(h1.ID); ok {
		t.Errorf("keyed ID %q reads as a time-sortable ID", h1.ID)
	}
	// A second start finds it, even renamed by an admin.
	name := "Contact us"
	if _, err := reg.Update(ctx, "", h1.ID, hooks.HookUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	h2, created, err := reg.Ensure(ctx, "", "contact", spec)
	if err != nil || created || h2.ID != h1.ID || h2.Token != h1.Token || h2.Name != name {
		t.Fatalf("second Ensure: got %+v created=%v, %v; want the first hook unchanged", h2, created, err)
	}
	// Another org or key is another hook.
	h3, created, err := reg.Ensure(ctx, "acme", "contact", spec)
	if err != nil || !created || h3.ID == h1.ID {
		t.Fatalf("other org: got %+v created=%v, %v", h3, created, err)
	}
	if _, err := reg.Get(ctx, "", h3.ID); !errors.Is(err, hooks.ErrNotFound) {
		t.Errorf("org acme's hook is visible in org \"\": %v", err)
	}
	// Another kind under the same key is refused.
	if _, _, err := reg.Ensure(ctx, "", "contact", hooks.HookSpec{Name: "x", Kind: kindWeb}); !errors.Is(err, hooks.ErrHookMismatch) {
		t.Errorf("kind mismatch: got %v, want ErrHookMismatch", err)
	}
	// A deleted hook is made again, with a new address.
	if err := reg.Delete(ctx, "", h1.ID); err != nil {
		t.Fatal(err)
	}
	h4, created, err := reg.Ensure(ctx, "", "contact", spec)
	if err != nil || !created || h4.ID != h1.ID || h4.Token == h1.Token {
		t.Errorf("after delete: got %+v created=%v, %v", h4, created, err)
	}
	for _, bad := range []string{"", string(make([]byte, 201)), "\xff"} {
		if _, _, err := reg.Ensure(ctx, "", bad, spec); !errors.Is(err, hooks.ErrInvalid) {
			t.Errorf("key %q: got %v, want ErrInvalid", bad, err)
		}
	}
	if _, _, err := reg.Ensure(ctx, "", "nameless", hooks.HookSpec{Kind: kindForm}); !errors.Is(err, hooks.ErrInvalid) {
		t.Errorf("bad spec: got %v, want ErrInvalid", err)
	}
}

// ensureRace starts n Ensures of one key at once, each on the next of
// regs (replicas sharing one store), and checks that they return one hook
// and that the store holds one.
func ensureRace(t *testing.T, regs []*hooks.Registry, n int) {
	t.Helper()
	ctx := context.Background()
	spec := hooks.HookSpec{Name: "Orders", Kind: kindWeb}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[string]int{}
		created int
	)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(reg *hooks.Registry) {
			defer wg.Done()
			<-start
			h, c, err := reg.Ensure(ctx, "org1", "orders", spec)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[h.ID+" "+h.Token]++
			if c {
				created++
			}
		}(regs[i%len(regs)])
	}
	close(start)
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Errorf("got hooks %v and %d creations, want one hook created once", ids, created)
	}
	hs, err := regs[0].List(ctx, "org1")
	if err != nil || len(hs) != 1 {
		t.Errorf("the store holds %d hooks (%v), want 1", len(hs), err)
	}
}

func TestEnsureConcurrent(t *testing.T) {
	newReg := func(s store.HookStore) *hooks.Registry {
		reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		registerTestKinds(t, reg)
		return reg
	}
	t.Run("memstore", func(t *testing.T) {
		st := memstore.New()
		ensureRace(t, []*hooks.Registry{newReg(st), newReg(st)}, 16)
	})
	t.Run("boltstore", func(t *testing.T) {
		st, err := boltstore.Open(filepath.Join(t.TempDir(), "h.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		ensureRace(t, []*hooks.Registry{newReg(st), newReg(st)}, 16)
	})
	t.Run("pgstore two replicas", func(t *testing.T) {
		dsn := testenv.PostgresDSN(t)
		schema := testenv.PostgresSchema(t, dsn, "ensure_")
		var regs []*hooks.Registry
		for i := 0; i < 2; i++ {
			st, err := pgstore.Open(context.Background(), dsn, &pgstore.Options{Schema: schema, MaxConns: 8})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			regs = append(regs, newReg(st))
		}
		ensureRace(t, regs, 16)
	})
}
