package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func newTestRegistry(t *testing.T, opts hooks.RegistryOptions) *hooks.Registry {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	reg, err := hooks.NewRegistry(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	registerTestKinds(t, reg)
	return reg
}

func TestNewRegistryValidation(t *testing.T) {
	tests := []struct {
		name string
		opts hooks.RegistryOptions
		ok   bool
	}{
		{"zero", hooks.RegistryOptions{}, true},
		{"https base", hooks.RegistryOptions{BaseURL: "https://example.com/inbound/"}, true},
		{"settings cache", hooks.RegistryOptions{MaxCachedSettings: 10}, true},
		{"relative base", hooks.RegistryOptions{BaseURL: "/hooks"}, false},
		{"ftp base", hooks.RegistryOptions{BaseURL: "ftp://example.com"}, false},
		{"base with query", hooks.RegistryOptions{BaseURL: "https://example.com/?a=1"}, false},
		{"base with user", hooks.RegistryOptions{BaseURL: "https://u:p@example.com"}, false},
		{"negative settings cache", hooks.RegistryOptions{MaxCachedSettings: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hooks.NewRegistry(memstore.New(), tt.opts)
			if got := err == nil; got != tt.ok {
				t.Fatalf("got err %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, hooks.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := hooks.NewRegistry(nil, hooks.RegistryOptions{}); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("nil store: got %v, want ErrInvalid", err)
	}
}

func TestRegistryLifecycle(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	reg := newTestRegistry(t, hooks.RegistryOptions{BaseURL: "https://example.com/in/",
		Now: func() time.Time { return now }})
	h, err := reg.Create(ctx, "acme", hooks.HookSpec{Name: "  Contact  ", Description: "site form", Kind: kindForm})
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "Contact" || h.Org != "acme" || h.Kind != kindForm || !h.CreatedAt.Equal(now) {
		t.Fatalf("got %+v", h)
	}
	if len(h.Token) < 32 || strings.ToLower(h.Token) != h.Token {
		t.Fatalf("got token %q, want >= 32 lowercase characters (160 bits)", h.Token)
	}
	got, err := reg.Get(ctx, "acme", h.ID)
	if err != nil || got.Token != h.Token || got.Description != "site form" {
		t.Fatalf("get: got %+v, %v", got, err)
	}
	h2, _ := reg.Create(ctx, "acme", hooks.HookSpec{Name: "Orders", Kind: kindWeb})
	list, err := reg.List(ctx, "acme")
	if err != nil || len(list) != 2 || list[0].ID != h.ID || list[1].ID != h2.ID {
		t.Fatalf("list: got %v, %v", list, err)
	}
	now = now.Add(time.Minute)
	ex := json.RawMessage(`{"name":"Ada"}`)
	up, err := reg.Update(ctx, "acme", h.ID, hooks.HookUpdate{Name: ptr("Contact us"), Debug: ptr(true), ExampleData: &ex})
	if err != nil || up.Name != "Contact us" || !up.Debug || string(up.ExampleData) != `{"name":"Ada"}` || !up.UpdatedAt.Equal(now) {
		t.Fatalf("update: got %+v, %v", up, err)
	}
	null := json.RawMessage(`null`)
	if up, err = reg.Update(ctx, "acme", h.ID, hooks.HookUpdate{ExampleData: &null}); err != nil || up.ExampleData != nil {
		t.Fatalf("clear example: got %s, %v", up.ExampleData, err)
	}
	rot, err := reg.Rotate(ctx, "acme", h.ID)
	if err != nil || rot.Token == h.Token {
		t.Fatalf("rotate: got %+v, %v", rot, err)
	}
	if _, err := reg.Lookup(ctx, kindForm, h.Token); !errors.Is(err, hooks.ErrNotFound) {
		t.Fatalf("old token: got %v, want ErrNotFound", err)
	}
	if got, err := reg.Lookup(ctx, kindForm, strings.ToUpper(rot.Token)); err != nil || got.ID != h.ID || got.Org != "acme" {
		t.Fatalf("upper-case lookup: got %+v, %v", got, err)
	}
	if err := reg.Delete(ctx, "acme", h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Get(ctx, "acme", h.ID); !errors.Is(err, hooks.ErrNotFound) {
		t.Fatalf("after delete: got %v, want ErrNotFound", err)
	}
	if err := reg.Delete(ctx, "acme", h.ID); !errors.Is(err, hooks.ErrNotFound) {
		t.Fatalf("second delete: got %v, want ErrNotFound", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestRegistryValidation(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, hooks.RegistryOptions{})
	h, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindWeb})
	bad := json.RawMessage(`{`)
	tests := []struct {
		name  string
		do    func() error
		field string
	}{
		{"empty name", func() error {
			_, err := reg.Create(ctx, "", hooks.HookSpec{Name: " ", Kind: kindForm})
			return err
		}, "name"},
		{"long name", func() error {
			_, err := reg.Create(ctx, "", hooks.HookSpec{Name: strings.Repeat("é", 201), Kind: kindForm})
			return err
		}, "name"},
		{"invalid utf-8 name", func() error {
			_, err := reg.Create(ctx, "", hooks.HookSpec{Name: "\xff", Kind: kindForm})
			return err
		}, "name"},
		{"unknown kind", func() error { _, err := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: "fax"}); return err }, "type"},
		{"long description", func() error {
			_, err := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindForm, Description: strings.Repeat("d", 2001)})
			return err
		}, "description"},
		{"bad setting", func() error {
			_, err := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindWeb, Settings: &testSettings{Level: -1}})
			return err
		}, "level"},
		{"bad example", func() error { _, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{ExampleData: &bad}); return err }, "example_data"},
		{"empty rename", func() error { _, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{Name: ptr("")}); return err }, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			var ve *hooks.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, hooks.ErrInvalid) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			if ve.Field != tt.field {
				t.Fatalf("got field %q, want %q", ve.Field, tt.field)
			}
		})
	}
	if k, err := reg.ParseKind("web"); err != nil || k != kindWeb {
		t.Errorf("ParseKind(web): got %v, %v", k, err)
	}
}

func TestRegistryAddress(t *testing.T) {
	tests := []struct {
		name     string
		opts     hooks.RegistryOptions
		kind     hooks.Kind
		wantPfx  string
		wantSufx string
	}{
		{"form", hooks.RegistryOptions{BaseURL: "https://example.com/"}, kindForm, "https://example.com/hooks/form/", ""},
		{"web under path", hooks.RegistryOptions{BaseURL: "https://example.com/inbound"}, kindWeb, "https://example.com/inbound/hooks/web/", ""},
		{"relative", hooks.RegistryOptions{}, kindWeb, "/hooks/web/", ""},
		{"email", hooks.RegistryOptions{}, kindEmail, "", "@in.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newTestRegistry(t, tt.opts)
			h, err := reg.Create(context.Background(), "", hooks.HookSpec{Name: "x", Kind: tt.kind})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.wantPfx + h.Token + tt.wantSufx
			if got := reg.Address(h); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

func TestRegistryLookup(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, hooks.RegistryOptions{})
	form, _ := reg.Create(ctx, "a", hooks.HookSpec{Name: "f", Kind: kindForm})
	email, _ := reg.Create(ctx, "b", hooks.HookSpec{Name: "e", Kind: kindEmail})
	off, _ := reg.Create(ctx, "a", hooks.HookSpec{Name: "off", Kind: kindForm})
	if _, err := reg.Update(ctx, "a", off.ID, hooks.HookUpdate{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
		kind        hooks.Kind
		wantID      string
	}{
		{"form", form.Token, kindForm, form.ID},
		{"email upper-case", strings.ToUpper(email.Token), kindEmail, email.ID},
		{"wrong kind", form.Token, kindWeb, ""},
		{"disabled", off.Token, kindForm, ""},
		{"empty", "", kindForm, ""},
		{"punctuation", form.Token[:10] + "/..", kindForm, ""},
		{"too long", strings.Repeat("a", 65), kindForm, ""},
		{"unknown", strings.Repeat("a", 32), kindForm, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := reg.Lookup(ctx, tt.kind, tt.token)
			if tt.wantID == "" {
				if !errors.Is(err, hooks.ErrNotFound) {
					t.Fatalf("got %v, %v; want ErrNotFound", h, err)
				}
				return
			}
			if err != nil || h.ID != tt.wantID {
				t.Fatalf("got %v, %v; want %s", h, err, tt.wantID)
			}
		})
	}
}

func TestRegistryOrgIsolation(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, hooks.RegistryOptions{})
	a, _ := reg.Create(ctx, "org-a", hooks.HookSpec{Name: "a", Kind: kindForm})
	b, _ := reg.Create(ctx, "org-b", hooks.HookSpec{Name: "b", Kind: kindForm})
	tests := []struct {
		name string
		do   func() error
	}{
		{"get", func() error { _, err := reg.Get(ctx, "org-a", b.ID); return err }},
		{"update", func() error {
			_, err := reg.Update(ctx, "org-a", b.ID, hooks.HookUpdate{Name: ptr("mine")})
			return err
		}},
		{"rotate", func() error { _, err := reg.Rotate(ctx, "org-a", b.ID); return err }},
		{"delete", func() error { return reg.Delete(ctx, "org-a", b.ID) }},
		{"single-tenant org", func() error { _, err := reg.Get(ctx, "", a.ID); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, hooks.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	}
	list, err := reg.List(ctx, "org-a")
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("list org-a: got %v, %v", list, err)
	}
	still, err := reg.Get(ctx, "org-b", b.ID)
	if err != nil || still.Name != "b" || still.Token != b.Token {
		t.Fatalf("org-b's hook changed: %+v, %v", still, err)
	}
}

// TestRegistryRotateRacesUpdate rotates a hook's token through one
// Registry while another Registry over the same store (another process)
// updates it: no update may write back a token that a Rotate replaced (the
// old address must never work again once Rotate returned), and the final
// token is the one the last Rotate returned. Each writer pauses a random
// moment between its writes, as independent admin requests do.
func TestRegistryRotateRacesUpdate(t *testing.T) {
	const rounds = 300
	stores := []struct {
		name string
		new  func(t *testing.T) store.Store
	}{
		{"memstore", func(t *testing.T) store.Store {
			s := memstore.New()
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"boltstore", func(t *testing.T) store.Store {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "reg.db"), &boltstore.Options{NoSync: true})
			if err != nil {
				t.Fatalf("boltstore.Open: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			s := st.new(t)
			rotator, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			registerTestKinds(t, rotator)
			updater, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			registerTestKinds(t, updater)
			h, err := rotator.Create(ctx, "acme", hooks.HookSpec{Name: "f", Kind: kindForm})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			retired := []string{} // tokens replaced by a Rotate that returned
			last := h.Token
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := range rounds {
					time.Sleep(rand.N(time.Millisecond))
					rot, err := rotator.Rotate(ctx, "acme", h.ID)
					if err != nil {
						t.Errorf("Rotate %d: %v", i, err)
						return
					}
					mu.Lock()
					retired = append(retired, last)
					last = rot.Token
					mu.Unlock()
				}
			})
			wg.Go(func() {
				for i := range rounds {
					time.Sleep(rand.N(time.Millisecond))
					if _, err := updater.Update(ctx, "acme", h.ID, hooks.HookUpdate{Debug: ptr(i%2 == 0)}); err != nil {
						t.Errorf("Update %d: %v", i, err)
						return
					}
					// The tokens retired most recently must stay dead.
					mu.Lock()
					old := append([]string(nil), retired[len(retired)-min(len(retired), 3):]...)
					mu.Unlock()
					for _, tok := range old {
						if got, err := updater.Lookup(ctx, kindForm, tok); !errors.Is(err, hooks.ErrNotFound) {
							t.Errorf("Lookup(retired token) during the race: got %v, %v; want ErrNotFound", got, err)
							return
						}
					}
				}
			})
			wg.Wait()
			if t.Failed() {
				return
			}
			got, err := rotator.Get(ctx, "acme", h.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Token != last {
				t.Fatalf("final token: got %q, want %q (the last Rotate's)", got.Token, last)
			}
			if want := (rounds-1)%2 == 0; got.Debug != want {
				t.Fatalf("final Debug: got %v, want the last Update's %v", got.Debug, want)
			}
			if len(retired) != rounds {
				t.Fatalf("retired tokens: got %d, want %d", len(retired), rounds)
			}
			for _, tok := range retired {
				if _, err := rotator.Lookup(ctx, kindForm, tok); !errors.Is(err, hooks.ErrNotFound) {
					t.Fatalf("Lookup(retired token) after the race: got %v, want ErrNotFound", err)
				}
			}
		})
	}
}

// TestLookupDoesNotCopyExampleData checks that resolving a token, done on
// every request, costs the same whatever the hook's example data: a hook
// whose 64 KiB example was taken from a debug entry must not make each
// request copy it (it did twice, in the store's cache and in the Registry).
func TestLookupDoesNotCopyExampleData(t *testing.T) {
	for _, st := range testStores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			reg, err := hooks.NewRegistry(st.new(t), hooks.RegistryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			registerTestKinds(t, reg)
			h, err := reg.Create(ctx, "", hooks.HookSpec{Name: "w", Kind: kindWeb})
			if err != nil {
				t.Fatal(err)
			}
			example := json.RawMessage(`{"note":"` + strings.Repeat("x", 64<<10) + `"}`)
			if _, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{ExampleData: &example}); err != nil {
				t.Fatal(err)
			}
			lookup := func() *hooks.Hook {
				got, err := reg.Lookup(ctx, kindWeb, h.Token)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			if got := lookup(); string(got.ExampleData) != string(example) {
				t.Fatalf("ExampleData: got %d bytes, want the %d-byte example", len(got.ExampleData), len(example))
			}
			const n = 50
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range n {
				lookup()
			}
			runtime.ReadMemStats(&after)
			if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 8<<10 {
				t.Errorf("a lookup allocated %d bytes, with a %d-byte example: it copies the example", per, len(example))
			}
			// A caller replaces the example; the next lookup still has it.
			got := lookup()
			got.ExampleData = nil
			if again := lookup(); len(again.ExampleData) != len(example) {
				t.Errorf("after a caller replaced its copy's example: got %d bytes", len(again.ExampleData))
			}
		})
	}
}
