package signature

import (
	"crypto/sha256"
	"net/http"
)

// Header names of the Shopify scheme.
const (
	HeaderShopifyHmac      = "X-Shopify-Hmac-Sha256"
	HeaderShopifyWebhookID = "X-Shopify-Webhook-Id"
)

// Shopify verifies Shopify webhook signatures: the X-Shopify-Hmac-Sha256
// header, the base64 HMAC-SHA256 of the raw body keyed with the app's
// client secret.
//
// It implements Verifier, DeliveryIDer (X-Shopify-Webhook-Id), HeaderNamer
// and Signer, and is safe for concurrent use. Shopify signs no timestamp
// and not the webhook id, so see the package Caveats on replays.
type Shopify struct{ s single }

var (
	_ Verifier     = (*Shopify)(nil)
	_ DeliveryIDer = (*Shopify)(nil)
	_ HeaderNamer  = (*Shopify)(nil)
	_ Signer       = (*Shopify)(nil)
)

// NewShopify returns a verifier for the given secrets (any of them may
// match, for rotation). The first is the one Sign uses.
func NewShopify(secrets []string) (*Shopify, error) {
	s, err := newSingle(HeaderShopifyHmac, "", SHA256, Base64, secrets)
	if err != nil {
		return nil, err
	}
	return &Shopify{s: s}, nil
}

// Verify checks X-Shopify-Hmac-Sha256 against every secret.
func (v *Shopify) Verify(header http.Header, body []byte) error { return v.s.verify(header, body) }

// DeliveryID returns the X-Shopify-Webhook-Id header. The signature does not
// cover it.
func (v *Shopify) DeliveryID(header http.Header, _ []byte) string {
	return header.Get(HeaderShopifyWebhookID)
}

// HeaderNames returns the X-Shopify-Hmac-Sha256 header name.
func (v *Shopify) HeaderNames() []string { return []string{HeaderShopifyHmac} }

// Sign sets X-Shopify-Hmac-Sha256 for body with the first secret.
func (v *Shopify) Sign(header http.Header, body []byte) error {
	header.Set(HeaderShopifyHmac, v.s.sign(body))
	return nil
}

// SignShopify returns the X-Shopify-Hmac-Sha256 value (base64) for body
// with secret.
func SignShopify(secret string, body []byte) string {
	return encode(Base64, mac(sha256.New, []byte(secret), body))
}
