package inbound_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/inbound-hooks/inbound"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func ExampleNew() {
	ctx := context.Background()
	in, err := inbound.New(memstore.New(), inbound.Options{
		BaseURL: "https://example.com",
		Trigger: hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
			fmt.Println(e.HookName, e.Data)
			return nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle(in.Prefix(), in)

	h, _, err := in.Registry().Ensure(ctx, "", "contact", hooks.HookSpec{Name: "Contact", Kind: formhook.KindName})
	if err != nil {
		fmt.Println(err)
		return
	}
	addr := in.Registry().Address(h)
	fmt.Println(strings.Replace(addr, h.Token, "<token>", 1))

	r := httptest.NewRequest("POST", addr, strings.NewReader("name=Ada&tags=math&tags=engines"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// https://example.com/hooks/form/<token>
	// Contact map[name:Ada tags:[math engines]]
	// 202
}

// engine stands for the host's workflow engine in readmeMount.
var engine interface {
	Start(ctx context.Context, hookID string, data any) error
}

// readmeMount is the README's mounting snippet ("Mounting it in your
// server"), compiled here; TestREADMEMount keeps the two identical.
func readmeMount() error {
	ctx := context.Background()
	st, err := boltstore.Open("inbound.db", nil)
	if err != nil {
		return err
	}
	in, err := inbound.New(st, inbound.Options{
		BaseURL: "https://example.com",
		Trigger: hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
			return engine.Start(ctx, e.HookID, e.Data) // your workflow engine
		}),
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(in.Prefix(), in) // "/hooks/": form hooks under /hooks/form/, webhooks under /hooks/web/

	// Get or create by a key of your choosing: every start (and every replica)
	// finds the same hook instead of adding another "Contact".
	h, _, err := in.Registry().Ensure(ctx, "", "contact", hooks.HookSpec{Name: "Contact", Kind: formhook.KindName})
	if err != nil {
		return err
	}
	fmt.Println(in.Registry().Address(h)) // https://example.com/hooks/form/<token>
	return nil
}
