package storetest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/store/storetest"
)

// hidingStore is a host's wrapper around a portable store that forwards
// only the Store methods: it hides the store's LocalQueue.
type hidingStore struct{ store.Store }

// forwardingStore is a wrapper that forwards the LocalQueue too.
type forwardingStore struct {
	store.Store
	local store.LocalQueue
}

func (f forwardingStore) EnqueueClaimed(ctx context.Context, e *store.QueuedEvent, since time.Time, lease time.Duration) (string, error) {
	return f.local.EnqueueClaimed(ctx, e, since, lease)
}

func (f forwardingStore) CompleteLater(id string, attempts int, now time.Time) {
	f.local.CompleteLater(id, attempts, now)
}

func (f forwardingStore) FlushCompletions(ctx context.Context) error {
	return f.local.FlushCompletions(ctx)
}

// capabilityEnv names the wrapper the child process checks.
const capabilityEnv = "STORETEST_CAPABILITY_WRAPPER"

// TestCapabilityWrappers runs the LocalQueue checks, with the capability
// declared, on a wrapper that hides it (the kit must fail) and on one
// that forwards it (the kit must pass). Each runs in a child process, as
// the failure is what is checked.
func TestCapabilityWrappers(t *testing.T) {
	if name := os.Getenv(capabilityEnv); name != "" {
		storetest.Run(t, func(t *testing.T) store.Store {
			s := memstore.New()
			t.Cleanup(func() { _ = s.Close() })
			if name == "hiding" {
				return hidingStore{s}
			}
			lq, _ := store.As[store.LocalQueue](s)
			return forwardingStore{Store: s, local: lq}
		}, storetest.WithCapabilities(storetest.LocalQueue))
		return
	}
	if testing.Short() {
		t.Skip("runs the test binary again")
	}
	for _, tc := range []struct {
		wrapper string
		fails   bool
	}{
		{"hiding", true},
		{"forwarding", false},
	} {
		t.Run(tc.wrapper, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCapabilityWrappers$/^LocalQueue$/^EnqueueClaimed$", "-test.v")
			cmd.Env = append(os.Environ(), capabilityEnv+"="+tc.wrapper)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.fails {
				t.Fatalf("the kit failed: %v, want %v; output:\n%s", failed, tc.fails, out)
			}
			if tc.fails && !strings.Contains(string(out), "declares LocalQueue but store.As finds no store.LocalQueue") {
				t.Fatalf("the kit failed for another reason:\n%s", out)
			}
			if !tc.fails && !strings.Contains(string(out), "--- PASS: TestCapabilityWrappers/LocalQueue/EnqueueClaimed") {
				t.Fatalf("the check did not run:\n%s", out)
			}
		})
	}
}
