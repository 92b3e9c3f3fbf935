package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/inbound-hooks/inbound/hooks"
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
}

// Handler is the http.Handler of webhooks. It is safe for concurrent use.
type Handler struct {
	p    *hooks.Pipeline
	keys *hooks.Keyring
	http hooks.HTTPOptions
	dec  hooks.DecodeOptions
}

// New returns a Handler feeding p and authenticating keys with keys. Mount
// it at its prefix:
//
//	mux.Handle("/hooks/web/", h)
func New(p *hooks.Pipeline, keys *hooks.Keyring, opts Options) (*Handler, error) {
	if p == nil {
		return nil, ErrNilPipeline
	}
	if keys == nil {
		return nil, ErrNilKeyring
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if err := hooks.CheckPrefix(opts.Prefix); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if opts.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("%w: MaxBodyBytes must not be negative", ErrInvalidOptions)
	}
	return &Handler{p: p, keys: keys,
		http: hooks.HTTPOptions{Prefix: opts.Prefix, MaxBodyBytes: opts.MaxBodyBytes}, dec: opts.Decode}, nil
}

// ServeHTTP receives one post to a webhook.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res := h.p.IngestHTTP(r, hooks.KindWeb, h.http, (*intake)(h))
	hooks.WriteResult(w, res)
}

// intake is the webhook's part of the pipeline.
type intake Handler

// Authenticate checks the API key before the body is read. Hooks that
// authenticate by signature alone skip it; their signature is checked in
// Decode, on the exact bytes.
func (in *intake) Authenticate(ctx context.Context, hk *hooks.Hook, a *hooks.Arrival) error {
	if hk.Settings.Auth == hooks.AuthSignature {
		return nil
	}
	presented, ok := bearer(a.Header.Get("Authorization"))
	if !ok {
		return hooks.NewError(http.StatusUnauthorized, hooks.CodeUnauthorized,
			"an API key is required: Authorization: Bearer <key>")
	}
	key, err := in.keys.Authenticate(ctx, presented)
	if errors.Is(err, hooks.ErrInvalidKey) {
		return hooks.NewError(http.StatusUnauthorized, hooks.CodeUnauthorized, "the API key is not valid")
	}
	if err != nil {
		return err // a store failure: the pipeline answers 503
	}
	if !key.HasRole(hooks.RoleHooks) {
		return hooks.NewError(http.StatusForbidden, hooks.CodeForbidden,
			"the API key lacks the "+hooks.RoleHooks+" role")
	}
	if key.Org != hk.Org {
		return hooks.NewError(http.StatusForbidden, hooks.CodeForbidden,
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

// Decode verifies what needs the raw bytes, then decodes the body.
func (in *intake) Decode(ctx context.Context, hk *hooks.Hook, a *hooks.Arrival, body []byte) (*hooks.Decoded, error) {
	if err := in.verify(ctx, hk, a, body); err != nil {
		return nil, err
	}
	idem, err := idempotencyKey(a.Header)
	if err != nil {
		return nil, err
	}
	d, err := hooks.DecodeBody(a.Header.Get("Content-Type"), body, in.dec)
	if err != nil {
		return nil, err
	}
	d.IdempotencyKey = idem
	return d, nil
}

// verify is the seam for signature verification on the exact bytes
// received, before anything is parsed. Hooks without a signature
// configuration pass. A hook configured for signatures is refused: this
// version cannot verify them, and failing closed is the only safe answer.
func (in *intake) verify(_ context.Context, hk *hooks.Hook, _ *hooks.Arrival, _ []byte) error {
	if hk.Settings.Auth == hooks.AuthKey && len(hk.Settings.Signature) == 0 {
		return nil
	}
	return hooks.NewError(http.StatusUnauthorized, hooks.CodeSignatureInvalid,
		"this webhook requires a signature that cannot be verified")
}

// idempotencyKey returns the sender's Idempotency-Key, or its webhook-id
// (Standard Webhooks), or "".
func idempotencyKey(h http.Header) (string, error) {
	k := h.Get("Idempotency-Key")
	if k == "" {
		k = h.Get("Webhook-Id")
	}
	k = strings.TrimSpace(k)
	if len(k) > MaxIdempotencyKeyLen {
		return "", hooks.NewError(http.StatusBadRequest, hooks.CodeBadRequest,
			"the idempotency key is longer than "+strconv.Itoa(MaxIdempotencyKeyLen)+" bytes")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] == 0x7f {
			return "", hooks.NewError(http.StatusBadRequest, hooks.CodeBadRequest,
				"the idempotency key contains control characters")
		}
	}
	return k, nil
}
