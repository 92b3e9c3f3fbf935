package signature

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Scheme names accepted in Config.Scheme and by NewSecret.
const (
	SchemeStandardWebhooks = "standard-webhooks"
	SchemeGitHub           = "github"
	SchemeStripe           = "stripe"
	SchemeShopify          = "shopify"
	SchemeHMAC             = "hmac"
)

// Config is the serializable description of a verifier, as a hook stores
// it. Secrets are kept in clear here: store it as a secret and show it with
// Redacted.
type Config struct {
	// Scheme is one of the Scheme constants.
	Scheme string `json:"scheme"`
	// Secrets are the active secrets, newest first: any of them may match,
	// and the first is the one Sign uses. At most 16.
	Secrets []string `json:"secrets"`
	// Header is the signature header of the "hmac" scheme; other schemes
	// must leave it empty.
	Header string `json:"header,omitempty"`
	// Algorithm is "sha256" (default) or "sha512", "hmac" scheme only.
	Algorithm string `json:"algorithm,omitempty"`
	// Encoding is "hex" (default) or "base64", "hmac" scheme only.
	Encoding string `json:"encoding,omitempty"`
	// Prefix is the optional signature prefix, "hmac" scheme only.
	Prefix string `json:"prefix,omitempty"`
	// ToleranceSeconds is the timestamp tolerance of "standard-webhooks"
	// and "stripe"; zero means 300 (5 minutes). Other schemes must leave it
	// zero.
	ToleranceSeconds int `json:"tolerance_seconds,omitempty"`
}

// redactedSecret replaces each secret in Config.Redacted.
const redactedSecret = "[redacted]"

// Redacted returns a copy of c, for display or logging, whose secrets are
// each replaced with "[redacted]" (so the count stays visible).
func (c Config) Redacted() Config {
	if c.Secrets != nil {
		s := make([]string, len(c.Secrets))
		for i := range s {
			s[i] = redactedSecret
		}
		c.Secrets = s
	}
	return c
}

// ParseConfig decodes a Config from its JSON form strictly: unknown fields
// and trailing data are errors wrapping ErrInvalidConfig. It does not
// validate the values; call Validate (or New) for that.
func ParseConfig(raw []byte) (Config, error) {
	var cfg Config
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("%w: trailing data after the configuration", ErrInvalidConfig)
	}
	return cfg, nil
}

// Validate reports whether New would accept c.
func (c Config) Validate() error {
	_, err := New(c)
	return err
}

// New builds the verifier c describes, using the real clock. The returned
// value is one of *StandardWebhooks, *Stripe, *GitHub, *Shopify or *HMAC,
// so it also implements HeaderNamer and Signer (and DeliveryIDer where the
// scheme has a delivery id).
func New(c Config) (Verifier, error) {
	switch c.Scheme {
	case SchemeStandardWebhooks, SchemeStripe, SchemeGitHub, SchemeShopify, SchemeHMAC:
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownScheme, c.Scheme)
	}
	hmacOnly := c.Header != "" || c.Algorithm != "" || c.Encoding != "" || c.Prefix != ""
	if c.Scheme != SchemeHMAC && hmacOnly {
		return nil, fmt.Errorf("%w: header, algorithm, encoding and prefix apply only to the %q scheme", ErrInvalidConfig, SchemeHMAC)
	}
	timed := c.Scheme == SchemeStandardWebhooks || c.Scheme == SchemeStripe
	if c.ToleranceSeconds != 0 && !timed {
		return nil, fmt.Errorf("%w: tolerance_seconds applies only to timestamped schemes", ErrInvalidConfig)
	}
	if c.ToleranceSeconds < 0 || c.ToleranceSeconds > 7*24*3600 {
		return nil, fmt.Errorf("%w: tolerance_seconds out of range", ErrInvalidConfig)
	}
	o := &Options{Tolerance: time.Duration(c.ToleranceSeconds) * time.Second}
	switch c.Scheme {
	case SchemeStandardWebhooks:
		return NewStandardWebhooks(c.Secrets, o)
	case SchemeStripe:
		return NewStripe(c.Secrets, o)
	case SchemeGitHub:
		return NewGitHub(c.Secrets)
	case SchemeShopify:
		return NewShopify(c.Secrets)
	case SchemeHMAC:
		return NewHMAC(c.Header, c.Secrets, HMACOptions{
			Algorithm: Algorithm(c.Algorithm),
			Encoding:  Encoding(c.Encoding),
			Prefix:    c.Prefix,
		})
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownScheme, c.Scheme)
}

// NewSecret returns a new random secret, from crypto/rand, in the form the
// scheme uses: for Standard Webhooks "whsec_" and the base64 of 24 random
// bytes; for Stripe "whsec_" and 64 hex digits; for the others 64 hex
// digits (32 bytes). Stripe and Shopify issue their own secrets; these are
// for tests and for hosts acting as the sender.
func NewSecret(scheme string) (string, error) {
	switch scheme {
	case SchemeStandardWebhooks:
		b := make([]byte, 24)
		rand.Read(b) // never returns an error
		return StandardWebhooksSecretPrefix + base64.StdEncoding.EncodeToString(b), nil
	case SchemeStripe, SchemeGitHub, SchemeShopify, SchemeHMAC:
		b := make([]byte, 32)
		rand.Read(b) // never returns an error
		s := hex.EncodeToString(b)
		if scheme == SchemeStripe {
			s = "whsec_" + s
		}
		return s, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownScheme, scheme)
}
