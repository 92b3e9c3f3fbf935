package emailhook

import (
	"net/http"
	"testing"
)

// checkPost checks what every provider decoder promises: a refusal is a
// 4xx *hooks.Error, and an accepted post has recipients and a message.
// (The message itself goes to ReadMessage, which FuzzReadMessage covers;
// calling it here would slow these targets down to its pace.)
func checkPost(t *testing.T, post *inboundPost, status int) {
	t.Helper()
	if post == nil {
		if status < 400 || status > 499 {
			t.Fatalf("refusal with status %d, want 4xx", status)
		}
		return
	}
	if len(post.recipients) == 0 {
		t.Fatal("accepted post without recipients")
	}
	if len(post.raw) == 0 {
		t.Fatal("accepted post without a message")
	}
	_ = rawHeader(post.raw)
}

func FuzzMailgunPost(f *testing.F) {
	parsed, ct := mailgunParsed("h@in.example.com", mailgunSign(testSigningKey, fixedNow, "t"))
	f.Add(parsed, ct)
	raw, ct2 := mailgunMIME("h@in.example.com", nil)
	f.Add(raw, ct2)
	f.Add([]byte("recipient=a%40b&message-headers=%5B%5B%22From%22%2C%22x%40y%22%5D%5D&body-html=%3Cp%3E"), "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		form, err := readPostForm(ct, body)
		if err != nil {
			return
		}
		post, herr := parseMailgun(form)
		status := 0
		if herr != nil {
			status = herr.Status
		}
		checkPost(t, post, status)
	})
}

func FuzzSendGridPost(f *testing.F) {
	parsed, ct := sendgridParsed("h@in.example.com")
	f.Add(parsed, ct)
	raw, ct2 := sendgridRaw("h@in.example.com")
	f.Add(raw, ct2)
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		form, err := readPostForm(ct, body)
		if err != nil {
			return
		}
		post, herr := parseSendGrid(form)
		status := 0
		if herr != nil {
			status = herr.Status
		}
		checkPost(t, post, status)
	})
}

func FuzzPostmarkPost(f *testing.F) {
	f.Add(postmarkJSON("h@in.example.com", "", false))
	f.Add(postmarkJSON("x+tok@inbound.postmarkapp.com", "tok", true))
	f.Add([]byte(`{"OriginalRecipient":"a@b","Headers":[{"Name":"Authentication-Results","Value":"x; dkim=pass header.d=a"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		post, herr := parsePostmark(body, []string{"in.example.com"})
		status := 0
		if herr != nil {
			status = herr.Status
			if herr.Status != http.StatusBadRequest {
				t.Fatalf("refusal %d, want 400", herr.Status)
			}
		}
		checkPost(t, post, status)
	})
}

// FuzzProviderVerdicts feeds the verdict parsers of all three providers.
func FuzzProviderVerdicts(f *testing.F) {
	f.Add("Pass (sender SPF authorized) identity=mailfrom; envelope-from=a@b.example", "mx; dkim=pass header.d=b.example; dmarc=fail header.from=b.example", "{@b.example : pass}")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, spf, ar, dkim string) {
		for _, a := range []any{postmarkVerdicts(spf, ar, "b.example"), sendGridVerdicts(spf, dkim, "a@b"), mailgunVerdicts(spf, dkim, "a@b")} {
			_ = a
		}
		if _, err := headerFields(ar); err != nil {
			return
		}
	})
}
