package emailhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// BenchmarkProviderDecode measures each provider decoder on the fixture
// message (text, HTML with a JSON-LD Order, a PDF attachment), from the
// posted bytes to the hooks.Email, beside the SMTP path for the same
// message: ReadMessage of the raw bytes and the same Email mapping.
func BenchmarkProviderDecode(b *testing.B) {
	x := testExtractor(b)
	raw := []byte(fxRaw())
	b.Run("SMTPPath", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			msg, err := x.ReadMessage(bytes.NewReader(raw))
			if err != nil || len(msg.Objects) != 1 {
				b.Fatal(err)
			}
		}
	})
	form := func(name string, body []byte, ct string, parse func(*postForm) (*inboundPost, *hooks.Error)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				f, err := readPostForm(ct, body)
				if err != nil {
					b.Fatal(err)
				}
				post, herr := parse(f)
				if herr != nil {
					b.Fatal(herr)
				}
				msg, err := x.ReadMessage(bytes.NewReader(post.raw))
				if err != nil || len(msg.Objects) != 1 {
					b.Fatal(err)
				}
			}
		})
	}
	sig := mailgunSign(testSigningKey, fixedNow, "t")
	mgParsed, mgCT := mailgunParsed("h@in.example.com", sig)
	form("MailgunParsed", mgParsed, mgCT, parseMailgun)
	mgMIME, mgMIMECT := mailgunMIME("h@in.example.com", sig)
	form("MailgunMIME", mgMIME, mgMIMECT, parseMailgun)
	sgParsed, sgCT := sendgridParsed("h@in.example.com")
	form("SendGridParsed", sgParsed, sgCT, parseSendGrid)
	sgRaw, sgRawCT := sendgridRaw("h@in.example.com")
	form("SendGridRaw", sgRaw, sgRawCT, parseSendGrid)
	for _, pm := range []struct {
		name string
		raw  bool
	}{{"PostmarkParsed", false}, {"PostmarkRaw", true}} {
		body := postmarkJSON("h@in.example.com", "", pm.raw)
		b.Run(pm.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				post, herr := parsePostmark(body, nil)
				if herr != nil {
					b.Fatal(herr)
				}
				msg, err := x.ReadMessage(bytes.NewReader(post.raw))
				if err != nil || len(msg.Objects) != 1 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProviderHandler measures a whole post through each provider
// handler and the pipeline (sync delivery to a Trigger that does
// nothing), beside the raw-message Handler (the SMTP path's decoding over
// HTTP, without the SMTP dialogue) for the same message.
func BenchmarkProviderHandler(b *testing.B) {
	st := memstore.New()
	b.Cleanup(func() { st.Close() })
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://localhost"})
	if err != nil {
		b.Fatal(err)
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{MaxBodyBytes: 1 << 20,
		Delivery: hooks.Sync(hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }))})
	if err != nil {
		b.Fatal(err)
	}
	hk, err := reg.Create(context.Background(), "", hooks.HookSpec{Name: "Orders", Kind: KindName})
	if err != nil {
		b.Fatal(err)
	}
	rcpt := reg.Address(hk)
	domains := ProviderOptions{Domains: []string{"in.example.com"}}
	seq := 0 // across runs: Mailgun tokens must never repeat
	run := func(name string, h http.Handler, body func(i int) ([]byte, string), mod func(*http.Request), want int) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				seq++
				b.StopTimer() // building the post is the sender's work
				bd, ct := body(seq)
				b.StartTimer()
				r := httptest.NewRequest(http.MethodPost, "/in", bytes.NewReader(bd))
				r.Header.Set("Content-Type", ct)
				if mod != nil {
					mod(r)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != want {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
	raw, err := NewHandler(p, HandlerOptions{Domains: domains.Domains})
	if err != nil {
		b.Fatal(err)
	}
	rawBody := []byte(fxRaw())
	run("RawMessage", raw, func(int) ([]byte, string) { return rawBody, "message/rfc822" },
		func(r *http.Request) { r.Header.Set(RecipientHeader, rcpt) }, http.StatusAccepted)

	mg, err := NewMailgunHandler(p, MailgunOptions{ProviderOptions: domains, SigningKey: testSigningKey,
		Now: func() time.Time { return fixedNow }})
	if err != nil {
		b.Fatal(err)
	}
	run("Mailgun", mg, func(i int) ([]byte, string) {
		// A fresh token each time: the replay cache refuses repeats.
		return mailgunParsed(rcpt, mailgunSign(testSigningKey, fixedNow, "bench-"+strconv.Itoa(i)))
	}, nil, http.StatusOK)

	sg, err := NewSendGridHandler(p, SendGridOptions{ProviderOptions: domains, Credential: Credential{Secret: "s"}})
	if err != nil {
		b.Fatal(err)
	}
	sgBody, sgCT := sendgridParsed(rcpt)
	run("SendGrid", sg, func(int) ([]byte, string) { return sgBody, sgCT },
		func(r *http.Request) { r.SetBasicAuth("u", "s") }, http.StatusOK)

	pm, err := NewPostmarkHandler(p, PostmarkOptions{ProviderOptions: domains, Credential: Credential{Secret: "s"}})
	if err != nil {
		b.Fatal(err)
	}
	pmBody := postmarkJSON(rcpt, "", false)
	run("Postmark", pm, func(int) ([]byte, string) { return pmBody, "application/json" },
		func(r *http.Request) { r.SetBasicAuth("u", "s") }, http.StatusOK)
}
