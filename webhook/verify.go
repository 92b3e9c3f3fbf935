package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
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

// signer is one hook revision's verifier, built from its settings, or the
// reason it could not be built.
type signer struct {
	rev     int64 // the hook revision it was built for
	v       signature.Verifier
	scheme  string
	headers []string // signature header names, for redaction
	err     *hooks.Error
}

// verifiers caches each hook's signer by hook ID, rebuilt when the hook's
// revision changes. It holds at most max entries; when full, an arbitrary
// entry is dropped (it is rebuilt on its hook's next request).
type verifiers struct {
	mu  sync.Mutex
	max int
	m   map[string]*signer
}

// signerFor returns the signer of hk, whose settings are st, or nil when
// hk has no signature configuration and does not require one.
func (in *webIntake) signerFor(ctx context.Context, hk *hooks.Hook, st *Settings) *signer {
	if st.Signature == nil && st.badSignature == nil && st.Auth == AuthKey {
		return nil
	}
	c := &in.verifiers
	c.mu.Lock()
	s := c.m[hk.ID]
	c.mu.Unlock()
	if s != nil && s.rev == hk.Revision {
		return s
	}
	s = in.build(st)
	s.rev = hk.Revision
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

// build builds the verifier of st's signature configuration, with the
// Handler's clock for the timestamped schemes.
func (in *webIntake) build(st *Settings) *signer {
	s := &signer{}
	var err error
	switch {
	case st.sigErr != nil:
		err = st.sigErr
	case st.Signature == nil:
		// The registry refuses this; a store edited by hand may hold it.
		err = errNoSignature
	default:
		cfg := *st.Signature
		s.v, err = signature.New(cfg)
		if err == nil && in.now != nil {
			o := &signature.Options{Tolerance: time.Duration(cfg.ToleranceSeconds) * time.Second, Now: in.now}
			switch cfg.Scheme {
			case signature.SchemeStandardWebhooks:
				s.v, err = signature.NewStandardWebhooks(cfg.Secrets, o)
			case signature.SchemeStripe:
				s.v, err = signature.NewStripe(cfg.Secrets, o)
			}
		}
		if err == nil {
			s.scheme = cfg.Scheme
			s.headers = signature.HeaderNames(s.v)
			return s
		}
	}
	s.v, s.err = nil, configError(err)
	// Redact the configured header even though the configuration is
	// unusable: a sender may still put a signature in it.
	var probe struct {
		Header string `json:"header"`
	}
	switch {
	case st.Signature != nil && st.Signature.Header != "":
		s.headers = []string{st.Signature.Header}
	case st.badSignature != nil && json.Unmarshal(st.badSignature, &probe) == nil && probe.Header != "":
		s.headers = []string{probe.Header}
	}
	return s
}

// challenge returns the WWW-Authenticate header of a signature failure: a
// Signature challenge instead of Bearer.
func challenge(scheme string) http.Header {
	v := `Signature realm="webhook"`
	if scheme != "" {
		v += `, scheme="` + scheme + `"`
	}
	return http.Header{"Www-Authenticate": {v}}
}

func configError(err error) *hooks.Error {
	return &hooks.Error{Status: http.StatusUnauthorized, Code: CodeSignatureConfigInvalid,
		Message: "this webhook's signature configuration is invalid; its administrator must correct it",
		Header:  challenge(""), Err: err}
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
		code = errcode.SignatureInvalid
		msg = "the signature does not match the body"
	}
	return &hooks.Error{Status: http.StatusUnauthorized, Code: code, Message: msg,
		Header: challenge(s.scheme), Err: err}
}
