package emailhook

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/inbound-hooks/inbound/hooks"
)

// fakeResolver answers from maps; names in temp fail with a temporary
// DNS error, unknown names with "not found".
type fakeResolver struct {
	mu   sync.Mutex
	txt  map[string][]string
	ip   map[string][]net.IPAddr
	temp map[string]bool
	asks []string
}

func (f *fakeResolver) fail(name string) error {
	if f.temp[strings.TrimSuffix(name, ".")] {
		return &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
	}
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name = strings.TrimSuffix(name, ".")
	f.asks = append(f.asks, name)
	if v, ok := f.txt[name]; ok && !f.temp[name] {
		return v, nil
	}
	return nil, f.fail(name)
}

func (f *fakeResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, f.fail(name)
}

func (f *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.ip[strings.TrimSuffix(host, ".")]; ok {
		return v, nil
	}
	return nil, f.fail(host)
}

func (f *fakeResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, f.fail(addr)
}

// signed returns msg with a DKIM signature of domain d, selector s, made
// with key, and the TXT record that publishes the key.
func signed(t *testing.T, msg, d, s string, key any) ([]byte, string) {
	t.Helper()
	var (
		signer dkim.SignOptions
		rec    string
	)
	signer.Domain, signer.Selector = d, s
	switch k := key.(type) {
	case ed25519.PrivateKey:
		signer.Signer = k
		rec = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey))
	case *rsa.PrivateKey:
		signer.Signer = k
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		rec = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	}
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), &signer); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), rec
}

func authMessage(from string) string {
	return "From: Shop <" + from + ">\r\nTo: x@in.example.com\r\nSubject: Order\r\n" +
		"Message-ID: <a@example.net>\r\nDate: Fri, 27 Nov 2026 08:00:00 +0000\r\n\r\nHello\r\n"
}

func TestAuthCheckerVerdicts(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	client := net.ParseIP("192.0.2.10")
	goodSigned, edRec := signed(t, authMessage("shop@example.net"), "example.net", "ed", edKey)
	rsaSigned, rsaRec := signed(t, authMessage("shop@example.net"), "mail.example.net", "rsa", rsaKey)
	tampered := bytes.Replace(goodSigned, []byte("Hello"), []byte("Hullo"), 1)
	thirdParty, tpRec := signed(t, authMessage("shop@example.net"), "esp.example", "ed", edKey)

	tests := []struct {
		name      string
		txt       map[string][]string
		temp      []string
		mailFrom  string
		msg       []byte
		wantSPF   string
		wantDKIM  []string // results, one per signature
		wantDMARC string
		wantPol   string
	}{
		{
			name: "pass (ed25519, aligned)",
			txt: map[string][]string{
				"example.net":               {"v=spf1 ip4:192.0.2.0/24 -all"},
				"ed._domainkey.example.net": {edRec},
				"_dmarc.example.net":        {"v=DMARC1; p=reject"},
			},
			mailFrom: "bounce@example.net", msg: goodSigned,
			wantSPF: "pass", wantDKIM: []string{"pass"}, wantDMARC: "pass", wantPol: "reject",
		},
		{
			name: "pass (RSA, subdomain, relaxed alignment, org-domain record)",
			txt: map[string][]string{
				"bounces.example.net":             {"v=spf1 -all"},
				"rsa._domainkey.mail.example.net": {rsaRec},
				"_dmarc.example.net":              {"v=DMARC1; p=quarantine"},
			},
			mailFrom: "b@bounces.example.net", msg: rsaSigned,
			wantSPF: "fail", wantDKIM: []string{"pass"}, wantDMARC: "pass", wantPol: "quarantine",
		},
		{
			name: "fail (tampered body, SPF not listed)",
			txt: map[string][]string{
				"example.net":               {"v=spf1 ip4:198.51.100.1 -all"},
				"ed._domainkey.example.net": {edRec},
				"_dmarc.example.net":        {"v=DMARC1; p=reject"},
			},
			mailFrom: "bounce@example.net", msg: tampered,
			wantSPF: "fail", wantDKIM: []string{"fail"}, wantDMARC: "fail", wantPol: "reject",
		},
		{
			name: "fail (strict alignment, third-party DKIM)",
			txt: map[string][]string{
				"esp.example":               {"v=spf1 ip4:192.0.2.10 -all"},
				"ed._domainkey.esp.example": {tpRec},
				"_dmarc.example.net":        {"v=DMARC1; p=reject; adkim=s; aspf=s"},
			},
			mailFrom: "bounce@esp.example", msg: thirdParty,
			wantSPF: "pass", wantDKIM: []string{"pass"}, wantDMARC: "fail", wantPol: "reject",
		},
		{
			name: "softfail",
			txt: map[string][]string{
				"example.net":        {"v=spf1 ip4:198.51.100.1 ~all"},
				"_dmarc.example.net": {"v=DMARC1; p=none"},
			},
			mailFrom: "bounce@example.net", msg: []byte(authMessage("shop@example.net")),
			wantSPF: "softfail", wantDKIM: []string{"none"}, wantDMARC: "fail", wantPol: "none",
		},
		{
			name:     "none",
			txt:      map[string][]string{},
			mailFrom: "bounce@example.net", msg: []byte(authMessage("shop@example.net")),
			wantSPF: "none", wantDKIM: []string{"none"}, wantDMARC: "none",
		},
		{
			name: "temperror",
			txt: map[string][]string{
				"example.net":               {"v=spf1 -all"},
				"ed._domainkey.example.net": {edRec},
				"_dmarc.example.net":        {"v=DMARC1; p=reject"},
			},
			temp:     []string{"example.net", "ed._domainkey.example.net", "_dmarc.example.net"},
			mailFrom: "bounce@example.net", msg: goodSigned,
			wantSPF: "temperror", wantDKIM: []string{"temperror"}, wantDMARC: "temperror",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeResolver{txt: tt.txt, temp: map[string]bool{}}
			for _, n := range tt.temp {
				r.temp[n] = true
			}
			c := NewAuthChecker(AuthCheckerOptions{Resolver: r, Hostname: "mx.in.example.com"})
			a := c.Check(context.Background(), client, "mail.example.net", tt.mailFrom, tt.msg)
			if a.Source != hooks.AuthSourceLocal {
				t.Errorf("Source: got %q, want %q", a.Source, hooks.AuthSourceLocal)
			}
			if a.SPF == nil || a.SPF.Result != tt.wantSPF {
				t.Errorf("SPF: got %+v, want %s", a.SPF, tt.wantSPF)
			}
			var dk []string
			for _, d := range a.DKIM {
				dk = append(dk, d.Result)
			}
			if strings.Join(dk, ",") != strings.Join(tt.wantDKIM, ",") {
				t.Errorf("DKIM: got %+v, want %v", a.DKIM, tt.wantDKIM)
			}
			if a.DMARC == nil || a.DMARC.Result != tt.wantDMARC || a.DMARC.Policy != tt.wantPol || a.DMARC.Domain != "example.net" {
				t.Errorf("DMARC: got %+v, want %s policy %q for example.net", a.DMARC, tt.wantDMARC, tt.wantPol)
			}
			wantSummary := "mx.in.example.com; spf=" + tt.wantSPF
			if strings.Contains(a.Summary, " ;") || !strings.HasPrefix(a.Summary, wantSummary) || !strings.Contains(a.Summary, "dmarc="+tt.wantDMARC) {
				t.Errorf("Summary: got %q, want it to start %q and hold dmarc=%s", a.Summary, wantSummary, tt.wantDMARC)
			}
		})
	}
}

func TestSMTPCarriesVerdicts(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	env := newEmailEnv(t)
	hookAddr := env.reg.Address(env.hook)
	msg, rec := signed(t, strings.Replace(authMessage("shop@example.net"), "x@in.example.com", "customer@example.org", 1), "example.net", "ed", key)
	r := &fakeResolver{txt: map[string][]string{
		"example.net":               {"v=spf1 ip4:127.0.0.0/8 -all"},
		"ed._domainkey.example.net": {rec},
		"_dmarc.example.net":        {"v=DMARC1; p=reject"},
	}}
	addr := startSMTP(t, env.p, SMTPOptions{Domains: []string{"in.example.com"}, Hostname: "mx.in.example.com",
		AuthChecker: NewAuthChecker(AuthCheckerOptions{Resolver: r, Hostname: "mx.in.example.com"})})
	if err := smtp.SendMail(addr, nil, "bounce@example.net", []string{hookAddr}, msg); err != nil {
		t.Fatal(err)
	}
	evs := env.trig.all()
	if len(evs) != 1 {
		t.Fatalf("events: got %d, want 1", len(evs))
	}
	a := evs[0].Email.Auth
	if a == nil {
		t.Fatal("no verdicts on the event")
	}
	want := "mx.in.example.com; spf=pass smtp.mailfrom=bounce@example.net; dkim=pass header.d=example.net; dmarc=pass header.from=example.net"
	if a.Summary != want {
		t.Errorf("Summary:\ngot  %q\nwant %q", a.Summary, want)
	}
}

func TestProviderVerdictMapping(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"Pass", "pass"}, {"SoftFail", "softfail"}, {"Fail", "fail"}, {"Neutral", "neutral"},
		{"None", "none"}, {"TempError", "temperror"}, {"PermError", "permerror"}, {"hardfail", "fail"},
		{"Pass (sender SPF authorized)", "pass"}, {"", "none"}, {"whatever", "neutral"},
	} {
		if got := normalizeResult(tt.in); got != tt.want {
			t.Errorf("normalizeResult(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
	a := sendGridVerdicts("pass", "{@example.net : pass, @esp.example : fail}", "b@example.net")
	if a.SPF.Result != "pass" || len(a.DKIM) != 2 || a.DKIM[1].Domain != "esp.example" || a.DKIM[1].Result != "fail" || a.DMARC != nil {
		t.Errorf("SendGrid verdicts: got %+v", a)
	}
	if sendGridVerdicts("", "", "") != nil || mailgunVerdicts("", "", "") != nil || postmarkVerdicts("", "", "") != nil {
		t.Error("no reported verdicts should give a nil MailAuth")
	}
}
