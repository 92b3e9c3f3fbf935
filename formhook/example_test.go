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

	hook, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Contact", Kind: hooks.KindForm})
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
