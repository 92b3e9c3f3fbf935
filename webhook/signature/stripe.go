package signature

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// HeaderStripeSignature is the header of the Stripe scheme.
const HeaderStripeSignature = "Stripe-Signature"

// Stripe verifies Stripe webhook signatures: the Stripe-Signature header
// "t=<unix>,v1=<hex>[,v1=<hex>...]" where each v1 is the hex HMAC-SHA256 of
// t + "." + body, keyed with the endpoint secret used verbatim (including its
// "whsec_" prefix). Other schemes in the header (the test-mode v0) are
// ignored, and only the first 32 entries are considered. A request passes
// when any configured secret matches any v1 signature and t is within the
// tolerance (default 5 minutes, as in Stripe's libraries).
//
// It implements Verifier, DeliveryIDer (the event id, "evt_...", which
// Stripe puts in the body and keeps across its retries of an event),
// HeaderNamer and Signer, and is safe for concurrent use.
type Stripe struct {
	keys [][]byte
	opts Options
}

var (
	_ Verifier     = (*Stripe)(nil)
	_ DeliveryIDer = (*Stripe)(nil)
	_ HeaderNamer  = (*Stripe)(nil)
	_ Signer       = (*Stripe)(nil)
)

// NewStripe returns a verifier for the given endpoint secrets. The first
// secret is the one Sign uses. o may be nil.
func NewStripe(secrets []string, o *Options) (*Stripe, error) {
	keys, err := rawKeys(secrets)
	if err != nil {
		return nil, err
	}
	opts, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return &Stripe{keys: keys, opts: opts}, nil
}

// stripeHeader is a parsed Stripe-Signature header.
type stripeHeader struct {
	ts         int64
	tsText     string
	sigs       candidates
	wellFormed int
	malformed  int
}

// parseStripeHeader parses v (already bounded in length) into h. Entries
// without "=", a missing, repeated or non-numeric t, are malformed.
func parseStripeHeader(v string, h *stripeHeader) error {
	h.sigs.size = sha256.Size
	haveT := false
	rest := v
	for considered := 0; rest != "" && considered < maxSignatures; considered++ {
		var entry string
		entry, rest, _ = strings.Cut(rest, ",")
		key, value, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok {
			return fmt.Errorf("%w: %s entry without '='", ErrMalformedHeader, HeaderStripeSignature)
		}
		switch key {
		case "t":
			if haveT {
				return fmt.Errorf("%w: %s has more than one timestamp", ErrMalformedHeader, HeaderStripeSignature)
			}
			ts, ok := parseTimestamp(value)
			if !ok {
				return fmt.Errorf("%w: %s timestamp is not a Unix timestamp", ErrMalformedHeader, HeaderStripeSignature)
			}
			h.ts, h.tsText, haveT = ts, value, true
		case "v1":
			if h.sigs.add(Hex, value) {
				h.wellFormed++
			} else {
				h.malformed++
			}
		}
	}
	if !haveT {
		return fmt.Errorf("%w: %s has no timestamp", ErrMalformedHeader, HeaderStripeSignature)
	}
	return nil
}

// Verify checks a Stripe request. The signature is checked before the
// timestamp, so ErrTimestampOutOfTolerance is only returned for an
// authentic request that is too old or too far in the future.
func (v *Stripe) Verify(header http.Header, body []byte) error {
	value, err := headerValue(header, HeaderStripeSignature)
	if err != nil {
		return err
	}
	var h stripeHeader
	if err := parseStripeHeader(value, &h); err != nil {
		return err
	}
	ok := h.sigs.match(sha256.New, v.keys, func(m hash.Hash) {
		io.WriteString(m, h.tsText)
		m.Write(dot)
		m.Write(body)
	})
	if !ok {
		return noMatch(HeaderStripeSignature, h.wellFormed, h.malformed, "v1")
	}
	if !withinTolerance(v.opts.Now(), h.ts, v.opts.Tolerance) {
		return ErrTimestampOutOfTolerance
	}
	return nil
}

// DeliveryID returns the event id of a Stripe event: the string value of
// the body's top-level "id" member, which the signature covers. It reads
// the body as a stream of JSON tokens up to that member (Stripe writes it
// first), skipping other members without building them, and returns ""
// for a body that is not a JSON object, has no such member, or whose id is
// not a string of at most 256 bytes.
func (v *Stripe) DeliveryID(_ http.Header, body []byte) string {
	return jsonObjectID(body)
}

// jsonDecoders pools tokenizers: each holds buffers worth reusing.
var jsonDecoders = sync.Pool{New: func() any { return new(jsontext.Decoder) }}

// jsonObjectID returns the string value of body's top-level "id" member,
// or "" (see Stripe.DeliveryID). Invalid JSON before the member, a
// repeated member name and invalid UTF-8 give "" too.
func jsonObjectID(body []byte) string {
	d := jsonDecoders.Get().(*jsontext.Decoder)
	d.Reset(bytes.NewReader(body))
	defer func() {
		d.Reset(bytes.NewReader(nil)) // drops body
		jsonDecoders.Put(d)
	}()
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		return ""
	}
	for d.PeekKind() == '"' {
		name, err := d.ReadToken()
		if err != nil {
			return ""
		}
		if name.String() != "id" {
			if d.SkipValue() != nil {
				return ""
			}
			continue
		}
		val, err := d.ReadToken()
		if err != nil || val.Kind() != '"' {
			return ""
		}
		id := val.String()
		if len(id) > maxIDLen {
			return ""
		}
		return id
	}
	return ""
}

// HeaderNames returns the Stripe-Signature header name.
func (v *Stripe) HeaderNames() []string { return []string{HeaderStripeSignature} }

// Sign sets Stripe-Signature for body, with the first secret and the
// verifier's clock.
func (v *Stripe) Sign(header http.Header, body []byte) error {
	header.Set(HeaderStripeSignature, stripeSig(v.keys[0], v.opts.Now(), body))
	return nil
}

func stripeSig(key []byte, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return "t=" + t + ",v1=" + encode(Hex, mac(sha256.New, key, []byte(t), dot, body))
}

// SignStripe returns the Stripe-Signature header value
// ("t=<unix>,v1=<hex>") for body signed at ts with secret, used verbatim.
func SignStripe(secret string, ts time.Time, body []byte) string {
	return stripeSig([]byte(secret), ts, body)
}
