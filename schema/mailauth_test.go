package schema_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
)

// TestEmailAuthInSchema checks an email event carrying verdicts and a
// sender policy verdict against the schema, and a bad verdict against it.
func TestEmailAuthInSchema(t *testing.T) {
	s := compile(t)
	e := &hooks.Event{ID: "06h30000000000000000000000", HookID: "h", HookKind: "email", HookName: "Orders",
		ReceivedAt: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC), Data: map[string]any{
			"from": "shop@example.net", "to": []any{}, "cc": []any{}, "recipients": []any{"t@in.example.com"},
			"subject": "Order", "message_id": "a@example.net"},
		ContentType: "message/rfc822",
		Email: &hooks.Email{From: "shop@example.net", Recipients: []string{"t@in.example.com"}, Subject: "Order",
			Objects: []map[string]any{},
			Auth: &hooks.MailAuth{Source: hooks.AuthSourceLocal,
				SPF:     &hooks.AuthVerdict{Result: hooks.AuthPass, Domain: "example.net"},
				DKIM:    []hooks.AuthVerdict{{Result: hooks.AuthFail, Domain: "example.net", Reason: "body hash mismatch"}},
				DMARC:   &hooks.AuthVerdict{Result: hooks.AuthPass, Domain: "example.net", Policy: "reject"},
				Summary: "mx; spf=pass smtp.mailfrom=b@example.net; dkim=fail header.d=example.net; dmarc=pass header.from=example.net"},
			Sender: &hooks.SenderCheck{Allowed: true, Identity: "shop@example.net", Reason: "allowed domain example.net"},
		}}
	line, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(s, line); err != nil {
		t.Fatalf("event with verdicts: %v\n%s", err, line)
	}
	e.Email.Auth.SPF.Result = "maybe"
	line, _ = json.Marshal(e)
	if err := validate(s, line); err == nil {
		t.Fatal("an unknown SPF result was accepted")
	}
}
