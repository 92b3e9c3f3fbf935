package hooks_test

import (
	"context"
	"fmt"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// A host provisions its hooks at every start by a key of its own: the
// second start (or a second replica) gets the same hook, not a new one.
func ExampleRegistry_Ensure() {
	ctx := context.Background()
	reg, _ := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{BaseURL: "https://example.com"})
	spec := hooks.HookSpec{Name: "Contact", Kind: hooks.KindForm}

	first, created, err := reg.Ensure(ctx, "", "contact", spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created:", created)
	again, created, _ := reg.Ensure(ctx, "", "contact", spec)
	fmt.Println("created:", created, "same address:", reg.Address(again) == reg.Address(first))
	// Output:
	// created: true
	// created: false same address: true
}
