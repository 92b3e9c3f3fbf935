package emailhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// The fixtures below follow each provider's documented inbound format, as
// written from their public documentation (Mailgun "Receiving messages via
// HTTP through a forward() action", SendGrid "Inbound Parse Webhook",
// Postmark "Inbound webhook"); they were not captured from the providers'
// live systems, which these tests never reach.

// A message with what providers take apart: a display-name From, To and
// Cc, an encoded-word Subject, text and HTML bodies (the HTML with a
// schema.org Order in JSON-LD) and a PDF attachment.
const (
	fxFrom      = `"Shop Ünicode" <shop@example.net>`
	fxTo        = "Customer <customer@example.org>"
	fxCc        = "orders@example.org"
	fxSubject   = "=?utf-8?q?Your_order_1234_=E2=80=94_confirmed?="
	fxMessageID = "<order-1234@example.net>"
	fxDate      = "Fri, 27 Nov 2026 08:00:00 +0000"
	fxText      = "Thanks for your order 1234.\r\n"
	fxHTML      = `<html><body><script type="application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"1234","seller":{"@type":"Organization","name":"Shop"}}</script><p>Thanks for your order 1234.</p></body></html>`
	fxAttName   = "invoice-1234.pdf"
	fxAttType   = "application/pdf"
)

var fxAttachment = []byte("%PDF-1.4\n% not really a PDF, but bytes all the same \x00\x01\x02\n")

// fxHeaders are the message's header fields, in order, as sent.
func fxHeaders() [][2]string {
	return [][2]string{
		{"From", fxFrom},
		{"To", fxTo},
		{"Cc", fxCc},
		{"Subject", fxSubject},
		{"Message-ID", fxMessageID},
		{"Date", fxDate},
	}
}

// fxRaw is the message as sent over SMTP.
func fxRaw() string {
	var b strings.Builder
	for _, f := range fxHeaders() {
		b.WriteString(f[0] + ": " + f[1] + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mixed\"\r\n\r\n" +
		"--mixed\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + fxText + "\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + fxHTML + "\r\n" +
		"--alt--\r\n" +
		"--mixed\r\nContent-Type: " + fxAttType + "; name=\"" + fxAttName + "\"\r\nContent-Disposition: attachment; filename=\"" + fxAttName + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(fxAttachment) + "\r\n" +
		"--mixed--\r\n")
	return b.String()
}

// formPart is one field or file of a multipart post.
type formPart struct {
	name, filename, ctype string
	value                 []byte
}

func multipartBody(parts []formPart) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := `form-data; name="` + p.name + `"`
		if p.filename != "" {
			cd += `; filename="` + p.filename + `"`
		}
		h.Set("Content-Disposition", cd)
		if p.ctype != "" {
			h.Set("Content-Type", p.ctype)
		}
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(p.value)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// mailgunSign returns timestamp, token and signature fields for key.
func mailgunSign(key string, ts time.Time, token string) []formPart {
	t := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(t + token))
	return []formPart{
		{name: "timestamp", value: []byte(t)},
		{name: "token", value: []byte(token)},
		{name: "signature", value: []byte(hex.EncodeToString(mac.Sum(nil)))},
	}
}

// mailgunParsed is a forward() post in Mailgun's parsed shape.
func mailgunParsed(recipient string, sig []formPart) ([]byte, string) {
	headers := [][]string{{"Received", "from mail.example.net by mxa.mailgun.org with SMTP"},
		{"X-Mailgun-Spf", "Pass"}, {"X-Mailgun-Dkim-Check-Result", "Pass"}}
	for _, f := range fxHeaders() {
		headers = append(headers, []string{f[0], f[1]})
	}
	headers = append(headers, []string{"Mime-Version", "1.0"},
		[]string{"Content-Type", `multipart/mixed; boundary="mixed"`})
	mh, _ := json.Marshal(headers)
	parts := []formPart{
		{name: "recipient", value: []byte(recipient)},
		{name: "sender", value: []byte("bounce@example.net")},
		{name: "from", value: []byte(fxFrom)},
		{name: "subject", value: []byte("Your order 1234 — confirmed")},
		{name: "body-plain", value: []byte(fxText)},
		{name: "stripped-text", value: []byte("Thanks for your order 1234.")},
		{name: "body-html", value: []byte(fxHTML)},
		{name: "stripped-html", value: []byte(fxHTML)},
		{name: "attachment-count", value: []byte("1")},
		{name: "message-headers", value: mh},
		{name: "content-id-map", value: []byte("{}")},
		{name: "attachment-1", filename: fxAttName, ctype: fxAttType, value: fxAttachment},
	}
	return multipartBody(append(parts, sig...))
}

// mailgunMIME is a forward() post to a URL ending in "mime": the raw
// message in body-mime.
func mailgunMIME(recipient string, sig []formPart) ([]byte, string) {
	parts := []formPart{
		{name: "recipient", value: []byte(recipient)},
		{name: "sender", value: []byte("bounce@example.net")},
		{name: "from", value: []byte(fxFrom)},
		{name: "subject", value: []byte("Your order 1234 — confirmed")},
		{name: "body-mime", value: []byte("X-Mailgun-Spf: SoftFail\r\n" + fxRaw())},
	}
	return multipartBody(append(parts, sig...))
}

// sendgridParsed is an Inbound Parse post in the default (parsed) shape.
func sendgridParsed(recipient string) ([]byte, string) {
	var hdr strings.Builder
	hdr.WriteString("Received: by mx0047p1mdw1.sendgrid.net with SMTP id abc Fri, 27 Nov 2026 08:00:01 +0000 (UTC)\n")
	for _, f := range fxHeaders() {
		hdr.WriteString(f[0] + ": " + f[1] + "\n")
	}
	hdr.WriteString("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mixed\"\n")
	env, _ := json.Marshal(map[string]any{"to": []string{recipient}, "from": "bounce@example.net"})
	// SendGrid sends each text field in the charset the charsets field
	// names; the HTML here is ISO-8859-1 to show it is honoured.
	html, _ := latin1(fxHTML)
	return multipartBody([]formPart{
		{name: "headers", value: []byte(hdr.String())},
		{name: "dkim", value: []byte("{@example.net : pass}")},
		{name: "content-ids", value: []byte("{}")},
		{name: "to", value: []byte(fxTo)},
		{name: "from", value: []byte(fxFrom)},
		{name: "cc", value: []byte(fxCc)},
		{name: "text", value: []byte(fxText)},
		{name: "html", value: html},
		{name: "sender_ip", value: []byte("192.0.2.10")},
		{name: "envelope", value: env},
		{name: "attachments", value: []byte("1")},
		{name: "subject", value: []byte("Your order 1234 — confirmed")},
		{name: "attachment-info", value: []byte(`{"attachment1":{"filename":"` + fxAttName + `","name":"` + fxAttName + `","type":"` + fxAttType + `"}}`)},
		{name: "charsets", value: []byte(`{"to":"UTF-8","html":"iso-8859-1","subject":"UTF-8","from":"UTF-8","text":"UTF-8","cc":"UTF-8"}`)},
		{name: "SPF", value: []byte("pass")},
		{name: "attachment1", filename: fxAttName, ctype: fxAttType, value: fxAttachment},
	})
}

// latin1 encodes s (whose characters are all in ISO-8859-1) as ISO-8859-1.
func latin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

// sendgridRaw is an Inbound Parse post with "POST the raw, full MIME
// message" checked.
func sendgridRaw(recipient string) ([]byte, string) {
	env, _ := json.Marshal(map[string]any{"to": []string{recipient}, "from": "bounce@example.net"})
	return multipartBody([]formPart{
		{name: "dkim", value: []byte("{@example.net : fail, @mailer.example : pass}")},
		{name: "email", value: []byte(fxRaw())},
		{name: "to", value: []byte(fxTo)},
		{name: "from", value: []byte(fxFrom)},
		{name: "sender_ip", value: []byte("192.0.2.10")},
		{name: "envelope", value: env},
		{name: "subject", value: []byte("Your order 1234 — confirmed")},
		{name: "charsets", value: []byte(`{"to":"UTF-8","subject":"UTF-8","from":"UTF-8"}`)},
		{name: "SPF", value: []byte("softfail")},
	})
}

// postmarkJSON is a Postmark inbound webhook post; recipient is the
// OriginalRecipient and hash the MailboxHash.
func postmarkJSON(recipient, hash string, raw bool) []byte {
	doc := map[string]any{
		"FromName":          "Shop Ünicode",
		"MessageStream":     "inbound",
		"From":              "shop@example.net",
		"FromFull":          map[string]any{"Email": "shop@example.net", "Name": "Shop Ünicode", "MailboxHash": ""},
		"To":                fxTo,
		"ToFull":            []any{map[string]any{"Email": "customer@example.org", "Name": "Customer", "MailboxHash": ""}},
		"Cc":                fxCc,
		"CcFull":            []any{map[string]any{"Email": "orders@example.org", "Name": "", "MailboxHash": ""}},
		"Bcc":               "",
		"BccFull":           []any{},
		"OriginalRecipient": recipient,
		"Subject":           "Your order 1234 — confirmed",
		"MessageID":         "22c74902-a0c1-4511-804f-341342852c90",
		"ReplyTo":           "",
		"MailboxHash":       hash,
		"Date":              fxDate,
		"TextBody":          fxText,
		"HtmlBody":          fxHTML,
		"StrippedTextReply": "",
		"Tag":               "",
		"Headers": []any{
			map[string]any{"Name": "X-Spam-Checker-Version", "Value": "SpamAssassin 3.3.1 (2010-03-16) on ip-10-8-0-1"},
			map[string]any{"Name": "X-Spam-Status", "Value": "No"},
			map[string]any{"Name": "Received-SPF", "Value": "Pass (sender SPF authorized) identity=mailfrom; client-ip=192.0.2.10; helo=mail.example.net; envelope-from=bounce@example.net; receiver=" + recipient},
			map[string]any{"Name": "Authentication-Results", "Value": "inbound.postmarkapp.com; dkim=pass header.d=example.net; dmarc=pass header.from=example.net"},
			map[string]any{"Name": "Message-ID", "Value": fxMessageID},
			map[string]any{"Name": "MIME-Version", "Value": "1.0"},
		},
		"Attachments": []any{map[string]any{
			"Name": fxAttName, "Content": base64.StdEncoding.EncodeToString(fxAttachment),
			"ContentType": fxAttType, "ContentLength": len(fxAttachment), "ContentID": "",
		}},
	}
	if raw {
		doc["RawEmail"] = fxRaw()
	}
	b, _ := json.Marshal(doc)
	return b
}
