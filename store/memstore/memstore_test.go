package memstore_test

import (
	"testing"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	}, storetest.WithCapabilities(storetest.LocalQueue, storetest.Idempotency))
}

// BenchmarkStore runs the conformance kit's benchmarks (storetest.Bench).
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s := memstore.New()
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}
