package emailhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
)

func TestReadMessage(t *testing.T) {
	x := testExtractor(t)
	tests := []struct {
		file      string
		from      string
		to        []string
		cc        []string
		subject   string
		id        string
		date      time.Time
		htmlHas   string
		textHas   string
		objType   string
		objField  string
		objValue  string
		noObjects bool
	}{
		{
			file: "multipart-alternative-qp.eml", from: "reservations@hotel-am-see.example",
			to: []string{"zoe@example.org"}, cc: []string{"travel@example.org", "office@example.org"},
			subject: "Ihre Buchung H-4471 – bestätigt", id: "h4471.confirm@hotel-am-see.example",
			date: time.Date(2026, 11, 23, 9, 15, 0, 0, time.UTC),
			// The HTML source contains the literal text "=E2=80=93"; decoding
			// quoted-printable twice would turn it into a dash.
			htmlHas: "booking =E2=80=93 thank you", textHas: "Zürich, 18–20 December",
			objType: "LodgingReservation", objField: "reservationNumber", objValue: "H-4471",
		},
		{
			file: "base64-latin1.eml", from: "tisch@loewen.example", to: []string{"juergen@example.org"},
			subject: "Tischreservierung für Heiligabend", id: "t88@loewen.example",
			date:    time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC),
			htmlHas: "Bestätigung für Jürgen Müller",
			objType: "FoodEstablishmentReservation", objField: "reservationNumber", objValue: "T-88",
		},
		{
			file: "text-only.eml", from: "notifications@example.org", to: []string{"someone@example.org"},
			subject: "Plain text only", id: "plain-1@example.org",
			date:    time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
			textHas: "No structured data here.", noObjects: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			msg, err := x.ReadMessage(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(msg.From) != 1 || msg.From[0].Address != tt.from {
				t.Errorf("got From %v, want %s", msg.From, tt.from)
			}
			addrs := func(l []*netmail.Address) []string {
				var out []string
				for _, a := range l {
					out = append(out, a.Address)
				}
				return out
			}
			if got := addrs(msg.To); strings.Join(got, ",") != strings.Join(tt.to, ",") {
				t.Errorf("got To %v, want %v", got, tt.to)
			}
			if got := addrs(msg.Cc); strings.Join(got, ",") != strings.Join(tt.cc, ",") {
				t.Errorf("got Cc %v, want %v", got, tt.cc)
			}
			if msg.Subject != tt.subject {
				t.Errorf("got subject %q, want %q", msg.Subject, tt.subject)
			}
			if msg.MessageID != tt.id {
				t.Errorf("got Message-ID %q, want %q", msg.MessageID, tt.id)
			}
			if !msg.Date.Equal(tt.date) {
				t.Errorf("got date %v, want %v", msg.Date, tt.date)
			}
			if !strings.Contains(msg.HTML, tt.htmlHas) {
				t.Errorf("got HTML %q, want it to contain %q", msg.HTML, tt.htmlHas)
			}
			if !strings.Contains(msg.Text, tt.textHas) {
				t.Errorf("got text %q, want it to contain %q", msg.Text, tt.textHas)
			}
			if tt.noObjects {
				if len(msg.Objects) != 0 {
					t.Errorf("got objects %v, want none", msg.Objects)
				}
				return
			}
			if len(msg.Objects) != 1 || msg.Objects[0]["@type"] != tt.objType || msg.Objects[0][tt.objField] != tt.objValue {
				t.Errorf("got objects %v (warnings %v), want one %s with %s=%s", msg.Objects, msg.Warnings, tt.objType, tt.objField, tt.objValue)
			}
		})
	}
}

func TestReadMessageErrors(t *testing.T) {
	small, err := NewExtractor(ExtractOptions{MaxMessageBytes: 512})
	if err != nil {
		t.Fatal(err)
	}
	qp, err := os.ReadFile("testdata/multipart-alternative-qp.eml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   io.Reader
		err  error
	}{
		{"too large", bytes.NewReader(qp), ErrMessageTooLarge},
		{"too large body only", strings.NewReader("Subject: x\r\n\r\n" + strings.Repeat("a", 600)), ErrMessageTooLarge},
		{"empty", strings.NewReader(""), ErrMalformedMessage},
		{"bad header", strings.NewReader("this is not a header\r\n\r\nbody"), ErrMalformedMessage},
		{"unterminated multipart", strings.NewReader("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x"), nil},
		{"read error", io.MultiReader(strings.NewReader("Subject: x\r\n"), errReader{}), ErrMalformedMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := small.ReadMessage(tt.in)
			if tt.err == nil {
				// Truncated multipart input is a read error from go-message.
				if err != nil && !errors.Is(err, ErrMalformedMessage) {
					t.Errorf("got %v, want nil or ErrMalformedMessage", err)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("got %v, want %v", err, tt.err)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadMessageUnknownCharset(t *testing.T) {
	in := "From: a@example.org\r\nSubject: x\r\nContent-Type: text/html; charset=x-unknown-9\r\n\r\n" +
		`<script type="application/ld+json">{"@type":"Event"}</script>`
	msg, err := ReadMessage(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Objects) != 1 {
		t.Errorf("got objects %v, want 1", msg.Objects)
	}
	if len(msg.Warnings) == 0 || msg.Warnings[0].Kind != WarnHeader {
		t.Errorf("got warnings %v, want an unknown-charset warning", msg.Warnings)
	}
}

func FuzzReadMessage(f *testing.F) {
	for _, name := range []string{"multipart-alternative-qp.eml", "base64-latin1.eml", "text-only.eml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/related; boundary=c\r\n\r\n--c\r\n\r\n"))
	x, err := NewExtractor(ExtractOptions{MaxMessageBytes: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		msg, err := x.ReadMessage(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrMalformedMessage) && !errors.Is(err, ErrMessageTooLarge) {
				t.Fatalf("got error %v, want ErrMalformedMessage or ErrMessageTooLarge", err)
			}
			return
		}
		if msg == nil {
			t.Fatal("got nil message and nil error")
		}
	})
}

// nestedMessage returns a message whose HTML part sits inside levels nested
// multipart/mixed entities.
func nestedMessage(levels int) string {
	var b strings.Builder
	b.WriteString("From: a@example.net\r\nSubject: nested\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/html\r\n\r\n<script type=\"application/ld+json\">{\"@type\":\"Order\"}</script>\r\n")
	for i := levels - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

func TestReadMessageNestedMultipart(t *testing.T) {
	shallow, err := ReadMessage(strings.NewReader(nestedMessage(3)))
	if err != nil {
		t.Fatal(err)
	}
	if len(shallow.Objects) != 1 || shallow.Objects[0]["@type"] != "Order" {
		t.Fatalf("3 levels: got objects %v, want the Order", shallow.Objects)
	}
	// Far below the cap's depth: the parts are skipped with a warning, and
	// the parse stays linear (5,000 levels took seconds before the cap).
	deep, err := ReadMessage(strings.NewReader(nestedMessage(5000)))
	if err != nil {
		t.Fatal(err)
	}
	if deep.HTML != "" || len(deep.Objects) != 0 {
		t.Errorf("5000 levels: got HTML %q, want the deep part skipped", deep.HTML)
	}
	found := false
	for _, w := range deep.Warnings {
		found = found || w.Kind == WarnTooDeepMIME
	}
	if !found {
		t.Errorf("5000 levels: no %q warning in %v", WarnTooDeepMIME, deep.Warnings)
	}
}

func BenchmarkReadMessageNested(b *testing.B) {
	for _, levels := range []int{10, 1000, 10000} {
		msg := nestedMessage(levels)
		// bare reads the same message with go-message without walking its
		// parts: the header parse and one pass over the bytes.
		b.Run(fmt.Sprintf("%d/bare", levels), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				e, err := message.Read(strings.NewReader(msg))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, e.Body)
			}
		})
		b.Run(fmt.Sprint(levels), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := ReadMessage(strings.NewReader(msg)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
