package contactform

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/inbound-hooks/inbound/formhook"
)

// DefaultPrefix is the path a Handler is mounted under by default.
const DefaultPrefix = "/contact/"

// DefaultHoneypot is the name of the hidden honeypot field.
const DefaultHoneypot = "website"

// ThanksPage is the thank-you page's path below the prefix.
const ThanksPage = "thanks"

//go:embed static/contact.html static/thanks.html
var files embed.FS

// Options configures a Handler.
type Options struct {
	// Action is the form hook's address the form posts to, such as
	// reg.Address(hook). Set Action or ActionFunc.
	Action string
	// ActionFunc returns the address at each page view, so that the page
	// follows a rotated token. It takes precedence over Action.
	ActionFunc func(ctx context.Context) (string, error)
	// Prefix is the path the Handler is mounted under, starting and ending
	// with "/"; "" means DefaultPrefix. The form is at Prefix, the
	// thank-you page at Prefix+ThanksPage.
	Prefix string
	// Honeypot names the hidden field; "" means DefaultHoneypot. The form
	// hook's Settings.Honeypot must name the same field (see Settings).
	Honeypot string
	// Logger receives failures of ActionFunc; nil discards them.
	Logger *slog.Logger
}

// Handler serves the contact page and the thank-you page. It is safe for
// concurrent use.
type Handler struct {
	opts   Options
	page   *template.Template
	thanks []byte
}

// New returns a Handler. Mount it at its prefix:
//
//	mux.Handle("/contact/", h)
func New(opts Options) (*Handler, error) {
	if opts.Action == "" && opts.ActionFunc == nil {
		return nil, fmt.Errorf("contactform: Action or ActionFunc is required")
	}
	if opts.Action != "" {
		if err := checkAction(opts.Action); err != nil {
			return nil, err
		}
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(opts.Prefix, "/") || !strings.HasSuffix(opts.Prefix, "/") {
		return nil, fmt.Errorf(`contactform: Prefix %q must start and end with "/"`, opts.Prefix)
	}
	if opts.Honeypot == "" {
		opts.Honeypot = DefaultHoneypot
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	page, err := template.ParseFS(files, "static/contact.html")
	if err != nil {
		return nil, fmt.Errorf("contactform: %w", err)
	}
	thanks, err := files.ReadFile("static/thanks.html")
	if err != nil {
		return nil, fmt.Errorf("contactform: %w", err)
	}
	return &Handler{opts: opts, page: page, thanks: thanks}, nil
}

// Settings returns the form hook settings the page needs: the redirect to
// the thank-you page, which is baseURL (the public scheme://host[:port] this
// Handler is reached at) plus the prefix and ThanksPage, and the honeypot
// field. Apply them to the hook with Registry.Update or at Create.
func (h *Handler) Settings(baseURL string) *formhook.Settings {
	return &formhook.Settings{
		RedirectURL: strings.TrimSuffix(baseURL, "/") + h.opts.Prefix + ThanksPage,
		Honeypot:    h.opts.Honeypot,
	}
}

// ServeHTTP serves the contact page at the prefix and the thank-you page
// below it, to GET and HEAD.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case h.opts.Prefix:
		h.servePage(w, r)
	case h.opts.Prefix + ThanksPage:
		setHeaders(w.Header(), "")
		_, _ = w.Write(h.thanks)
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	action := h.opts.Action
	if h.opts.ActionFunc != nil {
		a, err := h.opts.ActionFunc(r.Context())
		if err == nil {
			err = checkAction(a)
		}
		if err != nil {
			h.opts.Logger.ErrorContext(r.Context(), "contactform: no form hook address", "err", err)
			http.Error(w, "the contact form is unavailable", http.StatusServiceUnavailable)
			return
		}
		action = a
	}
	var buf bytes.Buffer
	if err := h.page.Execute(&buf, struct{ Action, Honeypot string }{action, h.opts.Honeypot}); err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "contactform: render", "err", err)
		http.Error(w, "the contact form is unavailable", http.StatusInternalServerError)
		return
	}
	setHeaders(w.Header(), originOf(action))
	_, _ = w.Write(buf.Bytes())
}

// setHeaders sets the content type and a strict Content-Security-Policy:
// no scripts, inline styles only, and forms may post only to this origin
// and to the form hook's.
func setHeaders(h http.Header, formOrigin string) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	csp := "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
	if formOrigin != "" {
		csp += " " + formOrigin
	}
	h.Set("Content-Security-Policy", csp)
}

// checkAction requires an absolute http or https URL.
func checkAction(a string) error {
	u, err := url.Parse(a)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("contactform: the form hook address %q is not an absolute http(s) URL", a)
	}
	return nil
}

// originOf returns scheme://host[:port] of an absolute URL.
func originOf(a string) string {
	u, err := url.Parse(a)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
