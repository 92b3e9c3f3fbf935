package hooks

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Event is one arrival at a hook, as handed to the Trigger. Data holds the
// decoded payload as JSON-compatible Go values: objects are map[string]any,
// arrays []any, strings string, booleans bool, null nil, and numbers
// json.Number (so that large integer IDs keep every digit).
type Event struct {
	ID         string    `json:"id"` // unique and time-sortable (see IDTime)
	Org        string    `json:"org,omitempty"`
	HookID     string    `json:"hook_id"`
	HookKind   Kind      `json:"hook_kind"`
	HookName   string    `json:"hook_name"`
	ReceivedAt time.Time `json:"received_at"`
	Data       any       `json:"data"`
	// Raw is the exact body received (for email, the whole message).
	Raw         []byte      `json:"raw,omitempty"`
	ContentType string      `json:"content_type,omitempty"`
	Header      http.Header `json:"header,omitempty"` // redacted with RedactHeader
	RemoteAddr  string      `json:"remote_addr,omitempty"`
	Files       []File      `json:"files,omitempty"`
	Email       *Email      `json:"email,omitempty"`
	// IdempotencyKey is the sender's key for this delivery (the
	// Idempotency-Key or webhook-id header, or an email's Message-ID), or "".
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// File is an uploaded file of a multipart form.
type File struct {
	Field       string `json:"field"` // the form field name
	Name        string `json:"name"`  // the file name the sender gave, without directories
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"` // lowercase hex
	Content     []byte `json:"content,omitempty"`
}

// Email holds the message fields of an email hook's event.
type Email struct {
	From       string    `json:"from"`
	To         []string  `json:"to,omitempty"`
	Cc         []string  `json:"cc,omitempty"`
	Recipients []string  `json:"recipients"` // the envelope recipients (RCPT TO) that are this hook
	Subject    string    `json:"subject"`
	MessageID  string    `json:"message_id,omitempty"`
	Date       time.Time `json:"date,omitzero"`
	// Objects are the JSON-LD objects extracted from the HTML part, in
	// schema.org compact form.
	Objects  []map[string]any `json:"objects"`
	Warnings []string         `json:"warnings,omitempty"`
	// Auth holds the SPF, DKIM and DMARC verdicts on the message, when the
	// receiving side checked them (see MailAuth); nil when nobody did.
	Auth *MailAuth `json:"auth,omitempty"`
	// Sender is the hook's sender policy verdict, when the hook has a
	// policy in flag mode (in reject mode a refused message fires nothing).
	Sender *SenderCheck `json:"sender,omitempty"`
}

// Trigger is the seam to the host's workflow engine: the library calls
// Fire once for each accepted event (at least once in queue mode, where a
// retry follows an error).
//
// Fire is called concurrently from many goroutines. It must not modify e,
// and may keep it after returning. A nil error means the host took the
// event. An error makes a sync-mode sender see 503 with Retry-After, unless
// it is or wraps an *Error, whose status the sender sees instead; in queue
// mode it schedules a retry.
type Trigger interface {
	Fire(ctx context.Context, e *Event) error
}

// TriggerFunc adapts a function to a Trigger.
type TriggerFunc func(ctx context.Context, e *Event) error

// Fire calls f(ctx, e).
func (f TriggerFunc) Fire(ctx context.Context, e *Event) error { return f(ctx, e) }

var _ Trigger = TriggerFunc(nil)

// Redacted replaces the value of a sensitive header.
const Redacted = "[redacted]"

// sensitiveHeaders are redacted by name (canonical form).
var sensitiveHeaders = map[string]bool{
	"Authorization":         true,
	"Proxy-Authorization":   true,
	"Cookie":                true,
	"Set-Cookie":            true,
	"X-Api-Key":             true,
	"Api-Key":               true,
	"X-Hub-Signature":       true,
	"X-Hub-Signature-256":   true,
	"Stripe-Signature":      true,
	"Webhook-Signature":     true,
	"X-Shopify-Hmac-Sha256": true,
}

// IsSensitiveHeader reports whether the header name carries a credential
// or a signature: the well-known ones, and any whose name contains
// "signature", "secret", "token", "api-key", "apikey", "auth" or "hmac".
func IsSensitiveHeader(name string) bool {
	if sensitiveHeaders[http.CanonicalHeaderKey(name)] {
		return true
	}
	l := strings.ToLower(name)
	for _, s := range []string{"signature", "secret", "token", "api-key", "apikey", "auth", "hmac", "password"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// RedactHeader returns a copy of h in which the values of sensitive headers
// (IsSensitiveHeader, and the names in extra, in any case) are replaced by
// Redacted. It is the one place headers are redacted, for events and for
// the debug log alike.
func RedactHeader(h http.Header, extra ...string) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if IsSensitiveHeader(k) || containsFold(extra, k) {
			red := make([]string, len(vs))
			for i := range red {
				red[i] = Redacted
			}
			out[k] = red
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// containsFold reports whether names holds name, compared case-insensitively.
func containsFold(names []string, name string) bool {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}
