package emailhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// SendGridOptions configures a SendGridHandler.
type SendGridOptions struct {
	ProviderOptions
	// Credential authenticates posts: SendGrid's Inbound Parse calls the
	// destination URL as configured, so put the secret in it, either as
	// basic auth (https://inbound:SECRET@host/hooks/email/sendgrid) or as
	// the last path segment (https://host/hooks/email/sendgrid/SECRET).
	// A Secret or a HookSecret is required.
	Credential Credential
	// Prefix is the path the handler is mounted under, with a trailing
	// slash ("/hooks/email/sendgrid/"): the segment after it is the
	// secret path. Empty accepts basic auth only.
	Prefix string
}

// SendGridHandler receives SendGrid Inbound Parse posts: multipart forms
// in either the default parsed shape (fields headers, text, html, from,
// to, subject, envelope, charsets, attachment-info, attachmentN, SPF,
// dkim) or the "POST the raw, full MIME message" shape (field email). The
// message is read by the same path as mail received over SMTP and goes to
// the email hooks its envelope recipients ("to" of the envelope JSON)
// name.
//
// # Answers
//
// SendGrid retries (for up to three days) every post not answered 2xx.
// So: 200 {"id":"<event id>"} when a hook took the message; 503 (or 429)
// with Retry-After when a store or trigger cannot take it now, which
// SendGrid retries; a refusal of an authenticated post (unknown hook,
// malformed or too large message) is answered 200 with the usual error
// body, since any other status would only make SendGrid post it again; a
// missing or wrong credential is 401 (not from our SendGrid account, or a
// configuration mistake whose mail then arrives once it is fixed); 405
// for anything but POST.
type SendGridHandler struct {
	core   providerCore
	cred   Credential
	prefix string
}

// NewSendGridHandler returns a SendGridHandler feeding p.
func NewSendGridHandler(p *hooks.Pipeline, opts SendGridOptions) (*SendGridHandler, error) {
	if p == nil {
		return nil, ErrNilPipeline
	}
	if err := opts.Credential.valid(); err != nil {
		return nil, err
	}
	if opts.Prefix != "" {
		if _, err := (intake.HTTPOptions{Prefix: opts.Prefix}).WithDefaults(opts.Prefix); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
		}
	}
	po, err := opts.ProviderOptions.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := register(p, po.Domains); err != nil {
		return nil, err
	}
	return &SendGridHandler{
		core: providerCore{p: p, opts: po, hookSecret: opts.Credential.HookSecret, secretPrefix: opts.Prefix,
			answers: answers{provider: ProviderSendGrid, success: http.StatusOK, refuse: http.StatusOK,
				refuseAuth: http.StatusUnauthorized}},
		cred: opts.Credential, prefix: opts.Prefix,
	}, nil
}

// ServeHTTP implements http.Handler.
func (h *SendGridHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if _, herr := h.cred.check(r, h.prefix, true); herr != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="inbound"`)
			h.core.refuse(w, r, herr)
			return
		}
	}
	cred, _ := h.cred.presented(r, h.prefix, true)
	body, ok := h.core.readPost(w, r)
	if !ok {
		return
	}
	form, err := readPostForm(r.Header.Get("Content-Type"), body)
	if err != nil {
		h.core.answers.write(w, "", malformedPost(ProviderSendGrid, "a multipart form is expected"), false)
		return
	}
	post, herr := parseSendGrid(form)
	if herr != nil {
		h.core.answers.write(w, "", herr, false)
		return
	}
	h.core.deliver(w, r, body, post, cred)
}

// sendGridEnvelope is the envelope JSON field.
type sendGridEnvelope struct {
	To   []string `json:"to"`
	From string   `json:"from"`
}

type sendGridAttachment struct {
	Filename  string `json:"filename"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	ContentID string `json:"content-id"`
}

func parseSendGrid(form *postForm) (*inboundPost, *hooks.Error) {
	var env sendGridEnvelope
	if err := json.Unmarshal([]byte(form.get("envelope")), &env); err != nil || len(env.To) == 0 {
		return nil, malformedPost(ProviderSendGrid, "the envelope field is missing or has no recipients")
	}
	post := &inboundPost{recipients: env.To}
	charsets := map[string]string{}
	if cs := form.get("charsets"); cs != "" {
		_ = json.Unmarshal([]byte(cs), &charsets) // unknown charsets leave the bytes as they are
	}
	text := func(field string) string { return toUTF8(form.get(field), charsets[field]) }
	post.auth = sendGridVerdicts(form.get("SPF"), form.get("dkim"), env.From)
	if raw := form.get("email"); raw != "" {
		post.raw = []byte(raw)
		return post, nil
	}
	if f := form.file("email"); f != nil {
		post.raw = f.content
		return post, nil
	}
	fields, err := headerFields(form.get("headers"))
	if err != nil || len(fields) == 0 {
		return nil, malformedPost(ProviderSendGrid, "neither a raw email nor a readable headers field")
	}
	b := &builtMessage{header: fields, text: text("text"), html: text("html")}
	info := map[string]sendGridAttachment{}
	if ai := form.get("attachment-info"); ai != "" {
		_ = json.Unmarshal([]byte(ai), &info)
	}
	for i := range form.files {
		f := &form.files[i]
		if !strings.HasPrefix(f.field, "attachment") {
			continue
		}
		a := builtAttachment{name: f.name, contentType: f.contentType, content: f.content}
		if in, ok := info[f.field]; ok {
			if in.Filename != "" {
				a.name = baseName(in.Filename)
			}
			if in.Type != "" {
				a.contentType = in.Type
			}
			a.contentID, a.inline = in.ContentID, in.ContentID != ""
		}
		b.attachments = append(b.attachments, a)
	}
	raw, err := b.bytes()
	if err != nil {
		return nil, malformedPost(ProviderSendGrid, "the message could not be rebuilt")
	}
	post.raw = raw
	return post, nil
}

// sendGridDKIM matches one "@domain : result" of the dkim field, which
// SendGrid writes as "{@example.com : pass, @other.example : fail}".
var sendGridDKIM = regexp.MustCompile(`@([^\s:,{}]+)\s*:\s*([A-Za-z_-]+)`)

// sendGridVerdicts maps the SPF field (pass, softfail, fail, neutral,
// none...) and the dkim field to a MailAuth. SendGrid reports no DMARC
// verdict, so DMARC is nil.
func sendGridVerdicts(spfField, dkimField, mailFrom string) *hooks.MailAuth {
	if spfField == "" && dkimField == "" {
		return nil
	}
	a := &hooks.MailAuth{Source: ProviderSendGrid}
	if spfField != "" {
		a.SPF = &hooks.AuthVerdict{Result: normalizeResult(spfField), Domain: domainOf(mailFrom)}
	}
	for _, m := range sendGridDKIM.FindAllStringSubmatch(dkimField, 10) {
		a.DKIM = append(a.DKIM, hooks.AuthVerdict{Domain: strings.ToLower(m[1]), Result: normalizeResult(m[2])})
	}
	if len(a.DKIM) == 0 && strings.Trim(dkimField, "{} ") == "none" {
		a.DKIM = []hooks.AuthVerdict{{Result: hooks.AuthNone}}
	}
	a.Summary = summarize(ProviderSendGrid, a, mailFrom, "")
	return a
}
