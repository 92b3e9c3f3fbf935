package formhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// DefaultPrefix is the path a Handler is mounted under by default.
const DefaultPrefix = "/hooks/form/"

// Defaults of Options.
const (
	DefaultBurst      = 5
	DefaultMaxClients = 10000
	DefaultCORSMaxAge = 10 * time.Minute
)

// DropHoneypot is the drop reason recorded in the debug log for a post
// whose honeypot field was filled.
const DropHoneypot = "honeypot"

// Options configures a Handler. The zero value works: no rate limit, no
// captcha, X-Forwarded-For ignored.
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

	// RateLimit is how many posts per second each client may make over
	// time, across all form hooks of the Handler; 0 means no rate limit.
	// A client is an IPv4 address or an IPv6 /64 network. A client over
	// the limit is refused with 429 and Retry-After before its hook is
	// looked up or its body read. A post uses up the client's budget only
	// once its hook is found and its body is read within the size limit:
	// posts to unknown tokens (404) and oversize bodies (413) do not, so
	// that a person trying a form or a test suite is not locked out by
	// its own mistakes.
	RateLimit rate.Limit
	// Burst is how many posts a client may make at once; 0 means
	// DefaultBurst (5). Used only with RateLimit.
	Burst int
	// MaxClients bounds how many clients' rate-limit state is kept; 0
	// means DefaultMaxClients (10000). Idle clients are forgotten first;
	// see the package Caveats.
	MaxClients int
	// TrustedProxies lists the reverse proxies (CIDR prefixes or single
	// addresses) whose X-Forwarded-For is believed: when the peer is one,
	// the client is the right-most X-Forwarded-For address that is not a
	// trusted proxy. Empty means X-Forwarded-For is ignored and the peer
	// address is the client.
	TrustedProxies []string

	// Captcha, when set, is asked to verify the token every post must
	// carry in CaptchaField. Nil means no captcha.
	Captcha CaptchaVerifier
	// CaptchaField is the form field holding the captcha token; "" means
	// DefaultCaptchaField. It is removed from the event data.
	CaptchaField string

	// CORSMaxAge is how long a browser may cache a preflight answer; 0
	// means DefaultCORSMaxAge (10 minutes).
	CORSMaxAge time.Duration
	// Logger receives operational logs (captcha provider failures); nil
	// discards them.
	Logger *slog.Logger
	// Now returns the current time, for the rate limit; nil means time.Now.
	Now func() time.Time
}

// Handler is the http.Handler of form hooks. It is safe for concurrent use.
type Handler struct {
	p            *hooks.Pipeline
	http         intake.HTTPOptions
	dec          hooks.DecodeOptions
	limits       *limiters // nil without a rate limit
	hookLimits   hookLimiters
	trusted      []netip.Prefix
	captcha      CaptchaVerifier
	captchaField string
	corsMaxAge   time.Duration
	log          *slog.Logger
	now          func() time.Time
	ids          hooks.IDGenerator
}

// New returns a Handler feeding p, and registers the form hook kind with
// p's Registry, with addresses under the Handler's prefix. Mount it there:
//
//	mux.Handle(h.Prefix(), h)
//
// Another Handler of the same Registry must use the same prefix.
func New(p *hooks.Pipeline, opts Options) (*Handler, error) {
	if p == nil {
		return nil, ErrNilPipeline
	}
	httpOpts, err := intake.HTTPOptions{Prefix: opts.Prefix, MaxBodyBytes: opts.MaxBodyBytes}.WithDefaults(DefaultPrefix)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if opts.RateLimit < 0 || math.IsNaN(float64(opts.RateLimit)) || opts.Burst < 0 || opts.MaxClients < 0 || opts.CORSMaxAge < 0 {
		return nil, fmt.Errorf("%w: RateLimit, Burst, MaxClients and CORSMaxAge must not be negative", ErrInvalidOptions)
	}
	trusted, err := parseTrusted(opts.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("%w: TrustedProxies: %w", ErrInvalidOptions, err)
	}
	h := &Handler{p: p, http: httpOpts,
		dec: opts.Decode, trusted: trusted, captcha: opts.Captcha, captchaField: opts.CaptchaField,
		corsMaxAge: opts.CORSMaxAge, log: opts.Logger, now: opts.Now}
	if h.captchaField == "" {
		h.captchaField = DefaultCaptchaField
	}
	if h.corsMaxAge == 0 {
		h.corsMaxAge = DefaultCORSMaxAge
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if opts.RateLimit > 0 && opts.RateLimit != rate.Inf {
		burst, maxClients := opts.Burst, opts.MaxClients
		if burst == 0 {
			burst = DefaultBurst
		}
		if maxClients == 0 {
			maxClients = DefaultMaxClients
		}
		h.limits = newLimiters(opts.RateLimit, burst, maxClients)
	}
	if err := p.Registry().Register(intake.HTTPKind[Settings, *Settings]{Name: KindName, Prefix: httpOpts.Prefix}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return h, nil
}

// Prefix returns the path the Handler answers under, such as
// "/hooks/form/": where to mount it, and what its hooks' addresses are
// made of.
func (h *Handler) Prefix() string { return h.http.Prefix }

// allowMethods is the Allow header of a form hook: browsers send a CORS
// preflight before a cross-origin post.
var allowMethods = http.Header{"Allow": {"OPTIONS, POST"}}

// ServeHTTP answers a CORS preflight (OPTIONS) or receives one post to a
// form hook.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		h.preflight(w, r)
		return
	}
	if r.Method == http.MethodPost && h.limits != nil {
		// Only a look: the post takes its token once its hook is found and
		// its body read (session.Decode).
		key := limitKey(clientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), h.trusted))
		if wait, ok := h.limits.peek(key, h.now()); !ok {
			intake.WriteError(w, rateLimited(wait, false))
			return
		}
	}
	if r.Method != http.MethodPost {
		intake.WriteError(w, &hooks.Error{Status: http.StatusMethodNotAllowed, Code: errcode.MethodNotAllowed,
			Message: "use POST", Header: allowMethods})
		return
	}
	res := intake.Ingest(h.p, r, KindName, h.http, (*formIntake)(h))
	if res.Hook != nil {
		setCORS(w.Header(), r, settingsOf(res.Hook))
	}
	if res.Err != nil {
		intake.WriteError(w, res.Err)
		return
	}
	if u := settingsOf(res.Hook).RedirectURL; u != "" && wantsHTML(r.Header.Values("Accept")) {
		w.Header().Set("Location", u)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	if res.Dropped != "" {
		// Answer a dropped post like an accepted one, with an ID of the
		// same shape, so that a bot cannot tell.
		c := *res
		c.EventID = h.ids.New(h.now())
		res = &c
	}
	intake.WriteResult(w, res)
}

// formIntake is the form hook's hooks.Intake.
type formIntake Handler

// NewSession returns the state of one post.
func (in *formIntake) NewSession(hk *hooks.Hook, a *hooks.Arrival) hooks.Session {
	return &session{in: in, hk: hk, settings: settingsOf(hk), a: a}
}

// session is one post to a form hook.
type session struct {
	in       *formIntake
	hk       *hooks.Hook
	settings *Settings
	a        *hooks.Arrival
}

// Authenticate accepts every sender (a form hook's address is public)
// whose client is within the hook's rate limit. It only looks: Decode
// takes the token, once the body was read within the size limit.
func (s *session) Authenticate(context.Context) error {
	rl := s.settings.RateLimit
	if rl == nil {
		return nil
	}
	if wait, ok := s.in.hookLimits.peek(s.hk.ID, *rl, s.clientKey(), s.in.now()); !ok {
		return rateLimited(wait, true)
	}
	return nil
}

// clientKey is the rate limits' key of the post's client.
func (s *session) clientKey() netip.Addr {
	return limitKey(clientIP(s.a.RemoteAddr, s.a.Header.Values("X-Forwarded-For"), s.in.trusted))
}

// takeTokens takes the post's token from the Handler's rate limit and the
// hook's.
func (s *session) takeTokens() error {
	in := s.in
	if in.limits == nil && s.settings.RateLimit == nil {
		return nil
	}
	key, now := s.clientKey(), in.now()
	if in.limits != nil {
		if wait, ok := in.limits.reserve(key, now); !ok {
			return rateLimited(wait, false)
		}
	}
	if rl := s.settings.RateLimit; rl != nil {
		if wait, ok := in.hookLimits.reserve(s.hk.ID, *rl, key, now); !ok {
			return rateLimited(wait, true)
		}
	}
	return nil
}

// rateLimited is the answer to a client over a rate limit: the Handler's,
// or the hook's.
func rateLimited(wait time.Duration, hook bool) *hooks.Error {
	msg := "too many posts from this address; try again later"
	if hook {
		msg = "too many posts from this address to this hook; try again later"
	}
	return &hooks.Error{Status: http.StatusTooManyRequests, Code: errcode.RateLimited, Message: msg, RetryAfter: wait}
}

// Decode takes the post's rate-limit tokens, decodes the body by its
// Content-Type, then applies the hook's honeypot and the Handler's
// captcha.
func (s *session) Decode(ctx context.Context, body []byte) (*hooks.Decoded, error) {
	if err := s.takeTokens(); err != nil {
		return nil, err
	}
	in, a := s.in, s.a
	d, err := hooks.DecodeBody(a.Header.Get("Content-Type"), body, in.dec)
	if err != nil {
		return nil, err
	}
	m, _ := d.Data.(map[string]any)
	if hp := s.settings.Honeypot; hp != "" && m != nil {
		if v, ok := m[hp]; ok {
			if filled(v) {
				d.Drop = DropHoneypot
				return d, nil
			}
			delete(m, hp)
		}
	}
	if in.captcha == nil {
		return d, nil
	}
	tok, _ := m[in.captchaField].(string)
	delete(m, in.captchaField)
	if tok == "" {
		return nil, hooks.NewError(http.StatusBadRequest, CodeCaptchaMissing,
			"the captcha was not completed: field "+in.captchaField+" is missing")
	}
	ip := ""
	if addr := clientIP(a.RemoteAddr, a.Header.Values("X-Forwarded-For"), in.trusted); addr.IsValid() {
		ip = addr.String()
	}
	if err := in.captcha.VerifyCaptcha(ctx, tok, ip); err != nil {
		if errors.Is(err, ErrCaptchaInvalid) {
			return nil, &hooks.Error{Status: http.StatusForbidden, Code: CodeCaptchaFailed,
				Message: "the captcha was not accepted; try again", Err: err}
		}
		in.log.WarnContext(ctx, "inbound: captcha provider failed", "hook", s.hk.ID, "err", err)
		return nil, &hooks.Error{Status: http.StatusServiceUnavailable, Code: CodeCaptchaUnavailable,
			Message: "the captcha could not be checked; try again later", RetryAfter: 5 * time.Second, Err: err}
	}
	return d, nil
}

// filled reports whether a honeypot value was filled in: any value but
// null and the empty string (whitespace counts: people leave the field
// alone).
func filled(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		for _, e := range v {
			if filled(e) {
				return true
			}
		}
		return false
	}
	return true
}

func isNotFound(err error) bool { return errors.Is(err, hooks.ErrNotFound) }
