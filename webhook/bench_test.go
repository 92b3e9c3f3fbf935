package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/baseline"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook/signature"
)

// BenchmarkWebhook runs the bare baseline, a key-authenticated webhook and
// a signature-only (Standard Webhooks) webhook in the same run.
func BenchmarkWebhook(b *testing.B) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://example.test"})
	keys, _ := hooks.NewKeyring(st, hooks.KeyringOptions{})
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(
		func(context.Context, *hooks.Event) error { return nil }))})
	h, err := New(p, keys, Options{})
	if err != nil {
		b.Fatal(err)
	}
	hk, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "bench", Kind: KindName})
	_, key, _ := keys.Create(ctx, "", "bench", []string{hooks.RoleHooks})
	body := string(baseline.Body(1024))
	cfg := signature.Config{Scheme: signature.SchemeStandardWebhooks, Secrets: []string{swSecretNew}}
	raw, _ := json.Marshal(cfg)
	signed, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "signed", Kind: KindName,
		Settings: sigSettings(b, AuthSignature, raw)})
	sigHeader := http.Header{}
	v, _ := signature.New(cfg)
	if err := v.(signature.Signer).Sign(sigHeader, []byte(body)); err != nil {
		b.Fatal(err)
	}
	keyHeader := http.Header{"Authorization": {"Bearer " + key}}
	run := func(b *testing.B, handler http.Handler, path string, hdr http.Header) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				for k, vs := range hdr {
					r.Header[k] = vs
				}
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, r)
				if w.Code != http.StatusAccepted {
					b.Fatalf("got %d %s", w.Code, w.Body)
				}
			}
		})
	}
	b.Run("bare", func(b *testing.B) { run(b, baseline.Handler(), "/hooks/web/"+hk.Token, keyHeader) })
	b.Run("webhook", func(b *testing.B) { run(b, h, "/hooks/web/"+hk.Token, keyHeader) })
	b.Run("webhook-signed", func(b *testing.B) { run(b, h, "/hooks/web/"+signed.Token, sigHeader) })
}
