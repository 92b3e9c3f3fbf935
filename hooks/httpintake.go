package hooks

import (
	"encoding/json"
	"net/http"
	"strings"
)

// HTTPOptions says where an HTTP hook kind is mounted and how large its
// bodies may be.
type HTTPOptions struct {
	// Prefix is the URL path the handler is mounted under, with a trailing
	// slash, such as "/hooks/form/". The token is the one path segment after it.
	Prefix string
	// MaxBodyBytes overrides the pipeline's body limit when positive.
	MaxBodyBytes int64
}

// WithDefaults returns o with Prefix defaulted to defaultPrefix, or a
// *ValidationError for a bad prefix or a negative MaxBodyBytes. Kind
// handlers call it from their constructors.
func (o HTTPOptions) WithDefaults(defaultPrefix string) (HTTPOptions, error) {
	if o.Prefix == "" {
		o.Prefix = defaultPrefix
	}
	if err := CheckPrefix(o.Prefix); err != nil {
		return o, err
	}
	if o.MaxBodyBytes < 0 {
		return o, invalid("max_body_bytes", "must not be negative")
	}
	return o, nil
}

// CheckPrefix validates a mount prefix: it must start and end with "/".
func CheckPrefix(prefix string) error {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return invalid("prefix", `must start and end with "/"`)
	}
	return nil
}

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

// IngestHTTP runs the pipeline for an HTTP request to a hook of the given
// kind: it answers anything but POST with 405, a path without exactly one
// token segment after opts.Prefix with 404, and otherwise hands the
// request to Ingest. A Content-Length over the body limit is refused with
// 413 without reading the body, after the hook is resolved and the sender
// authenticated; a longer body without one (chunked) is read only up to the
// limit and refused the same way. The caller writes the Result (WriteResult,
// or its own answer for success).
func (p *Pipeline) IngestHTTP(r *http.Request, kind Kind, opts HTTPOptions, in Intake) *Result {
	if r.Method != http.MethodPost {
		return failed(nil, NewError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use POST"))
	}
	token, ok := TokenFromPath(r.URL.Path, opts.Prefix)
	if !ok {
		return failed(nil, NewError(http.StatusNotFound, CodeNotFound, "no such hook"))
	}
	limit := opts.MaxBodyBytes
	if limit <= 0 {
		limit = p.maxBody
	}
	a := &Arrival{
		Kind: kind, Token: token, Method: r.Method, Path: r.URL.Path, RemoteAddr: r.RemoteAddr,
		Header: r.Header, Body: r.Body, ContentLength: r.ContentLength, MaxBytes: limit,
	}
	return p.Ingest(r.Context(), a, in)
}

// WriteResult answers an HTTP hook request: 202 with {"id":"<event id>"}
// on success (a duplicate gets the earlier event's ID), else the error
// with WriteError.
func WriteResult(w http.ResponseWriter, res *Result) {
	if res.Err != nil {
		WriteError(w, res.Err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
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
