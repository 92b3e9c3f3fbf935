package admin

import (
	"embed"
	"net/http"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
)

//go:embed static/index.html static/admin.js static/admin.css
var static embed.FS

// assets are the files served beside the page, by name, with their types.
var assets = map[string]string{
	"admin.js":  "text/javascript; charset=utf-8",
	"admin.css": "text/css; charset=utf-8",
}

// pageCSP allows the page only its own script, style and API: no inline
// script or style, no other origin, no framing.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

// page serves the admin page. It needs no credential: it holds nothing
// secret and asks for the admin token itself.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	h.serveStatic(w, r, "index.html", "text/html; charset=utf-8")
}

func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path[len(h.prefix)+1:]
	h.serveStatic(w, r, name, assets[name])
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request, name, ctype string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.fail(w, r, hooks.NewError(http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "method not allowed; use GET"))
		return
	}
	b, err := static.ReadFile("static/" + name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(b)
	}
}
