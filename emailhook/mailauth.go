package emailhook

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"

	"github.com/inbound-hooks/inbound/hooks"
)

// Resolver answers the DNS queries of SPF, DKIM and DMARC checks.
// *net.Resolver implements it; tests give a fake. A lookup that finds
// nothing should fail with a *net.DNSError whose IsNotFound is true, and a
// transient failure with one whose IsTemporary (or IsTimeout) is true: the
// checks tell "none" from "temperror" by them. Its methods are called
// concurrently.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

var _ Resolver = (*net.Resolver)(nil)

// AuthCheckerOptions configures an AuthChecker. The zero value works.
type AuthCheckerOptions struct {
	// Resolver answers DNS queries; nil uses net.DefaultResolver.
	Resolver Resolver
	// Hostname is the authserv-id that opens MailAuth.Summary; default
	// "localhost".
	Hostname string
	// Timeout bounds all the lookups of one message; default 20 seconds.
	// Checks that run out of time are "temperror".
	Timeout time.Duration
	// MaxDKIMSignatures is how many DKIM signatures of a message are
	// verified; default 5 (each costs DNS lookups and a hash of the body).
	MaxDKIMSignatures int
}

// AuthChecker checks SPF (RFC 7208, for the connecting IP against the MAIL
// FROM domain, or the HELO name when MAIL FROM is empty), DKIM (RFC 6376,
// every signature up to a limit) and DMARC (RFC 7489, with relaxed or
// strict alignment as the From domain's record asks, and the
// organizational domain's record when the From domain has none) on mail
// received over SMTP. It is safe for concurrent use.
//
// It reports verdicts; it does not refuse mail. A host that wants to act
// on them reads Event.Email.Auth.
type AuthChecker struct {
	r       Resolver
	host    string
	timeout time.Duration
	maxSigs int
}

// NewAuthChecker returns an AuthChecker.
func NewAuthChecker(opts AuthCheckerOptions) *AuthChecker {
	c := &AuthChecker{r: opts.Resolver, host: opts.Hostname, timeout: opts.Timeout, maxSigs: opts.MaxDKIMSignatures}
	if c.r == nil {
		c.r = net.DefaultResolver
	}
	if c.host == "" {
		c.host = "localhost"
	}
	if c.timeout <= 0 {
		c.timeout = 20 * time.Second
	}
	if c.maxSigs <= 0 {
		c.maxSigs = 5
	}
	return c
}

// Check returns the verdicts on one message: ip is the connecting client's
// address, helo its HELO/EHLO name, mailFrom the MAIL FROM address (empty
// for a bounce) and raw the message as received.
func (c *AuthChecker) Check(ctx context.Context, ip net.IP, helo, mailFrom string, raw []byte) *hooks.MailAuth {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	a := &hooks.MailAuth{Source: hooks.AuthSourceLocal}

	// SPF.
	spfDomain := domainOf(mailFrom)
	if spfDomain == "" {
		spfDomain = strings.ToLower(strings.TrimSuffix(helo, "."))
	}
	sender := mailFrom
	if sender == "" && helo != "" {
		sender = "postmaster@" + helo
	}
	if ip == nil {
		a.SPF = &hooks.AuthVerdict{Result: hooks.AuthNone, Domain: spfDomain, Reason: "no client IP address"}
	} else {
		res, err := spf.CheckHostWithSender(ip, helo, sender, spf.WithResolver(c.r), spf.WithContext(ctx))
		v := &hooks.AuthVerdict{Result: string(res), Domain: spfDomain}
		if err != nil && res != spf.Pass {
			v.Reason = err.Error()
		}
		a.SPF = v
	}

	// DKIM.
	lookup := func(name string) ([]string, error) { return c.r.LookupTXT(ctx, name) }
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup, MaxVerifications: c.maxSigs})
	for _, v := range verifs {
		av := hooks.AuthVerdict{Domain: strings.ToLower(v.Domain), Result: hooks.AuthPass}
		switch {
		case v.Err == nil:
		case dkim.IsTempFail(v.Err):
			av.Result, av.Reason = hooks.AuthTempError, v.Err.Error()
		case dkim.IsPermFail(v.Err):
			av.Result, av.Reason = hooks.AuthPermError, v.Err.Error()
		default:
			av.Result, av.Reason = hooks.AuthFail, v.Err.Error()
		}
		a.DKIM = append(a.DKIM, av)
	}
	if len(a.DKIM) == 0 {
		reason := "no signature"
		if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
			reason = err.Error()
		}
		a.DKIM = []hooks.AuthVerdict{{Result: hooks.AuthNone, Reason: reason}}
	}

	// DMARC.
	from := fromDomain(raw)
	a.DMARC = c.dmarc(ctx, from, a)
	a.Summary = summarize(c.host, a, mailFrom, from)
	return a
}

// dmarc evaluates the From domain's policy against the SPF and DKIM
// verdicts in a.
func (c *AuthChecker) dmarc(ctx context.Context, from string, a *hooks.MailAuth) *hooks.AuthVerdict {
	if from == "" {
		return &hooks.AuthVerdict{Result: hooks.AuthPermError, Reason: "no single From domain"}
	}
	opts := &dmarc.LookupOptions{LookupTXT: func(name string) ([]string, error) { return c.r.LookupTXT(ctx, name) }}
	org := orgDomain(from)
	rec, err := dmarc.LookupWithOptions(from, opts)
	policyAt := from
	if errors.Is(err, dmarc.ErrNoPolicy) && org != from {
		rec, err = dmarc.LookupWithOptions(org, opts)
		policyAt = org
	}
	switch {
	case errors.Is(err, dmarc.ErrNoPolicy):
		return &hooks.AuthVerdict{Result: hooks.AuthNone, Domain: from, Reason: "no DMARC record"}
	case err != nil && dmarc.IsTempFail(err):
		return &hooks.AuthVerdict{Result: hooks.AuthTempError, Domain: from, Reason: err.Error()}
	case err != nil:
		return &hooks.AuthVerdict{Result: hooks.AuthPermError, Domain: from, Reason: err.Error()}
	}
	policy := string(rec.Policy)
	if policyAt != from && rec.SubdomainPolicy != "" {
		policy = string(rec.SubdomainPolicy)
	}
	aligned := func(d string, mode dmarc.AlignmentMode) bool {
		if d == "" {
			return false
		}
		if mode == dmarc.AlignmentStrict {
			return strings.EqualFold(d, from)
		}
		return strings.EqualFold(orgDomain(d), org)
	}
	if a.SPF != nil && a.SPF.Result == hooks.AuthPass && aligned(a.SPF.Domain, rec.SPFAlignment) {
		return &hooks.AuthVerdict{Result: hooks.AuthPass, Domain: from, Policy: policy, Reason: "SPF aligned"}
	}
	for _, d := range a.DKIM {
		if d.Result == hooks.AuthPass && aligned(d.Domain, rec.DKIMAlignment) {
			return &hooks.AuthVerdict{Result: hooks.AuthPass, Domain: from, Policy: policy, Reason: "DKIM aligned"}
		}
	}
	return &hooks.AuthVerdict{Result: hooks.AuthFail, Domain: from, Policy: policy, Reason: "no aligned SPF or DKIM pass"}
}

// orgDomain is the organizational domain of d (RFC 7489 3.2): one label
// below its public suffix.
func orgDomain(d string) string {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if o, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return o
	}
	return d
}

// domainOf returns the lowercase domain of an address, or "".
func domainOf(addr string) string {
	addr = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(addr), "<"), ">")
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
	}
	return ""
}

// fromDomain returns the domain of the single From address of raw, or ""
// when there is none or more than one (DMARC cannot be evaluated then).
func fromDomain(raw []byte) string {
	h := rawHeader(raw)
	if len(h.Values("From")) != 1 {
		return ""
	}
	addrs, err := parseAddressList(h.Get("From"))
	if err != nil || len(addrs) != 1 {
		return ""
	}
	return domainOf(addrs[0])
}

// normalizeResult maps a provider's spelling of a result ("Pass",
// "SoftFail", "temperror", "TempError", "hardfail") to the Auth constants.
func normalizeResult(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, " (;"); i > 0 {
		s = s[:i]
	}
	switch s {
	case "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror":
		return s
	case "hardfail":
		return hooks.AuthFail
	case "soft_fail", "soft-fail":
		return hooks.AuthSoftFail
	case "temp_error", "temp-error", "error":
		return hooks.AuthTempError
	case "perm_error", "perm-error":
		return hooks.AuthPermError
	case "":
		return hooks.AuthNone
	}
	return hooks.AuthNeutral
}

// summarize renders a as an Authentication-Results field value with
// authserv-id id.
func summarize(id string, a *hooks.MailAuth, mailFrom, from string) string {
	var rs []authres.Result
	if a.SPF != nil {
		r := &authres.SPFResult{Value: authres.ResultValue(a.SPF.Result)}
		if mailFrom != "" {
			r.From = mailFrom
		} else {
			r.Helo = a.SPF.Domain
		}
		rs = append(rs, r)
	}
	for _, d := range a.DKIM {
		rs = append(rs, &authres.DKIMResult{Value: authres.ResultValue(d.Result), Domain: d.Domain})
	}
	if a.DMARC != nil {
		d := a.DMARC.Domain
		if d == "" {
			d = from
		}
		rs = append(rs, &authres.DMARCResult{Value: authres.ResultValue(a.DMARC.Result), From: d})
	}
	if len(rs) == 0 {
		return id + "; none"
	}
	// authres leaves a space where a result has no properties ("dkim=none ;").
	return strings.TrimRight(strings.ReplaceAll(authres.Format(id, rs), " ;", ";"), " ")
}

// parseAddressList returns the addresses of a header field value.
func parseAddressList(v string) ([]string, error) {
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.Address
	}
	return out, nil
}
