package signature

import (
	"crypto/sha256"
	"net/http"
)

// Header names of the GitHub scheme.
const (
	HeaderGitHubSignature = "X-Hub-Signature-256"
	HeaderGitHubDelivery  = "X-Github-Delivery"
)

// GitHub verifies GitHub webhook signatures: the X-Hub-Signature-256 header
// "sha256=<hex>", the HMAC-SHA256 of the raw body keyed with the webhook
// secret. The legacy SHA-1 X-Hub-Signature header is not accepted.
//
// It implements Verifier, DeliveryIDer (X-GitHub-Delivery), HeaderNamer and
// Signer, and is safe for concurrent use. GitHub signs no timestamp and not
// the delivery id, so see the package Caveats on replays.
type GitHub struct{ s single }

var (
	_ Verifier     = (*GitHub)(nil)
	_ DeliveryIDer = (*GitHub)(nil)
	_ HeaderNamer  = (*GitHub)(nil)
	_ Signer       = (*GitHub)(nil)
)

// NewGitHub returns a verifier for the given webhook secrets (any of them
// may match, for rotation). The first is the one Sign uses.
func NewGitHub(secrets []string) (*GitHub, error) {
	s, err := newSingle(HeaderGitHubSignature, "sha256=", SHA256, Hex, secrets)
	if err != nil {
		return nil, err
	}
	return &GitHub{s: s}, nil
}

// Verify checks X-Hub-Signature-256 against every secret.
func (v *GitHub) Verify(header http.Header, body []byte) error { return v.s.verify(header, body) }

// DeliveryID returns the X-GitHub-Delivery header. The signature does not
// cover it.
func (v *GitHub) DeliveryID(header http.Header, _ []byte) string {
	return header.Get(HeaderGitHubDelivery)
}

// HeaderNames returns the X-Hub-Signature-256 header name.
func (v *GitHub) HeaderNames() []string { return []string{HeaderGitHubSignature} }

// Sign sets X-Hub-Signature-256 for body with the first secret.
func (v *GitHub) Sign(header http.Header, body []byte) error {
	header.Set(HeaderGitHubSignature, v.s.sign(body))
	return nil
}

// SignGitHub returns the X-Hub-Signature-256 value ("sha256=<hex>") for body
// with secret.
func SignGitHub(secret string, body []byte) string {
	return "sha256=" + encode(Hex, mac(sha256.New, []byte(secret), body))
}
