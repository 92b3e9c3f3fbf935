package formhook

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// allowedOrigin returns the Access-Control-Allow-Origin value for a
// request's Origin under a hook's AllowedOrigins: "*" when the list holds
// "*", the origin itself when the list holds it, else "". Origins are
// compared case-insensitively, ignoring a trailing "/" and a default port
// in the configured entry.
func allowedOrigin(origin string, allowed []string) string {
	if origin == "" || len(allowed) == 0 {
		return ""
	}
	o := normOrigin(origin)
	for _, a := range allowed {
		if a == "*" {
			return "*"
		}
		if normOrigin(a) == o && o != "null" {
			return origin
		}
	}
	return ""
}

// normOrigin lowercases an origin and drops a trailing "/" and the default
// port of its scheme.
func normOrigin(s string) string {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "/"))
	if rest, ok := strings.CutSuffix(s, ":443"); ok && strings.HasPrefix(s, "https://") {
		return rest
	}
	if rest, ok := strings.CutSuffix(s, ":80"); ok && strings.HasPrefix(s, "http://") {
		return rest
	}
	return s
}

// setCORS adds the CORS headers of an actual (non-preflight) answer.
func setCORS(h http.Header, r *http.Request, s *Settings) {
	if len(s.AllowedOrigins) == 0 {
		return
	}
	h.Add("Vary", "Origin")
	if ao := allowedOrigin(r.Header.Get("Origin"), s.AllowedOrigins); ao != "" {
		h.Set("Access-Control-Allow-Origin", ao)
	}
}

// preflight answers OPTIONS: 404 for an unknown hook, else 204 with Allow
// and, for an allowed Origin, the CORS preflight headers.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	token, ok := intake.TokenFromPath(r.URL.Path, h.http.Prefix)
	if !ok {
		intake.WriteError(w, hooks.NewError(http.StatusNotFound, errcode.NotFound, "no such hook"))
		return
	}
	hk, err := h.p.Registry().Lookup(r.Context(), KindName, token)
	if err != nil {
		intake.WriteError(w, lookupError(err))
		return
	}
	s := settingsOf(hk)
	hdr := w.Header()
	hdr.Set("Allow", "OPTIONS, POST")
	if len(s.AllowedOrigins) > 0 {
		hdr.Add("Vary", "Origin")
		hdr.Add("Vary", "Access-Control-Request-Method")
		hdr.Add("Vary", "Access-Control-Request-Headers")
		if ao := allowedOrigin(r.Header.Get("Origin"), s.AllowedOrigins); ao != "" {
			hdr.Set("Access-Control-Allow-Origin", ao)
			hdr.Set("Access-Control-Allow-Methods", http.MethodPost)
			hdr.Set("Access-Control-Allow-Headers", "Content-Type")
			hdr.Set("Access-Control-Max-Age", strconv.FormatInt(int64(h.corsMaxAge/time.Second), 10))
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// lookupError is the answer to a failed registry lookup: 404 for an unknown
// hook, 503 for a store failure.
func lookupError(err error) *hooks.Error {
	if isNotFound(err) {
		return hooks.NewError(http.StatusNotFound, errcode.NotFound, "no such hook")
	}
	return hooks.AsError(err)
}
