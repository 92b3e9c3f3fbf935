package signature

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		c        Config
		wantType string
		wantErr  error
	}{
		{"standard-webhooks", Config{Scheme: SchemeStandardWebhooks, Secrets: []string{swSecret}}, "*signature.StandardWebhooks", nil},
		{"standard-webhooks tolerance", Config{Scheme: SchemeStandardWebhooks, Secrets: []string{swSecret}, ToleranceSeconds: 60}, "*signature.StandardWebhooks", nil},
		{"github", Config{Scheme: SchemeGitHub, Secrets: []string{ghSecret}}, "*signature.GitHub", nil},
		{"stripe", Config{Scheme: SchemeStripe, Secrets: []string{stSecret}}, "*signature.Stripe", nil},
		{"shopify", Config{Scheme: SchemeShopify, Secrets: []string{shSecret}}, "*signature.Shopify", nil},
		{"hmac", Config{Scheme: SchemeHMAC, Secrets: []string{hmSecret}, Header: "X-Sig", Algorithm: "sha512", Encoding: "base64", Prefix: "s="}, "*signature.HMAC", nil},
		{"unknown scheme", Config{Scheme: "svix", Secrets: []string{"x"}}, "", ErrUnknownScheme},
		{"unknown scheme with header", Config{Scheme: "", Secrets: []string{"x"}, Header: "X"}, "", ErrUnknownScheme},
		{"no secrets", Config{Scheme: SchemeGitHub}, "", ErrNoSecret},
		{"bad standard secret", Config{Scheme: SchemeStandardWebhooks, Secrets: []string{"whsec_%%%"}}, "", ErrInvalidSecret},
		{"header on github", Config{Scheme: SchemeGitHub, Secrets: []string{"s"}, Header: "X-Other"}, "", ErrInvalidConfig},
		{"algorithm on stripe", Config{Scheme: SchemeStripe, Secrets: []string{"s"}, Algorithm: "sha512"}, "", ErrInvalidConfig},
		{"tolerance on shopify", Config{Scheme: SchemeShopify, Secrets: []string{"s"}, ToleranceSeconds: 10}, "", ErrInvalidConfig},
		{"negative tolerance", Config{Scheme: SchemeStripe, Secrets: []string{"s"}, ToleranceSeconds: -1}, "", ErrInvalidConfig},
		{"huge tolerance", Config{Scheme: SchemeStripe, Secrets: []string{"s"}, ToleranceSeconds: 1 << 30}, "", ErrInvalidConfig},
		{"hmac without header", Config{Scheme: SchemeHMAC, Secrets: []string{"s"}}, "", ErrInvalidConfig},
		{"hmac bad algorithm", Config{Scheme: SchemeHMAC, Secrets: []string{"s"}, Header: "X", Algorithm: "sha1"}, "", ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(tt.c)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if got := tt.c.Validate(); !errors.Is(got, tt.wantErr) || (tt.wantErr == nil) != (got == nil) {
				t.Errorf("Validate: got %v, want %v", got, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := reflect.TypeOf(v).String(); got != tt.wantType {
				t.Errorf("got %v, want %v", got, tt.wantType)
			}
			if _, ok := v.(Signer); !ok {
				t.Errorf("got %T without Sign, want a Signer", v)
			}
		})
	}
}

func TestNewToleranceSeconds(t *testing.T) {
	v, err := New(Config{Scheme: SchemeStripe, Secrets: []string{stSecret}, ToleranceSeconds: 60})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.(*Stripe).opts.Tolerance, time.Minute; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	v, err = New(Config{Scheme: SchemeStandardWebhooks, Secrets: []string{swSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.(*StandardWebhooks).opts.Tolerance, DefaultTolerance; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestNewVerifiesVectors builds every scheme from a Config and verifies the
// fixed vectors through it, as the webhook handler will.
func TestNewVerifiesVectors(t *testing.T) {
	stNow := SignStripe(stSecret, time.Now(), []byte(stBody))
	swTS := time.Now()
	swNow, err := SignStandardWebhooks(swSecret, swID, swTS, []byte(swBody))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		c      Config
		header http.Header
		body   string
	}{
		{"standard-webhooks", Config{Scheme: SchemeStandardWebhooks, Secrets: []string{swSecret}},
			swHeader(swID, strconv.FormatInt(swTS.Unix(), 10), swNow), swBody},
		{"github", Config{Scheme: SchemeGitHub, Secrets: []string{ghSecret}},
			http.Header{HeaderGitHubSignature: {ghSig}}, ghBody},
		{"stripe", Config{Scheme: SchemeStripe, Secrets: []string{stSecret}},
			http.Header{HeaderStripeSignature: {stNow}}, stBody},
		{"shopify", Config{Scheme: SchemeShopify, Secrets: []string{shSecret}},
			http.Header{HeaderShopifyHmac: {shSig}}, shBody},
		{"hmac", Config{Scheme: SchemeHMAC, Secrets: []string{hmSecret}, Header: "x-hub-signature-512", Algorithm: "sha512", Prefix: "sha512="},
			http.Header{"X-Hub-Signature-512": {"sha512=" + hmSHA512Hex}}, hmBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(tt.header, []byte(tt.body)); err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if err := v.Verify(tt.header, []byte(tt.body+"x")); Code(err) != "signature_invalid" {
				t.Errorf("tampered: got %v, want signature_invalid", Code(err))
			}
		})
	}
}

func TestConfigRedacted(t *testing.T) {
	c := Config{Scheme: SchemeHMAC, Secrets: []string{"one", "two"}, Header: "X-Sig", Prefix: "p="}
	r := c.Redacted()
	if got, want := r.Secrets, []string{"[redacted]", "[redacted]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, want := c.Secrets[0], "one"; got != want {
		t.Errorf("original changed: got %v, want %v", got, want)
	}
	if r.Header != c.Header || r.Prefix != c.Prefix || r.Scheme != c.Scheme {
		t.Errorf("got %+v, want the other fields of %+v", r, c.Redacted())
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "one") || strings.Contains(string(b), "two") {
		t.Errorf("got %s, want no secrets", b)
	}
	if got := (Config{Scheme: SchemeGitHub}).Redacted().Secrets; got != nil {
		t.Errorf("got %v, want nil", got)
	}
}

func TestConfigJSON(t *testing.T) {
	in := `{"scheme":"hmac","secrets":["a","b"],"header":"X-Sig","algorithm":"sha512","encoding":"base64","prefix":"sha512=","tolerance_seconds":0}`
	var c Config
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := Config{Scheme: "hmac", Secrets: []string{"a", "b"}, Header: "X-Sig", Algorithm: "sha512", Encoding: "base64", Prefix: "sha512="}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
	out, err := json.Marshal(Config{Scheme: "github", Secrets: []string{"s"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"scheme":"github","secrets":["s"]}`; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNewSecret(t *testing.T) {
	tests := []struct {
		scheme     string
		wantPrefix string
		wantLen    int
	}{
		{SchemeStandardWebhooks, "whsec_", 6 + 32},
		{SchemeStripe, "whsec_", 6 + 64},
		{SchemeGitHub, "", 64},
		{SchemeShopify, "", 64},
		{SchemeHMAC, "", 64},
	}
	for _, tt := range tests {
		t.Run(tt.scheme, func(t *testing.T) {
			a, err := NewSecret(tt.scheme)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := NewSecret(tt.scheme)
			if !strings.HasPrefix(a, tt.wantPrefix) || len(a) != tt.wantLen {
				t.Errorf("got %v (len %d), want prefix %q and length %d", a, len(a), tt.wantPrefix, tt.wantLen)
			}
			if a == b {
				t.Errorf("got the same secret twice: %v", a)
			}
			if tt.scheme == SchemeStandardWebhooks {
				key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
				if err != nil || len(key) != 24 {
					t.Errorf("got %d key bytes, %v, want 24, nil", len(key), err)
				}
			}
		})
	}
	if _, err := NewSecret("nope"); !errors.Is(err, ErrUnknownScheme) {
		t.Errorf("got %v, want %v", err, ErrUnknownScheme)
	}
}
