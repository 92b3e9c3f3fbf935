package formhook

import (
	"context"
	"fmt"
	"net/http"

	"github.com/inbound-hooks/inbound/hooks"
)

// DefaultPrefix is the path a Handler is mounted under by default.
const DefaultPrefix = "/hooks/form/"

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

// Handler is the http.Handler of form hooks. It is safe for concurrent use.
type Handler struct {
	p    *hooks.Pipeline
	http hooks.HTTPOptions
	dec  hooks.DecodeOptions
}

// New returns a Handler feeding p. Mount it at its prefix:
//
//	mux.Handle("/hooks/form/", h)
func New(p *hooks.Pipeline, opts Options) (*Handler, error) {
	if p == nil {
		return nil, ErrNilPipeline
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
	return &Handler{p: p, http: hooks.HTTPOptions{Prefix: opts.Prefix, MaxBodyBytes: opts.MaxBodyBytes}, dec: opts.Decode}, nil
}

// ServeHTTP receives one post to a form hook.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res := h.p.IngestHTTP(r, hooks.KindForm, h.http, (*intake)(h))
	hooks.WriteResult(w, res)
}

// intake is the form hook's part of the pipeline.
type intake Handler

// Authenticate accepts every sender: a form hook's address is public.
func (*intake) Authenticate(context.Context, *hooks.Hook, *hooks.Arrival) error { return nil }

// Decode decodes the body by its Content-Type.
func (in *intake) Decode(_ context.Context, _ *hooks.Hook, a *hooks.Arrival, body []byte) (*hooks.Decoded, error) {
	return hooks.DecodeBody(a.Header.Get("Content-Type"), body, in.dec)
}
