package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook/signature"
)

// Secrets of the test vectors. They are distinctive so that a test can
// search debug entries, events and logs for them.
const (
	swSecretOld = "whsec_c2VjcmV0LXN0YW5kYXJkLW9sZC0wMTIzNDU2Nzg5" // base64 of "secret-standard-old-0123456789"
	swSecretNew = "whsec_c2VjcmV0LXN0YW5kYXJkLW5ldy05ODc2NTQzMjEw" // base64 of "secret-standard-new-9876543210"
	ghSecret    = "gh-secret-5f1e2d3c4b5a"
	stripeSec   = "whsec_stripe_0123456789abcdef"
	shopSecret  = "shopify-secret-a1b2c3d4"
	hmacSecret  = "generic-secret-z9y8x7w6"
)

// sigEnv is a webhook handler with a debug log and a recording trigger.
type sigEnv struct {
	h      *Handler
	st     store.Store
	reg    *hooks.Registry
	keys   *hooks.Keyring
	dlog   *debuglog.Log
	logBuf *syncBuffer
	key    string // a valid org.hooks key
	mu     sync.Mutex
	events []*hooks.Event
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newSigEnv(t *testing.T, delivery func(hooks.Trigger) hooks.Delivery, opts Options) *sigEnv {
	t.Helper()
	ctx := context.Background()
	st, reg, keys := newCore(t)
	dlog, err := debuglog.New(st, debuglog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dlog.Close(context.Background()) })
	e := &sigEnv{st: st, reg: reg, keys: keys, dlog: dlog, logBuf: &syncBuffer{}}
	trigger := hooks.TriggerFunc(func(_ context.Context, ev *hooks.Event) error {
		e.mu.Lock()
		e.events = append(e.events, ev)
		e.mu.Unlock()
		return nil
	})
	if delivery == nil {
		delivery = hooks.Sync
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: delivery(trigger), Recorder: dlog})
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = slog.New(slog.NewTextHandler(e.logBuf, nil))
	if e.h, err = New(p, keys, opts); err != nil {
		t.Fatal(err)
	}
	if _, e.key, err = keys.Create(ctx, "", "sender", []string{hooks.RoleHooks}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *sigEnv) eventCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.events)
}

func (e *sigEnv) lastEvent() *hooks.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.events) == 0 {
		return nil
	}
	return e.events[len(e.events)-1]
}

// hook creates a webhook with debug on and the given auth and signature
// configuration (marshalled when it is a signature.Config, used verbatim
// when it is a string).
func (e *sigEnv) hook(t *testing.T, auth AuthMode, cfg any) *hooks.Hook {
	t.Helper()
	ctx := context.Background()
	var raw json.RawMessage
	switch c := cfg.(type) {
	case nil:
	case string:
		raw = json.RawMessage(c)
	default:
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		raw = b
	}
	hk, err := e.reg.Create(ctx, "", hooks.HookSpec{Name: "signed", Kind: KindName,
		Settings: sigSettings(t, auth, raw)})
	if err != nil {
		t.Fatal(err)
	}
	if hk, err = e.reg.Update(ctx, "", hk.ID, hooks.HookUpdate{Debug: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	return hk
}

// post sends body to hk with the given headers and returns the response.
func (e *sigEnv) post(t *testing.T, hk *hooks.Hook, body []byte, hdr http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/hooks/web/"+hk.Token, bytes.NewReader(body))
	for k, vs := range hdr {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// entriesJSON returns the hook's debug entries as JSON.
func (e *sigEnv) entriesJSON(t *testing.T, hk *hooks.Hook) string {
	t.Helper()
	ctx := context.Background()
	if err := e.dlog.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := e.dlog.Entries(ctx, hk.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func errCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Code < 400 {
		return ""
	}
	var eb hooks.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	if eb.Error.Message == "" {
		t.Errorf("error %q has no message", eb.Error.Code)
	}
	return eb.Error.Code
}

func hmacSum(newHash func() hash.Hash, key []byte, parts ...string) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func swKey(t *testing.T, secret string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// scheme describes one signature scheme for the table tests: its
// configuration, how a sender signs (computed here from the scheme's
// documented algorithm, independently of package signature), and how the
// package's own Sign function signs, which must agree.
type scheme struct {
	name     string
	cfg      signature.Config
	secret   string // the secret senders sign with
	sigHdr   string // the header carrying the signature
	timed    bool
	deliver  string // the delivery-id header, if any
	sign     func(t *testing.T, secret string, ts time.Time, id string, body []byte, h http.Header)
	pkgValue func(t *testing.T, secret string, ts time.Time, id string, body []byte) string
}

func schemes() []scheme {
	return []scheme{
		{
			name: "standard-webhooks", secret: swSecretNew, sigHdr: "Webhook-Signature", timed: true, deliver: "Webhook-Id",
			cfg: signature.Config{Scheme: signature.SchemeStandardWebhooks, Secrets: []string{swSecretNew, swSecretOld}},
			sign: func(t *testing.T, secret string, ts time.Time, id string, body []byte, h http.Header) {
				tss := strconv.FormatInt(ts.Unix(), 10)
				sum := hmacSum(sha256.New, swKey(t, secret), id, ".", tss, ".", string(body))
				h.Set("Webhook-Id", id)
				h.Set("Webhook-Timestamp", tss)
				h.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(sum))
			},
			pkgValue: func(t *testing.T, secret string, ts time.Time, id string, body []byte) string {
				v, err := signature.SignStandardWebhooks(secret, id, ts, body)
				if err != nil {
					t.Fatal(err)
				}
				return v
			},
		},
		{
			// Svix's names for the Standard Webhooks headers.
			name: "svix", secret: swSecretNew, sigHdr: "Svix-Signature", timed: true, deliver: "Svix-Id",
			cfg: signature.Config{Scheme: signature.SchemeStandardWebhooks, Secrets: []string{swSecretNew, swSecretOld}},
			sign: func(t *testing.T, secret string, ts time.Time, id string, body []byte, h http.Header) {
				tss := strconv.FormatInt(ts.Unix(), 10)
				sum := hmacSum(sha256.New, swKey(t, secret), id, ".", tss, ".", string(body))
				h.Set("Svix-Id", id)
				h.Set("Svix-Timestamp", tss)
				h.Set("Svix-Signature", "v1,"+base64.StdEncoding.EncodeToString(sum))
			},
			pkgValue: func(t *testing.T, secret string, ts time.Time, id string, body []byte) string {
				v, err := signature.SignStandardWebhooks(secret, id, ts, body)
				if err != nil {
					t.Fatal(err)
				}
				return v
			},
		},
		{
			name: "github", secret: ghSecret, sigHdr: "X-Hub-Signature-256", deliver: "X-Github-Delivery",
			cfg: signature.Config{Scheme: signature.SchemeGitHub, Secrets: []string{ghSecret, "gh-old-secret"}},
			sign: func(t *testing.T, secret string, _ time.Time, id string, body []byte, h http.Header) {
				h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(hmacSum(sha256.New, []byte(secret), string(body))))
				h.Set("X-Github-Delivery", id)
			},
			pkgValue: func(_ *testing.T, secret string, _ time.Time, _ string, body []byte) string {
				return signature.SignGitHub(secret, body)
			},
		},
		{
			name: "stripe", secret: stripeSec, sigHdr: "Stripe-Signature", timed: true,
			cfg: signature.Config{Scheme: signature.SchemeStripe, Secrets: []string{stripeSec}},
			sign: func(t *testing.T, secret string, ts time.Time, _ string, body []byte, h http.Header) {
				tss := strconv.FormatInt(ts.Unix(), 10)
				h.Set("Stripe-Signature", "t="+tss+",v1="+hex.EncodeToString(hmacSum(sha256.New, []byte(secret), tss, ".", string(body))))
			},
			pkgValue: func(_ *testing.T, secret string, ts time.Time, _ string, body []byte) string {
				return signature.SignStripe(secret, ts, body)
			},
		},
		{
			name: "shopify", secret: shopSecret, sigHdr: "X-Shopify-Hmac-Sha256", deliver: "X-Shopify-Webhook-Id",
			cfg: signature.Config{Scheme: signature.SchemeShopify, Secrets: []string{shopSecret}},
			sign: func(t *testing.T, secret string, _ time.Time, id string, body []byte, h http.Header) {
				h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(hmacSum(sha256.New, []byte(secret), string(body))))
				h.Set("X-Shopify-Webhook-Id", id)
			},
			pkgValue: func(_ *testing.T, secret string, _ time.Time, _ string, body []byte) string {
				return signature.SignShopify(secret, body)
			},
		},
		{
			// X-Sig matches none of IsSensitiveHeader's patterns: only the
			// scheme's own header list gets it redacted.
			name: "hmac", secret: hmacSecret, sigHdr: "X-Sig",
			cfg: signature.Config{Scheme: signature.SchemeHMAC, Secrets: []string{hmacSecret}, Header: "X-Sig",
				Algorithm: "sha512", Encoding: "base64", Prefix: "v0="},
			sign: func(t *testing.T, secret string, _ time.Time, _ string, body []byte, h http.Header) {
				h.Set("X-Sig", "v0="+base64.StdEncoding.EncodeToString(hmacSum(sha512.New, []byte(secret), string(body))))
			},
			pkgValue: func(t *testing.T, secret string, _ time.Time, _ string, body []byte) string {
				v, err := signature.SignHMAC(secret, body, signature.HMACOptions{Algorithm: signature.SHA512,
					Encoding: signature.Base64, Prefix: "v0="})
				if err != nil {
					t.Fatal(err)
				}
				return v
			},
		},
	}
}

// flip changes one character near the end of a signature value to another
// that decodes to a different value in hex and base64 alike ('0' and '1';
// a case change would not do: hex decoding ignores case).
func flip(v string) string {
	b := []byte(v)
	i := len(b) - 5
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}

func TestSchemesThroughHandler(t *testing.T) {
	body := []byte(`{"event":"order.paid","id":42}`)
	for _, sc := range schemes() {
		t.Run(sc.name, func(t *testing.T) {
			e := newSigEnv(t, nil, Options{})
			hk := e.hook(t, AuthSignature, sc.cfg)
			now := time.Now()
			signed := func(secret string, ts time.Time, id string, b []byte) http.Header {
				h := http.Header{}
				sc.sign(t, secret, ts, id, b, h)
				return h
			}
			// Our independent computation agrees with the package's.
			if got, want := signed(sc.secret, now, "msg_1", body).Get(sc.sigHdr), sc.pkgValue(t, sc.secret, now, "msg_1", body); got != want {
				t.Fatalf("vector: got %q, want %q (package Sign)", got, want)
			}
			tests := []struct {
				name   string
				hdr    func() http.Header
				body   []byte
				status int
				code   string
			}{
				{"valid", func() http.Header { return signed(sc.secret, now, "msg_valid", body) }, body, 202, ""},
				{"rotated: any configured secret", func() http.Header { return signed(sc.cfg.Secrets[len(sc.cfg.Secrets)-1], now, "msg_rot", body) }, body, 202, ""},
				{"unknown secret", func() http.Header {
					if sc.cfg.Scheme == signature.SchemeStandardWebhooks {
						return signed("whsec_"+base64.StdEncoding.EncodeToString([]byte("another-key-entirely")), now, "msg_x", body)
					}
					return signed("another-secret", now, "msg_x", body)
				}, body, 401, errcode.SignatureInvalid},
				{"tampered body", func() http.Header { return signed(sc.secret, now, "msg_tb", body) }, []byte(`{"event":"order.paid","id":43}`), 401, errcode.SignatureInvalid},
				{"tampered signature", func() http.Header {
					h := signed(sc.secret, now, "msg_ts", body)
					h.Set(sc.sigHdr, flip(h.Get(sc.sigHdr)))
					return h
				}, body, 401, errcode.SignatureInvalid},
				{"missing signature", func() http.Header {
					h := signed(sc.secret, now, "msg_ms", body)
					h.Del(sc.sigHdr)
					return h
				}, body, 401, "signature_missing"},
				{"malformed signature", func() http.Header {
					h := signed(sc.secret, now, "msg_mf", body)
					h.Set(sc.sigHdr, "!!not a signature!!")
					return h
				}, body, 401, "signature_malformed"},
			}
			if sc.timed {
				tests = append(tests,
					struct {
						name   string
						hdr    func() http.Header
						body   []byte
						status int
						code   string
					}{"stale timestamp", func() http.Header { return signed(sc.secret, now.Add(-10*time.Minute), "msg_old", body) }, body, 401, errcode.TimestampOutOfRange},
					struct {
						name   string
						hdr    func() http.Header
						body   []byte
						status int
						code   string
					}{"future timestamp", func() http.Header { return signed(sc.secret, now.Add(10*time.Minute), "msg_new", body) }, body, 401, errcode.TimestampOutOfRange},
				)
			}
			if sc.cfg.Scheme == signature.SchemeStandardWebhooks {
				tests = append(tests, struct {
					name   string
					hdr    func() http.Header
					body   []byte
					status int
					code   string
				}{"tampered webhook-id", func() http.Header {
					h := signed(sc.secret, now, "msg_a", body)
					h.Set(sc.deliver, "msg_b") // Webhook-Id, or Svix-Id
					return h
				}, body, 401, errcode.SignatureInvalid}, struct {
					name   string
					hdr    func() http.Header
					body   []byte
					status int
					code   string
				}{"tampered timestamp", func() http.Header {
					h := signed(sc.secret, now, "msg_c", body)
					h.Set(strings.TrimSuffix(sc.deliver, "Id")+"Timestamp", strconv.FormatInt(now.Unix()+1, 10))
					return h
				}, body, 401, errcode.SignatureInvalid})
			}
			var presented []string
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before := e.eventCount()
					hdr := tt.hdr()
					if v := hdr.Get(sc.sigHdr); v != "" {
						presented = append(presented, v)
					}
					w := e.post(t, hk, tt.body, hdr)
					if w.Code != tt.status {
						t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
					}
					if got := errCode(t, w); got != tt.code {
						t.Fatalf("got code %q, want %q", got, tt.code)
					}
					fired := e.eventCount() - before
					if tt.status == 202 {
						if fired != 1 {
							t.Fatalf("got %d events, want 1", fired)
						}
						ev := e.lastEvent()
						if !bytes.Equal(ev.Raw, tt.body) {
							t.Errorf("got raw %q, want %q", ev.Raw, tt.body)
						}
						if got := ev.Header.Get(sc.sigHdr); got != hooks.Redacted {
							t.Errorf("event header %s: got %q, want %q", sc.sigHdr, got, hooks.Redacted)
						}
						if sc.deliver != "" && ev.IdempotencyKey != hdr.Get(sc.deliver) {
							t.Errorf("idempotency key: got %q, want %q", ev.IdempotencyKey, hdr.Get(sc.deliver))
						}
						return
					}
					if fired != 0 {
						t.Fatalf("a rejected request fired %d events", fired)
					}
					if got, want := w.Header().Get("WWW-Authenticate"), `Signature realm="webhook", scheme="`+sc.cfg.Scheme+`"`; got != want {
						t.Errorf("WWW-Authenticate: got %q, want %q", got, want)
					}
				})
			}
			// Neither the secrets nor any presented signature reaches the
			// debug log, the events or the logs.
			dump := e.entriesJSON(t, hk)
			if !strings.Contains(dump, hooks.Redacted) {
				t.Fatalf("debug entries show no redaction:\n%s", dump)
			}
			evs, _ := json.Marshal(e.events)
			for _, s := range append(append([]string{}, sc.cfg.Secrets...), presented...) {
				for what, text := range map[string]string{"debug entries": dump, "events": string(evs), "logs": e.logBuf.String()} {
					if strings.Contains(text, s) {
						t.Errorf("%s contain %q", what, s)
					}
				}
			}
		})
	}
}

func TestAuthModes(t *testing.T) {
	body := []byte(`{"a":1}`)
	cfg := signature.Config{Scheme: signature.SchemeGitHub, Secrets: []string{ghSecret}}
	sig := signature.SignGitHub(ghSecret, body)
	e := newSigEnv(t, nil, Options{})
	hks := map[AuthMode]*hooks.Hook{
		AuthSignature:       e.hook(t, AuthSignature, cfg),
		AuthKeyAndSignature: e.hook(t, AuthKeyAndSignature, cfg),
		AuthKey:             e.hook(t, AuthKey, cfg), // a configured signature is still verified
	}
	plain := e.hook(t, AuthKey, nil)
	tests := []struct {
		name      string
		hk        *hooks.Hook
		key, sig  bool
		status    int
		code      string
		challenge string
	}{
		{"signature only: signed", hks[AuthSignature], false, true, 202, "", ""},
		{"signature only: key alone", hks[AuthSignature], true, false, 401, "signature_missing", `Signature realm="webhook", scheme="github"`},
		{"signature only: nothing", hks[AuthSignature], false, false, 401, "signature_missing", `Signature realm="webhook", scheme="github"`},
		{"both: key and signature", hks[AuthKeyAndSignature], true, true, 202, "", ""},
		{"both: key alone", hks[AuthKeyAndSignature], true, false, 401, "signature_missing", `Signature realm="webhook", scheme="github"`},
		{"both: signature alone", hks[AuthKeyAndSignature], false, true, 401, errcode.Unauthorized, "Bearer"},
		{"key with signature configured: both", hks[AuthKey], true, true, 202, "", ""},
		{"key with signature configured: key alone", hks[AuthKey], true, false, 401, "signature_missing", `Signature realm="webhook", scheme="github"`},
		{"key: key", plain, true, false, 202, "", ""},
		{"key: signature alone", plain, false, true, 401, errcode.Unauthorized, "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.key {
				h.Set("Authorization", "Bearer "+e.key)
			}
			if tt.sig {
				h.Set("X-Hub-Signature-256", sig)
			}
			w := e.post(t, tt.hk, body, h)
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if got := errCode(t, w); got != tt.code {
				t.Fatalf("got code %q, want %q", got, tt.code)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate: got %q, want %q", got, tt.challenge)
			}
		})
	}
}

// countingBody reports whether it was read.
type countingBody struct {
	r    io.Reader
	read bool
}

func (c *countingBody) Read(p []byte) (int, error) { c.read = true; return c.r.Read(p) }

func TestInvalidConfigFailsClosed(t *testing.T) {
	tests := []struct {
		name string
		auth AuthMode
		cfg  string
	}{
		{"unknown scheme", AuthSignature, `{"scheme":"standard","secrets":["s3cr3t-unknown"]}`},
		{"no secret", AuthSignature, `{"scheme":"github","secrets":[]}`},
		{"bad standard webhooks secret", AuthSignature, `{"scheme":"standard-webhooks","secrets":["whsec_***not-base64***"]}`},
		{"unknown field", AuthSignature, `{"scheme":"github","secrets":["s3cr3t-field"],"tolerance":60}`},
		{"not an object", AuthKeyAndSignature, `["s3cr3t-array"]`},
		{"hmac without a secret, odd header", AuthSignature, `{"scheme":"hmac","header":"X-Sig","secrets":[""]}`},
		{"key mode with a broken config", AuthKey, `{"scheme":"nope","secrets":["s3cr3t-key-mode"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSigEnv(t, nil, Options{})
			hk := e.hook(t, AuthKey, nil)
			settings, _ := json.Marshal(map[string]any{"auth": tt.auth, "signature": json.RawMessage(tt.cfg)})
			storeSettings(t, e.st, hk, string(settings))
			body := &countingBody{r: strings.NewReader(`{"a":1}`)}
			r := httptest.NewRequest(http.MethodPost, "/hooks/web/"+hk.Token, body)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+e.key)
			r.Header.Set("X-Sig", "sent-signature-value")
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("got %d %s, want 401", w.Code, w.Body)
			}
			if got := errCode(t, w); got != CodeSignatureConfigInvalid {
				t.Fatalf("got code %q, want %q", got, CodeSignatureConfigInvalid)
			}
			if got, want := w.Header().Get("WWW-Authenticate"), `Signature realm="webhook"`; got != want {
				t.Errorf("WWW-Authenticate: got %q, want %q", got, want)
			}
			if body.read {
				t.Error("the body was read for a hook that cannot verify")
			}
			if e.eventCount() != 0 {
				t.Error("an event fired")
			}
			logs := e.logBuf.String()
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, hk.ID) {
				t.Errorf("no error-level log naming the hook:\n%s", logs)
			}
			dump := e.entriesJSON(t, hk)
			for _, s := range []string{"s3cr3t", "sent-signature-value"} {
				if strings.Contains(logs, s) {
					t.Errorf("logs contain %q:\n%s", s, logs)
				}
				if tt.name == "hmac without a secret, odd header" && strings.Contains(dump, s) {
					t.Errorf("debug entries contain %q:\n%s", s, dump)
				}
			}
			// A second request does not log again: the failure is cached.
			n := strings.Count(logs, "level=ERROR")
			e.h.ServeHTTP(httptest.NewRecorder(), r.Clone(context.Background()))
			if got := strings.Count(e.logBuf.String(), "level=ERROR"); got != n {
				t.Errorf("got %d error logs after a second request, want %d", got, n)
			}
		})
	}
}

// TestDedupAfterVerification shows that a forged request carrying a
// genuine delivery's webhook-id does not consume that idempotency key in
// queue mode, and that a replay with a fresh Idempotency-Key header is
// still deduplicated by the signed webhook-id.
func TestDedupAfterVerification(t *testing.T) {
	ctx := context.Background()
	var q *hooks.Queue
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	e := newSigEnv(t, func(tr hooks.Trigger) hooks.Delivery {
		var err error
		if q, err = hooks.NewQueue(st, tr, hooks.QueueOptions{}); err != nil {
			t.Fatal(err)
		}
		return q
	}, Options{})
	hk := e.hook(t, AuthSignature, signature.Config{Scheme: signature.SchemeStandardWebhooks, Secrets: []string{swSecretNew}})
	body := []byte(`{"type":"invoice.paid"}`)
	now := time.Now()
	genuine := func() http.Header {
		h := http.Header{}
		h.Set("Webhook-Id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
		h.Set("Webhook-Timestamp", strconv.FormatInt(now.Unix(), 10))
		v, err := signature.SignStandardWebhooks(swSecretNew, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, body)
		if err != nil {
			t.Fatal(err)
		}
		h.Set("Webhook-Signature", v)
		return h
	}
	forged := genuine()
	forged.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))

	id := func(w *httptest.ResponseRecorder) string {
		var v struct{ ID string }
		_ = json.Unmarshal(w.Body.Bytes(), &v)
		return v.ID
	}
	if w := e.post(t, hk, body, forged); w.Code != http.StatusUnauthorized {
		t.Fatalf("forged: got %d %s, want 401", w.Code, w.Body)
	}
	w1 := e.post(t, hk, body, genuine())
	if w1.Code != http.StatusAccepted {
		t.Fatalf("genuine: got %d %s, want 202", w1.Code, w1.Body)
	}
	replay := genuine()
	replay.Set("Idempotency-Key", "fresh-key-chosen-by-a-replayer")
	w2 := e.post(t, hk, body, replay)
	if w2.Code != http.StatusAccepted || id(w2) != id(w1) {
		t.Fatalf("replay: got %d id %q, want 202 with the first id %q", w2.Code, id(w2), id(w1))
	}
	evs, err := q.Events(ctx, "", store.EventQuery{State: store.StatePending, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].ID != id(w1) {
		t.Fatalf("got queued events %+v, want exactly the genuine one %q", evs, id(w1))
	}
	dump := e.entriesJSON(t, hk)
	for _, want := range []string{`"outcome":"rejected"`, `"outcome":"accepted"`, `"outcome":"duplicate"`} {
		if !strings.Contains(dump, want) {
			t.Errorf("debug entries lack %s:\n%s", want, dump)
		}
	}
}

// TestDedupSyncForgedNeverDelivered is the sync-mode counterpart: the
// forged request is never delivered and the genuine one is.
func TestDedupSyncForgedNeverDelivered(t *testing.T) {
	e := newSigEnv(t, nil, Options{})
	hk := e.hook(t, AuthSignature, signature.Config{Scheme: signature.SchemeGitHub, Secrets: []string{ghSecret}})
	body := []byte(`{"action":"opened"}`)
	h := http.Header{"X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}}
	h.Set("X-Hub-Signature-256", signature.SignGitHub("attacker-guess", body))
	if w := e.post(t, hk, body, h); w.Code != http.StatusUnauthorized {
		t.Fatalf("forged: got %d, want 401", w.Code)
	}
	h.Set("X-Hub-Signature-256", signature.SignGitHub(ghSecret, body))
	if w := e.post(t, hk, body, h); w.Code != http.StatusAccepted {
		t.Fatalf("genuine: got %d %s, want 202", w.Code, w.Body)
	}
	if n := e.eventCount(); n != 1 {
		t.Fatalf("got %d events, want 1", n)
	}
	if got := e.lastEvent().IdempotencyKey; got != "72d3162e-cc78-11e3-81ab-4c9367dc0958" {
		t.Errorf("got idempotency key %q, want the delivery id", got)
	}
}

// TestExactReplayFiresOnce posts every signed request twice, byte for
// byte, within the signature tolerance (a sender's retry, or a replay by
// whoever saw the request): each scheme with a delivery id fires once, in
// sync and queue mode, and the copy is answered with the first event's
// ID. The generic HMAC scheme has no delivery id: both copies fire.
func TestExactReplayFiresOnce(t *testing.T) {
	body := []byte(`{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"invoice.paid","data":{"object":{"id":"in_1"}}}`)
	wantKey := map[string]string{
		"standard-webhooks": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
		"svix":              "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
		"github":            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
		"shopify":           "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
		"stripe":            "evt_1NG8Du2eZvKYlo2CUI79vXWy",
		"hmac":              "",
	}
	for _, mode := range []string{"sync", "queue"} {
		for _, sc := range schemes() {
			t.Run(mode+"/"+sc.name, func(t *testing.T) {
				var q *hooks.Queue
				var delivery func(hooks.Trigger) hooks.Delivery
				if mode == "queue" {
					delivery = func(tr hooks.Trigger) hooks.Delivery {
						st := memstore.New()
						t.Cleanup(func() { _ = st.Close() })
						var err error
						if q, err = hooks.NewQueue(st, tr, hooks.QueueOptions{}); err != nil {
							t.Fatal(err)
						}
						return q
					}
				}
				e := newSigEnv(t, delivery, Options{})
				hk := e.hook(t, AuthSignature, sc.cfg)
				h := http.Header{}
				sc.sign(t, sc.secret, time.Now().Add(-time.Minute), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", body, h)
				id := func(w *httptest.ResponseRecorder) string {
					var v struct{ ID string }
					_ = json.Unmarshal(w.Body.Bytes(), &v)
					return v.ID
				}
				w1 := e.post(t, hk, body, h)
				w2 := e.post(t, hk, body, h)
				if w1.Code != http.StatusAccepted || w2.Code != http.StatusAccepted {
					t.Fatalf("got %d %s and %d %s, want 202 twice", w1.Code, w1.Body, w2.Code, w2.Body)
				}
				fired := e.eventCount()
				if q != nil {
					evs, err := q.Events(context.Background(), "", store.EventQuery{State: store.StatePending, Limit: 10})
					if err != nil {
						t.Fatal(err)
					}
					fired = len(evs)
				}
				want := 1
				if wantKey[sc.name] == "" {
					want = 2
				}
				if fired != want {
					t.Fatalf("fired (or queued) %d events, want %d", fired, want)
				}
				if want == 1 && id(w2) != id(w1) {
					t.Fatalf("the copy got ID %q, want the first one's %q", id(w2), id(w1))
				}
				if q == nil {
					if got := e.lastEvent().IdempotencyKey; got != wantKey[sc.name] {
						t.Fatalf("idempotency key: got %q, want %q", got, wantKey[sc.name])
					}
				}
			})
		}
	}
}

// TestSecretRotationThroughRegistry changes a hook's secrets and sees the
// cached verifier follow at once.
func TestSecretRotationThroughRegistry(t *testing.T) {
	ctx := context.Background()
	e := newSigEnv(t, nil, Options{})
	hk := e.hook(t, AuthSignature, signature.Config{Scheme: signature.SchemeShopify, Secrets: []string{"old-secret"}})
	body := []byte(`{"id":1}`)
	send := func(secret string) int {
		return e.post(t, hk, body, http.Header{"X-Shopify-Hmac-Sha256": {signature.SignShopify(secret, body)}}).Code
	}
	steps := []struct {
		name    string
		secrets []string
		want    map[string]int
	}{
		{"before", []string{"old-secret"}, map[string]int{"old-secret": 202, "new-secret": 401}},
		{"overlap", []string{"new-secret", "old-secret"}, map[string]int{"old-secret": 202, "new-secret": 202}},
		{"after", []string{"new-secret"}, map[string]int{"old-secret": 401, "new-secret": 202}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			raw, _ := json.Marshal(signature.Config{Scheme: signature.SchemeShopify, Secrets: st.secrets})
			s := sigSettings(t, settingsOf(hk).Auth, raw)
			var err error
			if hk, err = e.reg.Update(ctx, "", hk.ID, hooks.HookUpdate{Settings: s}); err != nil {
				t.Fatal(err)
			}
			for secret, want := range st.want {
				if got := send(secret); got != want {
					t.Errorf("signed with %s: got %d, want %d", secret, got, want)
				}
			}
		})
	}
}

func TestVerifierCacheBounded(t *testing.T) {
	e := newSigEnv(t, nil, Options{MaxVerifiers: 2})
	body := []byte(`{}`)
	for i := 0; i < 6; i++ {
		secret := "secret-" + strconv.Itoa(i)
		hk := e.hook(t, AuthSignature, signature.Config{Scheme: signature.SchemeGitHub, Secrets: []string{secret}})
		for round := 0; round < 2; round++ {
			w := e.post(t, hk, body, http.Header{"X-Hub-Signature-256": {signature.SignGitHub(secret, body)}})
			if w.Code != http.StatusAccepted {
				t.Fatalf("hook %d: got %d %s, want 202", i, w.Code, w.Body)
			}
		}
	}
	e.h.verifiers.mu.Lock()
	n := len(e.h.verifiers.m)
	e.h.verifiers.mu.Unlock()
	if n > 2 {
		t.Fatalf("got %d cached verifiers, want at most 2", n)
	}
}

// TestClock checks that Options.Now is the timestamped schemes' clock.
func TestClock(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	e := newSigEnv(t, nil, Options{Now: func() time.Time { return at }})
	hk := e.hook(t, AuthSignature, signature.Config{Scheme: signature.SchemeStripe, Secrets: []string{stripeSec}, ToleranceSeconds: 60})
	body := []byte(`{"id":"evt_1"}`)
	tests := []struct {
		name string
		ts   time.Time
		want int
	}{
		{"at the clock", at, 202},
		{"within tolerance", at.Add(-59 * time.Second), 202},
		{"outside tolerance", at.Add(-61 * time.Second), 401},
		{"real now", time.Now(), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.post(t, hk, body, http.Header{"Stripe-Signature": {signature.SignStripe(stripeSec, tt.ts, body)}})
			if w.Code != tt.want {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.want)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		ok   bool
	}{
		{"good", `{"scheme":"github","secrets":["a"]}`, true},
		{"trailing data", `{"scheme":"github","secrets":["a"]} {}`, false},
		{"unknown field", `{"scheme":"github","secrets":["a"],"x":1}`, false},
		{"wrong type", `{"scheme":1}`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signature.ParseConfig([]byte(tt.raw))
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
			if err != nil && signature.Code(err) != "signature_config_invalid" {
				t.Errorf("got code %q, want signature_config_invalid", signature.Code(err))
			}
		})
	}
}

// FuzzBuildVerifier feeds stored configurations to the verifier builder:
// it must give a verifier or a 401 config error, never panic, and never
// put a secret in the error.
func FuzzBuildVerifier(f *testing.F) {
	for _, sc := range schemes() {
		b, _ := json.Marshal(sc.cfg)
		f.Add(b)
	}
	f.Add([]byte(`{"scheme":"hmac","header":"X-Sig","secrets":[""]}`))
	f.Add([]byte(`{"scheme":"stripe","secrets":["s"],"tolerance_seconds":-1}`))
	f.Add([]byte(`null`))
	in := &webIntake{}
	f.Fuzz(func(t *testing.T, raw []byte) {
		st := &Settings{Auth: AuthSignature}
		if err := json.Unmarshal([]byte(`{"signature":`+string(raw)+`}`), st); err != nil {
			return // not JSON: the Registry refuses to store it
		}
		s := in.build(st)
		if (s.v == nil) == (s.err == nil) {
			t.Fatalf("got verifier %v and error %v, want exactly one", s.v, s.err)
		}
		if s.err != nil && (s.err.Status != http.StatusUnauthorized || s.err.Code != CodeSignatureConfigInvalid) {
			t.Fatalf("got %d %s, want 401 %s", s.err.Status, s.err.Code, CodeSignatureConfigInvalid)
		}
		if s.v != nil {
			_ = s.v.Verify(http.Header{"X-Sig": {"abc"}}, raw)
		}
	})
}

func TestCheckSignatureConfig(t *testing.T) {
	tests := []struct {
		raw  string
		code string
	}{
		{`{"scheme":"github","secrets":["s"]}`, ""},
		{`{"scheme":"hmac","header":"X-Sig","secrets":["s"],"encoding":"base64"}`, ""},
		{`{"scheme":"github","secrets":["s"],"tolerance":1}`, "signature_config_invalid"},
		{`{"scheme":"nope","secrets":["s"]}`, "signature_unknown_scheme"},
		{`{"scheme":"github","secrets":[]}`, "signature_no_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			err := CheckSignatureConfig([]byte(tt.raw))
			if got := signature.Code(err); got != tt.code {
				t.Fatalf("got %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

// TestUnsignedBodyNotRead: a request without any signature header is
// refused before its body is read.
func TestUnsignedBodyNotRead(t *testing.T) {
	e := newSigEnv(t, nil, Options{})
	hk := e.hook(t, AuthSignature, signature.Config{Scheme: signature.SchemeStandardWebhooks, Secrets: []string{swSecretNew}})
	body := &countingBody{r: strings.NewReader(`{"a":1}`)}
	r := httptest.NewRequest(http.MethodPost, "/hooks/web/"+hk.Token, body)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Webhook-Id", "msg_1")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || errCode(t, w) != "signature_missing" {
		t.Fatalf("got %d %s, want 401 signature_missing", w.Code, w.Body)
	}
	if body.read {
		t.Error("the body of an unsigned request was read")
	}
}
