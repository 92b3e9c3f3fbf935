package debuglog_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// A Log is the pipeline's Recorder; the admin API reads its entries back.
func Example() {
	ctx := context.Background()
	s := memstore.New()
	log, err := debuglog.New(s, debuglog.Options{Keep: 10, MaxBody: 8})
	if err != nil {
		panic(err)
	}
	defer log.Close(ctx)

	// The pipeline calls Record for each request to a hook with Debug on;
	// here we call it directly.
	log.Record(ctx, &hooks.Interaction{
		Hook: &hooks.Hook{ID: "hook1", Debug: true}, Time: time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC),
		Method: "POST", Path: "/hooks/form/abc", Status: 202, Outcome: hooks.OutcomeAccepted,
		Header: http.Header{"Cookie": {"session=secret"}},
		Body:   []byte("email=ada%40example.com"), Data: map[string]any{"email": "ada@example.com"},
	})
	_ = log.Flush(ctx) // wait for the background writer

	entries, _ := log.Entries(ctx, "hook1")
	for _, e := range entries {
		fmt.Println(e.Time.Format(time.RFC3339), e.Method, e.Path, e.Status, e.Outcome)
		fmt.Printf("body %q truncated=%v size=%d\n", e.Body, e.BodyTruncated, e.BodySize)
		fmt.Println("cookie", e.Headers.Get("Cookie"))
		fmt.Println("data", string(e.Data))
	}
	// Output:
	// 2025-05-01T12:00:00Z POST /hooks/form/abc 202 accepted
	// body "email=ad" truncated=true size=23
	// cookie [redacted]
	// data {"email":"ada@example.com"}
}
