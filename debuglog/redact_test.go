package debuglog

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
)

func TestRedactBody(t *testing.T) {
	r := newRedactor(nil)
	mp := "--b\r\nContent-Disposition: form-data; name=\"user[password]\"\r\n\r\nhunter2\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"token\"; filename=\"t.txt\"\r\nContent-Type: text/plain\r\n\r\nfile stays\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"CVV\"\r\n\r\n123\r\n--b--\r\n"
	tests := []struct {
		name, ct, body, want string
	}{
		{"json", "application/json", `{"name":"Ada","password":"hunter2","n":[1,{"Api_Key":"k1"}]}`,
			`{"name":"Ada","password":"[redacted]","n":[1,{"Api_Key":"[redacted]"}]}`},
		{"json spacing kept", "application/json; charset=utf-8", "{ \"a\" : 1 ,\n \"secret\" :  {\"x\":[1,2]} , \"b\":\"c\"}",
			"{ \"a\" : 1 ,\n \"secret\" :  \"[redacted]\" , \"b\":\"c\"}"},
		{"json nested secret in arrays", "application/vnd.api+json", `[{"card":{"cardNumber":4111111111111111,"exp":"12/30"}},"token"]`,
			`[{"card":{"cardNumber":"[redacted]","exp":"12/30"}},"token"]`},
		{"json broken after a secret", "application/json", `{"password":"x","a":`, `{"password":"[redacted]","a":`},
		{"json names only match as names", "application/json", `{"note":"my password is x"}`, `{"note":"my password is x"}`},
		{"form", "application/x-www-form-urlencoded", "name=Ada&password=hunter2&user%5Bapi_key%5D=k&ssn=1&x",
			"name=Ada&password=[redacted]&user%5Bapi_key%5D=[redacted]&ssn=[redacted]&x"},
		{"form empty value", "application/x-www-form-urlencoded", "token=&a=b", "token=[redacted]&a=b"},
		{"multipart", "multipart/form-data; boundary=b", mp,
			strings.NewReplacer("hunter2", "[redacted]", "\r\n\r\n123\r\n", "\r\n\r\n[redacted]\r\n").Replace(mp)},
		{"text kept", "text/plain", "password=x", "password=x"},
		{"bad content type kept", "application/json; ;", `{"password":"x"}`, `{"password":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(r.body(tt.ct, []byte(tt.body)))
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	if got := string(newRedactor([]string{}).body("application/json", []byte(`{"password":"x"}`))); got != `{"password":"x"}` {
		t.Errorf("an empty list: got %s, want nothing redacted", got)
	}
	if got := string(newRedactor([]string{"Pin"}).body("application/json", []byte(`{"pin":"1","password":"x"}`))); got != `{"pin":"[redacted]","password":"x"}` {
		t.Errorf("a list of its own: got %s", got)
	}
}

// FuzzRedact checks that redaction never panics, keeps valid JSON valid,
// and leaves no value of a secret-like name in a JSON body or a form.
func FuzzRedact(f *testing.F) {
	f.Add("application/json", []byte(`{"a":{"password":"x","b":[{"token":1}]},"c":"d"}`))
	f.Add("application/x-www-form-urlencoded", []byte("a=1&password=x&user[secret]=y"))
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nx\r\n--b--\r\n"))
	f.Add("application/json", []byte(`[1,"password",{"x":{"y":{}}}]`))
	r := newRedactor(nil)
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		out := r.body(ct, body)
		switch {
		case strings.HasPrefix(ct, "application/json") && json.Valid(body):
			if !json.Valid(out) {
				t.Fatalf("valid JSON %q became invalid: %q", body, out)
			}
			var v any
			_ = json.Unmarshal(out, &v)
			if name, ok := secretLeft(r, v); ok {
				t.Fatalf("%q: member %q kept its value: %q", body, name, out)
			}
		case ct == "application/x-www-form-urlencoded" && !bytes.ContainsAny(body, ";"):
			q, err := url.ParseQuery(string(body))
			if err != nil {
				return
			}
			got, err := url.ParseQuery(string(out))
			if err != nil {
				t.Fatalf("form %q became unparsable: %q", body, out)
			}
			for k, vs := range got {
				for _, v := range vs {
					if r.match(k) && v != hooks.Redacted && v != "" {
						t.Fatalf("%q: field %q kept %q: %q", body, k, v, out)
					}
				}
				if len(vs) != len(q[k]) {
					t.Fatalf("%q: field %q has %d values, had %d", body, k, len(vs), len(q[k]))
				}
			}
		}
	})
}

// secretLeft returns the name of a member of a secret-like name whose
// value is not the placeholder.
func secretLeft(r *redactor, v any) (string, bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if r.match(k) {
				if x != hooks.Redacted {
					return k, true
				}
				continue
			}
			if name, ok := secretLeft(r, x); ok {
				return name, true
			}
		}
	case []any:
		for _, x := range v {
			if name, ok := secretLeft(r, x); ok {
				return name, true
			}
		}
	}
	return "", false
}
