package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/webhook/signature"
)

// DefaultMaxVerifiers is how many hooks' parsed verifiers a Handler keeps
// when Options.MaxVerifiers is zero.
const DefaultMaxVerifiers = 1024

// CodeSignatureConfigInvalid is the error code of a webhook whose stored
// signature configuration cannot be used (unknown scheme, no secret, a
// malformed document). The sender cannot fix it; the hook's administrator
// must, and the Handler logs it at error level.
const CodeSignatureConfigInvalid = "signature_config_invalid"

// signer is one hook's verifier, built from its stored configuration, or
// the reason it could not be built.
type signer struct {
	raw     []byte // the configuration it was built from
	v       signature.Verifier
	scheme  string
	headers []string // signature header names, for redaction
	err     *hooks.Error
}

// verifiers caches each hook's signer by hook ID, rebuilt when the hook's
// configuration bytes change. It holds at most max entries; when full, an
// arbitrary entry is dropped (it is rebuilt on its hook's next request).
type verifiers struct {
	mu  sync.Mutex
	max int
	m   map[string]*signer
}

// signerFor returns the signer of hk, or nil when hk has no signature
// configuration and does not require one.
func (in *intake) signerFor(ctx context.Context, hk *hooks.Hook) *signer {
	raw := hk.Settings.Signature
	if len(raw) == 0 {
		if hk.Settings.Auth == hooks.AuthKey {
			return nil
		}
		// The registry refuses this; a store edited by hand may hold it.
		s := &signer{err: configError(errors.New("auth requires a signature but none is configured"))}
		in.log.ErrorContext(ctx, "inbound: webhook signature configuration is invalid; every post is refused",
			"hook", hk.ID, "err", s.err.Err)
		return s
	}
	c := &in.verifiers
	c.mu.Lock()
	s := c.m[hk.ID]
	c.mu.Unlock()
	if s != nil && bytes.Equal(s.raw, raw) {
		return s
	}
	s = in.build(raw)
	if s.err != nil {
		in.log.ErrorContext(ctx, "inbound: webhook signature configuration is invalid; every post is refused",
			"hook", hk.ID, "err", s.err.Err)
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[hk.ID] = s
	c.mu.Unlock()
	return s
}

// build parses a stored signature.Config and builds its verifier, with
// the Handler's clock for the timestamped schemes.
func (in *intake) build(raw []byte) *signer {
	s := &signer{raw: bytes.Clone(raw)}
	cfg, err := signature.ParseConfig(raw)
	if err == nil {
		s.v, err = signature.New(cfg)
	}
	if err == nil && in.now != nil {
		o := &signature.Options{Tolerance: time.Duration(cfg.ToleranceSeconds) * time.Second, Now: in.now}
		switch cfg.Scheme {
		case signature.SchemeStandardWebhooks:
			s.v, err = signature.NewStandardWebhooks(cfg.Secrets, o)
		case signature.SchemeStripe:
			s.v, err = signature.NewStripe(cfg.Secrets, o)
		}
	}
	if err != nil {
		s.v, s.err = nil, configError(err)
		// Redact the configured header even though the configuration is
		// unusable: a sender may still put a signature in it.
		var probe struct {
			Header string `json:"header"`
		}
		if json.Unmarshal(raw, &probe) == nil && probe.Header != "" {
			s.headers = []string{probe.Header}
		}
		return s
	}
	s.scheme = cfg.Scheme
	s.headers = signature.HeaderNames(s.v)
	return s
}

func configError(err error) *hooks.Error {
	return &hooks.Error{Status: http.StatusUnauthorized, Code: CodeSignatureConfigInvalid,
		Message: "this webhook's signature configuration is invalid; its administrator must correct it",
		Err:     &challenge{err: err}}
}

// challenge marks a signature failure, so that the answer carries a
// Signature challenge in WWW-Authenticate instead of Bearer.
type challenge struct {
	scheme string
	err    error
}

func (c *challenge) Error() string { return c.err.Error() }
func (c *challenge) Unwrap() error { return c.err }

// header is the WWW-Authenticate value for the failure.
func (c *challenge) header() string {
	if c.scheme == "" {
		return `Signature realm="webhook"`
	}
	return `Signature realm="webhook", scheme="` + c.scheme + `"`
}

// verifyError turns a Verify error into the 401 the sender sees, with a
// stable code from signature.Code.
func (s *signer) verifyError(err error) *hooks.Error {
	code := signature.Code(err)
	var msg string
	switch {
	case errors.Is(err, signature.ErrMissingSignature):
		msg = "a signature is required: the " + s.scheme + " signature headers are missing"
	case errors.Is(err, signature.ErrMalformedHeader):
		msg = "the " + s.scheme + " signature header is malformed"
	case errors.Is(err, signature.ErrTimestampOutOfTolerance):
		msg = "the signed timestamp is outside the accepted window; check the sender's clock, or this is a replay"
	default:
		code = hooks.CodeSignatureInvalid
		msg = "the signature does not match the body"
	}
	return &hooks.Error{Status: http.StatusUnauthorized, Code: code, Message: msg,
		Err: &challenge{scheme: s.scheme, err: err}}
}

// writeChallenge sets WWW-Authenticate for a signature failure.
func writeChallenge(w http.ResponseWriter, res *hooks.Result) {
	var c *challenge
	if res.Err != nil && res.Err.Status == http.StatusUnauthorized && errors.As(res.Err, &c) {
		w.Header().Set("WWW-Authenticate", c.header())
	}
}

// CheckSignatureConfig reports whether raw, a hook's Settings.Signature, is
// a configuration the Handler can use, with the Handler's strict parse
// (unknown fields and trailing data are refused) and signature.New's
// checks. An admin API can call it before storing a configuration, so that
// a mistake is refused at once instead of failing every post with 401
// signature_config_invalid. The error never contains a secret.
func CheckSignatureConfig(raw []byte) error {
	cfg, err := signature.ParseConfig(raw)
	if err != nil {
		return err
	}
	_, err = signature.New(cfg)
	return err
}
