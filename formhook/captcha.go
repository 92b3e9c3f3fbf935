package formhook

import "context"

// DefaultCaptchaField is the form field a CaptchaVerifier's token is read
// from when Options.CaptchaField is empty. Providers' widgets use their own
// names: set Options.CaptchaField to "g-recaptcha-response" (reCAPTCHA),
// "h-captcha-response" (hCaptcha) or "cf-turnstile-response" (Turnstile).
const DefaultCaptchaField = "captcha-response"

// CaptchaVerifier checks a captcha token with its provider. A host plugs
// one in through Options.Captcha; the Handler then requires the token in
// every post (in the form field Options.CaptchaField) and removes it from
// the event data.
//
// VerifyCaptcha is called concurrently, once per post, after the body is
// decoded and before the event is delivered, with the client's address as
// the Handler determined it (see Options.TrustedProxies). It returns nil
// when the token is valid, an error wrapping ErrCaptchaInvalid when the
// provider rejects it (the sender gets 403 captcha_failed), and any other
// error when the provider cannot be asked (503 captcha_unavailable). It
// must honour ctx and must not keep token.
type CaptchaVerifier interface {
	VerifyCaptcha(ctx context.Context, token, remoteIP string) error
}

// CaptchaFunc adapts an ordinary function to the CaptchaVerifier interface.
type CaptchaFunc func(ctx context.Context, token, remoteIP string) error

// VerifyCaptcha calls f(ctx, token, remoteIP).
func (f CaptchaFunc) VerifyCaptcha(ctx context.Context, token, remoteIP string) error {
	return f(ctx, token, remoteIP)
}

var _ CaptchaVerifier = CaptchaFunc(nil)

// Error codes the Handler answers with, besides those of package hooks.
const (
	CodeCaptchaMissing     = "captcha_missing"     // 400: no captcha token in the post
	CodeCaptchaFailed      = "captcha_failed"      // 403: the provider rejected the token
	CodeCaptchaUnavailable = "captcha_unavailable" // 503: the provider could not be asked
)
