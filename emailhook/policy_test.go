package emailhook

import (
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
)

func TestSenderPolicyCheck(t *testing.T) {
	pass := func(d string) *hooks.AuthVerdict { return &hooks.AuthVerdict{Result: hooks.AuthPass, Domain: d} }
	dmarc := func(res, d string) *hooks.MailAuth {
		return &hooks.MailAuth{Source: "local", SPF: pass("bounce.example.net"), DMARC: &hooks.AuthVerdict{Result: res, Domain: d}}
	}
	pol := &SenderPolicy{Mode: PolicyReject, Allowed: []string{"example.net", "*.shop.example", "boss@corp.example"}}
	tests := []struct {
		name     string
		from     string
		auth     *hooks.MailAuth
		allowed  bool
		identity string
	}{
		{"DMARC pass, allowed domain", "Orders@Example.net", dmarc(hooks.AuthPass, "example.net"), true, "orders@example.net"},
		{"forged From of an allowed domain (DMARC fail)", "orders@example.net", dmarc(hooks.AuthFail, "example.net"), false, ""},
		{"DMARC pass, other domain", "x@other.example", dmarc(hooks.AuthPass, "other.example"), false, "x@other.example"},
		{"wildcard subdomain", "a@eu.shop.example", dmarc(hooks.AuthPass, "eu.shop.example"), true, "a@eu.shop.example"},
		{"wildcard apex", "a@shop.example", dmarc(hooks.AuthPass, "shop.example"), true, "a@shop.example"},
		{"allowed address", "boss@corp.example", dmarc(hooks.AuthPass, "corp.example"), true, "boss@corp.example"},
		{"other address of an allowed address's domain", "intern@corp.example", dmarc(hooks.AuthPass, "corp.example"), false, "intern@corp.example"},
		{"no verdicts", "orders@example.net", nil, false, ""},
		{"provider without DMARC, aligned DKIM", "orders@example.net",
			&hooks.MailAuth{Source: ProviderSendGrid, DKIM: []hooks.AuthVerdict{{Result: "pass", Domain: "mail.example.net"}}}, true, "orders@example.net"},
		{"provider without DMARC, unaligned DKIM and SPF", "orders@example.net",
			&hooks.MailAuth{Source: ProviderMailgun, SPF: pass("esp.example"), DKIM: []hooks.AuthVerdict{{Result: "pass", Domain: "esp.example"}}}, false, ""},
		{"provider without DMARC, aligned SPF", "orders@example.net",
			&hooks.MailAuth{Source: ProviderMailgun, SPF: pass("bounces.example.net")}, true, "orders@example.net"},
		{"DMARC none falls back to alignment", "orders@example.net",
			&hooks.MailAuth{SPF: pass("example.net"), DMARC: &hooks.AuthVerdict{Result: hooks.AuthNone, Domain: "example.net"}}, true, "orders@example.net"},
		{"no From", "", dmarc(hooks.AuthPass, "example.net"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pol.Check(&hooks.Email{From: tt.from, Auth: tt.auth})
			if got.Allowed != tt.allowed || got.Identity != tt.identity || got.Reason == "" {
				t.Errorf("got %+v, want allowed=%v identity=%q and a reason", got, tt.allowed, tt.identity)
			}
		})
	}
}

func TestSenderPolicyValidate(t *testing.T) {
	for _, tt := range []struct {
		p  SenderPolicy
		ok bool
	}{
		{SenderPolicy{}, true},
		{SenderPolicy{Mode: "off"}, true},
		{SenderPolicy{Mode: PolicyFlag, Allowed: []string{"example.net", "*.example.org", "a@b.example"}}, true},
		{SenderPolicy{Mode: PolicyReject}, false},
		{SenderPolicy{Mode: "block", Allowed: []string{"example.net"}}, false},
		{SenderPolicy{Mode: PolicyReject, Allowed: []string{"not a domain"}}, false},
		{SenderPolicy{Mode: PolicyReject, Allowed: []string{"@example.net"}}, false},
		{SenderPolicy{Mode: PolicyReject, Allowed: []string{"*.a@example.net"}}, false},
	} {
		err := tt.p.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%+v): got %v, want ok=%v", tt.p, err, tt.ok)
		}
	}
}
