package signature

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks scheme.
const (
	HeaderWebhookID        = "Webhook-Id"
	HeaderWebhookTimestamp = "Webhook-Timestamp"
	HeaderWebhookSignature = "Webhook-Signature"
)

// swNames are the header names of one spelling of the Standard Webhooks
// scheme: its own, or Svix's (svix-id, svix-timestamp, svix-signature),
// which it was taken from and which Svix senders still use.
type swNames struct{ id, ts, sig string }

var (
	swStandard = swNames{HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature}
	swSvix     = swNames{"Svix-Id", "Svix-Timestamp", "Svix-Signature"}
)

// swSpelling returns the names the request uses: Svix's when it has a
// svix-id and no webhook-id, else the standard ones.
func swSpelling(header http.Header) swNames {
	if header.Get(HeaderWebhookID) == "" && header.Get(swSvix.id) != "" {
		return swSvix
	}
	return swStandard
}

// StandardWebhooksSecretPrefix is the optional prefix of a Standard Webhooks
// secret; the rest is the key in base64.
const StandardWebhooksSecretPrefix = "whsec_"

// StandardWebhooks verifies the Standard Webhooks scheme
// (https://www.standardwebhooks.com): the headers webhook-id,
// webhook-timestamp (Unix seconds) and webhook-signature, a space-separated
// list of "v1,<base64>" entries, each an HMAC-SHA256 of
// id + "." + timestamp + "." + body. Entries of other versions (such as the
// asymmetric v1a) are ignored, and only the first 32 entries are
// considered. A request passes when any configured secret matches any v1
// entry, which is how secrets are rotated, and its timestamp is within the
// tolerance. A request without webhook-id may carry the same three
// headers as Svix names them (svix-id, svix-timestamp, svix-signature);
// they are verified alike.
//
// It implements Verifier, DeliveryIDer, HeaderNamer and Signer, and is
// safe for concurrent use.
type StandardWebhooks struct {
	keys [][]byte
	opts Options
}

var (
	_ Verifier     = (*StandardWebhooks)(nil)
	_ DeliveryIDer = (*StandardWebhooks)(nil)
	_ HeaderNamer  = (*StandardWebhooks)(nil)
	_ Signer       = (*StandardWebhooks)(nil)
)

// NewStandardWebhooks returns a verifier for the given secrets, each the
// base64 key with or without the "whsec_" prefix. The first secret is the
// one Sign uses. o may be nil.
func NewStandardWebhooks(secrets []string, o *Options) (*StandardWebhooks, error) {
	if err := checkSecretCount(secrets); err != nil {
		return nil, err
	}
	opts, err := o.resolve()
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		if keys[i], err = standardWebhooksKey(s); err != nil {
			return nil, fmt.Errorf("%w (secret %d)", err, i)
		}
	}
	return &StandardWebhooks{keys: keys, opts: opts}, nil
}

// standardWebhooksKey decodes a secret into its key bytes. The error never
// includes the secret.
func standardWebhooksKey(secret string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimSpace(secret), StandardWebhooksSecretPrefix)
	if s == "" {
		return nil, ErrNoSecret
	}
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	key, err := enc.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%w: Standard Webhooks secret is not base64", ErrInvalidSecret)
	}
	return key, nil
}

// Verify checks a Standard Webhooks request. The signature is checked before
// the timestamp, so ErrTimestampOutOfTolerance is only returned for an
// authentic request that is too old or too far in the future.
func (v *StandardWebhooks) Verify(header http.Header, body []byte) error {
	n := swSpelling(header)
	id := header.Get(n.id)
	if id == "" {
		return fmt.Errorf("%w: %s", ErrMissingSignature, n.id)
	}
	tsText := header.Get(n.ts)
	if tsText == "" {
		return fmt.Errorf("%w: %s", ErrMissingSignature, n.ts)
	}
	sig, err := headerValue(header, n.sig)
	if err != nil {
		return err
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrMalformedHeader, n.id, maxIDLen)
	}
	ts, ok := parseTimestamp(tsText)
	if !ok {
		return fmt.Errorf("%w: %s is not a Unix timestamp", ErrMalformedHeader, n.ts)
	}

	c := candidates{size: sha256.Size}
	var wellFormed, malformed int
	rest := sig
	for considered := 0; considered < maxSignatures; considered++ {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		var entry string
		entry, rest, _ = strings.Cut(rest, " ")
		version, value, ok := strings.Cut(entry, ",")
		switch {
		case !ok:
			malformed++
		case version != "v1":
			// Another version (v1a, a future v2): not ours to check.
		case c.add(Base64, value):
			wellFormed++
		default:
			malformed++
		}
	}
	ok = c.match(sha256.New, v.keys, func(h hash.Hash) {
		io.WriteString(h, id)
		h.Write(dot)
		io.WriteString(h, tsText)
		h.Write(dot)
		h.Write(body)
	})
	if !ok {
		return noMatch(n.sig, wellFormed, malformed, "v1")
	}
	if !withinTolerance(v.opts.Now(), ts, v.opts.Tolerance) {
		return ErrTimestampOutOfTolerance
	}
	return nil
}

var dot = []byte{'.'}

// DeliveryID returns the webhook-id header (or svix-id, when the request
// uses Svix's names), which the signature covers.
func (v *StandardWebhooks) DeliveryID(header http.Header, _ []byte) string {
	return header.Get(swSpelling(header).id)
}

// HeaderNames returns the webhook-signature header name and Svix's
// svix-signature.
func (v *StandardWebhooks) HeaderNames() []string {
	return []string{HeaderWebhookSignature, swSvix.sig}
}

// Sign sets webhook-id (a new random "msg_" id unless header already has
// one), webhook-timestamp (the verifier's clock) and webhook-signature (one
// v1 entry, with the first secret).
func (v *StandardWebhooks) Sign(header http.Header, body []byte) error {
	id := header.Get(HeaderWebhookID)
	if id == "" {
		id = "msg_" + rand.Text()
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrMalformedHeader, HeaderWebhookID, maxIDLen)
	}
	ts := strconv.FormatInt(v.opts.Now().Unix(), 10)
	header.Set(HeaderWebhookID, id)
	header.Set(HeaderWebhookTimestamp, ts)
	header.Set(HeaderWebhookSignature, standardWebhooksSig(v.keys[0], id, ts, body))
	return nil
}

func standardWebhooksSig(key []byte, id, ts string, body []byte) string {
	return "v1," + encode(Base64, mac(sha256.New, key, []byte(id), dot, []byte(ts), dot, body))
}

// SignStandardWebhooks returns the webhook-signature header value
// ("v1,<base64>") for a message with the given id, timestamp and body,
// signed with secret (base64, with or without "whsec_"). The webhook-timestamp
// header must carry ts.Unix() in decimal.
func SignStandardWebhooks(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := standardWebhooksKey(secret)
	if err != nil {
		return "", err
	}
	return standardWebhooksSig(key, id, strconv.FormatInt(ts.Unix(), 10), body), nil
}
