package formhook

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// KindName is the name of the form hook kind, as hooks store it and the
// admin API's "type" gives it.
const KindName hooks.Kind = "form"

// Settings are a form hook's settings (hooks.Hook.Settings of a form hook
// is a *Settings). The zero value is the default: no CORS, a JSON answer,
// no honeypot. In the admin API they are the object
//
//	{"allowed_origins": ["https://www.example.com"], "redirect_url": "https://example.com/thanks", "honeypot": "website"}
//
// and a PATCH changes the members it gives; "rate_limit":
// {"per_second": 0.5, "burst": 5} limits each client's posts to the hook
// ("rate_limit": null removes the limit).
type Settings struct {
	// AllowedOrigins lists the origins (scheme://host[:port]) allowed to
	// post from a browser with CORS; "*" allows any. Empty means no CORS
	// headers are sent (plain HTML form posts still work).
	AllowedOrigins []string `json:"allowed_origins"`
	// RedirectURL is where a browser post (Accept: text/html) is sent with
	// 303 after it is accepted: an absolute http or https URL. Empty
	// answers JSON.
	RedirectURL string `json:"redirect_url"`
	// Honeypot names a form field that people leave empty and bots fill:
	// a post with it filled is answered as accepted but fires nothing. The
	// field is removed from the event's data.
	Honeypot string `json:"honeypot"`
	// RateLimit limits the posts each client (an IPv4 address or an IPv6
	// /64, as for Options.RateLimit) may make to this hook, on top of the
	// Handler's limit; nil means no per-hook limit. A post over it is
	// refused with 429 and Retry-After after the hook is looked up and
	// before its body is read.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
}

// RateLimit is a token bucket per client.
type RateLimit struct {
	// PerSecond is how many posts per second a client may make over time:
	// more than 0, at most MaxHookRate. 0.1 is one post every 10 seconds.
	PerSecond float64 `json:"per_second"`
	// Burst is how many posts a client may make at once: 0 means
	// DefaultBurst (5), at most MaxHookBurst.
	Burst int `json:"burst,omitempty"`
}

// Bounds of a hook's RateLimit.
const (
	MaxHookRate  = 10000
	MaxHookBurst = 10000
)

var _ hooks.Settings = (*Settings)(nil)

// Validate checks the origins and the redirect URL.
func (s *Settings) Validate() error {
	for _, o := range s.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return &hooks.ValidationError{Field: "allowed_origins", Reason: "each must be * or scheme://host[:port]"}
		}
	}
	if s.RedirectURL != "" {
		u, err := url.Parse(s.RedirectURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &hooks.ValidationError{Field: "redirect_url", Reason: "must be an absolute http or https URL"}
		}
	}
	if rl := s.RateLimit; rl != nil {
		if !(rl.PerSecond > 0 && rl.PerSecond <= MaxHookRate) {
			return &hooks.ValidationError{Field: "rate_limit", Reason: fmt.Sprintf("per_second must be more than 0 and at most %d", MaxHookRate)}
		}
		if rl.Burst < 0 || rl.Burst > MaxHookBurst {
			return &hooks.ValidationError{Field: "rate_limit", Reason: fmt.Sprintf("burst must be 0 (the default) to %d", MaxHookBurst)}
		}
	}
	if len(s.Honeypot) > 200 {
		return &hooks.ValidationError{Field: "honeypot", Reason: "must be at most 200 bytes"}
	}
	return nil
}

// MarshalJSON writes the settings with "allowed_origins" as [] rather
// than null when there are none.
func (s *Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	c := *s
	if c.AllowedOrigins == nil {
		c.AllowedOrigins = []string{}
	}
	return json.Marshal((*plain)(&c))
}

// settingsOf returns hk's settings (see intake.SettingsOf).
func settingsOf(hk *hooks.Hook) *Settings { return intake.SettingsOf[Settings](hk) }
