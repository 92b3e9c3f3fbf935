package hooks_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// DecodeBody turns a form into JSON-compatible values: repeated names and
// a[] give arrays, a[b] and a.b nested objects.
func ExampleDecodeBody() {
	body := []byte("name=Ada&tags[]=math&tags[]=engines&address[city]=London&address.zip=W1&empty=")
	d, err := hooks.DecodeBody("application/x-www-form-urlencoded", body, hooks.DecodeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.Marshal(d.Data)
	fmt.Println(string(out))

	_, err = hooks.DecodeBody("application/x-www-form-urlencoded", []byte("a[99999999]=x"), hooks.DecodeOptions{})
	fmt.Println(hooks.AsError(err).Status, hooks.AsError(err).Code)
	// Output:
	// {"address":{"city":"London","zip":"W1"},"empty":"","name":"Ada","tags":["math","engines"]}
	// 400 array_index_too_large
}

// A kind registers its KindSpec with the Registry (a kind's handler does
// it when it is built): the address of its hooks comes from where that
// handler is mounted.
func ExampleRegistry_Register() {
	ctx := context.Background()
	reg, _ := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{BaseURL: "https://example.com"})
	_ = reg.Register(httpSpec{kind: "form", prefix: "/in/form/"}) // formhook.New(p, formhook.Options{Prefix: "/in/form/"})
	_ = reg.Register(mailSpec{domain: "in.example.com"})          // emailhook.NewBackend(p, emailhook.SMTPOptions{Domains: ...})
	form, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Contact", Kind: "form"})
	email, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: "email"})
	fmt.Println(reg.Address(form) == "https://example.com/in/form/"+form.Token)
	fmt.Println(reg.Address(email) == email.Token+"@in.example.com")
	fmt.Println(reg.Kinds())
	// Output:
	// true
	// true
	// [email form]
}

// A Trigger that writes each event as a line reuses one buffer: AppendJSON
// writes the JSON MarshalJSON would return after what the buffer holds.
func ExampleEvent_AppendJSON() {
	e := &hooks.Event{ID: "evt_1", HookID: "hk_1", HookKind: "web", HookName: "orders",
		Data: map[string]any{"order": json.Number("42")}}
	var buf []byte
	for range 2 {
		var err error
		if buf, err = e.AppendJSON(buf[:0]); err != nil {
			fmt.Println(err)
			return
		}
		buf = append(buf, '\n')
		fmt.Print(string(buf))
	}
	// Output:
	// {"id":"evt_1","hook_id":"hk_1","hook_kind":"web","hook_name":"orders","received_at":"0001-01-01T00:00:00Z","data":{"order":42}}
	// {"id":"evt_1","hook_id":"hk_1","hook_kind":"web","hook_name":"orders","received_at":"0001-01-01T00:00:00Z","data":{"order":42}}
}
