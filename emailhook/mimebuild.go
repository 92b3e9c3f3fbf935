package emailhook

import (
	"bytes"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/emersion/go-message"
)

// builtMessage is a message a provider posted as parsed fields (headers,
// bodies, attachments). It is turned back into RFC 5322 bytes so that the
// one reading path (Extractor.ReadMessage) serves provider posts and SMTP
// alike: the same message gives the same Event whichever way it came.
type builtMessage struct {
	// header holds the message's header fields in order, as the provider
	// gave them (values may still carry RFC 2047 encoded words).
	header [][2]string
	// text and html are the decoded bodies, UTF-8.
	text, html  string
	attachments []builtAttachment
}

type builtAttachment struct {
	name, contentType, contentID string
	inline                       bool
	content                      []byte
}

// contentFields are the header fields that describe the original body
// structure; the rebuilt message has its own.
var contentFields = map[string]bool{
	"Content-Type":              true,
	"Content-Transfer-Encoding": true,
	"Mime-Version":              true,
	"Content-Disposition":       true,
	"Content-Id":                true,
}

// bytes renders the message: the original header fields (minus those of
// contentFields), then multipart/mixed { multipart/alternative { text,
// html }, attachments... }, collapsing levels that would hold one part.
// Bodies are base64 so that any byte survives.
func (b *builtMessage) bytes() ([]byte, error) {
	var h message.Header
	// go-message writes fields in the reverse order of Add.
	for i := len(b.header) - 1; i >= 0; i-- {
		k, v := b.header[i][0], b.header[i][1]
		if k == "" || contentFields[canonicalKey(k)] || strings.ContainsAny(k, " \t:\r\n") {
			continue
		}
		h.Add(k, sanitizeHeaderValue(v))
	}
	if !h.Has("Mime-Version") {
		h.Set("MIME-Version", "1.0")
	}
	bodies := 0
	if b.text != "" {
		bodies++
	}
	if b.html != "" {
		bodies++
	}
	var buf bytes.Buffer
	switch {
	case len(b.attachments) == 0 && bodies <= 1:
		// One body: a single-part message, as most mail systems send.
		ct, body := "text/plain", b.text
		if b.html != "" {
			ct, body = "text/html", b.html
		}
		setTextPart(&h, ct)
		w, err := message.CreateWriter(&buf, h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(body)); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case len(b.attachments) == 0:
		h.SetContentType("multipart/alternative", nil)
		w, err := message.CreateWriter(&buf, h)
		if err != nil {
			return nil, err
		}
		if err := writeBodies(w, b.text, b.html); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	h.SetContentType("multipart/mixed", nil)
	w, err := message.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	switch bodies {
	case 2:
		var ah message.Header
		ah.SetContentType("multipart/alternative", nil)
		aw, err := w.CreatePart(ah)
		if err != nil {
			return nil, err
		}
		if err := writeBodies(aw, b.text, b.html); err != nil {
			return nil, err
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
	case 1:
		if err := writeBodies(w, b.text, b.html); err != nil {
			return nil, err
		}
	}
	for _, a := range b.attachments {
		var ph message.Header
		ct := a.contentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		mt, params, err := parseMediaTypeLoose(ct)
		if err != nil {
			mt, params = "application/octet-stream", nil
		}
		if a.name != "" {
			if params == nil {
				params = map[string]string{}
			}
			params["name"] = a.name
		}
		ph.SetContentType(mt, params)
		disp := "attachment"
		if a.inline {
			disp = "inline"
		}
		var dp map[string]string
		if a.name != "" {
			dp = map[string]string{"filename": a.name}
		}
		ph.SetContentDisposition(disp, dp)
		if a.contentID != "" {
			ph.Set("Content-Id", "<"+strings.Trim(a.contentID, "<>")+">")
		}
		ph.Set("Content-Transfer-Encoding", "base64")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(a.content); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func setTextPart(h *message.Header, ct string) {
	h.SetContentType(ct, map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "base64")
}

// writeBodies writes the non-empty bodies as parts of w.
func writeBodies(w *message.Writer, text, html string) error {
	for _, p := range []struct{ ct, body string }{{"text/plain", text}, {"text/html", html}} {
		if p.body == "" {
			continue
		}
		var ph message.Header
		setTextPart(&ph, p.ct)
		pw, err := w.CreatePart(ph)
		if err != nil {
			return err
		}
		if _, err := pw.Write([]byte(p.body)); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// sanitizeHeaderValue keeps a provider's header value on one logical
// line: CR and LF (already unfolded by the provider, or injected) become
// spaces, so that a value cannot start a field or the body of its own.
func sanitizeHeaderValue(v string) string {
	if !strings.ContainsAny(v, "\r\n") {
		return v
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(v)), " ")
}

func canonicalKey(k string) string { return textproto.CanonicalMIMEHeaderKey(k) }

// parseMediaTypeLoose parses a Content-Type a provider reported.
func parseMediaTypeLoose(ct string) (string, map[string]string, error) {
	var h message.Header
	h.Set("Content-Type", ct)
	mt, params, err := h.ContentType()
	if err != nil || mt == "" || !strings.Contains(mt, "/") {
		return "", nil, fmt.Errorf("%w: content type %q", ErrMalformedMessage, ct)
	}
	return mt, params, nil
}
