package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// BenchmarkVerifyStandardWebhooks measures Verify on a 1 KiB body beside a
// bare hmac.New+Write+Sum over the same signed content, in the same run.
// Sub-benchmarks: "baseline" (bare HMAC), "verify" (one secret, first entry
// matches), "verify-rotation" (two secrets, matching entry second in a list
// of two, so two HMACs), "reject" (tampered body).
func BenchmarkVerifyStandardWebhooks(b *testing.B) {
	body := make([]byte, 1024)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	now := time.Unix(swTimestamp, 0)
	ts := strconv.Itoa(swTimestamp)
	sig1, _ := SignStandardWebhooks(swSecret, swID, now, body)
	one, err := NewStandardWebhooks([]string{swSecret}, &Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	two, err := NewStandardWebhooks([]string{swSecret2, swSecret}, &Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	key := one.keys[0]
	prefix := []byte(swID + "." + ts + ".")

	b.Run("baseline", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			m := hmac.New(sha256.New, key)
			m.Write(prefix)
			m.Write(body)
			_ = m.Sum(nil)
		}
	})
	run := func(name string, v *StandardWebhooks, h http.Header, body []byte, wantOK bool) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(h, body); (err == nil) != wantOK {
					b.Fatalf("got %v", err)
				}
			}
		})
	}
	run("verify", one, swHeader(swID, ts, sig1), body, true)
	run("verify-rotation", two, swHeader(swID, ts, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "+sig1), body, true)
	tampered := append([]byte{}, body...)
	tampered[0] ^= 1
	run("reject", one, swHeader(swID, ts, sig1), tampered, false)
}

// BenchmarkStripeDeliveryID reads the event id of a 1 KiB Stripe event
// whose id comes first (as Stripe writes it) and of one whose id comes
// last (every other member skipped).
func BenchmarkStripeDeliveryID(b *testing.B) {
	pad := make([]byte, 900)
	for i := range pad {
		pad[i] = byte('a' + i%26)
	}
	first := []byte(`{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","data":{"object":{"id":"in_1","memo":"` + string(pad) + `"}}}`)
	last := []byte(`{"object":"event","data":{"object":{"id":"in_1","memo":"` + string(pad) + `"}},"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy"}`)
	v, err := NewStripe([]string{"whsec_s"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body []byte
	}{{"id-first", first}, {"id-last", last}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				if v.DeliveryID(nil, c.body) == "" {
					b.Fatal("no id")
				}
			}
		})
	}
}
