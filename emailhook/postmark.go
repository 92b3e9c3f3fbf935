package emailhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	netmail "net/mail"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
)

// PostmarkOptions configures a PostmarkHandler.
type PostmarkOptions struct {
	ProviderOptions
	// Credential authenticates posts with basic auth, which Postmark sends
	// when the inbound webhook URL carries it
	// (https://inbound:SECRET@host/hooks/email/postmark). A Secret or a
	// HookSecret is required.
	Credential Credential
}

// PostmarkHandler receives Postmark inbound webhook posts (JSON with
// FromFull, ToFull, CcFull, Subject, Date, HtmlBody, TextBody, Headers,
// base64 Attachments, OriginalRecipient, MailboxHash, and RawEmail when
// the server includes it). The message is read by the same path as mail
// received over SMTP.
//
// Routing: a post whose OriginalRecipient is in one of Domains (an inbound
// domain of your own, forwarded to Postmark) goes to the hook its local
// part names, as over SMTP; otherwise the MailboxHash names the hook, so
// that hooks are addressed as SERVERHASH+TOKEN@inbound.postmarkapp.com.
//
// # Answers
//
// Postmark retries every non-200 answer except 403. So: 200
// {"id":"<event id>"} when a hook took the message; 403 with the usual
// error body (whose code keeps the reason) for a refusal (unknown hook,
// malformed or too large message); 503 (or 429) with Retry-After when a
// store or trigger cannot take it now; 401 for a missing or wrong
// credential (not from our Postmark server, or a configuration mistake
// whose mail then arrives once it is fixed); 405 for anything but POST.
type PostmarkHandler struct {
	core providerCore
	cred Credential
}

// NewPostmarkHandler returns a PostmarkHandler feeding p.
func NewPostmarkHandler(p *hooks.Pipeline, opts PostmarkOptions) (*PostmarkHandler, error) {
	if p == nil {
		return nil, ErrNilPipeline
	}
	if err := opts.Credential.valid(); err != nil {
		return nil, err
	}
	po, err := opts.ProviderOptions.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := register(p, po.Domains); err != nil {
		return nil, err
	}
	return &PostmarkHandler{
		core: providerCore{p: p, opts: po, hookSecret: opts.Credential.HookSecret,
			answers: answers{provider: ProviderPostmark, success: http.StatusOK, refuse: http.StatusForbidden,
				refuseAuth: http.StatusUnauthorized}},
		cred: opts.Credential,
	}, nil
}

// ServeHTTP implements http.Handler.
func (h *PostmarkHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if _, herr := h.cred.check(r, "", false); herr != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="inbound"`)
			h.core.refuse(w, r, herr)
			return
		}
	}
	cred, _ := h.cred.presented(r, "", false)
	body, ok := h.core.readPost(w, r)
	if !ok {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.core.answers.write(w, "", hooks.NewError(http.StatusUnsupportedMediaType, errcode.UnsupportedMedia,
			"Postmark posts application/json"), false)
		return
	}
	post, herr := parsePostmark(body, h.core.opts.Domains)
	if herr != nil {
		h.core.answers.write(w, "", herr, false)
		return
	}
	h.core.deliver(w, r, body, post, cred)
}

type postmarkAddress struct {
	Email       string `json:"Email"`
	Name        string `json:"Name"`
	MailboxHash string `json:"MailboxHash"`
}

type postmarkInbound struct {
	From              string            `json:"From"`
	FromFull          postmarkAddress   `json:"FromFull"`
	ToFull            []postmarkAddress `json:"ToFull"`
	CcFull            []postmarkAddress `json:"CcFull"`
	OriginalRecipient string            `json:"OriginalRecipient"`
	Subject           string            `json:"Subject"`
	Date              string            `json:"Date"`
	MailboxHash       string            `json:"MailboxHash"`
	TextBody          string            `json:"TextBody"`
	HtmlBody          string            `json:"HtmlBody"`
	ReplyTo           string            `json:"ReplyTo"`
	Headers           []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"Headers"`
	Attachments []struct {
		Name        string `json:"Name"`
		Content     string `json:"Content"`
		ContentType string `json:"ContentType"`
		ContentID   string `json:"ContentID"`
	} `json:"Attachments"`
	RawEmail string `json:"RawEmail"`
}

func parsePostmark(body []byte, domains []string) (*inboundPost, *hooks.Error) {
	var in postmarkInbound
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		return nil, malformedPost(ProviderPostmark, "the body is not Postmark's inbound JSON")
	}
	post := &inboundPost{tokens: map[string]string{}}
	if in.OriginalRecipient != "" {
		post.recipients = []string{in.OriginalRecipient}
	} else {
		for _, a := range in.ToFull {
			post.recipients = append(post.recipients, a.Email)
		}
	}
	if len(post.recipients) == 0 {
		return nil, malformedPost(ProviderPostmark, "no OriginalRecipient or ToFull")
	}
	for _, rc := range post.recipients {
		if len(domains) > 0 {
			if _, ok := splitRecipient(rc, domains); ok {
				continue // our own domain: the local part names the hook
			}
		}
		hash := in.MailboxHash
		if hash == "" {
			for _, a := range in.ToFull {
				if strings.EqualFold(a.Email, rc) {
					hash = a.MailboxHash
				}
			}
		}
		if hash != "" {
			post.tokens[rc] = strings.ToLower(hash)
		}
	}
	var spfHeader, authResults string
	for _, hd := range in.Headers {
		switch strings.ToLower(hd.Name) {
		case "received-spf":
			spfHeader = hd.Value
		case "authentication-results":
			authResults = hd.Value
		}
	}
	if in.RawEmail != "" {
		post.raw = []byte(in.RawEmail)
		post.auth = postmarkVerdicts(spfHeader, authResults, fromDomain(post.raw))
		return post, nil
	}
	var fields [][2]string
	has := map[string]bool{}
	for _, hd := range in.Headers {
		fields = append(fields, [2]string{hd.Name, hd.Value})
		has[canonicalKey(hd.Name)] = true
	}
	// Postmark gives these as fields of their own, not in Headers.
	add := func(k, v string) {
		if v != "" && !has[k] {
			fields = append(fields, [2]string{k, v})
		}
	}
	if in.FromFull.Email != "" {
		add("From", (&netmail.Address{Name: in.FromFull.Name, Address: in.FromFull.Email}).String())
	} else {
		add("From", in.From)
	}
	add("To", addressList(in.ToFull))
	add("Cc", addressList(in.CcFull))
	add("Reply-To", in.ReplyTo)
	add("Subject", mime.QEncoding.Encode("utf-8", in.Subject))
	add("Date", in.Date)
	b := &builtMessage{header: fields, text: in.TextBody, html: in.HtmlBody}
	for _, a := range in.Attachments {
		content, err := base64.StdEncoding.DecodeString(a.Content)
		if err != nil {
			return nil, malformedPost(ProviderPostmark, "an attachment's Content is not base64")
		}
		b.attachments = append(b.attachments, builtAttachment{name: baseName(a.Name), contentType: a.ContentType,
			contentID: a.ContentID, inline: a.ContentID != "", content: content})
	}
	raw, err := b.bytes()
	if err != nil {
		return nil, malformedPost(ProviderPostmark, "the message could not be rebuilt")
	}
	post.raw = raw
	post.auth = postmarkVerdicts(spfHeader, authResults, domainOf(in.FromFull.Email))
	return post, nil
}

func addressList(as []postmarkAddress) string {
	var parts []string
	for _, a := range as {
		if a.Email != "" {
			parts = append(parts, (&netmail.Address{Name: a.Name, Address: a.Email}).String())
		}
	}
	return strings.Join(parts, ", ")
}

// postmarkVerdicts maps the Received-SPF header Postmark adds ("Pass
// (sender SPF authorized) identity=mailfrom; ... envelope-from=...") and
// an Authentication-Results header, when the message has one from
// Postmark's servers, to a MailAuth.
func postmarkVerdicts(receivedSPF, authResults, from string) *hooks.MailAuth {
	if strings.TrimSpace(receivedSPF) == "" && strings.TrimSpace(authResults) == "" {
		return nil
	}
	a := &hooks.MailAuth{Source: ProviderPostmark}
	mailFrom := ""
	if fields := strings.Fields(receivedSPF); len(fields) > 0 {
		v := &hooks.AuthVerdict{Result: normalizeResult(fields[0])}
		for _, kv := range strings.FieldsFunc(receivedSPF, func(r rune) bool { return r == ';' || r == ' ' }) {
			if addr, ok := strings.CutPrefix(kv, "envelope-from="); ok {
				mailFrom = strings.Trim(addr, `"<>`)
				v.Domain = domainOf(mailFrom)
			}
		}
		a.SPF = v
	}
	if authResults != "" {
		if _, results, err := authres.Parse(authResults); err == nil {
			for _, r := range results {
				switch r := r.(type) {
				case *authres.DKIMResult:
					a.DKIM = append(a.DKIM, hooks.AuthVerdict{Result: normalizeResult(string(r.Value)), Domain: strings.ToLower(r.Domain)})
				case *authres.DMARCResult:
					a.DMARC = &hooks.AuthVerdict{Result: normalizeResult(string(r.Value)), Domain: strings.ToLower(r.From)}
				case *authres.SPFResult:
					if a.SPF == nil {
						a.SPF = &hooks.AuthVerdict{Result: normalizeResult(string(r.Value)), Domain: domainOf(r.From)}
					}
				}
			}
		}
	}
	a.Summary = summarize(ProviderPostmark, a, mailFrom, from)
	return a
}
