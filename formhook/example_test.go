package formhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func Example() {
	ctx := context.Background()
	st := memstore.New()
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "https://example.com"})
	trigger := hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
		fmt.Printf("event for %q: %v\n", e.HookName, e.Data)
		return nil
	})
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(trigger)})
	h, _ := formhook.New(p, formhook.Options{})
	mux := http.NewServeMux()
	mux.Handle("/hooks/form/", h)

	hook, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Contact", Kind: formhook.KindName})
	form := url.Values{"name": {"Ada"}, "topics[]": {"math", "engines"}}
	r := httptest.NewRequest("POST", reg.Address(hook), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.HasPrefix(w.Body.String(), `{"id":"`))
	// Output:
	// event for "Contact": map[name:Ada topics:[math engines]]
	// 202 true
}

// Example_protections shows a browser post redirected to the thank-you
// page, a filled honeypot answered like a success, and the rate limit.
func Example_protections() {
	ctx := context.Background()
	st := memstore.New()
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "https://example.com"})
	trigger := hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
		fmt.Printf("event: %v\n", e.Data)
		return nil
	})
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(trigger)})
	h, _ := formhook.New(p, formhook.Options{RateLimit: 1.0 / 60, Burst: 2})
	hook, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Contact", Kind: formhook.KindName, Settings: &formhook.Settings{
		RedirectURL: "https://example.com/thanks", Honeypot: "website"}})

	post := func(form url.Values, accept string) {
		r := httptest.NewRequest("POST", reg.Address(hook), strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Accept", accept)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Header().Get("Location"), w.Header().Get("Retry-After"))))
	}
	post(url.Values{"name": {"Ada"}, "website": {""}}, "text/html,*/*;q=0.8")
	post(url.Values{"name": {"Bot"}, "website": {"http://spam.example"}}, "application/json")
	post(url.Values{"name": {"Ada"}}, "application/json")
	// Output:
	// event: map[name:Ada]
	// 303 https://example.com/thanks
	// 202
	// 429 60
}
