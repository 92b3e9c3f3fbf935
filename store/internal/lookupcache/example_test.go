package lookupcache_test

import (
	"fmt"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/internal/lookupcache"
)

// A store's lookup: ask the cache, else read (after Begin) and add.
func Example() {
	c := lookupcache.New(lookupcache.Options{})
	stored := map[string]*store.Hook{"tok": {ID: "h1", Token: "tok"}}
	lookup := func(token string) *store.Hook {
		if h, ok := c.HookByToken(token); ok {
			fmt.Println("from memory")
			return h
		}
		t := c.Begin()
		h := stored[token] // the store read
		if h == nil {
			c.AddNoToken(t, token)
			return nil
		}
		c.AddHook(t, h)
		fmt.Println("from the store")
		return h
	}
	lookup("tok")
	lookup("tok")
	c.InvalidateHook("h1") // after a write commits
	lookup("tok")
	// Output:
	// from the store
	// from memory
	// from the store
}
