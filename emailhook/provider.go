package emailhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// Names of the mail providers whose inbound posts this package reads; they
// are also the MailAuth.Source of the verdicts those providers report.
const (
	ProviderMailgun  = "mailgun"
	ProviderSendGrid = "sendgrid"
	ProviderPostmark = "postmark"
)

// Error codes of provider answers, beside those of package hooks.
const (
	CodeReplayed = "replayed" // a Mailgun token seen before
)

// ProviderOptions is what the three provider handlers share. The zero
// value works.
type ProviderOptions struct {
	// Domains lists the recipient domains accepted, as in SMTPOptions.
	Domains []string
	// MaxMessageBytes limits the message a post carries (the raw MIME, or
	// the one rebuilt from parsed fields); default DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// MaxPostBytes limits the whole HTTP body, which is larger than the
	// message (form or JSON encoding, base64 attachments); default
	// twice MaxMessageBytes.
	MaxPostBytes int64
	// Extractor reads messages; nil uses one with default options and
	// MaxMessageBytes.
	Extractor *Extractor
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
}

func (o ProviderOptions) withDefaults() (ProviderOptions, error) {
	if o.MaxMessageBytes < 0 || o.MaxPostBytes < 0 {
		return o, fmt.Errorf("%w: MaxMessageBytes and MaxPostBytes must not be negative", ErrInvalidOptions)
	}
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxPostBytes == 0 {
		o.MaxPostBytes = 2 * o.MaxMessageBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Extractor == nil {
		x, err := NewExtractor(ExtractOptions{MaxMessageBytes: o.MaxMessageBytes})
		if err != nil {
			return o, err
		}
		o.Extractor = x
	}
	return o, nil
}

// inboundPost is one provider post reduced to what the pipeline needs: a
// message as RFC 5322 bytes, its envelope, and the provider's verdicts.
type inboundPost struct {
	raw        []byte
	recipients []string // envelope recipients
	// tokens, when set, are the hook tokens the provider names outright
	// (Postmark's MailboxHash), for recipients whose domain is not ours.
	tokens map[string]string // recipient -> token
	auth   *hooks.MailAuth
}

// answers is how a provider reads HTTP statuses: which means "delivered",
// which "refused, do not retry". Every other failure is answered with its
// own status (503, 429), which every provider retries.
type answers struct {
	provider string
	success  int // the status of an accepted post
	refuse   int // the status of a permanent refusal
	// refuseAuth is the status of a post whose credential is wrong; 0
	// means refuse.
	refuseAuth int
}

// temporary reports whether an error status asks the sender to try later.
func temporary(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// write answers a post: success with {"id":"..."}, a temporary failure
// with its own status (and Retry-After), a refusal with the provider's
// "do not retry" status and the usual error body, whose code keeps the
// reason.
func (a answers) write(w http.ResponseWriter, id string, err *hooks.Error, authErr bool) {
	h := w.Header()
	if err == nil {
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(a.success)
		b, _ := json.Marshal(struct {
			ID string `json:"id"`
		}{id})
		_, _ = w.Write(append(b, '\n'))
		return
	}
	if temporary(err.Status) {
		intake.WriteError(w, err)
		return
	}
	status := a.refuse
	if authErr && a.refuseAuth != 0 {
		status = a.refuseAuth
	}
	if status < 400 {
		// A provider that retries every non-2xx answer (SendGrid) is told
		// of a refusal with a 2xx and the error body.
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		b, _ := json.Marshal(hooks.ErrorBody{Error: hooks.ErrorDetail{Code: err.Code, Message: err.Message}})
		_, _ = w.Write(append(b, '\n'))
		return
	}
	c := *err
	c.Status = status
	intake.WriteError(w, &c)
}

// providerCore runs provider posts through the pipeline.
type providerCore struct {
	p       *hooks.Pipeline
	opts    ProviderOptions
	answers answers
	// hookSecret, when set, gives the credential a post must carry for each
	// hook it reaches (checked after routing, in Authenticate).
	hookSecret func(*hooks.Hook) string
	// secretPrefix, when set, is the mount prefix after which a path
	// segment is a secret: the path is recorded with it redacted.
	secretPrefix string
}

// recordedPath is the request path as events and the debug log keep it:
// a secret path segment is replaced by hooks.Redacted.
func (c *providerCore) recordedPath(r *http.Request) string {
	if c.secretPrefix != "" {
		if _, ok := intake.TokenFromPath(r.URL.Path, c.secretPrefix); ok {
			return c.secretPrefix + hooks.Redacted
		}
	}
	return r.URL.Path
}

// refuse answers a post that failed the handler's own authentication
// (signature, timestamp, replay, credential), which no hook's debug log
// records, so it is logged: the remote address and the reason, never the
// credential.
func (c *providerCore) refuse(w http.ResponseWriter, r *http.Request, err *hooks.Error) {
	c.opts.Logger.WarnContext(r.Context(), "inbound: "+c.answers.provider+" post refused",
		"remote", r.RemoteAddr, "code", err.Code)
	c.answers.write(w, "", err, true)
}

// readPost checks the method and reads the body under MaxPostBytes.
func (c *providerCore) readPost(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		intake.WriteError(w, hooks.NewError(http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "use POST"))
		return nil, false
	}
	if r.ContentLength > c.opts.MaxPostBytes {
		c.answers.write(w, "", tooLargeError(c.opts.MaxPostBytes), false)
		return nil, false
	}
	body, err := intake.ReadLimited(r.Body, c.opts.MaxPostBytes)
	if err != nil {
		if err == intake.ErrBodyTooLarge {
			c.answers.write(w, "", tooLargeError(c.opts.MaxPostBytes), false)
			return nil, false
		}
		c.answers.write(w, "", hooks.NewError(http.StatusBadRequest, errcode.BadRequest, "the body could not be read"), false)
		return nil, false
	}
	return body, true
}

func tooLargeError(limit int64) *hooks.Error {
	return &hooks.Error{Status: http.StatusRequestEntityTooLarge, Code: errcode.PayloadTooLarge,
		Message: fmt.Sprintf("the post is larger than the limit of %d bytes", limit)}
}

// deliver routes post to the email hooks its recipients name and runs the
// pipeline once per hook, then answers as the provider expects: success if
// some hook took it, a temporary failure if some hook could not take it
// now (the provider retries the whole post), else the first refusal.
func (c *providerCore) deliver(w http.ResponseWriter, r *http.Request, body []byte, post *inboundPost, credential string) {
	if len(post.raw) > int(c.opts.MaxMessageBytes) {
		c.answers.write(w, "", &hooks.Error{Status: http.StatusRequestEntityTooLarge, Code: errcode.PayloadTooLarge,
			Message: "the message is larger than the limit"}, false)
		return
	}
	type route struct {
		token string
		addrs []string
	}
	var routes []route
	for _, to := range post.recipients {
		token, ok := post.tokens[to]
		if !ok {
			token, ok = splitRecipient(to, c.opts.Domains)
		}
		if !ok {
			continue
		}
		found := false
		for i := range routes {
			if routes[i].token == token {
				routes[i].addrs = append(routes[i].addrs, to)
				found = true
			}
		}
		if !found {
			routes = append(routes, route{token: token, addrs: []string{to}})
		}
	}
	if len(routes) == 0 {
		c.answers.write(w, "", hooks.NewError(http.StatusNotFound, errcode.NotFound, "no such hook"), false)
		return
	}
	parsed := &parsedMessage{x: c.opts.Extractor}
	var (
		firstID          string
		firstErr, tmpErr *hooks.Error
		authErr          bool
	)
	for _, rt := range routes {
		a := &hooks.Arrival{
			Kind: KindName, Token: rt.token, Method: r.Method, Path: c.recordedPath(r), RemoteAddr: r.RemoteAddr,
			Header: r.Header, Raw: body, MaxBytes: c.opts.MaxPostBytes, // read once, shared by every hook
		}
		in := &postIntake{core: c, post: post, parsed: parsed, recipients: rt.addrs, credential: credential}
		res := c.p.Ingest(r.Context(), a, in)
		switch {
		case res.Err == nil:
			if firstID == "" {
				firstID = res.EventID
			}
		case temporary(res.Status):
			if tmpErr == nil {
				tmpErr = res.Err
			}
		case firstErr == nil:
			firstErr = res.Err
			authErr = in.authFailed
		}
	}
	switch {
	case tmpErr != nil:
		c.answers.write(w, "", tmpErr, false)
	case firstID != "":
		c.answers.write(w, firstID, nil, false)
	default:
		c.answers.write(w, "", firstErr, authErr)
	}
}

// postIntake is the hooks.Intake of a provider post to one hook, and the
// Session of that one arrival.
type postIntake struct {
	core       *providerCore
	post       *inboundPost
	parsed     *parsedMessage
	recipients []string
	credential string
	hook       *hooks.Hook // set by NewSession
	authFailed bool
}

// NewSession returns in itself: it is built for one arrival.
func (in *postIntake) NewSession(h *hooks.Hook, _ *hooks.Arrival) hooks.Session {
	in.hook = h
	return in
}

func (in *postIntake) Authenticate(context.Context) error {
	if in.core.hookSecret == nil {
		return nil
	}
	want := in.core.hookSecret(in.hook)
	if want == "" || !equalSecret(in.credential, want) {
		in.authFailed = true
		return hooks.NewError(http.StatusUnauthorized, errcode.Unauthorized, "missing or wrong credential for this hook")
	}
	return nil
}

// Decode reads the post's message, not the post's bytes, by the one path
// SMTP mail takes: the Event is the one the same message gives over SMTP.
func (in *postIntake) Decode(ctx context.Context, _ []byte) (*hooks.Decoded, error) {
	d, err := (&hookSession{parsed: in.parsed, recipients: in.recipients, auth: in.post.auth,
		policy: settingsOf(in.hook).SenderPolicy}).Decode(ctx, in.post.raw)
	if d != nil {
		// The parts come from the message inside the post, and the
		// event's Raw is the post: they cannot be read again from Raw.
		d.PartsFromRaw = false
	}
	return d, err
}

// equalSecret compares two credentials in constant time (of their
// hashes, so that the length of the expected one does not leak either).
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// Credential is how SendGrid and Postmark posts prove where they come
// from: HTTP basic auth (https://user:secret@host/path, which both
// providers support), or for SendGrid a secret last path segment.
type Credential struct {
	// Username, when not empty, must match the basic-auth user name.
	Username string
	// Secret is the basic-auth password or the secret path segment. Empty
	// means HookSecret alone decides, or, with no HookSecret either, that
	// the constructor fails: an unauthenticated provider endpoint lets
	// anyone who learns a hook address fire it.
	Secret string
	// HookSecret, when set, returns the credential a post must carry for
	// one hook (for example from the host's own per-hook settings); it is
	// checked after the post is routed, for each hook it reaches, and a
	// hook for which it returns "" refuses every post.
	HookSecret func(h *hooks.Hook) string
}

func (c Credential) valid() error {
	if c.Secret == "" && c.HookSecret == nil {
		return fmt.Errorf("%w: a Secret or a HookSecret is required", ErrInvalidOptions)
	}
	return nil
}

// presented returns the credential of r: the basic-auth password (with
// the user name checked) or, when allowPath, the segment after prefix.
func (c Credential) presented(r *http.Request, prefix string, allowPath bool) (string, bool) {
	if user, pass, ok := r.BasicAuth(); ok {
		if c.Username != "" && !equalSecret(user, c.Username) {
			return "", false
		}
		return pass, true
	}
	if allowPath && prefix != "" {
		if seg, ok := intake.TokenFromPath(r.URL.Path, prefix); ok {
			return seg, true
		}
	}
	return "", false
}

// check authenticates r at the handler level (Secret); a HookSecret is
// checked later, per hook.
func (c Credential) check(r *http.Request, prefix string, allowPath bool) (string, *hooks.Error) {
	got, ok := c.presented(r, prefix, allowPath)
	if c.Secret != "" && (!ok || !equalSecret(got, c.Secret)) {
		return "", hooks.NewError(http.StatusUnauthorized, errcode.Unauthorized, "missing or wrong credential")
	}
	if c.Secret == "" && !ok {
		return "", hooks.NewError(http.StatusUnauthorized, errcode.Unauthorized, "missing credential")
	}
	return got, nil
}

// malformedPost is the answer to a post that is not in the provider's
// documented shape.
func malformedPost(provider, detail string) *hooks.Error {
	return hooks.NewError(http.StatusBadRequest, errcode.MalformedBody, "not a "+provider+" inbound post: "+detail)
}
