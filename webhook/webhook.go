package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/intake"
	"github.com/inbound-hooks/inbound/webhook/signature"
)

// DefaultPrefix is the path a Handler is mounted under by default.
const DefaultPrefix = "/hooks/web/"

// MaxIdempotencyKeyLen is the longest Idempotency-Key (or webhook-id)
// header accepted, in bytes.
const MaxIdempotencyKeyLen = 255

// Options configures a Handler. The zero value works.
type Options struct {
	// Prefix is the URL path the Handler is mounted under, starting and
	// ending with "/"; "" means DefaultPrefix. The token is the single
	// path segment after it.
	Prefix string
	// MaxBodyBytes limits bodies; 0 means the pipeline's limit.
	MaxBodyBytes int64
	// Decode limits JSON nesting, form fields and form array indexes; the
	// zero value applies the hooks.DecodeOptions defaults.
	Decode hooks.DecodeOptions
	// MaxVerifiers bounds how many hooks' parsed signature verifiers are
	// cached; 0 means DefaultMaxVerifiers. A hook's verifier is rebuilt
	// when its signature configuration changes.
	MaxVerifiers int
	// Logger receives operational logs: an invalid stored signature
	// configuration is logged at error level (never its secrets). Nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock of the timestamped signature schemes (Standard
	// Webhooks, Stripe); nil means time.Now.
	Now func() time.Time
}

// Handler is the http.Handler of webhooks. It is safe for concurrent use.
type Handler struct {
	p         *hooks.Pipeline
	keys      *hooks.Keyring
	http      intake.HTTPOptions
	dec       hooks.DecodeOptions
	log       *slog.Logger
	now       func() time.Time
	verifiers verifiers
}

// New returns a Handler feeding p and authenticating keys with keys, and
// registers the webhook kind with p's Registry, with addresses under the
// Handler's prefix. Mount it there:
//
//	mux.Handle(h.Prefix(), h)
//
// Another Handler of the same Registry must use the same prefix.
func New(p *hooks.Pipeline, keys *hooks.Keyring, opts Options) (*Handler, error) {
	if p == nil {
		return nil, ErrNilPipeline
	}
	if keys == nil {
		return nil, ErrNilKeyring
	}
	httpOpts, err := intake.HTTPOptions{Prefix: opts.Prefix, MaxBodyBytes: opts.MaxBodyBytes}.WithDefaults(DefaultPrefix)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if opts.MaxVerifiers < 0 {
		return nil, fmt.Errorf("%w: MaxVerifiers must not be negative", ErrInvalidOptions)
	}
	if opts.MaxVerifiers == 0 {
		opts.MaxVerifiers = DefaultMaxVerifiers
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := p.Registry().Register(intake.HTTPKind[Settings, *Settings]{Name: KindName, Prefix: httpOpts.Prefix}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return &Handler{p: p, keys: keys,
		http: httpOpts, dec: opts.Decode,
		log: opts.Logger, now: opts.Now,
		verifiers: verifiers{max: opts.MaxVerifiers, m: make(map[string]*signer)}}, nil
}

// Prefix returns the path the Handler answers under, such as
// "/hooks/web/": where to mount it, and what its hooks' addresses are made
// of.
func (h *Handler) Prefix() string { return h.http.Prefix }

// ServeHTTP receives one post to a webhook.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	intake.WriteResult(w, intake.Ingest(h.p, r, KindName, h.http, (*webIntake)(h)))
}

// webIntake is the webhook's hooks.Intake.
type webIntake Handler

// NewSession returns the state of one post.
func (in *webIntake) NewSession(hk *hooks.Hook, a *hooks.Arrival) hooks.Session {
	return &session{in: in, hk: hk, settings: settingsOf(hk), a: a}
}

// session is one post to a webhook: what Authenticate found (the hook's
// signer) is what Decode verifies with.
type session struct {
	in       *webIntake
	hk       *hooks.Hook
	settings *Settings
	a        *hooks.Arrival
	s        *signer // nil without a signature configuration
}

// Authenticate checks the API key before the body is read. Hooks that
// authenticate by signature alone skip it; their signature is checked in
// Decode, on the exact bytes, but a request without any signature header
// is refused here already. A hook whose signature configuration cannot be
// used is refused here too, before its body is read.
func (ss *session) Authenticate(ctx context.Context) error {
	ss.s = ss.in.signerFor(ctx, ss.hk, ss.settings)
	if s := ss.s; s != nil && s.err != nil {
		return s.err
	}
	if ss.settings.Auth != AuthSignature {
		if err := ss.in.checkKey(ctx, ss.hk, ss.a); err != nil {
			return err
		}
	}
	if ss.s != nil {
		return ss.s.present(ss.a.Header)
	}
	return nil
}

// RedactHeaders names the signature headers of the hook's scheme, so that
// they are redacted whatever the outcome.
func (ss *session) RedactHeaders() []string {
	if ss.s == nil {
		return nil
	}
	return ss.s.headers
}

// present fails fast, before the body is read, when none of the scheme's
// signature headers is in the request: an unsigned sender costs no read and
// no HMAC. Verify still checks everything on the exact bytes.
func (s *signer) present(h http.Header) error {
	for _, name := range s.headers {
		if h.Get(name) != "" {
			return nil
		}
	}
	if len(s.headers) == 0 {
		return nil
	}
	return s.verifyError(fmt.Errorf("%w: %s", signature.ErrMissingSignature, strings.Join(s.headers, ", ")))
}

// checkKey checks the API key: present, valid, with the org.hooks role and
// of the hook's org.
func (in *webIntake) checkKey(ctx context.Context, hk *hooks.Hook, a *hooks.Arrival) error {
	presented, ok := bearer(a.Header.Get("Authorization"))
	if !ok {
		return hooks.NewError(http.StatusUnauthorized, errcode.Unauthorized,
			"an API key is required: Authorization: Bearer <key>")
	}
	key, err := in.keys.Authenticate(ctx, presented)
	if errors.Is(err, hooks.ErrInvalidKey) {
		return hooks.NewError(http.StatusUnauthorized, errcode.Unauthorized, "the API key is not valid")
	}
	if err != nil {
		return err // a store failure: the pipeline answers 503
	}
	if !key.HasRole(hooks.RoleHooks) {
		return hooks.NewError(http.StatusForbidden, errcode.Forbidden,
			"the API key lacks the "+hooks.RoleHooks+" role")
	}
	if key.Org != hk.Org {
		return hooks.NewError(http.StatusForbidden, errcode.Forbidden,
			"the API key does not belong to this webhook's organization")
	}
	return nil
}

// bearer returns the credentials of an "Authorization: Bearer <key>"
// header (the scheme is case-insensitive).
func bearer(h string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

// Decode verifies the signature on the exact bytes received, when the
// hook has one configured, then decodes the body. The idempotency key is
// read only after the signature passed, so a forged request never consumes
// a genuine delivery's key.
func (ss *session) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	s, a := ss.s, ss.a
	if s != nil {
		if err := s.v.Verify(a.Header, body); err != nil {
			return nil, s.verifyError(err)
		}
	}
	idem, err := idempotencyKey(s, a.Header, body)
	if err != nil {
		return nil, err
	}
	d, err := hooks.DecodeBody(a.Header.Get("Content-Type"), body, ss.in.dec)
	if err != nil {
		return nil, err
	}
	d.IdempotencyKey = idem
	return d, nil
}

// idempotencyKey returns the delivery id of the hook's signature scheme
// (see signature.DeliveryIDer: webhook-id, X-GitHub-Delivery,
// X-Shopify-Webhook-Id, the Stripe event's id), or the sender's
// Idempotency-Key, or its webhook-id, or "". It is called after the
// signature passed, on the same body.
func idempotencyKey(s *signer, h http.Header, body []byte) (string, error) {
	var k string
	if s != nil {
		k = signature.DeliveryID(s.v, h, body)
	}
	if k == "" {
		k = h.Get("Idempotency-Key")
	}
	if k == "" {
		k = h.Get("Webhook-Id")
	}
	k = strings.TrimSpace(k)
	if len(k) > MaxIdempotencyKeyLen {
		return "", hooks.NewError(http.StatusBadRequest, errcode.BadRequest,
			"the idempotency key is longer than "+strconv.Itoa(MaxIdempotencyKeyLen)+" bytes")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] == 0x7f {
			return "", hooks.NewError(http.StatusBadRequest, errcode.BadRequest,
				"the idempotency key contains control characters")
		}
	}
	return k, nil
}
