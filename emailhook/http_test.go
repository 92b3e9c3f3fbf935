package emailhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
)

func TestHandler(t *testing.T) {
	env := newEmailEnv(t)
	h, err := NewHandler(env.p, HandlerOptions{Domains: []string{"in.example.com"}, MaxMessageBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	hookAddr := env.reg.Address(env.hook)
	msg := orderMessage("customer@example.org")
	tests := []struct {
		name      string
		method    string
		ctype     string
		recipient string
		query     string
		body      string
		want      int
		wantCode  string
	}{
		{"accepted via header", "POST", "message/rfc822", hookAddr, "", msg, 202, ""},
		{"accepted via query", "POST", "message/rfc822", "", "?recipient=" + hookAddr, msg, 202, ""},
		{"wrong method", "GET", "message/rfc822", hookAddr, "", "", 405, "method_not_allowed"},
		{"wrong type", "POST", "application/json", hookAddr, "", "{}", 415, "unsupported_media_type"},
		{"no recipient", "POST", "message/rfc822", "", "", msg, 400, CodeNoRecipient},
		{"unknown recipient", "POST", "message/rfc822", "nobody0000000000000000000000000@in.example.com", "", msg, 404, "not_found"},
		{"foreign domain", "POST", "message/rfc822", env.hook.Token + "@other.example", "", msg, 404, "not_found"},
		{"too large", "POST", "message/rfc822", hookAddr, "", msg + strings.Repeat("y\r\n", 5000), 413, "payload_too_large"},
		{"not a message", "POST", "message/rfc822", hookAddr, "", "\x00\x01garbage without headers", 400, CodeMalformedMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/hooks/email"+tt.query, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ctype)
			if tt.recipient != "" {
				r.Header.Set(RecipientHeader, tt.recipient)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status: got %d, want %d (%s)", w.Code, tt.want, w.Body)
			}
			var body struct {
				ID    string                `json:"id"`
				Error struct{ Code string } `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %q", w.Body)
			}
			if tt.want == http.StatusAccepted && body.ID == "" {
				t.Errorf("no id in %s", w.Body)
			}
			if tt.wantCode != "" && body.Error.Code != tt.wantCode {
				t.Errorf("code: got %q, want %q", body.Error.Code, tt.wantCode)
			}
		})
	}
	if got := len(env.trig.all()); got != 2 {
		t.Errorf("events fired: got %d, want 2", got)
	}
}

func TestConstructorsValidate(t *testing.T) {
	if _, err := NewHandler(nil, HandlerOptions{}); !errors.Is(err, ErrNilPipeline) {
		t.Errorf("NewHandler(nil): got %v, want ErrNilPipeline", err)
	}
	if _, err := NewBackend(nil, SMTPOptions{}); !errors.Is(err, ErrNilPipeline) {
		t.Errorf("NewBackend(nil): got %v, want ErrNilPipeline", err)
	}
	env := newEmailEnv(t)
	if _, err := NewHandler(env.p, HandlerOptions{MaxMessageBytes: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("NewHandler(-1): got %v, want ErrInvalidOptions", err)
	}
	if _, err := NewBackend(env.p, SMTPOptions{MaxRecipients: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("NewBackend(-1): got %v, want ErrInvalidOptions", err)
	}
}

// TestSenderPolicySetting: an email hook's sender policy, set as a setting
// through the Registry, refuses (reject) or marks (flag) mail whose sender
// is not authenticated as an allowed one.
func TestSenderPolicySetting(t *testing.T) {
	env := newEmailEnv(t)
	h, err := NewHandler(env.p, HandlerOptions{Domains: []string{"in.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := env.reg.Update(ctx, "", env.hook.ID, hooks.HookUpdate{SettingsPatch: []byte(`{"sender_policy":{"mode":"reject"}}`)}); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("reject without allowed senders: got %v, want ErrInvalid", err)
	}
	send := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/hooks/email", strings.NewReader(orderMessage("customer@example.org")))
		r.Header.Set("Content-Type", "message/rfc822")
		r.Header.Set(RecipientHeader, env.reg.Address(env.hook))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tt := range []struct {
		patch  string
		status int
		fired  int
	}{
		{`{"sender_policy":{"mode":"reject","allowed":["example.net"]}}`, 403, 0},
		{`{"sender_policy":{"mode":"flag","allowed":["example.net"]}}`, 202, 1},
		{`{"sender_policy":null}`, 202, 2},
	} {
		if _, err := env.reg.Update(ctx, "", env.hook.ID, hooks.HookUpdate{SettingsPatch: []byte(tt.patch)}); err != nil {
			t.Fatal(err)
		}
		if w := send(); w.Code != tt.status {
			t.Fatalf("%s: got %d %s, want %d", tt.patch, w.Code, w.Body, tt.status)
		}
		evs := env.trig.all()
		if len(evs) != tt.fired {
			t.Fatalf("%s: %d events, want %d", tt.patch, len(evs), tt.fired)
		}
	}
	evs := env.trig.all()
	if s := evs[0].Email.Sender; s == nil || s.Allowed {
		t.Errorf("flag mode: got sender verdict %+v, want not allowed", s)
	}
	if s := evs[1].Email.Sender; s != nil {
		t.Errorf("no policy: got sender verdict %+v, want none", s)
	}
}
