package webhook

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
)

// FuzzSettingsJSON decodes arbitrary settings documents as the Registry
// and the admin API do: decoding fails or gives settings whose Validate
// passes or names the setting; what passes survives a round trip through
// its stored JSON; no message repeats a secret.
func FuzzSettingsJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"auth":"signature","signature":{"scheme":"github","secrets":["topsecret"]}}`,
		`{"auth":"both","signature":{"scheme":"hmac","header":"X-Sig","secrets":["topsecret"],"encoding":"base64"}}`,
		`{"signature":null}`, `{"signature":["topsecret"]}`, `{"auth":"x"}`, `{"signature_configured":true}`, `[]`, `{"x":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s := &Settings{}
		if err := json.Unmarshal(doc, s); err != nil {
			var ve *hooks.ValidationError
			if !errors.As(err, &ve) && !strings.HasPrefix(err.Error(), "json: ") && !strings.Contains(err.Error(), "invalid character") &&
				!strings.Contains(err.Error(), "unexpected end") {
				t.Fatalf("decode %q: got %T %v", doc, err, err)
			}
			return
		}
		err := s.Validate()
		if err != nil {
			var ve *hooks.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate %q: got %T %v, want a *ValidationError", doc, err, err)
			}
			if strings.Contains(err.Error(), "topsecret") {
				t.Fatalf("Validate %q: the message shows a secret: %v", doc, err)
			}
			return
		}
		stored, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again := &Settings{}
		if err := json.Unmarshal(stored, again); err != nil || again.Validate() != nil {
			t.Fatalf("round trip of %q through %s: %v", doc, stored, err)
		}
		if b, _ := json.Marshal(s.Redacted()); strings.Contains(string(b), "topsecret") {
			t.Fatalf("Redacted shows a secret: %s", b)
		}
	})
}
