package signature

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// verifyErr reports whether err is nil or one of the request errors Verify
// may return.
func verifyErr(err error) bool {
	return err == nil || errors.Is(err, ErrMissingSignature) || errors.Is(err, ErrMalformedHeader) ||
		errors.Is(err, ErrInvalidSignature) || errors.Is(err, ErrTimestampOutOfTolerance)
}

// FuzzStandardWebhooksVerify feeds arbitrary id, timestamp, signature list
// and body. Verify must not panic, must return a package error, must never
// accept the fuzzed signature list alone, and must accept it once a valid
// signature is put in front of it.
func FuzzStandardWebhooksVerify(f *testing.F) {
	f.Add(swID, strconv.Itoa(swTimestamp), swSig, swBody)
	f.Add(swID, strconv.Itoa(swTimestamp), swSig2+" "+swSig, swBody)
	f.Add("id", "0", "v1,", "")
	f.Add("id", "99999999999999999999", "v1a,abc v2,def", "{}")
	f.Add("x", "1614265330", "v1,!!!! ,,, v1", "body")
	f.Add("x", "+1", "v1,AAAA====", "\x00")
	now := time.Unix(swTimestamp, 0)
	v, err := NewStandardWebhooks([]string{swSecret2, swSecret}, &Options{Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, ts, sig, body string) {
		err := v.Verify(swHeader(id, ts, sig), []byte(body))
		if !verifyErr(err) {
			t.Fatalf("got %v, want a package error", err)
		}
		valid, err := SignStandardWebhooks(swSecret, id, now, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		valid2, err := SignStandardWebhooks(swSecret2, id, now, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		tsNow := strconv.FormatInt(now.Unix(), 10)
		// The fuzzed list alone must not verify, unless it contains a real
		// signature by one of the secrets (padding is optional).
		if v.Verify(swHeader(id, tsNow, sig), []byte(body)) == nil &&
			!containsEntry(sig, strings.TrimRight(valid, "=")) && !containsEntry(sig, strings.TrimRight(valid2, "=")) {
			t.Fatalf("forged list %q verified", sig)
		}
		h := swHeader(id, tsNow, valid+" "+sig)
		err = v.Verify(h, []byte(body))
		switch {
		case id == "" || len(id) > maxIDLen || len(h.Get(HeaderWebhookSignature)) > maxHeaderLen:
			if err == nil {
				t.Fatalf("got nil for out-of-bounds id or header, want an error")
			}
		case err != nil:
			t.Fatalf("valid signature first: got %v, want nil", err)
		}
	})
}

// containsEntry reports whether the space-separated list has entry.
func containsEntry(list, entry string) bool {
	for i := 0; i+len(entry) <= len(list); i++ {
		if list[i:i+len(entry)] == entry {
			return true
		}
	}
	return false
}

// FuzzStripeHeader feeds arbitrary Stripe-Signature values. Parsing and
// Verify must not panic and must return a package error; a valid header with
// fuzzed entries appended after the valid v1 still verifies when short
// enough to stay within the entry bound.
func FuzzStripeHeader(f *testing.F) {
	f.Add("t=1700000000,v1="+stV1, stBody)
	f.Add("t=1700000000,v1=zz,v0=aa,v1="+stV1New, stBody)
	f.Add("t=,v1=", "")
	f.Add(",,,=,=,t=t", "x")
	f.Add("v1="+stV1+",t=1700000000,t=1700000000", stBody)
	now := time.Unix(stTimestamp, 0)
	v, err := NewStripe([]string{stSecret}, &Options{Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value, body string) {
		var h stripeHeader
		_ = parseStripeHeader(value, &h)
		err := v.Verify(http.Header{HeaderStripeSignature: {value}}, []byte(body))
		if !verifyErr(err) {
			t.Fatalf("got %v, want a package error", err)
		}
		valid := SignStripe(stSecret, now, []byte(body))
		if err == nil && !containsEntry(strings.ToLower(value), valid[len("t=1700000000,"):]) {
			t.Fatalf("forged header %q verified", value)
		}
		err = v.Verify(http.Header{HeaderStripeSignature: {valid}}, []byte(body))
		if err != nil {
			t.Fatalf("valid header: got %v, want nil", err)
		}
	})
}

// FuzzSingleHeader feeds arbitrary values to the one-header schemes
// (GitHub, Shopify, generic HMAC in both encodings).
func FuzzSingleHeader(f *testing.F) {
	f.Add(ghSig, ghBody)
	f.Add(shSig, shBody)
	f.Add("sha256=", "")
	f.Add("sha512="+hmSHA512Hex, hmBody)
	f.Add("===", "x")
	gh, _ := NewGitHub([]string{ghSecret})
	sh, _ := NewShopify([]string{shSecret})
	hm, _ := NewHMAC("X-Sig", []string{hmSecret}, HMACOptions{Algorithm: SHA512, Encoding: Base64, Prefix: "p="})
	verifiers := []struct {
		v      Verifier
		header string
	}{{gh, HeaderGitHubSignature}, {sh, HeaderShopifyHmac}, {hm, "X-Sig"}}
	f.Fuzz(func(t *testing.T, value, body string) {
		for _, tv := range verifiers {
			h := http.Header{tv.header: {value}}
			if err := tv.v.Verify(h, []byte(body)); !verifyErr(err) {
				t.Fatalf("got %v, want a package error", err)
			}
			signed := http.Header{}
			if err := tv.v.(Signer).Sign(signed, []byte(body)); err != nil {
				t.Fatal(err)
			}
			if err := tv.v.Verify(signed, []byte(body)); err != nil {
				t.Fatalf("signed: got %v, want nil", err)
			}
		}
	})
}

// FuzzStripeDeliveryID feeds arbitrary bodies to the Stripe event id
// reader: it must not panic, must return at most maxIDLen bytes, and when
// the body is a JSON object whose members are all distinct it must agree
// with encoding/json on the top-level "id".
func FuzzStripeDeliveryID(f *testing.F) {
	f.Add(`{"id":"evt_1","object":"event"}`)
	f.Add(`{"object":"event","data":{"object":{"id":"pi_1"}},"id":"evt_2"}`)
	f.Add(`{"\u0069d":"evt_\u0033"}`)
	f.Add(`{"id":42}`)
	f.Add(`[{"id":"x"}]`)
	f.Add(`{"a":[[[[{"id":"y"}]]]],"id":"z"`)
	f.Add("{\"id\":\"\xff\"}")
	v, err := NewStripe([]string{"whsec_s"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := v.DeliveryID(http.Header{}, []byte(body))
		if len(got) > maxIDLen {
			t.Fatalf("got an id of %d bytes", len(got))
		}
		if !utf8.ValidString(body) || !jsontext.Value(body).IsValid() {
			return // IsValid also refuses repeated member names
		}
		var m map[string]any
		if json.Unmarshal([]byte(body), &m) != nil {
			return
		}
		want, _ := m["id"].(string)
		if len(want) > maxIDLen {
			want = ""
		}
		if got != want {
			t.Fatalf("got %q, encoding/json reads %q", got, want)
		}
	})
}
