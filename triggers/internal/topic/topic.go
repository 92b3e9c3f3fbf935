// Package topic renders the dot-separated names the trigger adapters
// publish to (a NATS subject, an AMQP routing key) from a template and an
// event. It is shared by the adapter modules and imports nothing outside
// the standard library and hooks.
package topic

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/inbound-hooks/inbound/hooks"
)

// Fields are the placeholders a template may use.
const (
	Org      = "{org}"       // the event's org, "_" for a single-tenant host
	HookID   = "{hook_id}"   // the hook's ID
	Kind     = "{kind}"      // form, web or email
	HookName = "{hook_name}" // the hook's name, with separators replaced by "_"
)

// MaxLen is the longest rendered name: AMQP's routing-key limit (a short
// string, 255 bytes), also far inside NATS's limits.
const MaxLen = 255

// ErrTemplate is returned by Parse for an unusable template.
var ErrTemplate = errors.New("topic: invalid template")

// Template is a parsed template such as "inbound.{kind}.{hook_id}": dot
// separated tokens, each a literal or one placeholder. It is immutable and
// safe for concurrent use.
type Template struct {
	tokens []string // literal text, or one of the placeholders
}

// Parse parses s. Tokens must be non-empty; a literal token must not hold
// whitespace or the wildcards *, > and #; a token holding a brace must be
// exactly one of the placeholders.
func Parse(s string) (*Template, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrTemplate)
	}
	t := &Template{tokens: strings.Split(s, ".")}
	for _, tok := range t.tokens {
		switch {
		case tok == "":
			return nil, fmt.Errorf("%w: %q has an empty token", ErrTemplate, s)
		case tok == Org || tok == HookID || tok == Kind || tok == HookName:
		case strings.ContainsAny(tok, "{}"):
			return nil, fmt.Errorf("%w: %q: token %q is not one of %s, %s, %s, %s",
				ErrTemplate, s, tok, Org, HookID, Kind, HookName)
		case strings.IndexFunc(tok, bad) >= 0:
			return nil, fmt.Errorf("%w: %q: token %q holds a wildcard, a space or a control character",
				ErrTemplate, s, tok)
		}
	}
	return t, nil
}

// bad reports the runes a token may not hold: separators and wildcards of
// NATS subjects and AMQP topic patterns, spaces and control characters.
func bad(r rune) bool {
	return r == '.' || r == '*' || r == '>' || r == '#' || unicode.IsSpace(r) || unicode.IsControl(r) ||
		r == unicode.ReplacementChar
}

// Render returns the name for e: each placeholder is replaced by the
// event's value with separators, wildcards, spaces and control characters
// replaced by "_" ("_" for an empty value), so a value never adds tokens.
// A name longer than MaxLen is cut at a rune boundary (and a dot).
func (t *Template) Render(e *hooks.Event) string {
	var b strings.Builder
	for i, tok := range t.tokens {
		if i > 0 {
			b.WriteByte('.')
		}
		switch tok {
		case Org:
			writeToken(&b, e.Org)
		case HookID:
			writeToken(&b, e.HookID)
		case Kind:
			writeToken(&b, string(e.HookKind))
		case HookName:
			writeToken(&b, e.HookName)
		default:
			b.WriteString(tok)
		}
	}
	s := b.String()
	if len(s) > MaxLen {
		cut := MaxLen
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimRight(s[:cut], ".") // no empty last token
	}
	return s
}

func isRuneStart(c byte) bool { return c&0xC0 != 0x80 }

func writeToken(b *strings.Builder, v string) {
	if v == "" {
		b.WriteByte('_')
		return
	}
	for _, r := range v {
		if bad(r) {
			r = '_'
		}
		b.WriteRune(r)
	}
}

// String returns the template as parsed.
func (t *Template) String() string { return strings.Join(t.tokens, ".") }
