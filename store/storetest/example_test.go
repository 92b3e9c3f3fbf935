package storetest_test

import (
	"fmt"
	"testing"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/store/storetest"
)

// The options a durable backend passes to Run: a reopen hook so that the
// kit can check persistence, and more goroutines for the concurrency
// checks. A store with nothing to reopen (like memstore) passes none.
func ExampleWithReopen() {
	reopen := func(t *testing.T, s store.Store) store.Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// A real backend opens the same file or database again here.
		return memstore.New()
	}
	opts := []storetest.Option{
		storetest.WithReopen(reopen),
		storetest.WithConcurrency(32),
	}
	fmt.Println(len(opts), "options for storetest.Run")
	// Output: 2 options for storetest.Run
}
