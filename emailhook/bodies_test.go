package emailhook

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
)

// decodeForHook decodes raw as an email hook's session does.
func decodeForHook(t testing.TB, x *Extractor, raw []byte) (*hooks.Decoded, error) {
	t.Helper()
	s := &hookSession{parsed: &parsedMessage{x: x}}
	return s.Decode(context.Background(), raw)
}

// bodiesMessages are messages whose bodies take each path of the part
// walker: the fixtures, and messages built here.
func bodiesMessages(t *testing.T) map[string][]byte {
	t.Helper()
	msgs := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	corpus, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*", "*.eml"))
	files = append(files, append(corpus, filepath.Join("..", "examples", "server", "order.eml"))...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msgs[filepath.Base(f)] = b
	}
	long := strings.Repeat("é", maxEmailBodyBytes) // cut at 256 KiB
	msgs["long bodies"] = []byte("From: a@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + long + "\r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>" + long + "</p>\r\n--b--\r\n")
	msgs["no content type"] = []byte("From: a@example.com\r\nSubject: plain\r\n\r\nhello\r\n")
	msgs["latin1 html, second html an attachment"] = []byte("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Gr=FC=DFe</p>\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>second</p>\r\n--b--\r\n")
	msgs["broken base64 first"] = []byte("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n" +
		"--b\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nkept as it is\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<b>later</b>\r\n")
	msgs["attachment disposition"] = []byte("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nnot the body\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nthe body\r\n--b--\r\n")
	return msgs
}

// TestBodies checks that Bodies reads from a message exactly the bodies
// an email hook's session gives its event, and that the session says so
// (Decoded.BodiesFromRaw): a queue then stores the message alone and
// reads them again with Bodies.
func TestBodies(t *testing.T) {
	x := testExtractor(t)
	for name, raw := range bodiesMessages(t) {
		t.Run(name, func(t *testing.T) {
			d, err := decodeForHook(t, x, raw)
			if err != nil {
				t.Fatal(err)
			}
			if !d.BodiesFromRaw {
				t.Fatal("Decoded.BodiesFromRaw is false for a message decoded from the body")
			}
			text, html, err := Bodies(raw)
			if err != nil {
				t.Fatal(err)
			}
			if text != d.Email.Text || html != d.Email.HTML {
				t.Fatalf("Bodies:\ntext %.200q\nhtml %.200q\nthe hook's event:\ntext %.200q\nhtml %.200q", text, html, d.Email.Text, d.Email.HTML)
			}
			if name == "long bodies" && !d.Email.BodiesTruncated {
				t.Fatal("the long bodies were not cut: the case tests nothing")
			}
		})
	}
	if _, _, err := Bodies([]byte("no header at all")); err == nil {
		t.Error("Bodies of a non-message: want an error")
	}
}

// TestBodiesLargerThanTheDefaultLimit checks that Bodies reads a message
// larger than DefaultMaxMessageBytes, which a hook with a higher limit
// accepts.
func TestBodiesLargerThanTheDefaultLimit(t *testing.T) {
	pad := strings.Repeat("x", int(DefaultMaxMessageBytes))
	raw := []byte("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\n\r\n" + pad + "\r\n--b--\r\n")
	_, html, err := Bodies(raw)
	if err != nil || html != "<p>hi</p>" {
		t.Fatalf("got %q, %v", html, err)
	}
}

// TestProviderPostBodiesNotFromRaw checks that a provider post's event,
// whose Raw is the post and not the message inside it, is not said to have
// bodies read from Raw.
func TestProviderPostBodiesNotFromRaw(t *testing.T) {
	msg := []byte("From: a@example.com\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n")
	in := &postIntake{post: &inboundPost{raw: msg}, parsed: &parsedMessage{x: testExtractor(t)}, hook: &hooks.Hook{Kind: KindName}}
	d, err := in.Decode(context.Background(), []byte("the provider's post, not a message"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(d.Email.HTML) != "<p>hi</p>" || d.BodiesFromRaw {
		t.Fatalf("got HTML %q, BodiesFromRaw %v; want the message's HTML and false", d.Email.HTML, d.BodiesFromRaw)
	}
}

// FuzzBodies checks that Bodies never panics, and agrees with an email
// hook's session on every message the session accepts.
func FuzzBodies(f *testing.F) {
	f.Add([]byte("From: a@example.com\r\nContent-Type: text/html\r\n\r\n<p>x</p>"))
	f.Add([]byte("From: a@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc\r\n--b\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n\x80\r\n--b--"))
	x := testExtractor(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		text, html, err := Bodies(raw)
		d, derr := decodeForHook(t, x, raw)
		if derr != nil {
			return
		}
		if err != nil {
			t.Fatalf("the session decoded the message, Bodies failed: %v", err)
		}
		if text != d.Email.Text || html != d.Email.HTML {
			t.Fatalf("Bodies %q %q, the session %q %q", text, html, d.Email.Text, d.Email.HTML)
		}
	})
}
