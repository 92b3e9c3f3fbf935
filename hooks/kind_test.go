package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// The kinds of these tests: package hooks knows none, so the tests
// register their own, as a kind package does.
const (
	kindForm  hooks.Kind = "form"
	kindWeb   hooks.Kind = "web"
	kindEmail hooks.Kind = "email"
)

// testSettings are the settings of the test kinds.
type testSettings struct {
	Note   string   `json:"note"`
	Level  int      `json:"level"`
	Labels []string `json:"labels"`
}

func (s *testSettings) Validate() error {
	if s.Level < 0 || s.Level > 9 {
		return &hooks.ValidationError{Field: "level", Reason: "must be 0 to 9"}
	}
	return nil
}

// httpSpec is an HTTP kind mounted at prefix.
type httpSpec struct {
	kind   hooks.Kind
	prefix string
}

func (s httpSpec) Kind() hooks.Kind                  { return s.kind }
func (httpSpec) NewSettings() hooks.Settings         { return &testSettings{} }
func (s httpSpec) Address(base, token string) string { return base + s.prefix + token }

// mailSpec is an email kind at domain.
type mailSpec struct{ domain string }

func (mailSpec) Kind() hooks.Kind            { return kindEmail }
func (mailSpec) NewSettings() hooks.Settings { return &testSettings{} }
func (s mailSpec) Address(_, token string) string {
	if s.domain == "" {
		return token
	}
	return token + "@" + s.domain
}

// registerTestKinds registers form, web and email kinds with reg, at the
// default prefixes and the domain in.example.com.
func registerTestKinds(t testing.TB, reg *hooks.Registry) {
	t.Helper()
	for _, s := range []hooks.KindSpec{httpSpec{kindForm, "/hooks/form/"}, httpSpec{kindWeb, "/hooks/web/"}, mailSpec{"in.example.com"}} {
		if err := reg.Register(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRegister(t *testing.T) {
	reg, _ := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{BaseURL: "https://example.com"})
	if err := reg.Register(httpSpec{kindForm, "/in/form/"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(httpSpec{kindForm, "/in/form/"}); err != nil {
		t.Fatalf("the same spec again: got %v, want nil", err)
	}
	if err := reg.Register(httpSpec{kindForm, "/other/"}); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("another prefix for the same kind: got %v, want ErrInvalid", err)
	}
	for _, bad := range []hooks.KindSpec{nil, httpSpec{"", "/x/"}, httpSpec{"Form", "/x/"}, httpSpec{hooks.Kind(strings.Repeat("a", 33)), "/x/"}} {
		if err := reg.Register(bad); !errors.Is(err, hooks.ErrInvalid) {
			t.Errorf("Register(%v): got %v, want ErrInvalid", bad, err)
		}
	}
	if got := reg.Kinds(); len(got) != 1 || got[0] != kindForm {
		t.Fatalf("Kinds: got %v", got)
	}
	ctx := context.Background()
	h, err := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindForm})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reg.Address(h), "https://example.com/in/form/"+h.Token; got != want {
		t.Fatalf("Address: got %q, want %q", got, want)
	}
	if _, ok := h.Settings.(*testSettings); !ok {
		t.Fatalf("Settings: got %T, want the kind's *testSettings", h.Settings)
	}
	if _, err := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindWeb}); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("unregistered kind: got %v, want ErrInvalid", err)
	}
	if _, err := reg.ParseKind("web"); err == nil || !strings.Contains(err.Error(), `"form"`) {
		t.Fatalf("ParseKind(web): got %v, want an error listing the registered kinds", err)
	}
}

// TestHookOfUnregisteredKind: a Registry that does not serve a kind still
// lists its hooks, and an update of another field keeps their stored
// settings.
func TestHookOfUnregisteredKind(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	full, _ := hooks.NewRegistry(st, hooks.RegistryOptions{})
	registerTestKinds(t, full)
	h, err := full.Create(ctx, "", hooks.HookSpec{Name: "mail", Kind: kindEmail, Settings: &testSettings{Note: "kept"}})
	if err != nil {
		t.Fatal(err)
	}
	partial, _ := hooks.NewRegistry(st, hooks.RegistryOptions{})
	got, err := partial.Get(ctx, "", h.ID)
	if err != nil || got.Settings != nil || partial.Address(got) != "" {
		t.Fatalf("got %+v, %v; want nil settings and no address", got, err)
	}
	if _, err := partial.Update(ctx, "", h.ID, hooks.HookUpdate{Name: ptr("renamed")}); err != nil {
		t.Fatal(err)
	}
	again, err := full.Get(ctx, "", h.ID)
	if err != nil || again.Settings.(*testSettings).Note != "kept" || again.Name != "renamed" {
		t.Fatalf("got %+v, %v; want the settings kept", again, err)
	}
	if _, err := partial.Update(ctx, "", h.ID, hooks.HookUpdate{SettingsPatch: json.RawMessage(`{"note":"x"}`)}); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("settings of an unregistered kind: got %v, want ErrInvalid", err)
	}
}

func TestSettingsValidatedAndPatched(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, hooks.RegistryOptions{})
	if _, err := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindForm, Settings: &testSettings{Level: 10}}); !isField(err, "level") {
		t.Fatalf("invalid settings: got %v, want a level error", err)
	}
	h, err := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindForm, Settings: &testSettings{Note: "a", Level: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		patch, field string
	}{
		{`{"level":12}`, "level"},
		{`{"nope":1}`, "settings"},
		{`{"level":"x"}`, "settings"},
		{`[1]`, "settings"},
		{`{"note":"a"} {}`, "settings"},
	} {
		if _, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{SettingsPatch: json.RawMessage(tt.patch)}); !isField(err, tt.field) {
			t.Errorf("patch %s: got %v, want a %s error", tt.patch, err, tt.field)
		}
	}
	up, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{SettingsPatch: json.RawMessage(`{"labels":["x"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if s := up.Settings.(*testSettings); s.Note != "a" || s.Level != 1 || len(s.Labels) != 1 {
		t.Fatalf("after patch: got %+v, want note and level kept", s)
	}
	if _, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{Settings: &struct{ testSettings }{}}); !isField(err, "settings") {
		t.Fatalf("settings of another type: got %v, want a settings error", err)
	}
}

func isField(err error, field string) bool {
	var ve *hooks.ValidationError
	return errors.As(err, &ve) && ve.Field == field
}

// TestConcurrentSettingsPatches: PATCHes of different settings of one hook,
// from two Registries over one store (two processes), all stay.
func TestConcurrentSettingsPatches(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	a, _ := hooks.NewRegistry(st, hooks.RegistryOptions{})
	b, _ := hooks.NewRegistry(st, hooks.RegistryOptions{})
	registerTestKinds(t, a)
	registerTestKinds(t, b)
	h, err := a.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindForm})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		reg := a
		if i%2 == 1 {
			reg = b
		}
		patch := `{"note":"n"}`
		if i%2 == 1 {
			patch = `{"level":7}`
		}
		wg.Go(func() {
			if _, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{SettingsPatch: json.RawMessage(patch)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := a.Get(ctx, "", h.ID)
	if s := got.Settings.(*testSettings); s.Note != "n" || s.Level != 7 {
		t.Fatalf("got %+v, want both patches kept", s)
	}
}

// TestSettingsDecodedOncePerRevision: lookups of one hook revision share
// one decoded settings value; an update gives a new one.
func TestSettingsDecodedOncePerRevision(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, hooks.RegistryOptions{})
	h, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "x", Kind: kindForm, Settings: &testSettings{Note: "a"}})
	l1, _ := reg.Lookup(ctx, kindForm, h.Token)
	l2, _ := reg.Lookup(ctx, kindForm, h.Token)
	if l1.Settings != l2.Settings {
		t.Fatal("two lookups of one revision decoded the settings twice")
	}
	up, _ := reg.Update(ctx, "", h.ID, hooks.HookUpdate{SettingsPatch: json.RawMessage(`{"note":"b"}`)})
	l3, _ := reg.Lookup(ctx, kindForm, h.Token)
	if l3.Settings == l1.Settings || l3.Settings.(*testSettings).Note != "b" || l3.Revision != up.Revision {
		t.Fatalf("after update: got %+v (rev %d), want the new settings (rev %d)", l3.Settings, l3.Revision, up.Revision)
	}
}
