package hooks

import (
	"encoding/json"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// Kind is the kind of a hook: how data reaches it.
type Kind string

// The hook kinds.
const (
	KindForm  Kind = "form"  // public URL for HTML forms; no authentication
	KindWeb   Kind = "web"   // URL for server-to-server posts; API key and/or signature
	KindEmail Kind = "email" // email address that senders Bcc
)

// Valid reports whether k is one of the hook kinds.
func (k Kind) Valid() bool { return k == KindForm || k == KindWeb || k == KindEmail }

// ParseKind returns the Kind named s ("form", "web" or "email"; "webhook"
// is accepted for "web").
func ParseKind(s string) (Kind, error) {
	switch s {
	case "form":
		return KindForm, nil
	case "web", "webhook":
		return KindWeb, nil
	case "email":
		return KindEmail, nil
	}
	return "", invalid("type", `must be "form", "web" or "email"`)
}

// Hook is one hook: an address that receives data and fires the Trigger.
type Hook struct {
	ID          string
	Org         string // the tenant the hook belongs to; "" for a single-tenant host
	Kind        Kind
	Name        string
	Description string
	Token       string // the secret part of the address; lowercase
	Debug       bool   // record interactions in the debug log
	Disabled    bool   // a disabled hook answers like an unknown one
	ExampleData json.RawMessage
	Settings    Settings
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Settings are a hook's per-kind options. The zero value is the default for
// every kind.
type Settings struct {
	// AllowedOrigins lists the origins (scheme://host[:port]) allowed to
	// post to a form hook from a browser with CORS. "*" allows any. Empty
	// means no CORS headers are sent (plain HTML form posts still work).
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	// RedirectURL is where a browser form post (Accept: text/html) is sent
	// with 303 after it is accepted. Empty answers JSON.
	RedirectURL string `json:"redirect_url,omitempty"`
	// Honeypot names a form field that people leave empty and bots fill.
	// A post with it filled is answered as accepted but fires nothing.
	Honeypot string `json:"honeypot,omitempty"`
	// Auth says what a webhook requires: AuthKey (the default), AuthSignature
	// or AuthKeyAndSignature.
	Auth AuthMode `json:"auth,omitempty"`
	// Signature configures the webhook signature scheme, as a JSON document
	// understood by package webhook/signature. Empty means none.
	Signature json.RawMessage `json:"signature,omitempty"`
}

// AuthMode says how a webhook authenticates its sender.
type AuthMode string

// The webhook authentication modes.
const (
	AuthKey             AuthMode = ""          // an API key with the org.hooks role (default)
	AuthSignature       AuthMode = "signature" // a valid signature; no API key
	AuthKeyAndSignature AuthMode = "both"      // both an API key and a valid signature
)

func (h *Hook) clone() *Hook {
	c := *h
	c.ExampleData = cloneBytes(h.ExampleData)
	c.Settings.AllowedOrigins = append([]string(nil), h.Settings.AllowedOrigins...)
	c.Settings.Signature = cloneBytes(h.Settings.Signature)
	return &c
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func hookToRecord(h *Hook) (*store.Hook, error) {
	rec := &store.Hook{
		ID: h.ID, Org: h.Org, Kind: string(h.Kind), Name: h.Name, Description: h.Description,
		Token: h.Token, Debug: h.Debug, Disabled: h.Disabled,
		ExampleData: cloneBytes(h.ExampleData), CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt,
	}
	if !h.Settings.isZero() {
		b, err := json.Marshal(h.Settings)
		if err != nil {
			return nil, err
		}
		rec.Settings = b
	}
	return rec, nil
}

func hookFromRecord(rec *store.Hook) (*Hook, error) {
	h := &Hook{
		ID: rec.ID, Org: rec.Org, Kind: Kind(rec.Kind), Name: rec.Name, Description: rec.Description,
		Token: rec.Token, Debug: rec.Debug, Disabled: rec.Disabled,
		ExampleData: cloneBytes(rec.ExampleData), CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
	}
	if len(rec.Settings) > 0 {
		if err := json.Unmarshal(rec.Settings, &h.Settings); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func (s *Settings) isZero() bool {
	return len(s.AllowedOrigins) == 0 && s.RedirectURL == "" && s.Honeypot == "" && s.Auth == "" && len(s.Signature) == 0
}
