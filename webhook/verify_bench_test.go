package webhook

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/baseline"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/webhook/signature"
)

// BenchmarkSignerFor compares building a hook's verifier from its stored
// configuration on every request ("parse") with the cached lookup the
// Handler does ("cached"), beside the cost of verifying a 1 KiB body
// ("verify", the work that cannot be avoided).
func BenchmarkSignerFor(b *testing.B) {
	cfg := signature.Config{Scheme: signature.SchemeStandardWebhooks, Secrets: []string{swSecretNew, swSecretOld}}
	raw, _ := json.Marshal(cfg)
	hk := &hooks.Hook{ID: "h1", Kind: KindName, UpdatedAt: time.Now(),
		Settings: sigSettings(b, AuthSignature, raw)}
	in := &webIntake{log: slog.New(slog.DiscardHandler), verifiers: verifiers{max: DefaultMaxVerifiers, m: map[string]*signer{}}}
	body := baseline.Body(1024)
	v, _ := signature.New(cfg)
	h := http.Header{}
	if err := v.(signature.Signer).Sign(h, body); err != nil {
		b.Fatal(err)
	}
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Verify(h, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if s := in.build(sigSettings(b, AuthSignature, raw)); s.err != nil {
				b.Fatal(s.err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for b.Loop() {
			if s := in.signerFor(ctx, hk, settingsOf(hk)); s.err != nil {
				b.Fatal(s.err)
			}
		}
	})
}
