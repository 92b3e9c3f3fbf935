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

	hook, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: hooks.KindWeb})
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
