package signature_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/inbound-hooks/inbound/webhook/signature"
)

// A sender signs a Standard Webhooks request; the receiver verifies the raw
// body, and rejects a tampered one with a stable error code.
func Example() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	sent := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)

	sig, err := signature.SignStandardWebhooks(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", sent, body)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", sig)
	fmt.Println(sig)

	v, err := signature.NewStandardWebhooks([]string{secret}, &signature.Options{
		Now: func() time.Time { return sent.Add(30 * time.Second) },
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("authentic:", v.Verify(h, body))
	fmt.Println("delivery id:", signature.DeliveryID(v, h, body))

	err = v.Verify(h, []byte(`{"test": 1}`))
	fmt.Println("tampered:", signature.Code(err))
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// authentic: <nil>
	// delivery id: msg_p5jXN8AQM9LWM0D4loKWxJek
	// tampered: signature_invalid
}

// A hook stores a Config; New builds its verifier. Redacted hides the
// secrets for display.
func ExampleNew() {
	c := signature.Config{Scheme: signature.SchemeGitHub, Secrets: []string{"It's a Secret to Everybody"}}
	v, err := signature.New(c)
	if err != nil {
		panic(err)
	}
	body := []byte("Hello, World!")
	h := http.Header{}
	h.Set("X-Hub-Signature-256", signature.SignGitHub("It's a Secret to Everybody", body))
	fmt.Println(h.Get("X-Hub-Signature-256"))
	fmt.Println("verify:", v.Verify(h, body))
	fmt.Println("missing:", signature.Code(v.Verify(http.Header{}, body)))
	fmt.Println("redact:", signature.HeaderNames(v))
	fmt.Printf("%+v\n", c.Redacted())
	// Output:
	// sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
	// verify: <nil>
	// missing: signature_missing
	// redact: [X-Hub-Signature-256]
	// {Scheme:github Secrets:[[redacted]] Header: Algorithm: Encoding: Prefix: ToleranceSeconds:0}
}

// Stripe signs t + "." + body; a request signed ten minutes before the
// receiver's clock is rejected even though the signature matches.
func ExampleStripe() {
	secret := "whsec_stripe_test_secret"
	body := []byte(`{"id":"evt_test","object":"event"}`)
	signed := time.Unix(1700000000, 0)
	h := http.Header{}
	h.Set("Stripe-Signature", signature.SignStripe(secret, signed, body))

	v, err := signature.NewStripe([]string{secret}, &signature.Options{
		Now: func() time.Time { return signed.Add(10 * time.Minute) },
	})
	if err != nil {
		panic(err)
	}
	err = v.Verify(h, body)
	fmt.Println(signature.Code(err), "-", err)
	// Output:
	// timestamp_out_of_tolerance - signature: timestamp outside tolerance
}
