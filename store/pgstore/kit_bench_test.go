package pgstore_test

import (
	"testing"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/storetest"
)

// BenchmarkStore runs the conformance kit's benchmarks (storetest.Bench)
// on pgstore, beside memstore (needs INBOUND_TEST_PG_DSN).
func BenchmarkStore(b *testing.B) {
	dsn := testDSN(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return openStore(b, dsn, newSchema(b, dsn)) })
}
