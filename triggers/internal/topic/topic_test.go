package topic

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/inbound-hooks/inbound/hooks"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"inbound.{kind}.{hook_id}", true},
		{"{org}.{hook_name}", true},
		{"orders", true},
		{"", false},
		{"a..b", false},
		{"a.", false},
		{"a.{nope}", false},
		{"a.x{kind}", false},
		{"a.*", false},
		{"a.>", false},
		{"a.#", false},
		{"a.b c", false},
	} {
		_, err := Parse(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("Parse(%q): got %v, want ok=%v", tc.in, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrTemplate) {
			t.Errorf("Parse(%q): %v is not ErrTemplate", tc.in, err)
		}
	}
}

func TestRender(t *testing.T) {
	e := &hooks.Event{HookID: "h1", HookKind: hooks.KindWeb, HookName: "Orders. *EU* > #1"}
	for _, tc := range []struct{ tmpl, want string }{
		{"inbound.{kind}.{hook_id}", "inbound.web.h1"},
		{"in.{org}.{hook_name}", "in._.Orders___EU_____1"},
	} {
		tmpl, err := Parse(tc.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		got := tmpl.Render(e)
		if got != tc.want {
			t.Errorf("Render(%q): got %q, want %q", tc.tmpl, got, tc.want)
		}
		if tmpl.String() != tc.tmpl {
			t.Errorf("String: got %q, want %q", tmpl.String(), tc.tmpl)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add("inbound.{kind}.{hook_name}", "a.b", "web")
	f.Add("{org}.{hook_id}", "", "\x00é")
	f.Fuzz(func(t *testing.T, tmpl, name, org string) {
		p, err := Parse(tmpl)
		if err != nil {
			return
		}
		e := &hooks.Event{HookID: "h", HookKind: hooks.KindForm, HookName: name, Org: org}
		got := p.Render(e)
		if len(got) > MaxLen {
			t.Fatalf("%q is longer than %d", got, MaxLen)
		}
		if utf8.ValidString(tmpl) && utf8.ValidString(name) && utf8.ValidString(org) && !utf8.ValidString(got) {
			t.Fatalf("%q is not UTF-8", got)
		}
		for _, tok := range strings.Split(got, ".") {
			if tok == "" {
				t.Fatalf("%q has an empty token", got)
			}
			if strings.ContainsAny(tok, "*># \t\n") {
				t.Fatalf("%q has a wildcard or space", got)
			}
		}
	})
}
