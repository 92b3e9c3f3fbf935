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
		`{"signature":null}`, `{"signature":["topsecret"]}`, `{"auth":"x"}`, `{"signature_configured":true}`, `[]`, `{"x":1}`,
		`{"signature":{"scheme":"github","secrets":["topsecret"]},"add_secret":"topsecret2"}`, `{"add_secret":"x"}`,
		`{"signature":{"scheme":"github","secrets":["topsecret","old"]},"drop_old_secrets":true}`} {
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

func TestRotateSecrets(t *testing.T) {
	s := &Settings{}
	apply := func(doc string) error {
		t.Helper()
		return json.Unmarshal([]byte(doc), s)
	}
	if err := apply(`{"add_secret":"new"}`); err == nil {
		t.Fatal("add_secret without a signature: got nil, want an error")
	}
	if err := apply(`{"auth":"signature","signature":{"scheme":"github","secrets":["first"]}}`); err != nil {
		t.Fatal(err)
	}
	if err := apply(`{"add_secret":"second"}`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Signature.Secrets, ","); got != "second,first" {
		t.Fatalf("after add_secret: got %s, want second,first", got)
	}
	for _, doc := range []string{`{"add_secret":"second"}`, `{"add_secret":""}`} {
		if err := apply(doc); err == nil {
			t.Fatalf("%s: got nil, want an error", doc)
		}
	}
	b, _ := json.Marshal(s.Redacted())
	for _, want := range []string{secretFingerprint("second"), secretFingerprint("first"), `"scheme":"github"`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("Redacted: %s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), `"first"`) || strings.Contains(string(b), `"second"`) {
		t.Fatalf("Redacted shows a secret: %s", b)
	}
	// What the API shows may be sent back.
	if err := apply(string(b)); err != nil || len(s.Signature.Secrets) != 2 {
		t.Fatalf("sending back the redacted form: %v, %v", err, s.Signature)
	}
	if err := apply(`{"drop_old_secrets":true}`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Signature.Secrets, ","); got != "second" {
		t.Fatalf("after drop_old_secrets: got %s, want second", got)
	}
}
