package main

import (
	"flag"
	"net/http"

	"github.com/inbound-hooks/inbound/emailhook"
)

// The paths of the mail providers' inbound endpoints.
const (
	mailgunPath  = "/hooks/email/mailgun"   // and mailgunPath+"/mime": Mailgun posts raw MIME to URLs ending in "mime"
	sendgridPath = "/hooks/email/sendgrid/" // a trailing segment is the secret path
	postmarkPath = "/hooks/email/postmark"
)

// providerConfig holds the credentials of the inbound mail providers; an
// endpoint is mounted only when its credential is set.
type providerConfig struct {
	MailgunSigningKey string // Mailgun's HTTP webhook signing key
	SendGridSecret    string // basic-auth password or secret path segment
	PostmarkSecret    string // basic-auth password
}

// addProviderFlags declares the provider flags on fs.
func addProviderFlags(fs *flag.FlagSet, c *providerConfig, getenv func(string) string) {
	fs.StringVar(&c.MailgunSigningKey, "mailgun-signing-key", getenv("INBOUND_MAILGUN_SIGNING_KEY"),
		"Mailgun HTTP webhook signing key; mounts "+mailgunPath+" (env INBOUND_MAILGUN_SIGNING_KEY)")
	fs.StringVar(&c.SendGridSecret, "sendgrid-secret", getenv("INBOUND_SENDGRID_SECRET"),
		"secret of SendGrid Inbound Parse posts (basic-auth password or last path segment); mounts "+sendgridPath+" (env INBOUND_SENDGRID_SECRET)")
	fs.StringVar(&c.PostmarkSecret, "postmark-secret", getenv("INBOUND_POSTMARK_SECRET"),
		"basic-auth password of Postmark inbound posts; mounts "+postmarkPath+" (env INBOUND_POSTMARK_SECRET)")
}

// mountProviders mounts the provider endpoints whose credential is set.
// They route by envelope recipient, like SMTP, to hooks of the server's
// email domain; a Postmark post to Postmark's own inbound address routes by
// its MailboxHash.
func (s *server) mountProviders(mux *http.ServeMux) error {
	c := s.cfg.Providers
	po := emailhook.ProviderOptions{Domains: []string{s.cfg.EmailDomain}, Logger: s.cfg.Logger}
	mounts := []struct {
		path string
		on   bool
		make func() (http.Handler, error)
	}{
		{mailgunPath, c.MailgunSigningKey != "", func() (http.Handler, error) {
			return emailhook.NewMailgunHandler(s.pipeline, emailhook.MailgunOptions{ProviderOptions: po, SigningKey: c.MailgunSigningKey})
		}},
		{sendgridPath, c.SendGridSecret != "", func() (http.Handler, error) {
			return emailhook.NewSendGridHandler(s.pipeline, emailhook.SendGridOptions{ProviderOptions: po,
				Credential: emailhook.Credential{Secret: c.SendGridSecret}, Prefix: sendgridPath})
		}},
		{postmarkPath, c.PostmarkSecret != "", func() (http.Handler, error) {
			return emailhook.NewPostmarkHandler(s.pipeline, emailhook.PostmarkOptions{ProviderOptions: po,
				Credential: emailhook.Credential{Secret: c.PostmarkSecret}})
		}},
	}
	for _, m := range mounts {
		if !m.on {
			continue
		}
		h, err := m.make()
		if err != nil {
			return err
		}
		mux.Handle(m.path, h)
		if m.path == mailgunPath {
			mux.Handle(mailgunPath+"/mime", h)
		}
	}
	return nil
}
