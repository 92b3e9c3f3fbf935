package emailhook

import (
	"fmt"
	"strings"

	"github.com/inbound-hooks/inbound/hooks"
)

// PolicyMode says what an email hook does with mail from senders its
// SenderPolicy does not allow.
type PolicyMode string

// The sender policy modes.
const (
	PolicyOff    PolicyMode = ""       // no check (the default; "off" is accepted too)
	PolicyFlag   PolicyMode = "flag"   // deliver, with Event.Email.Sender saying the sender is not allowed
	PolicyReject PolicyMode = "reject" // refuse: nothing fires
)

// CodeSenderNotAllowed is the error code of mail refused by a sender
// policy in reject mode.
const CodeSenderNotAllowed = "sender_not_allowed"

// SenderPolicy lists who may send to an email hook. An email hook address
// leaks (it sits in Bcc headers of mail customers forward); the policy
// makes a leaked address useless to anyone who cannot send authenticated
// mail as an allowed sender.
type SenderPolicy struct {
	// Mode is off (default), flag or reject.
	Mode PolicyMode `json:"mode,omitempty"`
	// Allowed lists sender domains ("example.net"; "*.example.net" also
	// allows its subdomains) and addresses ("orders@example.net"),
	// compared case-insensitively with the authenticated From address.
	Allowed []string `json:"allowed,omitempty"`
}

// Validate checks the mode and the entries.
func (p *SenderPolicy) Validate() error {
	switch p.Mode {
	case PolicyOff, "off", PolicyFlag, PolicyReject:
	default:
		return invalidSetting("sender_policy.mode", `must be "off", "flag" or "reject"`)
	}
	if len(p.Allowed) > 1000 {
		return invalidSetting("sender_policy.allowed", "at most 1000 entries")
	}
	for _, a := range p.Allowed {
		d := strings.TrimPrefix(a, "*.")
		if at := strings.LastIndexByte(d, '@'); at >= 0 {
			if at == 0 || strings.HasPrefix(a, "*.") {
				return invalidSetting("sender_policy.allowed", fmt.Sprintf("%q is not an address or a domain", a))
			}
			d = d[at+1:]
		}
		if !isDomainName(strings.ToLower(strings.TrimSuffix(d, "."))) {
			return invalidSetting("sender_policy.allowed", fmt.Sprintf("%q is not an address or a domain", a))
		}
	}
	if (p.Mode == PolicyFlag || p.Mode == PolicyReject) && len(p.Allowed) == 0 {
		return invalidSetting("sender_policy.allowed", "list at least one sender when the mode is flag or reject")
	}
	return nil
}

// Check returns the policy's verdict on the message of e (whatever the
// Mode): the identity is the From address, counted only when e.Auth
// authenticates its domain as DMARC does (a DMARC pass, or where the
// checker reported no DMARC verdict, a passing SPF or DKIM identity in the
// same organizational domain), and it must match an Allowed entry. A host
// may call it from its Trigger.
func (p *SenderPolicy) Check(e *hooks.Email) *hooks.SenderCheck {
	id, why := alignedIdentity(e)
	if id == "" {
		return &hooks.SenderCheck{Allowed: false, Reason: why}
	}
	at := strings.LastIndexByte(id, '@')
	domain := id[at+1:]
	for _, a := range p.Allowed {
		a = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(a), "."))
		switch {
		case strings.Contains(a, "@"):
			if a == id {
				return &hooks.SenderCheck{Allowed: true, Identity: id, Reason: "allowed address " + a}
			}
		case strings.HasPrefix(a, "*."):
			if domain == a[2:] || strings.HasSuffix(domain, a[1:]) {
				return &hooks.SenderCheck{Allowed: true, Identity: id, Reason: "allowed domain " + a}
			}
		case domain == a:
			return &hooks.SenderCheck{Allowed: true, Identity: id, Reason: "allowed domain " + a}
		}
	}
	return &hooks.SenderCheck{Allowed: false, Identity: id, Reason: "the authenticated sender " + id + " is not allowed"}
}

// alignedIdentity returns the From address of e, lowercased, if the
// verdicts authenticate its domain as DMARC does: a DMARC pass, or, where
// the checker reported no DMARC verdict (Mailgun, SendGrid), a passing SPF
// or DKIM identity in the same organizational domain (relaxed alignment).
// Otherwise it returns "" and why.
func alignedIdentity(e *hooks.Email) (string, string) {
	from := strings.ToLower(strings.TrimSpace(e.From))
	if from == "" || !strings.Contains(from, "@") {
		return "", "the message has no From address"
	}
	a := e.Auth
	if a == nil {
		return "", "the message was not authenticated (no SPF, DKIM or DMARC verdicts)"
	}
	fd := domainOf(from)
	if a.DMARC != nil {
		if a.DMARC.Result == hooks.AuthPass && strings.EqualFold(a.DMARC.Domain, fd) {
			return from, ""
		}
		if a.DMARC.Result != hooks.AuthNone {
			return "", fmt.Sprintf("DMARC %s for %s", a.DMARC.Result, fd)
		}
	}
	org := orgDomain(fd)
	for _, d := range a.DKIM {
		if d.Result == hooks.AuthPass && d.Domain != "" && orgDomain(d.Domain) == org {
			return from, ""
		}
	}
	if a.SPF != nil && a.SPF.Result == hooks.AuthPass && a.SPF.Domain != "" && orgDomain(a.SPF.Domain) == org {
		return from, ""
	}
	return "", "no SPF or DKIM pass aligned with the From domain " + fd
}

// isDomainName reports whether d is a lowercase DNS name such as
// in.example.com.
func isDomainName(d string) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func invalidSetting(field, reason string) error {
	return &hooks.ValidationError{Field: field, Reason: reason}
}
