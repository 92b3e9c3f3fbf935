package signature

import (
	"fmt"
	"hash"
	"net/http"
	"strings"
)

// single verifies one signature in one header: the HMAC of the body,
// encoded, after an optional prefix. GitHub, Shopify and HMAC share it.
type single struct {
	header  string
	prefix  string
	alg     Algorithm
	enc     Encoding
	newHash func() hash.Hash
	size    int
	keys    [][]byte
}

func newSingle(header, prefix string, alg Algorithm, enc Encoding, secrets []string) (single, error) {
	keys, err := rawKeys(secrets)
	if err != nil {
		return single{}, err
	}
	newHash, size, ok := hashFunc(alg)
	if !ok {
		return single{}, fmt.Errorf("%w: unknown algorithm %q", ErrInvalidConfig, alg)
	}
	if enc != Hex && enc != Base64 {
		return single{}, fmt.Errorf("%w: unknown encoding %q", ErrInvalidConfig, enc)
	}
	return single{header: header, prefix: prefix, alg: alg, enc: enc, newHash: newHash, size: size, keys: keys}, nil
}

func (s *single) verify(header http.Header, body []byte) error {
	v, err := headerValue(header, s.header)
	if err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(v, s.prefix)
	if !ok {
		return fmt.Errorf("%w: %s lacks the %q prefix", ErrMalformedHeader, s.header, s.prefix)
	}
	c := candidates{size: s.size}
	if !c.add(s.enc, strings.TrimSpace(rest)) {
		return fmt.Errorf("%w: %s is not a %s %s signature", ErrMalformedHeader, s.header, s.enc, s.alg)
	}
	if !c.match(s.newHash, s.keys, func(h hash.Hash) { h.Write(body) }) {
		return fmt.Errorf("%w: %s", ErrInvalidSignature, s.header)
	}
	return nil
}

func (s *single) sign(body []byte) string {
	return s.prefix + encode(s.enc, mac(s.newHash, s.keys[0], body))
}

// HMAC verifies a generic HMAC scheme: one header holding Prefix followed by
// the HMAC (SHA-256 or SHA-512) of the raw body, in hex or base64, keyed
// with a secret used verbatim. It has no timestamp, so it gives no replay
// protection by itself. It implements Verifier, HeaderNamer and Signer, and
// is safe for concurrent use.
type HMAC struct{ s single }

var (
	_ Verifier    = (*HMAC)(nil)
	_ HeaderNamer = (*HMAC)(nil)
	_ Signer      = (*HMAC)(nil)
)

// HMACOptions holds the optional settings of the generic HMAC scheme. The
// zero value means SHA-256, hex, no prefix.
type HMACOptions struct {
	// Algorithm is SHA256 (the default when empty) or SHA512. "SHA-256" and
	// "sha-512" spellings are accepted too.
	Algorithm Algorithm
	// Encoding is Hex (the default when empty) or Base64.
	Encoding Encoding
	// Prefix, if set, must start the header value, for example "sha256=".
	// It is matched exactly, case included.
	Prefix string
}

// resolve validates o and fills in the defaults.
func (o HMACOptions) resolve() (HMACOptions, error) {
	switch strings.ToLower(strings.ReplaceAll(string(o.Algorithm), "-", "")) {
	case "", "sha256":
		o.Algorithm = SHA256
	case "sha512":
		o.Algorithm = SHA512
	default:
		return o, fmt.Errorf("%w: unknown algorithm %q", ErrInvalidConfig, o.Algorithm)
	}
	switch strings.ToLower(string(o.Encoding)) {
	case "", "hex":
		o.Encoding = Hex
	case "base64":
		o.Encoding = Base64
	default:
		return o, fmt.Errorf("%w: unknown encoding %q", ErrInvalidConfig, o.Encoding)
	}
	if len(o.Prefix) > 64 || strings.ContainsAny(o.Prefix, "\r\n") {
		return o, fmt.Errorf("%w: prefix too long or not a header value", ErrInvalidConfig)
	}
	return o, nil
}

// NewHMAC returns a verifier reading the signature from the named header,
// for the given secrets (used verbatim). The first secret is the one Sign
// uses.
func NewHMAC(header string, secrets []string, o HMACOptions) (*HMAC, error) {
	if !validHeaderName(header) {
		return nil, fmt.Errorf("%w: bad header name", ErrInvalidConfig)
	}
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	s, err := newSingle(http.CanonicalHeaderKey(header), o.Prefix, o.Algorithm, o.Encoding, secrets)
	if err != nil {
		return nil, err
	}
	return &HMAC{s: s}, nil
}

// validHeaderName reports whether name is a non-empty HTTP token.
func validHeaderName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Verify checks the request's signature header against every secret.
func (v *HMAC) Verify(header http.Header, body []byte) error { return v.s.verify(header, body) }

// HeaderNames returns the configured header name, canonicalized.
func (v *HMAC) HeaderNames() []string { return []string{v.s.header} }

// Sign sets the signature header for body with the first secret.
func (v *HMAC) Sign(header http.Header, body []byte) error {
	header.Set(v.s.header, v.s.sign(body))
	return nil
}

// SignHMAC returns the signature header value (prefix included) for body
// with secret, used verbatim, under o.
func SignHMAC(secret string, body []byte, o HMACOptions) (string, error) {
	o, err := o.resolve()
	if err != nil {
		return "", err
	}
	s, err := newSingle("", o.Prefix, o.Algorithm, o.Encoding, []string{secret})
	if err != nil {
		return "", err
	}
	return s.sign(body), nil
}
