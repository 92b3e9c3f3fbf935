package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/admin"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook"
)

// TestAddressesAnsweredByHandlers mounts the form and webhook handlers
// under prefixes that are not the defaults, on a real loopback server:
// the addresses the Registry and the admin API give are answered by those
// handlers, because both come from where the handlers are mounted.
func TestAddressesAnsweredByHandlers(t *testing.T) {
	ctx := context.Background()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	st := memstore.New()
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := hooks.NewKeyring(st, hooks.KeyringOptions{})
	l, _ := debuglog.New(st, debuglog.Options{})
	defer l.Close(ctx)
	var mu sync.Mutex
	fired := map[string]int{}
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(
		func(_ context.Context, e *hooks.Event) error {
			mu.Lock()
			fired[e.HookID]++
			mu.Unlock()
			return nil
		}))})
	form, err := formhook.New(p, formhook.Options{Prefix: "/inbound/f/"})
	if err != nil {
		t.Fatal(err)
	}
	web, err := webhook.New(p, keys, webhook.Options{Prefix: "/inbound/api/v2/in/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emailhook.NewHandler(p, emailhook.HandlerOptions{Domains: []string{"mx.example.org"}}); err != nil {
		t.Fatal(err)
	}
	adm, err := admin.New(reg, keys, l, admin.Options{Authorizer: admin.BearerToken("t")})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(form.Prefix(), form)
	mux.Handle(web.Prefix(), web)
	mux.Handle("/admin/", adm)
	_, key, _ := keys.Create(ctx, "", "k", []string{hooks.RoleHooks})

	create := func(kind string) (id, address string) {
		req, _ := http.NewRequest("POST", srv.URL+"/admin/hooks", strings.NewReader(`{"name":"n","type":"`+kind+`"}`))
		req.Header.Set("Authorization", "Bearer t")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct{ ID, Address string }
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 201 {
			t.Fatalf("create %s: %d %v", kind, res.StatusCode, err)
		}
		return out.ID, out.Address
	}
	for _, tt := range []struct {
		kind, prefix, contentType, body string
		header                          map[string]string
	}{
		{"form", "/inbound/f/", "application/x-www-form-urlencoded", "name=Ada", nil},
		{"web", "/inbound/api/v2/in/", "application/json", `{"order":1}`, map[string]string{"Authorization": "Bearer " + key}},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			id, address := create(tt.kind)
			hk, err := reg.Get(ctx, "", id)
			if err != nil {
				t.Fatal(err)
			}
			if got := reg.Address(hk); got != address {
				t.Fatalf("the admin API gives %q, the Registry %q", address, got)
			}
			if want := srv.URL + tt.prefix + hk.Token; address != want {
				t.Fatalf("address %q, want %q (under the handler's prefix)", address, want)
			}
			req, _ := http.NewRequest("POST", address, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			mu.Lock()
			n := fired[id]
			mu.Unlock()
			if res.StatusCode != http.StatusAccepted || n != 1 {
				t.Fatalf("POST %s: got %d with %d events, want 202 and 1 event", address, res.StatusCode, n)
			}
		})
	}
	_, address := create("email")
	if !strings.HasSuffix(address, "@mx.example.org") {
		t.Fatalf("email address %q, want one at the handler's domain", address)
	}
}

// slowStore widens the window between a hook's read and its write, as a
// remote store does, so that lost updates show.
type slowStore struct{ store.Store }

func (s slowStore) GetHook(ctx context.Context, org, id string) (*store.Hook, error) {
	time.Sleep(2 * time.Millisecond)
	return s.Store.GetHook(ctx, org, id)
}

// TestConcurrentPatchesKeepEverySetting sends PATCHes of different
// settings of one hook at the same time, round after round: every change
// must stay (each is applied inside the Registry's compare-and-swap, not
// merged into a copy read before it).
func TestConcurrentPatchesKeepEverySetting(t *testing.T) {
	ctx := context.Background()
	st := slowStore{memstore.New()}
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{})
	keys, _ := hooks.NewKeyring(st, hooks.KeyringOptions{})
	l, _ := debuglog.New(st, debuglog.Options{})
	defer l.Close(ctx)
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(nil))})
	if _, err := formhook.New(p, formhook.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := webhook.New(p, keys, webhook.Options{}); err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(reg, keys, l, admin.Options{Authorizer: admin.BearerToken("t")})
	if err != nil {
		t.Fatal(err)
	}
	patch := func(id, body string) {
		r := httptest.NewRequest("PATCH", "/admin/hooks/"+id, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer t")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("PATCH %s: got %d %s", body, w.Code, w.Body)
		}
	}
	formHook, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "form", Kind: formhook.KindName})
	webHook, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "web", Kind: webhook.KindName})
	for round := range 8 {
		patches := map[string][]string{
			formHook.ID: {
				fmt.Sprintf(`{"settings":{"honeypot":"hp%d"}}`, round),
				fmt.Sprintf(`{"settings":{"redirect_url":"https://example.com/%d"}}`, round),
				fmt.Sprintf(`{"settings":{"allowed_origins":["https://o%d.example.com"]}}`, round),
				fmt.Sprintf(`{"name":"form %d"}`, round),
			},
			webHook.ID: {
				fmt.Sprintf(`{"settings":{"signature":{"scheme":"github","secrets":["s%d"]}}}`, round),
				fmt.Sprintf(`{"description":"d%d"}`, round),
			},
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for id, bodies := range patches {
			for _, b := range bodies {
				wg.Go(func() {
					<-start
					patch(id, b)
				})
			}
		}
		close(start)
		wg.Wait()
		got, _ := reg.Get(ctx, "", formHook.ID)
		fs := got.Settings.(*formhook.Settings)
		if fs.Honeypot != fmt.Sprintf("hp%d", round) || fs.RedirectURL != fmt.Sprintf("https://example.com/%d", round) ||
			len(fs.AllowedOrigins) != 1 || fs.AllowedOrigins[0] != fmt.Sprintf("https://o%d.example.com", round) ||
			got.Name != fmt.Sprintf("form %d", round) {
			t.Fatalf("round %d: form hook %q has %+v: a concurrent change was lost", round, got.Name, fs)
		}
		wgot, _ := reg.Get(ctx, "", webHook.ID)
		ws := wgot.Settings.(*webhook.Settings)
		if ws.Signature == nil || ws.Signature.Secrets[0] != fmt.Sprintf("s%d", round) || wgot.Description != fmt.Sprintf("d%d", round) {
			t.Fatalf("round %d: webhook has %+v, description %q: a concurrent change was lost", round, ws.Signature, wgot.Description)
		}
	}
}
