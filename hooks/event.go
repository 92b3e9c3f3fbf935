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
	// The JSON of these fields, and of File's and Email's, is written by
	// appendMembers (queue_encode.go), not by reflection: a field added
	// here must be added there too (TestEventFieldsEncoded fails until it
	// is), and its tag, which decoding reads, must agree.

	ID         string    `json:"id"` // unique and time-sortable (see IDTime)
	Org        string    `json:"org,omitempty"`
	HookID     string    `json:"hook_id"`
	HookKind   Kind      `json:"hook_kind"`
	HookName   string    `json:"hook_name"`
	ReceivedAt time.Time `json:"received_at"`
	Data       any       `json:"data"`
	// Raw is the exact body received (for email, the whole message, whose
	// bytes the events of its several hook recipients share).
	Raw         []byte `json:"raw,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// Header holds the request headers, redacted with RedactHeader, at
	// most 16 KiB of them: each value counts its name, its value and four
	// bytes (": " and CRLF, as on the wire), after redaction. Over that
	// budget the smallest values are kept first, so that one huge value
	// does not push out the ordinary ones; HeadersDropped counts the
	// values left out, HeaderBytesDropped their bytes. The same headers
	// are kept in the debug log. 16 KiB is some eight times what a
	// browser or a webhook sender sends once cookies and credentials are
	// redacted, and twice the largest header line nginx accepts by
	// default; an HTTP server reads up to 1 MiB of headers (net/http's
	// default), which would otherwise be stored with every event.
	Header             http.Header `json:"header,omitempty"`
	HeadersDropped     int         `json:"headers_dropped,omitempty"`
	HeaderBytesDropped int         `json:"header_bytes_dropped,omitempty"`
	RemoteAddr         string      `json:"remote_addr,omitempty"`
	Files              []File      `json:"files,omitempty"`
	Email              *Email      `json:"email,omitempty"`
	// IdempotencyKey is the sender's key for this delivery (the
	// Idempotency-Key or webhook-id header, or an email's Message-ID), or "".
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// MarshalJSON implements json.Marshaler. The JSON is what encoding/json
// makes of the Event's fields and tags (the shape
// schema/event.schema.json describes; object keys in order, numbers with
// every digit), byte for byte, but written without reflection, by the
// encoder the queue uses for its payloads: the Event has one JSON
// encoding, for the queue, the trigger adapters and a host's own
// json.Marshal alike.
func (e Event) MarshalJSON() ([]byte, error) {
	return marshalEvent(&e, allParts)
}

// AppendJSON appends the JSON of e, the bytes MarshalJSON returns, to b
// and returns the extended slice. A Trigger that writes events out (a log,
// a stream) can so encode each into a buffer it reuses: MarshalJSON
// allocates the whole JSON every time, which for an email is its HTML
// body and more. On an error b is returned as it was.
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	out, err := appendEvent(b, e, allParts)
	if err != nil {
		return b, err
	}
	return out, nil
}

// File is an uploaded file of a multipart form, or an attachment of an
// email. Content holds the whole file, so a Trigger (or Bind, into a File
// or []File field) reads it without parsing Raw again.
type File struct {
	// Field is the form field name; for an email it is "attachments".
	Field string `json:"field"`
	Name  string `json:"name"` // the file name the sender gave, without directories; may be empty
	// ContentType is the media type the sender declared, with its
	// parameters (application/octet-stream when none was given).
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"` // lowercase hex
	// ContentID is an email part's Content-ID, without angle brackets, as
	// the HTML body's cid: URLs name it; empty for form files.
	ContentID string `json:"content_id,omitempty"`
	// Inline is true for an email part shown in the message (an image the
	// HTML body embeds) rather than attached for download.
	Inline  bool   `json:"inline,omitempty"`
	Content []byte `json:"content,omitempty"`
}

// Email holds the message of an email hook's event: its header fields,
// bodies and the schema.org objects of its HTML part. The event's Data
// holds copies of the header fields only (as JSON-compatible values, for
// field lists and example data); the objects and bodies are here alone.
// The attachments are the event's Files.
type Email struct {
	From       string   `json:"from"`                // the first From address
	FromName   string   `json:"from_name,omitempty"` // its display name, decoded
	To         []string `json:"to,omitempty"`
	Cc         []string `json:"cc,omitempty"`
	ReplyTo    []string `json:"reply_to,omitempty"`
	Recipients []string `json:"recipients"` // the envelope recipients (RCPT TO) that are this hook
	Subject    string   `json:"subject"`
	MessageID  string   `json:"message_id,omitempty"`
	// InReplyTo and References are the message IDs (without angle
	// brackets) of the thread the message answers.
	InReplyTo  []string  `json:"in_reply_to,omitempty"`
	References []string  `json:"references,omitempty"`
	Date       time.Time `json:"date,omitzero"`
	// Text and HTML are the first text/plain and text/html parts that are
	// not attachments, decoded to UTF-8, each at most 256 KiB: a longer
	// body is cut there (at a character boundary) and BodiesTruncated is
	// set. The whole message is still in Event.Raw, and the objects are
	// extracted from the whole HTML part before the cut.
	Text            string `json:"text,omitempty"`
	HTML            string `json:"html,omitempty"`
	BodiesTruncated bool   `json:"bodies_truncated,omitempty"`
	// Objects are the JSON-LD and microdata objects extracted from the
	// HTML part, in schema.org compact form (empty, never nil, when there
	// are none).
	Objects []map[string]any `json:"objects"`
	// Warnings say what could not be read and was skipped or left as given
	// (a broken part, a bad header, repaired structured data).
	Warnings []string `json:"warnings,omitempty"`
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

// isSensitiveHeader reports whether the header name carries a credential
// or a signature: the well-known ones, and any whose name contains
// "signature", "secret", "token", "api-key", "apikey", "auth" or "hmac".
func isSensitiveHeader(name string) bool {
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
// (Authorization, Cookie, the API-key and signature headers of the known
// senders, any whose name contains "signature", "secret", "token",
// "api-key", "apikey", "auth", "hmac" or "password", and the names in
// extra, in any case) are replaced by
// Redacted. It is the one place headers are redacted, for events and for
// the debug log alike.
func RedactHeader(h http.Header, extra ...string) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if isSensitiveHeader(k) || containsFold(extra, k) {
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
