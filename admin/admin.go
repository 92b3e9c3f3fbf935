package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/inbound-hooks/inbound/activity"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/hooks"
)

// DefaultMaxBodyBytes is the default limit of admin request bodies: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// DefaultPrefix is where the admin API and page live by default.
const DefaultPrefix = "/admin"

// Authorizer decides whether a request may use the admin API, and for
// which org. It is supplied by the host and called concurrently, once per
// API request (not for the page). It returns the org the caller acts for
// ("" for a single-tenant host), or an error: ErrUnauthorized (or any
// error but an *hooks.Error) answers 401; an *hooks.Error answers with its
// own status, so an Authorizer may return 403, or 503 when its backend is
// down.
type Authorizer interface {
	Authorize(r *http.Request) (org string, err error)
}

// AuthorizerFunc adapts a function to an Authorizer.
type AuthorizerFunc func(r *http.Request) (org string, err error)

// Authorize calls f(r).
func (f AuthorizerFunc) Authorize(r *http.Request) (string, error) { return f(r) }

var _ Authorizer = AuthorizerFunc(nil)

// BearerToken returns an Authorizer for a single-tenant host: a request
// must carry "Authorization: Bearer <token>", compared in constant time,
// and acts for org "". An empty token authorizes nothing.
func BearerToken(token string) Authorizer {
	want := sha256.Sum256([]byte(token))
	empty := token == ""
	return AuthorizerFunc(func(r *http.Request) (string, error) {
		got, ok := bearer(r)
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok || empty {
			return "", ErrUnauthorized
		}
		return "", nil
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Options configures a Handler.
type Options struct {
	// Authorizer approves API requests and names their org. Required.
	Authorizer Authorizer
	// Prefix is the URL path the API and page live under, starting with
	// "/" and not ending with it; "" means DefaultPrefix ("/admin"). Mount
	// the Handler at Prefix+"/".
	Prefix string
	// MaxBodyBytes limits request bodies (413 above it); 0 means
	// DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// Logger receives store failures (never secrets or bodies); nil
	// discards them.
	Logger *slog.Logger
	// Events serves the durable queue's routes (/events, /events/{id},
	// /events/{id}/replay); nil (sync delivery) leaves them out, and they
	// answer 404.
	Events EventQueue
	// Activity serves GET /activity, the per-hook counts of this process
	// (package activity); nil leaves the route out (404).
	Activity *activity.Counter
}

// Handler serves the admin API and page. It is safe for concurrent use.
type Handler struct {
	reg      *hooks.Registry
	keys     *hooks.Keyring
	dlog     *debuglog.Log
	auth     Authorizer
	prefix   string
	maxBody  int64
	log      *slog.Logger
	events   EventQueue
	activity *activity.Counter
	mux      *http.ServeMux
}

// New returns a Handler over the hooks of reg, the API keys of keys and
// the debug entries of log.
func New(reg *hooks.Registry, keys *hooks.Keyring, log *debuglog.Log, opts Options) (*Handler, error) {
	switch {
	case reg == nil:
		return nil, fmt.Errorf("%w: registry is nil", ErrInvalidOptions)
	case keys == nil:
		return nil, fmt.Errorf("%w: keyring is nil", ErrInvalidOptions)
	case log == nil:
		return nil, fmt.Errorf("%w: debug log is nil", ErrInvalidOptions)
	case opts.Authorizer == nil:
		return nil, fmt.Errorf("%w: Authorizer is nil", ErrInvalidOptions)
	case opts.MaxBodyBytes < 0:
		return nil, fmt.Errorf("%w: MaxBodyBytes must not be negative", ErrInvalidOptions)
	}
	h := &Handler{reg: reg, keys: keys, dlog: log, auth: opts.Authorizer, prefix: opts.Prefix,
		maxBody: opts.MaxBodyBytes, log: opts.Logger, events: opts.Events, activity: opts.Activity, mux: http.NewServeMux()}
	if h.prefix == "" {
		h.prefix = DefaultPrefix
	}
	if !validPrefix(h.prefix) {
		return nil, fmt.Errorf("%w: Prefix %q must start with / and not end with it, and use only letters, digits and - _ . /", ErrInvalidOptions, h.prefix)
	}
	if h.maxBody == 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.routes()
	return h, nil
}

func validPrefix(p string) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' || strings.Contains(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_./", c) >= 0) {
			return false
		}
	}
	return true
}

// Prefix returns the path the Handler serves under, such as "/admin".
func (h *Handler) Prefix() string { return h.prefix }

// ServeHTTP serves the admin API and page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }
