package emailhook

import (
	"container/heap"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
)

// MailgunOptions configures a MailgunHandler.
type MailgunOptions struct {
	ProviderOptions
	// SigningKey is the account's HTTP webhook signing key (Mailgun's
	// control panel, "Webhooks"). Required.
	SigningKey string
	// MaxAge is how far a post's timestamp may be from now, either way;
	// default 15 minutes. An older post is refused, and its token is
	// remembered for as long, so that a captured post cannot be replayed.
	MaxAge time.Duration
	// MaxTokens bounds the replay cache; default 100000. When it is full
	// the token closest to expiry is forgotten first, so at most
	// MaxTokens posts within MaxAge are protected against replay.
	MaxTokens int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// MailgunHandler receives the posts of Mailgun routes whose action is
// forward("https://host/path"): either the parsed form (fields recipient,
// sender, body-plain, body-html, message-headers, attachment-N,
// content-id-map) or, for a URL ending in "mime", the raw form (field
// body-mime). Either becomes the same message, read by the same path as
// mail received over SMTP, and goes to the email hook the envelope
// recipient (the "recipient" field) names.
//
// Every post must carry Mailgun's signature: timestamp, token and
// signature, the hex HMAC-SHA256 of timestamp+token keyed with the signing
// key. A wrong signature, a timestamp more than MaxAge away, or a token
// seen before is refused.
//
// # Answers
//
// Mailgun treats 200 as delivered, 406 as rejected (never retried) and
// anything else as a reason to retry. So: 200 {"id":"<event id>"} when a
// hook took the message; 406 with the usual error body (whose code keeps
// the reason: signature_invalid, timestamp_out_of_tolerance, replayed,
// not_found, malformed_body, payload_too_large...) for every refusal; 503
// (or 429) with Retry-After when a store or trigger cannot take it now;
// 405 for anything but POST. A temporary failure forgets the post's
// token, so that Mailgun's retry of the same post is accepted.
type MailgunHandler struct {
	core   providerCore
	key    []byte
	maxAge time.Duration
	now    func() time.Time
	seen   *tokenCache
}

// NewMailgunHandler returns a MailgunHandler feeding p.
func NewMailgunHandler(p *hooks.Pipeline, opts MailgunOptions) (*MailgunHandler, error) {
	if p == nil {
		return nil, ErrNilPipeline
	}
	if opts.SigningKey == "" {
		return nil, fmt.Errorf("%w: SigningKey is required", ErrInvalidOptions)
	}
	if opts.MaxAge < 0 || opts.MaxTokens < 0 {
		return nil, fmt.Errorf("%w: MaxAge and MaxTokens must not be negative", ErrInvalidOptions)
	}
	po, err := opts.ProviderOptions.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := register(p, po.Domains); err != nil {
		return nil, err
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = 15 * time.Minute
	}
	if opts.MaxTokens == 0 {
		opts.MaxTokens = 100000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &MailgunHandler{
		core: providerCore{p: p, opts: po,
			answers: answers{provider: ProviderMailgun, success: http.StatusOK, refuse: http.StatusNotAcceptable}},
		key: []byte(opts.SigningKey), maxAge: opts.MaxAge, now: opts.Now,
		seen: newTokenCache(opts.MaxTokens),
	}, nil
}

// ServeHTTP implements http.Handler.
func (h *MailgunHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := h.core.readPost(w, r)
	if !ok {
		return
	}
	form, err := readPostForm(r.Header.Get("Content-Type"), body)
	if err != nil {
		h.core.answers.write(w, "", malformedPost(ProviderMailgun, "a multipart or urlencoded form is expected"), false)
		return
	}
	token := form.get("token")
	if herr := h.verify(form.get("timestamp"), token, form.get("signature")); herr != nil {
		h.core.refuse(w, r, herr)
		return
	}
	now := h.now()
	h.seen.expire(now)
	expires := now.Add(h.maxAge)
	if !h.seen.add(token, expires) {
		h.core.refuse(w, r, hooks.NewError(http.StatusConflict, CodeReplayed, "this post was received before"))
		return
	}
	post, herr := parseMailgun(form)
	if herr != nil {
		h.core.answers.write(w, "", herr, false)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	h.core.deliver(rec, r, body, post, "")
	if temporary(rec.status) {
		h.seen.remove(token) // let Mailgun's retry through
	}
}

// verify checks a post's signature and timestamp.
func (h *MailgunHandler) verify(timestamp, token, signature string) *hooks.Error {
	if timestamp == "" || token == "" || signature == "" {
		return hooks.NewError(http.StatusUnauthorized, errcode.SignatureInvalid, "timestamp, token and signature are required")
	}
	sig, err := hex.DecodeString(signature)
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(timestamp))
	mac.Write([]byte(token))
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return hooks.NewError(http.StatusUnauthorized, errcode.SignatureInvalid, "the signature does not match")
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return hooks.NewError(http.StatusUnauthorized, errcode.TimestampOutOfRange, "the timestamp is not a Unix time")
	}
	if d := h.now().Sub(time.Unix(secs, 0)); d > h.maxAge || d < -h.maxAge {
		return hooks.NewError(http.StatusUnauthorized, errcode.TimestampOutOfRange, "the timestamp is too far from now")
	}
	return nil
}

// parseMailgun reads the fields of a route post.
func parseMailgun(form *postForm) (*inboundPost, *hooks.Error) {
	post := &inboundPost{}
	for _, rc := range strings.Split(form.get("recipient"), ",") {
		if rc = strings.TrimSpace(rc); rc != "" {
			post.recipients = append(post.recipients, rc)
		}
	}
	if len(post.recipients) == 0 {
		return nil, malformedPost(ProviderMailgun, "no recipient field")
	}
	if mimeBody := form.get("body-mime"); mimeBody != "" {
		post.raw = []byte(mimeBody)
		h := rawHeader(post.raw)
		post.auth = mailgunVerdicts(h.Get("X-Mailgun-Spf"), h.Get("X-Mailgun-Dkim-Check-Result"), form.get("sender"))
		return post, nil
	}
	var fields [][2]string
	if mh := form.get("message-headers"); mh != "" {
		var pairs [][]string
		if err := json.Unmarshal([]byte(mh), &pairs); err != nil {
			return nil, malformedPost(ProviderMailgun, "message-headers is not a JSON list of [name, value] pairs")
		}
		for _, p := range pairs {
			if len(p) == 2 {
				fields = append(fields, [2]string{p[0], p[1]})
			}
		}
	} else {
		// No header dump: what the form itself gives.
		for _, k := range []string{"from", "subject"} {
			if v := form.get(k); v != "" {
				fields = append(fields, [2]string{k, v})
			}
		}
	}
	b := &builtMessage{header: fields, text: form.get("body-plain"), html: form.get("body-html")}
	var spf, dkim string
	for _, f := range fields {
		switch strings.ToLower(f[0]) {
		case "x-mailgun-spf":
			spf = f[1]
		case "x-mailgun-dkim-check-result":
			dkim = f[1]
		}
	}
	cids := map[string]string{} // attachment field -> Content-ID
	if m := form.get("content-id-map"); m != "" {
		var byCID map[string]string
		if err := json.Unmarshal([]byte(m), &byCID); err == nil {
			for cid, field := range byCID {
				cids[field] = cid
			}
		}
	}
	for i := range form.files {
		f := &form.files[i]
		if !strings.HasPrefix(f.field, "attachment-") {
			continue
		}
		cid := cids[f.field]
		b.attachments = append(b.attachments, builtAttachment{name: f.name, contentType: f.contentType,
			contentID: cid, inline: cid != "", content: f.content})
	}
	raw, err := b.bytes()
	if err != nil {
		return nil, malformedPost(ProviderMailgun, "the message could not be rebuilt")
	}
	post.raw = raw
	post.auth = mailgunVerdicts(spf, dkim, form.get("sender"))
	return post, nil
}

// mailgunVerdicts maps X-Mailgun-Spf (Pass, Neutral, Fail, SoftFail) and
// X-Mailgun-Dkim-Check-Result (Pass, Fail) to a MailAuth. Mailgun reports
// no DMARC verdict, so DMARC is nil.
func mailgunVerdicts(spf, dkim, sender string) *hooks.MailAuth {
	if spf == "" && dkim == "" {
		return nil
	}
	a := &hooks.MailAuth{Source: ProviderMailgun}
	if spf != "" {
		a.SPF = &hooks.AuthVerdict{Result: normalizeResult(spf), Domain: domainOf(sender)}
	}
	if dkim != "" {
		a.DKIM = []hooks.AuthVerdict{{Result: normalizeResult(dkim)}}
	}
	a.Summary = summarize(ProviderMailgun, a, sender, "")
	return a
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// tokenCache remembers Mailgun tokens until they expire, at most max of
// them; when full, the one closest to expiry goes first.
type tokenCache struct {
	mu  sync.Mutex
	max int
	m   map[string]time.Time
	h   expiryHeap
}

func newTokenCache(max int) *tokenCache { return &tokenCache{max: max, m: map[string]time.Time{}} }

// add records token until expires; it returns false if the token is known.
func (c *tokenCache) add(token string, expires time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[token]; ok {
		return false
	}
	for len(c.m) >= c.max && c.h.Len() > 0 {
		e := heap.Pop(&c.h).(tokenExpiry)
		if exp, ok := c.m[e.token]; ok && exp.Equal(e.at) {
			delete(c.m, e.token)
		}
	}
	c.m[token] = expires
	heap.Push(&c.h, tokenExpiry{token: token, at: expires})
	if c.h.Len() > 2*c.max+16 {
		// Removed tokens left entries behind: rebuild from the map.
		c.h = c.h[:0]
		for t, at := range c.m {
			c.h = append(c.h, tokenExpiry{token: t, at: at})
		}
		heap.Init(&c.h)
	}
	return true
}

// expire forgets tokens that expired before now.
func (c *tokenCache) expire(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.h.Len() > 0 && c.h[0].at.Before(now) {
		e := heap.Pop(&c.h).(tokenExpiry)
		if exp, ok := c.m[e.token]; ok && exp.Equal(e.at) {
			delete(c.m, e.token)
		}
	}
}

func (c *tokenCache) remove(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, token) // its heap entry is skipped when popped
}

type tokenExpiry struct {
	token string
	at    time.Time
}

type expiryHeap []tokenExpiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(tokenExpiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
