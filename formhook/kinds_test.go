package formhook

import (
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
)

// otherKind is a kind besides form hooks, so that the tests can make hooks
// of another kind and check that a form Handler does not answer for them.
type otherKind hooks.Kind

func (k otherKind) Kind() hooks.Kind               { return hooks.Kind(k) }
func (otherKind) NewSettings() hooks.Settings      { return &Settings{} }
func (k otherKind) Address(_, token string) string { return string(k) + ":" + token }

// registerOtherKinds registers the kinds "web" and "email" with reg.
func registerOtherKinds(t testing.TB, reg *hooks.Registry) {
	t.Helper()
	for _, k := range []otherKind{"web", "email"} {
		if err := reg.Register(k); err != nil {
			t.Fatal(err)
		}
	}
}
