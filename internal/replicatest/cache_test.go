package replicatest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// invalidationBound is how long a change made through replica A's admin
// API may take to reach replica B, which serves hooks and keys from
// memory. pgstore documents milliseconds while its listening connection
// is up (and 5s, its default CacheMaxAge, in every case); the test allows
// 2s for a loaded machine.
const invalidationBound = 2 * time.Second

// TestTwoReplicasSeeChanges runs two examples/server replicas on one
// schema. Replica B answers a webhook post with a key (and so caches the
// hook and the key); then, through replica A's admin API, the hook's
// address is rotated, the key revoked and the hook deleted. Each change
// must take effect on B within invalidationBound: the old address 404,
// the revoked key 401, the deleted hook 404.
func TestTwoReplicasSeeChanges(t *testing.T) {
	a, b, adminToken := startTwoReplicas(t)

	var hook struct {
		ID      string `json:"id"`
		Address string `json:"address"`
	}
	a.admin(t, adminToken, http.MethodPost, "/admin/hooks", map[string]string{"name": "cache", "type": "web"}, &hook)
	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	a.admin(t, adminToken, http.MethodPost, "/admin/keys", map[string]any{"name": "cache", "roles": []string{"org.hooks"}}, &key)
	path := func(address string) string { return address[strings.Index(address, "/hooks/"):] }
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(r *replica, p, apiKey string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, r.base+p, strings.NewReader(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+apiKey)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("post to replica %s: %v", r.name, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// within waits until B answers want to a post at p with apiKey.
	within := func(what, p, apiKey string, want int) {
		t.Helper()
		start := time.Now()
		for {
			got := post(b, p, apiKey)
			if got == want {
				t.Logf("%s reached replica B in %v", what, time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Since(start) > invalidationBound {
				t.Fatalf("%s: replica B still answers %d after %v, want %d", what, got, invalidationBound, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	oldPath := path(hook.Address)
	for range 3 { // B now serves the hook and the key from memory
		if got := post(b, oldPath, key.Key); got != http.StatusAccepted {
			t.Fatalf("post to replica B: got %d, want 202", got)
		}
	}

	var rotated struct {
		Address string `json:"address"`
	}
	a.admin(t, adminToken, http.MethodPost, "/admin/hooks/"+hook.ID+"/rotate", nil, &rotated)
	newPath := path(rotated.Address)
	within("the rotation", oldPath, key.Key, http.StatusNotFound)
	if got := post(b, newPath, key.Key); got != http.StatusAccepted {
		t.Fatalf("new address on replica B: got %d, want 202", got)
	}

	a.remove(t, adminToken, "/admin/keys/"+key.ID)
	within("the key revocation", newPath, key.Key, http.StatusUnauthorized)

	var key2 struct {
		Key string `json:"key"`
	}
	a.admin(t, adminToken, http.MethodPost, "/admin/keys", map[string]any{"name": "cache2", "roles": []string{"org.hooks"}}, &key2)
	within("a new key", newPath, key2.Key, http.StatusAccepted)
	a.remove(t, adminToken, "/admin/hooks/"+hook.ID)
	within("the hook deletion", newPath, key2.Key, http.StatusNotFound)
}

// remove sends an admin DELETE to r and wants 204.
func (r *replica) remove(t *testing.T, token, path string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, r.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("DELETE %s on replica %s: %v", path, r.name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE %s on replica %s: got %d, want 204", path, r.name, resp.StatusCode)
	}
}
