package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test vectors. Each expected signature was computed once with openssl on
// the development machine from the scheme's documented algorithm, e.g.
//
//	printf '%s' "$id.$ts.$body" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$key -binary | base64
//	printf '%s' "$ts.$body" | openssl dgst -sha256 -hmac "$secret"
//
// The first Standard Webhooks vector is also the example of the Standard
// Webhooks specification, and the GitHub vector is the one in GitHub's
// documentation on validating webhook deliveries.
const (
	swSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swSecret2   = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY" // bytes 0x01..0x18
	swID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTimestamp = 1614265330
	swBody      = `{"test": 2432232314}`
	swSig       = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	swSig2      = "v1,MgneuxIdyx2BA5iLTwGJaPuHo+BBfrNLG+Yvp7hhc38="

	ghSecret = "It's a Secret to Everybody"
	ghBody   = "Hello, World!"
	ghSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

	stSecret    = "whsec_stripe_test_secret"
	stSecret2   = "whsec_stripe_new_secret"
	stTimestamp = 1700000000
	stBody      = `{"id":"evt_test","object":"event"}`
	stV1        = "dda31065e4f9009c74d488e214d5ad0d13717b05bcdac9ec713e84da7221ab00"
	stV1New     = "fd71fc5463a7437d1995574936fe3d1d0bbd337c764fded95df05c55c118c675"

	shSecret = "shpss_shopify_test_secret"
	shBody   = `{"id":820982911946154508,"email":"jon@doe.ca"}`
	shSig    = "j0uktCb8Lc5KzJMNKUUp5+QwjlFiVuS0WufWsK2y+Y4="

	hmSecret       = "generic-secret"
	hmBody         = `{"event":"ping"}`
	hmSHA256Hex    = "adbb938347115a1b87cab58c7bc6980054aec92d3d79c686a74f97cd58a14cfd"
	hmSHA256Base64 = "rbuTg0cRWhuHyrWMe8aYAFSuyS09ecaGp0+XzVihTP0="
	hmSHA512Hex    = "97f75b5bfd8b75457389e6aad80335b5a6fc408fb45c6da17724882341cd7d4a76578ff4f7da6412a81ff31eb2b5c2b6b518d7a3bd2690357c14dacb53ecbf10"
	hmSHA512Base64 = "l/dbW/2LdUVzieaq2AM1tab8QI+0XG2hdySII0HNfUp2V4/099pkEqgf8x6ytcK2tRjXo70mkDV8FNrLU+y/EA=="
)

// fixedClock returns a Now func answering t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestSignVectors(t *testing.T) {
	swGot, err := SignStandardWebhooks(swSecret, swID, time.Unix(swTimestamp, 0), []byte(swBody))
	if err != nil {
		t.Fatal(err)
	}
	swGot2, err := SignStandardWebhooks(swSecret2, swID, time.Unix(swTimestamp, 0), []byte(swBody))
	if err != nil {
		t.Fatal(err)
	}
	// Without the whsec_ prefix the secret is the same key.
	swNoPrefix, err := SignStandardWebhooks(strings.TrimPrefix(swSecret, "whsec_"), swID, time.Unix(swTimestamp, 0), []byte(swBody))
	if err != nil {
		t.Fatal(err)
	}
	hmac := func(alg Algorithm, enc Encoding, prefix string) string {
		s, err := SignHMAC(hmSecret, []byte(hmBody), HMACOptions{Algorithm: alg, Encoding: enc, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name, got, want string
	}{
		{"standard-webhooks", swGot, swSig},
		{"standard-webhooks second secret", swGot2, swSig2},
		{"standard-webhooks secret without prefix", swNoPrefix, swSig},
		{"github", SignGitHub(ghSecret, []byte(ghBody)), ghSig},
		{"stripe", SignStripe(stSecret, time.Unix(stTimestamp, 0), []byte(stBody)), "t=1700000000,v1=" + stV1},
		{"stripe new secret", SignStripe(stSecret2, time.Unix(stTimestamp, 0), []byte(stBody)), "t=1700000000,v1=" + stV1New},
		{"shopify", SignShopify(shSecret, []byte(shBody)), shSig},
		{"hmac default", hmac("", "", ""), hmSHA256Hex},
		{"hmac sha256 base64", hmac(SHA256, Base64, ""), hmSHA256Base64},
		{"hmac sha512 hex prefixed", hmac(SHA512, Hex, "sha512="), "sha512=" + hmSHA512Hex},
		{"hmac SHA-512 base64", hmac("SHA-512", "BASE64", ""), hmSHA512Base64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

// TestSignIndependent checks the Sign functions against a straightforward
// implementation written from each scheme's documentation, over many bodies.
func TestSignIndependent(t *testing.T) {
	rawKey, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(swSecret, "whsec_"))
	for n := 0; n < 200; n += 13 {
		body := []byte(strings.Repeat("é{x}\x00", n))
		ts := time.Unix(int64(1_600_000_000+n), 0)
		tsText := strconv.FormatInt(ts.Unix(), 10)

		m := hmac.New(sha256.New, rawKey)
		m.Write([]byte("msg_" + strconv.Itoa(n) + "." + tsText + "."))
		m.Write(body)
		wantSW := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		gotSW, err := SignStandardWebhooks(swSecret, "msg_"+strconv.Itoa(n), ts, body)
		if err != nil || gotSW != wantSW {
			t.Errorf("standard-webhooks n=%d: got %v, %v, want %v", n, gotSW, err, wantSW)
		}

		m = hmac.New(sha256.New, []byte(stSecret))
		m.Write(append([]byte(tsText+"."), body...))
		wantST := "t=" + tsText + ",v1=" + hex.EncodeToString(m.Sum(nil))
		if got := SignStripe(stSecret, ts, body); got != wantST {
			t.Errorf("stripe n=%d: got %v, want %v", n, got, wantST)
		}

		m = hmac.New(sha512.New, []byte(hmSecret))
		m.Write(body)
		wantHM := "x=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
		gotHM, err := SignHMAC(hmSecret, body, HMACOptions{Algorithm: SHA512, Encoding: Base64, Prefix: "x="})
		if err != nil || gotHM != wantHM {
			t.Errorf("hmac n=%d: got %v, %v, want %v", n, gotHM, err, wantHM)
		}
	}
}

// swHeader builds a Standard Webhooks header set.
func swHeader(id, ts, sig string) http.Header {
	h := http.Header{}
	if id != "" {
		h.Set(HeaderWebhookID, id)
	}
	if ts != "" {
		h.Set(HeaderWebhookTimestamp, ts)
	}
	if sig != "" {
		h.Set(HeaderWebhookSignature, sig)
	}
	return h
}

func TestStandardWebhooksVerify(t *testing.T) {
	now := time.Unix(swTimestamp, 0)
	v, err := NewStandardWebhooks([]string{swSecret2, swSecret}, &Options{Now: fixedClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.Itoa(swTimestamp)
	b64Bad := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE"
	tests := []struct {
		name    string
		id, ts  string
		sig     string
		body    string
		now     time.Time
		wantErr error
	}{
		{"valid", swID, ts, swSig, swBody, now, nil},
		{"valid second secret (rotation)", swID, ts, swSig2, swBody, now, nil},
		{"valid among several entries", swID, ts, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1a,xyz " + swSig, swBody, now, nil},
		{"valid with both secrets listed", swID, ts, swSig2 + " " + swSig, swBody, now, nil},
		{"valid beside garbage entry", swID, ts, "garbage " + swSig, swBody, now, nil},
		{"valid with extra spaces", swID, ts, "  " + swSig + "   ", swBody, now, nil},
		{"valid at past edge of tolerance", swID, ts, swSig, swBody, now.Add(5 * time.Minute), nil},
		{"valid at future edge of tolerance", swID, ts, swSig, swBody, now.Add(-5 * time.Minute), nil},
		{"tampered body", swID, ts, swSig, `{"test": 2432232315}`, now, ErrInvalidSignature},
		{"empty body", swID, ts, swSig, "", now, ErrInvalidSignature},
		{"tampered id", swID + "x", ts, swSig, swBody, now, ErrInvalidSignature},
		{"tampered timestamp", swID, strconv.Itoa(swTimestamp + 1), swSig, swBody, now, ErrInvalidSignature},
		{"tampered signature", swID, ts, "v1,g1hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", swBody, now, ErrInvalidSignature},
		{"non-canonical base64", swID, ts, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", swBody, now, ErrMalformedHeader},
		{"expired", swID, ts, swSig, swBody, now.Add(5*time.Minute + time.Second), ErrTimestampOutOfTolerance},
		{"future", swID, ts, swSig, swBody, now.Add(-5*time.Minute - time.Second), ErrTimestampOutOfTolerance},
		{"far future clock", swID, ts, swSig, swBody, time.Unix(1<<62, 0), ErrTimestampOutOfTolerance},
		{"missing id", "", ts, swSig, swBody, now, ErrMissingSignature},
		{"missing timestamp", swID, "", swSig, swBody, now, ErrMissingSignature},
		{"missing signature", swID, ts, "", swBody, now, ErrMissingSignature},
		{"blank signature", swID, ts, "   ", swBody, now, ErrMissingSignature},
		{"wrong version only", swID, ts, strings.Replace(swSig, "v1,", "v2,", 1), swBody, now, ErrInvalidSignature},
		{"v1a only", swID, ts, "v1a,abcdef", swBody, now, ErrInvalidSignature},
		{"unpadded base64 still decodes", swID, ts, b64Bad, swBody, now, nil},
		{"bad base64", swID, ts, "v1,!!!not-base64!!!", swBody, now, ErrMalformedHeader},
		{"wrong length", swID, ts, "v1,AAAA", swBody, now, ErrMalformedHeader},
		{"no comma", swID, ts, "v1" + strings.TrimPrefix(swSig, "v1,"), swBody, now, ErrMalformedHeader},
		{"garbage", swID, ts, "\x00\xff garbage", swBody, now, ErrMalformedHeader},
		{"timestamp not a number", swID, "16142653a0", swSig, swBody, now, ErrMalformedHeader},
		{"timestamp signed", swID, "+" + ts, swSig, swBody, now, ErrMalformedHeader},
		{"timestamp negative", swID, "-1", swSig, swBody, now, ErrMalformedHeader},
		{"timestamp fractional", swID, ts + ".5", swSig, swBody, now, ErrMalformedHeader},
		{"timestamp overflows", swID, "99999999999999999999", swSig, swBody, now, ErrMalformedHeader},
		{"huge header", swID, ts, swSig + strings.Repeat(" v1,AAAA", 2000), swBody, now, ErrMalformedHeader},
		{"huge id", strings.Repeat("x", 300), ts, swSig, swBody, now, ErrMalformedHeader},
		{"valid signature after 32 entries ignored", swID, ts, strings.Repeat("v2,x ", 32) + swSig, swBody, now, ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := *v
			v.opts.Now = fixedClock(tt.now)
			err := v.Verify(swHeader(tt.id, tt.ts, tt.sig), []byte(tt.body))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStandardWebhooksRotation(t *testing.T) {
	now := time.Unix(swTimestamp, 0)
	h := swHeader(swID, strconv.Itoa(swTimestamp), swSig)
	tests := []struct {
		name    string
		secrets []string
		wantErr error
	}{
		{"old secret only", []string{swSecret}, nil},
		{"new then old", []string{swSecret2, swSecret}, nil},
		{"new only", []string{swSecret2}, ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewStandardWebhooks(tt.secrets, &Options{Now: fixedClock(now)})
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(h, []byte(swBody)); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStandardWebhooksTolerance(t *testing.T) {
	now := time.Unix(swTimestamp, 0)
	h := swHeader(swID, strconv.Itoa(swTimestamp), swSig)
	tests := []struct {
		name      string
		tolerance time.Duration
		skew      time.Duration
		wantErr   error
	}{
		{"default passes 4m", 0, 4 * time.Minute, nil},
		{"default fails 6m", 0, 6 * time.Minute, ErrTimestampOutOfTolerance},
		{"1m fails 2m", time.Minute, 2 * time.Minute, ErrTimestampOutOfTolerance},
		{"1h passes 59m", time.Hour, 59 * time.Minute, nil},
		{"1h passes -59m", time.Hour, -59 * time.Minute, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewStandardWebhooks([]string{swSecret}, &Options{Tolerance: tt.tolerance, Now: fixedClock(now.Add(tt.skew))})
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(h, []byte(swBody)); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStripeVerify(t *testing.T) {
	now := time.Unix(stTimestamp, 0)
	v, err := NewStripe([]string{stSecret2, stSecret}, &Options{Now: fixedClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	t0 := "t=1700000000"
	tests := []struct {
		name    string
		header  string
		body    string
		now     time.Time
		wantErr error
	}{
		{"valid", t0 + ",v1=" + stV1, stBody, now, nil},
		{"valid new secret", t0 + ",v1=" + stV1New, stBody, now, nil},
		{"valid with v0 and two v1", t0 + ",v1=" + strings.Repeat("0", 64) + ",v1=" + stV1 + ",v0=abc", stBody, now, nil},
		{"valid t last", "v1=" + stV1 + "," + t0, stBody, now, nil},
		{"valid upper-case hex", t0 + ",v1=" + strings.ToUpper(stV1), stBody, now, nil},
		{"valid with spaces", t0 + ", v1=" + stV1, stBody, now, nil},
		{"valid beside bad hex", t0 + ",v1=zz,v1=" + stV1, stBody, now, nil},
		{"tampered body", t0 + ",v1=" + stV1, stBody + " ", now, ErrInvalidSignature},
		{"tampered timestamp", "t=1700000001,v1=" + stV1, stBody, now, ErrInvalidSignature},
		{"tampered signature", t0 + ",v1=" + strings.Replace(stV1, "d", "e", 1), stBody, now, ErrInvalidSignature},
		{"expired", t0 + ",v1=" + stV1, stBody, now.Add(301 * time.Second), ErrTimestampOutOfTolerance},
		{"future", t0 + ",v1=" + stV1, stBody, now.Add(-301 * time.Second), ErrTimestampOutOfTolerance},
		{"edge", t0 + ",v1=" + stV1, stBody, now.Add(300 * time.Second), nil},
		{"missing", "", stBody, now, ErrMissingSignature},
		{"no v1", t0 + ",v0=" + stV1, stBody, now, ErrInvalidSignature},
		{"no timestamp", "v1=" + stV1, stBody, now, ErrMalformedHeader},
		{"two timestamps", t0 + "," + t0 + ",v1=" + stV1, stBody, now, ErrMalformedHeader},
		{"bad timestamp", "t=abc,v1=" + stV1, stBody, now, ErrMalformedHeader},
		{"entry without =", t0 + ",v1", stBody, now, ErrMalformedHeader},
		{"garbage", "garbage", stBody, now, ErrMalformedHeader},
		{"bad hex only", t0 + ",v1=zz", stBody, now, ErrMalformedHeader},
		{"short hex only", t0 + ",v1=abcd", stBody, now, ErrMalformedHeader},
		{"huge header", t0 + strings.Repeat(",v1=abcd", 2000), stBody, now, ErrMalformedHeader},
		{"valid after 32 entries ignored", t0 + strings.Repeat(",v0=x", 31) + ",v1=" + stV1, stBody, now, ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := *v
			v.opts.Now = fixedClock(tt.now)
			h := http.Header{}
			if tt.header != "" {
				h.Set(HeaderStripeSignature, tt.header)
			}
			err := v.Verify(h, []byte(tt.body))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// singleCase is a test of a one-header scheme.
type singleCase struct {
	name    string
	value   string // "" leaves the header out
	body    string
	wantErr error
}

func runSingle(t *testing.T, v Verifier, header string, tests []singleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.value != "" {
				h.Set(header, tt.value)
			}
			err := v.Verify(h, []byte(tt.body))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestGitHubVerify(t *testing.T) {
	v, err := NewGitHub([]string{"new-secret", ghSecret})
	if err != nil {
		t.Fatal(err)
	}
	runSingle(t, v, HeaderGitHubSignature, []singleCase{
		{"valid", ghSig, ghBody, nil},
		{"valid new secret", SignGitHub("new-secret", []byte(ghBody)), ghBody, nil},
		{"tampered body", ghSig, "Hello, World?", ErrInvalidSignature},
		{"tampered signature", strings.Replace(ghSig, "757", "758", 1), ghBody, ErrInvalidSignature},
		{"missing", "", ghBody, ErrMissingSignature},
		{"no prefix", strings.TrimPrefix(ghSig, "sha256="), ghBody, ErrMalformedHeader},
		{"sha1 prefix", "sha1=" + strings.TrimPrefix(ghSig, "sha256="), ghBody, ErrMalformedHeader},
		{"bad hex", "sha256=" + strings.Repeat("g", 64), ghBody, ErrMalformedHeader},
		{"short", "sha256=abcd", ghBody, ErrMalformedHeader},
		{"huge", "sha256=" + strings.Repeat("a", 10000), ghBody, ErrMalformedHeader},
	})
}

func TestShopifyVerify(t *testing.T) {
	v, err := NewShopify([]string{shSecret, "rotated"})
	if err != nil {
		t.Fatal(err)
	}
	runSingle(t, v, HeaderShopifyHmac, []singleCase{
		{"valid", shSig, shBody, nil},
		{"valid rotated", SignShopify("rotated", []byte(shBody)), shBody, nil},
		{"tampered body", shSig, strings.Replace(shBody, "jon", "jan", 1), ErrInvalidSignature},
		{"tampered signature", "k" + shSig[1:], shBody, ErrInvalidSignature},
		{"missing", "", shBody, ErrMissingSignature},
		{"bad base64", "***" + shSig[3:], shBody, ErrMalformedHeader},
		{"hex instead of base64", strings.Repeat("ab", 32), shBody, ErrMalformedHeader},
	})
}

func TestHMACVerify(t *testing.T) {
	tests := []struct {
		name  string
		opts  HMACOptions
		cases []singleCase
	}{
		{"sha256 hex", HMACOptions{}, []singleCase{
			{"valid", hmSHA256Hex, hmBody, nil},
			{"tampered body", hmSHA256Hex, hmBody + "\n", ErrInvalidSignature},
			{"base64 given", hmSHA256Base64, hmBody, ErrMalformedHeader},
			{"missing", "", hmBody, ErrMissingSignature},
		}},
		{"sha256 base64 prefixed", HMACOptions{Encoding: Base64, Prefix: "sha256="}, []singleCase{
			{"valid", "sha256=" + hmSHA256Base64, hmBody, nil},
			{"no prefix", hmSHA256Base64, hmBody, ErrMalformedHeader},
			{"wrong case prefix", "SHA256=" + hmSHA256Base64, hmBody, ErrMalformedHeader},
		}},
		{"sha512 hex", HMACOptions{Algorithm: SHA512}, []singleCase{
			{"valid", hmSHA512Hex, hmBody, nil},
			{"sha256 length", hmSHA256Hex, hmBody, ErrMalformedHeader},
			{"tampered", strings.Replace(hmSHA512Hex, "97f7", "97f8", 1), hmBody, ErrInvalidSignature},
		}},
		{"sha512 base64", HMACOptions{Algorithm: SHA512, Encoding: Base64}, []singleCase{
			{"valid", hmSHA512Base64, hmBody, nil},
			{"valid unpadded", strings.TrimRight(hmSHA512Base64, "="), hmBody, nil},
			{"tampered body", hmSHA512Base64, "{}", ErrInvalidSignature},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewHMAC("x-signature", []string{"other", hmSecret}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			runSingle(t, v, "X-Signature", tt.cases)
		})
	}
}

func TestConstructorErrors(t *testing.T) {
	tooMany := make([]string, 17)
	for i := range tooMany {
		tooMany[i] = "s" + strconv.Itoa(i)
	}
	newSW := func(s []string, o *Options) error { _, err := NewStandardWebhooks(s, o); return err }
	newST := func(s []string, o *Options) error { _, err := NewStripe(s, o); return err }
	newHM := func(h string, o HMACOptions) error { _, err := NewHMAC(h, []string{"k"}, o); return err }
	_, errGH := NewGitHub(nil)
	_, errSH := NewShopify([]string{""})
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"sw no secrets", newSW(nil, nil), ErrNoSecret},
		{"sw prefix only", newSW([]string{"whsec_"}, nil), ErrNoSecret},
		{"sw not base64", newSW([]string{"whsec_!!!!"}, nil), ErrInvalidSecret},
		{"sw too many", newSW(tooMany, nil), ErrInvalidConfig},
		{"sw negative tolerance", newSW([]string{swSecret}, &Options{Tolerance: -1}), ErrInvalidConfig},
		{"stripe empty secret", newST([]string{stSecret, ""}, nil), ErrNoSecret},
		{"stripe negative tolerance", newST([]string{stSecret}, &Options{Tolerance: -time.Second}), ErrInvalidConfig},
		{"github none", errGH, ErrNoSecret},
		{"shopify empty", errSH, ErrNoSecret},
		{"hmac no header", newHM("", HMACOptions{}), ErrInvalidConfig},
		{"hmac bad header", newHM("X Sig\n", HMACOptions{}), ErrInvalidConfig},
		{"hmac bad algorithm", newHM("X-Sig", HMACOptions{Algorithm: "md5"}), ErrInvalidConfig},
		{"hmac bad encoding", newHM("X-Sig", HMACOptions{Encoding: "base32"}), ErrInvalidConfig},
		{"hmac bad prefix", newHM("X-Sig", HMACOptions{Prefix: "a\r\nb"}), ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("got %v, want %v", tt.err, tt.want)
			}
		})
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ErrMissingSignature, "signature_missing"},
		{fmt.Errorf("%w: Webhook-Id", ErrMissingSignature), "signature_missing"},
		{ErrMalformedHeader, "signature_malformed"},
		{ErrInvalidSignature, "signature_invalid"},
		{ErrTimestampOutOfTolerance, "timestamp_out_of_tolerance"},
		{ErrNoSecret, "signature_no_secret"},
		{ErrInvalidSecret, "signature_secret_invalid"},
		{ErrUnknownScheme, "signature_unknown_scheme"},
		{ErrInvalidConfig, "signature_config_invalid"},
		{errors.New("other"), "signature_invalid"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got, want := ErrTimestampOutOfTolerance.Error(), "signature: timestamp outside tolerance"; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestErrorsHideSecrets runs failing verifications and checks that no error
// message carries a secret or the presented signature.
func TestErrorsHideSecrets(t *testing.T) {
	secret := "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
	for _, scheme := range []string{SchemeStandardWebhooks, SchemeGitHub, SchemeStripe, SchemeShopify, SchemeHMAC} {
		t.Run(scheme, func(t *testing.T) {
			c := Config{Scheme: scheme, Secrets: []string{secret}}
			if scheme == SchemeHMAC {
				c.Header = "X-Sig"
			}
			v, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			if err := v.(Signer).Sign(h, []byte("body")); err != nil {
				t.Fatal(err)
			}
			err = v.Verify(h, []byte("tampered"))
			if !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("got %v, want %v", err, ErrInvalidSignature)
			}
			for _, name := range HeaderNames(v) {
				if s := h.Get(name); s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains the signature", err)
				}
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "c2VjcmV0") {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
	_, err := NewStandardWebhooks([]string{"whsec_not*base64*secret"}, nil)
	if err == nil || strings.Contains(err.Error(), "not*base64") {
		t.Errorf("got %v, want an error without the secret", err)
	}
}

func TestOptionalInterfaces(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderWebhookID, "msg_1")
	h.Set(HeaderGitHubDelivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	h.Set(HeaderShopifyWebhookID, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
	body := []byte(`{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","id_x":"no"}`)
	sw, _ := NewStandardWebhooks([]string{swSecret}, nil)
	gh, _ := NewGitHub([]string{"s"})
	st, _ := NewStripe([]string{"s"}, nil)
	sh, _ := NewShopify([]string{"s"})
	hm, _ := NewHMAC("x-my-sig", []string{"s"}, HMACOptions{})
	tests := []struct {
		name        string
		v           Verifier
		wantID      string
		wantHeaders string
	}{
		{"standard-webhooks", sw, "msg_1", "Webhook-Signature,Svix-Signature"},
		{"github", gh, "72d3162e-cc78-11e3-81ab-4c9367dc0958", "X-Hub-Signature-256"},
		{"stripe", st, "evt_1NG8Du2eZvKYlo2CUI79vXWy", "Stripe-Signature"},
		{"shopify", sh, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "X-Shopify-Hmac-Sha256"},
		{"hmac", hm, "", "X-My-Sig"},
		{"func", VerifierFunc(func(http.Header, []byte) error { return nil }), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DeliveryID(tt.v, h, body); got != tt.wantID {
				t.Errorf("DeliveryID: got %v, want %v", got, tt.wantID)
			}
			if got := strings.Join(HeaderNames(tt.v), ","); got != tt.wantHeaders {
				t.Errorf("HeaderNames: got %v, want %v", got, tt.wantHeaders)
			}
		})
	}
}

// TestSvixHeaders verifies the Standard Webhooks test vector sent with
// Svix's header names, alone and beside the standard ones.
func TestSvixHeaders(t *testing.T) {
	v, err := NewStandardWebhooks([]string{swSecret}, &Options{Now: func() time.Time { return time.Unix(swTimestamp, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	svix := func(id, sig string) http.Header {
		h := http.Header{}
		h.Set("svix-id", id)
		h.Set("svix-timestamp", strconv.Itoa(swTimestamp))
		h.Set("svix-signature", sig)
		return h
	}
	h := svix(swID, swSig)
	if err := v.Verify(h, []byte(swBody)); err != nil {
		t.Fatalf("Svix names: got %v, want nil", err)
	}
	if got := DeliveryID(v, h, []byte(swBody)); got != swID {
		t.Errorf("DeliveryID: got %q, want %q", got, swID)
	}
	if err := v.Verify(svix("msg_other", swSig), []byte(swBody)); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("Svix names, another id: got %v, want ErrInvalidSignature (svix-id is signed)", err)
	}
	if err := v.Verify(svix(swID, ""), []byte(swBody)); !errors.Is(err, ErrMissingSignature) || !strings.Contains(err.Error(), "Svix-Signature") {
		t.Errorf("Svix names without a signature: got %v, want ErrMissingSignature naming Svix-Signature", err)
	}
	// Both spellings: the standard one counts.
	h.Set(HeaderWebhookID, "msg_standard")
	h.Set(HeaderWebhookTimestamp, strconv.Itoa(swTimestamp))
	h.Set(HeaderWebhookSignature, swSig)
	if err := v.Verify(h, []byte(swBody)); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("both spellings, the standard one wrong: got %v, want ErrInvalidSignature", err)
	}
	if got := DeliveryID(v, h, []byte(swBody)); got != "msg_standard" {
		t.Errorf("DeliveryID with both spellings: got %q, want the webhook-id", got)
	}
}

// TestStripeDeliveryID reads the event id from bodies Stripe would send and
// from bodies it would not.
func TestStripeDeliveryID(t *testing.T) {
	v, err := NewStripe([]string{"whsec_s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("e", maxIDLen)
	tests := []struct {
		name, body, want string
	}{
		{"first member", `{"id":"evt_1","object":"event","data":{"object":{"id":"pi_1"}}}`, "evt_1"},
		{"after nested members", `{"object":"event","data":{"object":{"id":"pi_1","list":[{"id":"x"}]}},"id":"evt_2"}`, "evt_2"},
		{"whitespace", " \n{ \"id\" : \"evt_3\" }\n", "evt_3"},
		{"escaped name and value", `{"\u0069d":"evt_\u0034"}`, "evt_4"},
		{"longest id", `{"id":"` + long + `"}`, long},
		{"id too long", `{"id":"` + long + `e"}`, ""},
		{"only nested ids", `{"data":{"id":"pi_1"},"list":[{"id":"x"}]}`, ""},
		{"number id", `{"id":42}`, ""},
		{"null id", `{"id":null}`, ""},
		{"object id", `{"id":{"id":"evt_5"}}`, ""},
		{"array", `[{"id":"evt_6"}]`, ""},
		{"string", `"evt_7"`, ""},
		{"empty", ``, ""},
		{"broken before", `{"object":"event",,"id":"evt_8"}`, ""},
		{"repeated name before", `{"object":"a","object":"b","id":"evt_9"}`, ""},
		{"cut short", `{"object":"ev`, ""},
		{"invalid UTF-8 before", "{\"o\":\"\xff\",\"id\":\"evt_10\"}", ""},
		{"form body", `id=evt_11`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.DeliveryID(http.Header{}, []byte(tt.body)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSignerRoundTrip signs with each verifier's Sign method and verifies,
// then checks that a tampered copy fails.
func TestSignerRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	body := []byte(`{"hello":"world"}`)
	for _, scheme := range []string{SchemeStandardWebhooks, SchemeGitHub, SchemeStripe, SchemeShopify, SchemeHMAC} {
		t.Run(scheme, func(t *testing.T) {
			secret, err := NewSecret(scheme)
			if err != nil {
				t.Fatal(err)
			}
			var v Verifier
			switch scheme {
			case SchemeStandardWebhooks:
				v, err = NewStandardWebhooks([]string{secret}, &Options{Now: fixedClock(now)})
			case SchemeStripe:
				v, err = NewStripe([]string{secret}, &Options{Now: fixedClock(now)})
			default:
				v, err = New(Config{Scheme: scheme, Secrets: []string{secret}, Header: map[bool]string{true: "X-Sig"}[scheme == SchemeHMAC]})
			}
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			if err := v.(Signer).Sign(h, body); err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(h, body); err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if err := v.Verify(h, append([]byte{' '}, body...)); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("tampered: got %v, want %v", err, ErrInvalidSignature)
			}
		})
	}
}

func TestSignStandardWebhooksKeepsID(t *testing.T) {
	v, err := NewStandardWebhooks([]string{swSecret}, &Options{Now: fixedClock(time.Unix(swTimestamp, 0))})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderWebhookID, swID)
	if err := v.Sign(h, []byte(swBody)); err != nil {
		t.Fatal(err)
	}
	if got := h.Get(HeaderWebhookSignature); got != swSig {
		t.Errorf("got %v, want %v", got, swSig)
	}
	h2 := http.Header{}
	if err := v.Sign(h2, nil); err != nil {
		t.Fatal(err)
	}
	if got := h2.Get(HeaderWebhookID); !strings.HasPrefix(got, "msg_") || len(got) < 20 {
		t.Errorf("got id %v, want a random msg_ id", got)
	}
}

// TestConcurrentVerify exercises one verifier from many goroutines; run it
// with -race.
func TestConcurrentVerify(t *testing.T) {
	v, err := NewStandardWebhooks([]string{swSecret2, swSecret}, &Options{Now: fixedClock(time.Unix(swTimestamp, 0))})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Go(func() {
			for j := 0; j < 50; j++ {
				h := swHeader(swID, strconv.Itoa(swTimestamp), swSig)
				if err := v.Verify(h, []byte(swBody)); err != nil {
					errs <- err
					return
				}
				if err := v.Verify(h, []byte("x")); err == nil {
					errs <- errors.New("tampered body verified")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
