package emailhook

import (
	"fmt"
	"strings"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// KindName is the name of the email hook kind, as hooks store it and the
// admin API's "type" gives it.
const KindName hooks.Kind = "email"

// Settings are an email hook's settings (hooks.Hook.Settings of an email
// hook is a *Settings). The zero value is the default: mail from anyone
// is taken. In the admin API they are the object
//
//	{"sender_policy": {"mode": "reject", "allowed": ["example.net", "*.shop.example", "boss@corp.example"]}}
type Settings struct {
	// SenderPolicy lists who may send to the hook and what happens to
	// others (flag or reject); nil takes mail from anyone.
	SenderPolicy *SenderPolicy `json:"sender_policy,omitempty"`
}

// Validate checks the sender policy.
func (s *Settings) Validate() error {
	if s.SenderPolicy != nil {
		return s.SenderPolicy.Validate()
	}
	return nil
}

// settingsOf returns hk's email settings (see intake.SettingsOf).
func settingsOf(hk *hooks.Hook) *Settings { return intake.SettingsOf[Settings](hk) }

// kindSpec is the hooks.KindSpec of email hooks: their address is the
// token at the first of the domains mail is accepted for (the bare token
// when any domain is accepted).
type kindSpec struct{ domain string }

func (kindSpec) Kind() hooks.Kind            { return KindName }
func (kindSpec) NewSettings() hooks.Settings { return &Settings{} }
func (k kindSpec) Address(_, token string) string {
	if k.domain == "" {
		return token
	}
	return token + "@" + k.domain
}

// register checks domains and registers the email kind with p's Registry,
// with addresses at domains[0].
func register(p *hooks.Pipeline, domains []string) error {
	for _, d := range domains {
		if !isDomainName(strings.ToLower(strings.TrimSuffix(d, "."))) {
			return fmt.Errorf("%w: Domains: %q is not a domain name such as in.example.com", ErrInvalidOptions, d)
		}
	}
	spec := kindSpec{}
	if len(domains) > 0 {
		spec.domain = strings.ToLower(strings.TrimSuffix(domains[0], "."))
	}
	if err := p.Registry().Register(spec); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return nil
}
