package emailhook

import (
	"bytes"
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

// partsMessages are messages whose parts take each path of the part
// walker: the fixtures, and messages built here.
func partsMessages(t *testing.T) map[string][]byte {
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
	msgs["attachments, one empty"] = []byte("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>invoice attached</p>\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nJVBERi0xLjQKJcfsj6IK\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=empty.txt\r\n\r\n\r\n" +
		"--b\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\n\r\n\x89PNG\r\n--b--\r\n")
	return msgs
}

// checkEventParts compares what Parts reads from raw with the event parts the
// hook's session made of it.
func checkEventParts(t *testing.T, raw []byte, d *hooks.Decoded) {
	t.Helper()
	p, err := Parts(raw)
	if err != nil {
		t.Fatalf("Parts: %v", err)
	}
	if p.Text != d.Email.Text || p.HTML != d.Email.HTML {
		t.Fatalf("Parts:\ntext %.200q\nhtml %.200q\nthe hook's event:\ntext %.200q\nhtml %.200q", p.Text, p.HTML, d.Email.Text, d.Email.HTML)
	}
	if len(p.Attachments) != len(d.Files) {
		t.Fatalf("Parts: %d attachments, the event %d files", len(p.Attachments), len(d.Files))
	}
	for i, f := range d.Files {
		if !bytes.Equal(p.Attachments[i], f.Content) || (p.Attachments[i] == nil) != (f.Content == nil) {
			t.Fatalf("attachment %d: Parts %.100q, the event %.100q", i, p.Attachments[i], f.Content)
		}
	}
}

// TestParts checks that Parts reads from a message exactly the bodies and
// attachments an email hook's session gives its event, and that the
// session says so (Decoded.PartsFromRaw): a queue then stores the message
// alone and reads them again with Parts.
func TestParts(t *testing.T) {
	x := testExtractor(t)
	for name, raw := range partsMessages(t) {
		t.Run(name, func(t *testing.T) {
			d, err := decodeForHook(t, x, raw)
			if err != nil {
				t.Fatal(err)
			}
			if !d.PartsFromRaw {
				t.Fatal("Decoded.PartsFromRaw is false for a message decoded from the body")
			}
			checkEventParts(t, raw, d)
			switch {
			case name == "long bodies" && !d.Email.BodiesTruncated:
				t.Fatal("the long bodies were not cut: the case tests nothing")
			case name == "attachments, one empty" && (len(d.Files) != 3 || d.Files[1].Content == nil):
				t.Fatalf("got files %+v, want 3, the empty one not nil", d.Files)
			}
		})
	}
	if _, err := Parts([]byte("no header at all")); err == nil {
		t.Error("Parts of a non-message: want an error")
	}
}

// TestPartsLargerThanTheDefaultLimit checks that Parts reads a message
// larger than DefaultMaxMessageBytes, which a hook with a higher limit
// accepts.
func TestPartsLargerThanTheDefaultLimit(t *testing.T) {
	pad := strings.Repeat("x", int(DefaultMaxMessageBytes))
	raw := []byte("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\n\r\n" + pad + "\r\n--b--\r\n")
	p, err := Parts(raw)
	if err != nil || p.HTML != "<p>hi</p>" || len(p.Attachments) != 1 || len(p.Attachments[0]) != len(pad) {
		t.Fatalf("got %v, %v", p, err)
	}
}

// TestProviderPostPartsNotFromRaw checks that a provider post's event,
// whose Raw is the post and not the message inside it, is not said to have
// parts read from Raw.
func TestProviderPostPartsNotFromRaw(t *testing.T) {
	msg := []byte("From: a@example.com\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n")
	in := &postIntake{post: &inboundPost{raw: msg}, parsed: &parsedMessage{x: testExtractor(t)}, hook: &hooks.Hook{Kind: KindName}}
	d, err := in.Decode(context.Background(), []byte("the provider's post, not a message"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(d.Email.HTML) != "<p>hi</p>" || d.PartsFromRaw {
		t.Fatalf("got HTML %q, PartsFromRaw %v; want the message's HTML and false", d.Email.HTML, d.PartsFromRaw)
	}
}

// FuzzParts checks that Parts never panics, and agrees with an email
// hook's session on every message the session accepts.
func FuzzParts(f *testing.F) {
	f.Add([]byte("From: a@example.com\r\nContent-Type: text/html\r\n\r\n<p>x</p>"))
	f.Add([]byte("From: a@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc\r\n--b\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n\x80\r\n--b--"))
	x := testExtractor(f)
	f.Add([]byte("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\n\r\n--b--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, err := Parts(raw)
		d, derr := decodeForHook(t, x, raw)
		if derr != nil {
			return
		}
		if err != nil {
			t.Fatalf("the session decoded the message, Parts failed: %v", err)
		}
		checkEventParts(t, raw, d)
	})
}
