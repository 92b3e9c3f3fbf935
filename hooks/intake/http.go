package intake

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/internal/limit"
)

// ErrBodyTooLarge is returned by ReadLimited for a body over its limit.
var ErrBodyTooLarge = limit.ErrTooLarge

// ReadLimited reads all of r if it is at most limit bytes, and returns
// ErrBodyTooLarge (with what it read, at most limit bytes) otherwise. It
// never returns a truncated body as if it were whole. The pipeline reads
// every arrival's body with it; a kind that reads a body itself (SMTP
// DATA) uses it too.
func ReadLimited(r io.Reader, max int64) ([]byte, error) { return limit.Read(r, max) }

// HTTPOptions says where an HTTP hook kind's handler is mounted and how
// large its bodies may be.
type HTTPOptions struct {
	// Prefix is the URL path the handler is mounted under, with a trailing
	// slash, such as "/hooks/form/". The token is the one path segment after
	// it. It is also what the kind's address is made of (URL), so that the
	// address a hook shows is answered by the handler.
	Prefix string
	// MaxBodyBytes overrides the pipeline's body limit when positive.
	MaxBodyBytes int64
}

// WithDefaults returns o with Prefix defaulted to defaultPrefix, or a
// *hooks.ValidationError for a prefix that does not start and end with "/"
// or a negative MaxBodyBytes. Kind handlers call it from their
// constructors.
func (o HTTPOptions) WithDefaults(defaultPrefix string) (HTTPOptions, error) {
	if o.Prefix == "" {
		o.Prefix = defaultPrefix
	}
	if !strings.HasPrefix(o.Prefix, "/") || !strings.HasSuffix(o.Prefix, "/") {
		return o, &hooks.ValidationError{Field: "prefix", Reason: `must start and end with "/"`}
	}
	if o.MaxBodyBytes < 0 {
		return o, &hooks.ValidationError{Field: "max_body_bytes", Reason: "must not be negative"}
	}
	return o, nil
}

// URL is the address of the hook with token when the handler is mounted
// at o.Prefix under base (RegistryOptions.BaseURL): a kind's
// KindSpec.Address.
func (o HTTPOptions) URL(base, token string) string { return base + o.Prefix + token }

// TokenFromPath returns the token in path: the single, non-empty segment
// after prefix. It returns false for any other path (wrong prefix, empty
// or extra segments).
func TokenFromPath(path, prefix string) (string, bool) {
	tok, ok := strings.CutPrefix(path, prefix)
	if !ok || tok == "" || strings.IndexByte(tok, '/') >= 0 {
		return "", false
	}
	return tok, true
}

// Ingest runs p for an HTTP request to a hook of the given kind: it
// answers anything but POST with 405, a path without exactly one token
// segment after opts.Prefix with 404, and otherwise hands the request to
// p.Ingest. A Content-Length over the body limit is refused with 413
// without reading the body, after the hook is resolved and the sender
// authenticated; a longer body without one (chunked) is read only up to
// the limit and refused the same way. The caller writes the Result
// (WriteResult, or its own answer for success).
func Ingest(p *hooks.Pipeline, r *http.Request, kind hooks.Kind, opts HTTPOptions, in hooks.Intake) *hooks.Result {
	if r.Method != http.MethodPost {
		return failed(hooks.NewError(http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "use POST"))
	}
	token, ok := TokenFromPath(r.URL.Path, opts.Prefix)
	if !ok {
		return failed(hooks.NewError(http.StatusNotFound, errcode.NotFound, "no such hook"))
	}
	a := &hooks.Arrival{
		Kind: kind, Token: token, Method: r.Method, Path: r.URL.Path, RemoteAddr: r.RemoteAddr,
		Header: r.Header, Body: r.Body, ContentLength: r.ContentLength, MaxBytes: opts.MaxBodyBytes,
	}
	return p.Ingest(r.Context(), a, in)
}

func failed(e *hooks.Error) *hooks.Result { return &hooks.Result{Status: e.Status, Err: e} }

// WriteResult answers an HTTP hook request: 202 with {"id":"<event id>"}
// on success (a duplicate gets the earlier event's ID), else the error
// with WriteError.
func WriteResult(w http.ResponseWriter, res *hooks.Result) {
	if res.Err != nil {
		WriteError(w, res.Err)
		return
	}
	// As h.Set would, with one array for the three values (the names
	// are canonical).
	h := w.Header()
	v := []string{"application/json; charset=utf-8", "no-store", "nosniff"}
	h["Content-Type"], h["Cache-Control"], h["X-Content-Type-Options"] = v[0:1:1], v[1:2:2], v[2:3:3]
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(successBody(res.EventID))
}

// successBody is {"id":"..."} plus a newline. Event IDs are lowercase
// base32 and are written as they are; any other ID (from a custom
// Delivery) goes through encoding/json.
func successBody(id string) []byte {
	if !safeID(id) {
		b, _ := json.Marshal(struct {
			ID string `json:"id"`
		}{id})
		return append(b, '\n')
	}
	b := make([]byte, 0, len(id)+11)
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	return append(b, "\"}\n"...)
}

func safeID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// WriteError writes err as the contracted JSON error body with its status,
// the headers of its Header, Retry-After for 429 and 503, and by default
// WWW-Authenticate for 401 and Allow for 405. It is the one place the
// error shape is written.
func WriteError(w http.ResponseWriter, err error) {
	he := hooks.AsError(err)
	h := w.Header()
	for name, vs := range he.Header {
		h[http.CanonicalHeaderKey(name)] = append([]string(nil), vs...)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	switch he.Status {
	case http.StatusUnauthorized:
		if h.Get("WWW-Authenticate") == "" {
			h.Set("WWW-Authenticate", "Bearer")
		}
	case http.StatusMethodNotAllowed:
		if h.Get("Allow") == "" {
			h.Set("Allow", http.MethodPost)
		}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		ra := he.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		secs := int64((ra + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	w.WriteHeader(he.Status)
	_, _ = w.Write(errorBody(he.Code, he.Message))
}

func errorBody(code, message string) []byte {
	b, _ := json.Marshal(hooks.ErrorBody{Error: hooks.ErrorDetail{Code: code, Message: message}})
	return append(b, '\n')
}
