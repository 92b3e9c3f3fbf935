package formhook

import "errors"

// Sentinel errors of package formhook.
var (
	// ErrNilPipeline means New was given no pipeline.
	ErrNilPipeline = errors.New("formhook: pipeline is nil")
	// ErrInvalidOptions means an Options field is out of range.
	ErrInvalidOptions = errors.New("formhook: invalid options")
	// ErrCaptchaInvalid is what a CaptchaVerifier wraps when its provider
	// rejects a token: the sender gets 403 captcha_failed. Any other error
	// from a CaptchaVerifier answers 503 captcha_unavailable.
	ErrCaptchaInvalid = errors.New("formhook: captcha rejected")
)
