package formhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/baseline"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func BenchmarkFormHook(b *testing.B) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://example.test"})
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(
		func(context.Context, *hooks.Event) error { return nil }))})
	h, err := New(p, Options{})
	if err != nil {
		b.Fatal(err)
	}
	hk, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "bench", Kind: KindName})
	body := string(baseline.Body(1024))
	path := "/hooks/form/" + hk.Token
	run := func(b *testing.B, handler http.Handler) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, r)
				if w.Code != http.StatusAccepted {
					b.Fatalf("got %d %s", w.Code, w.Body)
				}
			}
		})
	}
	b.Run("bare", func(b *testing.B) { run(b, baseline.Handler()) })
	b.Run("formhook", func(b *testing.B) { run(b, h) })
	// With every protection on: a rate limit no request reaches (one
	// client, so every post takes the same limiter's lock), CORS headers
	// and a honeypot field to check.
	hp, _ := New(p, Options{RateLimit: 1e9, Burst: 1 << 30, TrustedProxies: []string{"10.0.0.0/8"}})
	protected, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "protected", Kind: KindName, Settings: &Settings{
		AllowedOrigins: []string{"https://www.example.com"}, Honeypot: "website"}})
	b.Run("formhook-protected", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := httptest.NewRequest(http.MethodPost, "/hooks/form/"+protected.Token, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Origin", "https://www.example.com")
				w := httptest.NewRecorder()
				hp.ServeHTTP(w, r)
				if w.Code != http.StatusAccepted {
					b.Fatalf("got %d %s", w.Code, w.Body)
				}
			}
		})
	})
}
