package hooks

// MailAuth is the verdict of mail authentication on one message: SPF, DKIM
// and DMARC, as the system named by Source evaluated them. It is the same
// shape whether this server checked the message (mail received over SMTP)
// or a mail provider did and posted its verdicts with the message.
type MailAuth struct {
	// A check that was not made (or that a provider does not report) is
	// nil (DKIM: empty) and absent from Summary.
	//
	// Source names the system whose verdicts these are: AuthSourceLocal for
	// checks made by this server, or the provider ("mailgun", "sendgrid",
	// "postmark") that received the message and reported them.
	Source string `json:"source"`
	// SPF is the check of the connecting IP against the SPF record of the
	// MAIL FROM domain (or of the HELO name when MAIL FROM is empty).
	SPF *AuthVerdict `json:"spf,omitempty"`
	// DKIM holds one verdict per DKIM signature (Domain is its d= tag);
	// a message without signatures has one verdict "none".
	DKIM []AuthVerdict `json:"dkim,omitempty"`
	// DMARC is the From domain's DMARC evaluation; Domain is the From
	// domain and Policy the policy its record asks for.
	DMARC *AuthVerdict `json:"dmarc,omitempty"`
	// Summary is an Authentication-Results header field value (RFC 8601)
	// carrying the verdicts, such as
	// "mx.example.com; spf=pass smtp.mailfrom=shop@example.net; dkim=pass header.d=example.net; dmarc=pass header.from=example.net".
	Summary string `json:"summary"`
}

// AuthSourceLocal is the MailAuth.Source of verdicts this server reached
// itself, on mail received over SMTP.
const AuthSourceLocal = "local"

// AuthVerdict is one authentication result.
type AuthVerdict struct {
	// Result is one of the Auth result constants: "pass", "fail",
	// "softfail", "neutral", "none", "temperror" or "permerror" (DMARC
	// uses pass, fail, none, temperror and permerror).
	Result string `json:"result"`
	// Domain is the identity the result is about: the SPF domain, the
	// DKIM signing domain (d=) or the DMARC From domain.
	Domain string `json:"domain,omitempty"`
	// Policy is, for DMARC, the policy the domain's record asks for
	// ("none", "quarantine" or "reject"); empty otherwise.
	Policy string `json:"policy,omitempty"`
	// Reason says why, in words, when the checker gave one.
	Reason string `json:"reason,omitempty"`
}

// Authentication results, as spelled in Authentication-Results.
const (
	AuthPass      = "pass"
	AuthFail      = "fail"
	AuthSoftFail  = "softfail"
	AuthNeutral   = "neutral"
	AuthNone      = "none"
	AuthTempError = "temperror"
	AuthPermError = "permerror"
)

// SenderCheck is an email hook's sender policy verdict on one message: is
// its authenticated sender one the hook allows?
type SenderCheck struct {
	// Allowed reports whether the sender is allowed.
	Allowed bool `json:"allowed"`
	// Identity is the From address the verdicts authenticate (DMARC
	// aligned), lowercased; "" when none is.
	Identity string `json:"identity,omitempty"`
	// Reason says why, in words.
	Reason string `json:"reason"`
}
