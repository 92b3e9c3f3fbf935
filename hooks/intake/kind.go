package intake

import "github.com/inbound-hooks/inbound/hooks"

// SettingsOf returns hk's settings as *S, or a new zero S when they are
// of another type (never, for a hook read by a Registry on which the
// kind of S is registered).
func SettingsOf[S any, P interface {
	*S
	hooks.Settings
}](hk *hooks.Hook) *S {
	if s, ok := hk.Settings.(P); ok && s != nil {
		return s
	}
	return new(S)
}

// HTTPKind is the hooks.KindSpec of a kind served over HTTP at Prefix,
// whose settings are *S: its addresses are made by HTTPOptions.URL. It is
// comparable, so that two handlers of one kind at the same prefix
// register alike and at different prefixes are refused.
type HTTPKind[S any, P interface {
	*S
	hooks.Settings
}] struct {
	Name   hooks.Kind
	Prefix string
}

// Kind returns k.Name.
func (k HTTPKind[S, P]) Kind() hooks.Kind { return k.Name }

// NewSettings returns a new zero *S.
func (HTTPKind[S, P]) NewSettings() hooks.Settings { return P(new(S)) }

// Address returns the hook's URL under base and k.Prefix.
func (k HTTPKind[S, P]) Address(base, token string) string {
	return HTTPOptions{Prefix: k.Prefix}.URL(base, token)
}
