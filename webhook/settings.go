package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/intake"
	"github.com/inbound-hooks/inbound/webhook/signature"
)

// KindName is the name of the webhook kind, as hooks store it and the
// admin API's "type" gives it.
const KindName hooks.Kind = "web"

// AuthMode says how a webhook authenticates its sender.
type AuthMode string

// The webhook authentication modes.
const (
	AuthKey             AuthMode = ""          // an API key with the org.hooks role (default)
	AuthSignature       AuthMode = "signature" // a valid signature; no API key
	AuthKeyAndSignature AuthMode = "both"      // both an API key and a valid signature
)

// Settings are a webhook's settings (hooks.Hook.Settings of a webhook is a
// *Settings). The zero value is the default: an API key, no signature. In
// the admin API they are set with
//
//	{"auth": "signature", "signature": {"scheme": "github", "secrets": ["..."]}}
//
// ("signature": null removes the configuration) and shown as
// {"auth": "signature", "signature_configured": true, "signature_info":
// {...}}: the configuration without its secrets, and for each secret,
// newest first, a fingerprint (secretFingerprint); the secrets are never
// shown. Secrets rotate without being sent back:
//
//	{"add_secret": "<new secret>"}    the new secret signs from now on;
//	                                  the others still verify (overlap)
//	{"drop_old_secrets": true}        keep only the newest secret
//
// Both need a configured signature; they apply after "signature".
type Settings struct {
	// Auth says what a webhook requires: AuthKey (""), AuthSignature
	// ("signature") or AuthKeyAndSignature ("both").
	Auth AuthMode `json:"auth"`
	// Signature configures the signature scheme (package
	// webhook/signature); nil means none. It is required when Auth uses a
	// signature.
	Signature *signature.Config `json:"signature,omitempty"`

	// badSignature is a stored signature document that cannot be read,
	// kept so that the hook fails closed (every post is refused with 401
	// signature_config_invalid) rather than as if it had none; sigErr is
	// why.
	badSignature json.RawMessage
	sigErr       error
}

var _ hooks.Settings = (*Settings)(nil)

// Validate checks the mode and the signature configuration with
// signature.New's checks; its messages never contain a secret.
func (s *Settings) Validate() error {
	switch s.Auth {
	case AuthKey, AuthSignature, AuthKeyAndSignature:
	default:
		return &hooks.ValidationError{Field: "auth", Reason: `must be "", "signature" or "both"`}
	}
	if s.sigErr != nil {
		return &hooks.ValidationError{Field: "signature", Reason: s.sigErr.Error()}
	}
	if s.Auth != AuthKey && s.Signature == nil {
		return &hooks.ValidationError{Field: "signature", Reason: "is required when auth uses a signature"}
	}
	if s.Signature != nil {
		if err := s.Signature.Validate(); err != nil {
			return &hooks.ValidationError{Field: "signature", Reason: err.Error()}
		}
	}
	return nil
}

// Redacted is what the admin API shows: the mode and whether a signature
// is configured, never the configuration (it holds the secrets).
func (s *Settings) Redacted() any {
	out := struct {
		Auth                AuthMode       `json:"auth"`
		SignatureConfigured bool           `json:"signature_configured"`
		SignatureInfo       *signatureInfo `json:"signature_info,omitempty"`
	}{Auth: s.Auth, SignatureConfigured: s.Signature != nil || s.badSignature != nil}
	if s.Signature != nil {
		c := s.Signature.Redacted()
		info := &signatureInfo{Config: c, Secrets: make([]secretInfo, len(s.Signature.Secrets))}
		info.Config.Secrets = nil
		for i, sec := range s.Signature.Secrets {
			info.Secrets[i] = secretInfo{Fingerprint: secretFingerprint(sec)}
		}
		out.SignatureInfo = info
	}
	return out
}

// signatureInfo is what the admin API shows of a signature configuration.
type signatureInfo struct {
	signature.Config
	Secrets []secretInfo `json:"secrets"`
}

type secretInfo struct {
	Fingerprint string `json:"fingerprint"`
}

// secretFingerprint names a secret without showing it: "sha256:" and the
// first 8 hex digits of its SHA-256. It tells secrets apart in the admin
// page; for a secret of little entropy it narrows a guess, so choose
// random secrets (as providers issue them).
func secretFingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

// maxSecrets is how many secrets signature.New accepts.
const maxSecrets = 16

// settingsJSON is the JSON form of Settings; signature_configured is
// accepted (so that what the admin API shows may be sent back) and
// ignored.
type settingsJSON struct {
	Auth                *AuthMode       `json:"auth"`
	Signature           json.RawMessage `json:"signature"`
	SignatureConfigured *bool           `json:"signature_configured"`
	SignatureInfo       json.RawMessage `json:"signature_info"` // shown, ignored
	AddSecret           *string         `json:"add_secret"`
	DropOldSecrets      bool            `json:"drop_old_secrets"`
}

// UnmarshalJSON sets the members data has and leaves the others, so that a
// PATCH changes only what it gives. The signature configuration is parsed
// strictly (signature.ParseConfig) and replaced as a whole; one that
// cannot be parsed is kept aside and makes Validate fail.
func (s *Settings) UnmarshalJSON(data []byte) error {
	var in settingsJSON
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&in); err != nil {
		if msg, ok := bytes.CutPrefix([]byte(err.Error()), []byte("json: unknown field ")); ok {
			return &hooks.ValidationError{Field: "settings", Reason: "unknown setting " + string(msg)}
		}
		return &hooks.ValidationError{Field: "settings", Reason: "must be a JSON object of webhook settings"}
	}
	if in.Auth != nil {
		s.Auth = *in.Auth
	}
	switch {
	case len(in.Signature) == 0:
	case string(in.Signature) == "null":
		s.Signature, s.badSignature, s.sigErr = nil, nil, nil
	default:
		cfg, err := signature.ParseConfig(in.Signature)
		if err != nil {
			s.Signature, s.badSignature, s.sigErr = nil, bytes.Clone(in.Signature), err
		} else {
			s.Signature, s.badSignature, s.sigErr = &cfg, nil, nil
		}
	}
	if in.AddSecret == nil && !in.DropOldSecrets {
		return nil
	}
	if s.Signature == nil {
		return &hooks.ValidationError{Field: "signature", Reason: "no signature is configured to rotate the secrets of"}
	}
	cfg := *s.Signature // a copy: the stored value is shared with readers
	if in.AddSecret != nil {
		if *in.AddSecret == "" {
			return &hooks.ValidationError{Field: "add_secret", Reason: "must not be empty"}
		}
		if slices.Contains(cfg.Secrets, *in.AddSecret) {
			return &hooks.ValidationError{Field: "add_secret", Reason: "is already one of the secrets"}
		}
		if len(cfg.Secrets) >= maxSecrets {
			return &hooks.ValidationError{Field: "add_secret", Reason: fmt.Sprintf("at most %d secrets; drop the old ones first", maxSecrets)}
		}
		cfg.Secrets = append([]string{*in.AddSecret}, cfg.Secrets...)
	}
	if in.DropOldSecrets && len(cfg.Secrets) > 1 {
		cfg.Secrets = cfg.Secrets[:1:1]
	}
	s.Signature = &cfg
	return nil
}

// MarshalJSON writes the settings as they are stored, secrets included,
// and an unreadable stored signature document as it was.
func (s *Settings) MarshalJSON() ([]byte, error) {
	out := struct {
		Auth      AuthMode `json:"auth"`
		Signature any      `json:"signature,omitempty"`
	}{Auth: s.Auth}
	switch {
	case s.Signature != nil:
		out.Signature = s.Signature
	case s.badSignature != nil:
		out.Signature = s.badSignature
	}
	return json.Marshal(out)
}

// settingsOf returns hk's settings (see intake.SettingsOf).
func settingsOf(hk *hooks.Hook) *Settings { return intake.SettingsOf[Settings](hk) }

// CheckSignatureConfig reports whether raw, a signature configuration as
// Settings.Signature holds it in JSON, is one the Handler can use, with
// the Handler's strict parse (unknown fields and trailing data are
// refused) and signature.New's checks. Settings.Validate runs the same
// checks when a hook is saved. The error never contains a secret.
func CheckSignatureConfig(raw []byte) error {
	cfg, err := signature.ParseConfig(raw)
	if err != nil {
		return err
	}
	_, err = signature.New(cfg)
	return err
}

// errNoSignature is the configuration error of a hook whose mode needs a
// signature it does not have (a store edited by hand).
var errNoSignature = errors.New("auth requires a signature but none is configured")
