package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook"
	"github.com/inbound-hooks/inbound/webhook/signature"
)

func Example() {
	ctx := context.Background()
	st := memstore.New()
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "https://example.com"})
	keys, _ := hooks.NewKeyring(st, hooks.KeyringOptions{})
	trigger := hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
		fmt.Printf("event for %q: %v (idempotency key %s)\n", e.HookName, e.Data, e.IdempotencyKey)
		return nil
	})
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(trigger)})
	h, _ := webhook.New(p, keys, webhook.Options{})
	mux := http.NewServeMux()
	mux.Handle("/hooks/web/", h)

	hook, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: webhook.KindName})
	_, key, _ := keys.Create(ctx, "", "shop", []string{hooks.RoleHooks})

	post := func(auth string) {
		r := httptest.NewRequest("POST", reg.Address(hook), strings.NewReader(`{"order":42}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", "order-42")
		if auth != "" {
			r.Header.Set("Authorization", "Bearer "+auth)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		var ans struct {
			ID    string `json:"id"`
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &ans)
		fmt.Println(strings.TrimSpace(fmt.Sprintln(w.Code, ans.ID != "", ans.Error.Code, w.Header().Get("WWW-Authenticate"))))
	}
	post(key)
	post("")
	// Output:
	// event for "Orders": map[order:42] (idempotency key order-42)
	// 202 true
	// 401 false unauthorized Bearer
}

// Example_signature receives a GitHub-signed webhook without an API key.
func Example_signature() {
	ctx := context.Background()
	st := memstore.New()
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "https://example.com"})
	keys, _ := hooks.NewKeyring(st, hooks.KeyringOptions{})
	trigger := hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
		fmt.Printf("event: %v, delivery %s, signature header %s\n",
			e.Data, e.IdempotencyKey, e.Header.Get("X-Hub-Signature-256"))
		return nil
	})
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(trigger)})
	h, _ := webhook.New(p, keys, webhook.Options{})

	secret, _ := signature.NewSecret(signature.SchemeGitHub)
	hook, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Pushes", Kind: webhook.KindName,
		Settings: &webhook.Settings{Auth: webhook.AuthSignature,
			Signature: &signature.Config{Scheme: signature.SchemeGitHub, Secrets: []string{secret}}}})

	post := func(sig string) {
		body := `{"action":"opened"}`
		r := httptest.NewRequest("POST", reg.Address(hook), strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		r.Header.Set("X-Hub-Signature-256", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Header().Get("WWW-Authenticate"))))
	}
	post(signature.SignGitHub(secret, []byte(`{"action":"opened"}`)))
	post(signature.SignGitHub("a guess", []byte(`{"action":"opened"}`)))
	// Output:
	// event: map[action:opened], delivery 72d3162e-cc78-11e3-81ab-4c9367dc0958, signature header [redacted]
	// 202
	// 401 Signature realm="webhook", scheme="github"
}
