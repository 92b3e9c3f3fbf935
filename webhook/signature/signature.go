package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"time"
)

// Verifier checks the signature of one webhook request.
//
// Verify is given the request headers and the exact raw body bytes, before
// anything is parsed. It returns nil when the request is authentic, and
// otherwise an error wrapping one of ErrMissingSignature,
// ErrMalformedHeader, ErrInvalidSignature or ErrTimestampOutOfTolerance.
// It must not modify header or body, nor keep them after it returns.
//
// Verifiers are called concurrently from many requests; every
// implementation in this package is immutable after construction and safe
// for concurrent use.
type Verifier interface {
	Verify(header http.Header, body []byte) error
}

// VerifierFunc adapts an ordinary function to the Verifier interface, for a
// host's own scheme.
type VerifierFunc func(header http.Header, body []byte) error

// Verify calls f(header, body).
func (f VerifierFunc) Verify(header http.Header, body []byte) error { return f(header, body) }

var _ Verifier = VerifierFunc(nil)

// DeliveryIDer is implemented by verifiers whose scheme carries a delivery
// id: in a header (Standard Webhooks' webhook-id, GitHub's
// X-GitHub-Delivery, Shopify's X-Shopify-Webhook-Id) or in the body
// (Stripe's event id, the top-level "id" of the JSON event). A caller uses
// it as an idempotency key, and only after Verify passed on the same
// header and body. DeliveryID returns "" when the request has none. It
// must not modify header or body, nor keep them. Safe for concurrent use.
type DeliveryIDer interface {
	DeliveryID(header http.Header, body []byte) string
}

// DeliveryID returns v's delivery id for a request, or "" when v does not
// implement DeliveryIDer or the request has none.
func DeliveryID(v Verifier, header http.Header, body []byte) string {
	if d, ok := v.(DeliveryIDer); ok {
		return d.DeliveryID(header, body)
	}
	return ""
}

// HeaderNamer is implemented by verifiers that can name the request headers
// carrying their signatures, so that a caller (the debug log) can redact
// them. Names are in canonical form. Safe for concurrent use.
type HeaderNamer interface {
	HeaderNames() []string
}

// HeaderNames returns the names of the headers carrying v's signatures, or
// nil when v does not implement HeaderNamer.
func HeaderNames(v Verifier) []string {
	if n, ok := v.(HeaderNamer); ok {
		return n.HeaderNames()
	}
	return nil
}

// Signer is implemented by verifiers that can also sign: Sign sets on
// header the signature headers for body, with the first configured secret
// and, where the scheme is timestamped, the verifier's clock. It is meant
// for tests and for hosts that forward signed requests. Safe for
// concurrent use.
type Signer interface {
	Sign(header http.Header, body []byte) error
}

// Algorithm names the hash function of an HMAC.
type Algorithm string

// Algorithms accepted by the generic HMAC scheme.
const (
	SHA256 Algorithm = "sha256"
	SHA512 Algorithm = "sha512"
)

// Encoding names how a signature is written in its header.
type Encoding string

// Encodings accepted by the generic HMAC scheme. Base64 is the standard
// alphabet; padding is optional when verifying and written when signing.
const (
	Hex    Encoding = "hex"
	Base64 Encoding = "base64"
)

const (
	// DefaultTolerance is how far a signed timestamp may be from the
	// verifier's clock, in the past or the future, when Options.Tolerance is
	// zero.
	DefaultTolerance = 5 * time.Minute

	// maxSignatures bounds how many entries of a signature list are
	// considered; later ones are ignored.
	maxSignatures = 32
	// maxHeaderLen bounds the length of a signature header value.
	maxHeaderLen = 8 << 10
	// maxSecrets bounds how many secrets a verifier holds (each costs one
	// HMAC per request).
	maxSecrets = 16
	// maxIDLen bounds the Standard Webhooks message id.
	maxIDLen = 256
	// maxTimestampLen bounds a decimal Unix timestamp.
	maxTimestampLen = 19
)

// Options holds the optional settings of the timestamped schemes (Standard
// Webhooks and Stripe). The zero value works.
type Options struct {
	// Tolerance is how far the signed timestamp may be from Now, in the
	// past or in the future. Zero means DefaultTolerance (5 minutes);
	// negative is an error.
	Tolerance time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// resolve validates o and fills in the defaults.
func (o *Options) resolve() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Tolerance < 0 {
		return r, fmt.Errorf("%w: negative tolerance", ErrInvalidConfig)
	}
	if r.Tolerance == 0 {
		r.Tolerance = DefaultTolerance
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r, nil
}

// withinTolerance reports whether ts (Unix seconds) is within tol of now.
func withinTolerance(now time.Time, ts int64, tol time.Duration) bool {
	d := now.Sub(time.Unix(ts, 0)) // saturates, never overflows
	return d >= -tol && d <= tol
}

// parseTimestamp parses a non-negative decimal Unix timestamp, digits only.
func parseTimestamp(s string) (int64, bool) {
	if s == "" || len(s) > maxTimestampLen {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// rawKeys converts secrets used verbatim as HMAC keys, after checking them.
func rawKeys(secrets []string) ([][]byte, error) {
	if err := checkSecretCount(secrets); err != nil {
		return nil, err
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		if s == "" {
			return nil, fmt.Errorf("%w: secret %d is empty", ErrNoSecret, i)
		}
		keys[i] = []byte(s)
	}
	return keys, nil
}

func checkSecretCount(secrets []string) error {
	if len(secrets) == 0 {
		return ErrNoSecret
	}
	if len(secrets) > maxSecrets {
		return fmt.Errorf("%w: more than %d secrets", ErrInvalidConfig, maxSecrets)
	}
	return nil
}

// hashFunc returns the constructor and digest size of alg.
func hashFunc(alg Algorithm) (func() hash.Hash, int, bool) {
	switch alg {
	case SHA256:
		return sha256.New, sha256.Size, true
	case SHA512:
		return sha512.New, sha512.Size, true
	}
	return nil, 0, false
}

// candidates holds the decoded signatures presented in one header, on the
// stack: at most maxSignatures of at most sha512.Size bytes each.
type candidates struct {
	n    int
	size int
	buf  [maxSignatures][sha512.Size]byte
}

// add decodes s with enc and keeps it when it is exactly c.size bytes long.
// It reports false when s is not a well-formed signature.
func (c *candidates) add(enc Encoding, s string) bool {
	if c.n >= maxSignatures {
		return true
	}
	var tmp [sha512.Size + 3]byte
	var n int
	switch enc {
	case Hex:
		if len(s) != 2*c.size {
			return false
		}
		var err error
		if n, err = hex.Decode(tmp[:], []byte(s)); err != nil {
			return false
		}
	case Base64:
		// Strict: non-zero padding bits would give one signature several
		// spellings.
		e := base64.StdEncoding.Strict()
		if len(s)%4 != 0 {
			e = base64.RawStdEncoding.Strict()
		}
		if len(s) > base64.StdEncoding.EncodedLen(c.size) || e.DecodedLen(len(s)) > len(tmp) {
			return false
		}
		var err error
		if n, err = e.Decode(tmp[:], []byte(s)); err != nil {
			return false
		}
	default:
		return false
	}
	if n != c.size {
		return false
	}
	copy(c.buf[c.n][:], tmp[:n])
	c.n++
	return true
}

// match computes, for each key, the HMAC of the message that write produces,
// and reports whether it equals any candidate. Comparisons use hmac.Equal.
func (c *candidates) match(newHash func() hash.Hash, keys [][]byte, write func(h hash.Hash)) bool {
	if c.n == 0 {
		return false
	}
	var sum [sha512.Size]byte
	for _, k := range keys {
		m := hmac.New(newHash, k)
		write(m)
		got := m.Sum(sum[:0])
		for i := 0; i < c.n; i++ {
			if hmac.Equal(got, c.buf[i][:c.size]) {
				return true
			}
		}
	}
	return false
}

// mac returns the HMAC of the parts under key.
func mac(newHash func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// encode writes sum in enc.
func encode(enc Encoding, sum []byte) string {
	if enc == Base64 {
		return base64.StdEncoding.EncodeToString(sum)
	}
	return hex.EncodeToString(sum)
}

// headerValue fetches a signature header, bounded in length.
func headerValue(h http.Header, name string) (string, error) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return "", fmt.Errorf("%w: %s", ErrMissingSignature, name)
	}
	if len(v) > maxHeaderLen {
		return "", fmt.Errorf("%w: %s longer than %d bytes", ErrMalformedHeader, name, maxHeaderLen)
	}
	return v, nil
}

// noMatch builds the error for a header that yielded no matching signature:
// invalid when any well-formed signature of the right version was present,
// malformed when only unparsable ones were, invalid otherwise.
func noMatch(name string, wellFormed, malformed int, version string) error {
	switch {
	case wellFormed > 0:
		return fmt.Errorf("%w: %s", ErrInvalidSignature, name)
	case malformed > 0:
		return fmt.Errorf("%w: %s has no well-formed signature", ErrMalformedHeader, name)
	default:
		return fmt.Errorf("%w: %s has no %s signature", ErrInvalidSignature, name, version)
	}
}
