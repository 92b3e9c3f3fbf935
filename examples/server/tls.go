package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// smtpConfig is what the SMTP flags set beside -smtp-addr.
type smtpConfig struct {
	Hostname        string // the greeting's name; default the certificate's, else localhost
	TLSCert, TLSKey string // PEM files that turn STARTTLS on
	RequireTLS      bool   // refuse mail before STARTTLS
}

// tlsConfig returns the SMTP listener's TLS configuration from
// -smtp-tls-cert and -smtp-tls-key, or nil when neither is set, and the
// certificate's first DNS name that is not a wildcard (the default
// -smtp-hostname).
func (cfg smtpConfig) tlsConfig(log *slog.Logger) (*tls.Config, string, error) {
	switch {
	case cfg.TLSCert == "" && cfg.TLSKey == "":
		if cfg.RequireTLS {
			return nil, "", errors.New("-smtp-require-tls needs -smtp-tls-cert and -smtp-tls-key")
		}
		return nil, "", nil
	case cfg.TLSCert == "" || cfg.TLSKey == "":
		return nil, "", errors.New("-smtp-tls-cert and -smtp-tls-key go together: give both, or neither for SMTP without STARTTLS")
	}
	files, err := loadCertFiles(cfg.TLSCert, cfg.TLSKey, log)
	if err != nil {
		return nil, "", err
	}
	name := ""
	if leaf := files.cert.Leaf; leaf != nil {
		for _, n := range leaf.DNSNames {
			if !strings.HasPrefix(n, "*") { // a wildcard names no host
				name = n
				break
			}
		}
	}
	return &tls.Config{GetCertificate: files.GetCertificate, MinVersion: tls.VersionTLS12}, name, nil
}

// certFiles serves a certificate and its key from PEM files, and loads them
// again when either file changes (a renewal by certbot or another ACME
// client), so that renewals need no restart. It is safe for concurrent use.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu     sync.Mutex
	cert   *tls.Certificate
	loaded [2]fileStamp // the files' stamps when cert was loaded
	failed [2]fileStamp // the stamps of the last change that did not load
}

// fileStamp tells when a file changed: its modification time and size
// (os.Stat follows symbolic links, as certbot's live/ directory uses).
type fileStamp struct {
	mod  time.Time
	size int64
}

// loadCertFiles loads the pair once, so that a bad path or key fails at
// startup with the flag's name.
func loadCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	stamps, err := c.stamps()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("-smtp-tls-cert %s and -smtp-tls-key %s: %w", certFile, keyFile, err)
	}
	c.cert, c.loaded = &cert, stamps
	return c, nil
}

func (c *certFiles) stamps() ([2]fileStamp, error) {
	var st [2]fileStamp
	for i, f := range []struct{ flag, path string }{{"-smtp-tls-cert", c.certFile}, {"-smtp-tls-key", c.keyFile}} {
		fi, err := os.Stat(f.path)
		if err != nil {
			return st, fmt.Errorf("%s: %w", f.flag, err)
		}
		st[i] = fileStamp{mod: fi.ModTime(), size: fi.Size()}
	}
	return st, nil
}

// GetCertificate implements tls.Config.GetCertificate: the loaded
// certificate, loaded again first when a file changed since. A change that
// does not load (a renewal half-written, a key that does not match) is
// logged once and the previous certificate kept, until the files change
// again.
func (c *certFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stamps, err := c.stamps()
	if err != nil || stamps == c.loaded || stamps == c.failed {
		return c.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.failed = stamps
		c.log.Warn("SMTP TLS certificate changed but does not load; keeping the previous one", "cert", c.certFile, "key", c.keyFile, "err", err)
		return c.cert, nil
	}
	c.cert, c.loaded, c.failed = &cert, stamps, [2]fileStamp{}
	c.log.Info("SMTP TLS certificate reloaded", "cert", c.certFile)
	return c.cert, nil
}
