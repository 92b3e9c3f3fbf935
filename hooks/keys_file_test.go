package hooks_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/boltstore"
)

// TestKeyPlaintextNotInBoltFile creates keys through the Keyring on the
// default store and checks that neither the plaintext key nor its secret
// part is anywhere in the database file, while the key still
// authenticates after a reopen.
func TestKeyPlaintextNotInBoltFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	st, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := hooks.NewKeyring(st, hooks.KeyringOptions{})
	var plains []string
	for _, name := range []string{"ci", "deploy", "partner"} {
		_, plain, err := kr.Create(ctx, "org-1", name, []string{hooks.RoleHooks})
		if err != nil {
			t.Fatal(err)
		}
		plains = append(plains, plain)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range plains {
		secret := plain[strings.LastIndexByte(plain, '_')+1:]
		if bytes.Contains(raw, []byte(plain)) || bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("the database file contains key material of %q", plain[:12])
		}
	}

	st, err = boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kr, _ = hooks.NewKeyring(st, hooks.KeyringOptions{})
	for _, plain := range plains {
		if k, err := kr.Authenticate(ctx, plain); err != nil || k.Org != "org-1" {
			t.Fatalf("Authenticate after reopen: got %v, %v", k, err)
		}
	}
}
