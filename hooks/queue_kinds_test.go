package hooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook"
)

// countingStore counts the reads of a queue store that the local
// hand-off is meant to avoid. It forwards the store's store.LocalQueue,
// which a wrapper hides otherwise.
type countingStore struct {
	store.Store
	local        store.LocalQueue
	claims, gets atomic.Int64
}

func newCountingStore(t *testing.T, s store.Store) *countingStore {
	t.Helper()
	lq, ok := store.As[store.LocalQueue](s)
	if !ok {
		t.Fatalf("store.As: no store.LocalQueue in %T", s)
	}
	return &countingStore{Store: s, local: lq}
}

func (c *countingStore) EnqueueClaimed(ctx context.Context, e *store.QueuedEvent, since time.Time, lease time.Duration) (string, error) {
	return c.local.EnqueueClaimed(ctx, e, since, lease)
}

func (c *countingStore) CompleteLater(id string, attempts int, now time.Time) {
	c.local.CompleteLater(id, attempts, now)
}

func (c *countingStore) FlushCompletions(ctx context.Context) error {
	return c.local.FlushCompletions(ctx)
}

func (c *countingStore) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
	evs, err := c.Store.Claim(ctx, now, lease, limit)
	c.claims.Add(int64(len(evs)))
	return evs, err
}

func (c *countingStore) GetEvent(ctx context.Context, org, id string) (*store.QueuedEvent, error) {
	c.gets.Add(1)
	return c.Store.GetEvent(ctx, org, id)
}

// kindCase is one real arrival at one hook kind.
type kindCase struct {
	name string
	kind hooks.Kind
	req  func(addr string) *http.Request
}

func kindCases(t *testing.T) []kindCase {
	t.Helper()
	eml, err := os.ReadFile(filepath.Join("..", "emailhook", "testdata", "multipart-alternative-qp.eml"))
	if err != nil {
		t.Fatal(err)
	}
	multipart := "--XyZ\r\nContent-Disposition: form-data; name=\"a[]\"\r\n\r\n1\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"a[]\"\r\n\r\n2\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\xff\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"e.txt\"\r\nContent-Type: text/plain\r\n\r\n\r\n" +
		"--XyZ--\r\n"
	post := func(ctype, body string) func(string) *http.Request {
		return func(addr string) *http.Request {
			r := httptest.NewRequest("POST", addr, strings.NewReader(body))
			r.Header.Set("Content-Type", ctype)
			r.Header.Set("Idempotency-Key", "k-"+ctype)
			return r
		}
	}
	return []kindCase{
		{"form-urlencoded", formhook.KindName, post("application/x-www-form-urlencoded", "name=Ann&tags=a&tags=b&x[y]=z&n=12345678901234567890&empty=")},
		{"form-multipart", formhook.KindName, post("multipart/form-data; boundary=XyZ", multipart)},
		{"form-json", formhook.KindName, post("application/json", `{"id":12345678901234567890,"f":1.50,"s":"é\u0000<>","a":[null,true,{"b":[]}]}`)},
		{"webhook-json", webhook.KindName, post("application/json", string(bytes.Repeat([]byte(" "), 3))+`{"order":{"id":98765432109876543210,"total":-0.5e-7,"items":[{"sku":"A\"1","qty":2}],"note":"\ud83d\ude00 \u00e9"}}`+"\n")},
		{"webhook-json-scalar", webhook.KindName, post("application/json", `"just a string"`)},
		{"webhook-urlencoded", webhook.KindName, post("application/x-www-form-urlencoded", "a=1&a=2&b[c]=d")},
		{"email", emailhook.KindName, func(addr string) *http.Request {
			r := httptest.NewRequest("POST", "/hooks/email", bytes.NewReader(eml))
			r.Header.Set("Content-Type", "message/rfc822")
			r.Header.Set(emailhook.RecipientHeader, addr)
			return r
		}},
	}
}

// kindEnv is one store, registry and keyring with the handlers of every
// kind over a pipeline with the given Delivery.
type kindEnv struct {
	handler func(kind hooks.Kind) http.Handler
	addr    func(kind hooks.Kind) string
}

func newKindEnv(t *testing.T, s store.Store, d hooks.Delivery) *kindEnv {
	t.Helper()
	ctx := context.Background()
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := hooks.NewKeyring(s, hooks.KeyringOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := keys.Create(ctx, "org", "k", []string{"org.hooks"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: d})
	if err != nil {
		t.Fatal(err)
	}
	fh, err := formhook.New(p, formhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := webhook.New(p, keys, webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eh, err := emailhook.NewHandler(p, emailhook.HandlerOptions{Domains: []string{"in.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[hooks.Kind]string{}
	for _, k := range []hooks.Kind{formhook.KindName, webhook.KindName, emailhook.KindName} {
		h, err := reg.Create(ctx, "org", hooks.HookSpec{Name: "hook " + string(k), Kind: k})
		if err != nil {
			t.Fatal(err)
		}
		tokens[k] = h.Token
	}
	return &kindEnv{
		handler: func(k hooks.Kind) http.Handler {
			switch k {
			case formhook.KindName:
				return fh
			case webhook.KindName:
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.Header.Set("Authorization", "Bearer "+secret)
					wh.ServeHTTP(w, r)
				})
			}
			return eh
		},
		addr: func(k hooks.Kind) string {
			switch k {
			case formhook.KindName:
				return "/hooks/form/" + tokens[k]
			case webhook.KindName:
				return "/hooks/web/" + tokens[k]
			}
			return tokens[k] + "@in.example.com"
		},
	}
}

// sameEvent compares two events of the same arrival, made apart: all but
// ID, ReceivedAt and the hook's identity must be deep-equal.
func sameEvent(t *testing.T, what string, got, want *hooks.Event) {
	t.Helper()
	g, w := *got, *want
	g.ID, g.ReceivedAt, g.HookID, g.HookName = w.ID, w.ReceivedAt, w.HookID, w.HookName
	if g.Email != nil && w.Email != nil {
		// The envelope recipient is the hook's own (random) address.
		ge := *g.Email
		ge.Recipients = w.Email.Recipients
		g.Email = &ge
		g.Header = w.Header
		if gd, ok := g.Data.(map[string]any); ok {
			d := make(map[string]any, len(gd))
			for k, v := range gd {
				d[k] = v
			}
			d["recipients"] = w.Data.(map[string]any)["recipients"]
			g.Data = d
		}
	}
	if !reflect.DeepEqual(&g, &w) {
		gj, _ := json.Marshal(&g)
		wj, _ := json.Marshal(&w)
		t.Fatalf("%s: the event differs from the sync one:\ngot  %s\nwant %s\ngot data  %#v\nwant data %#v", what, gj, wj, g.Data, w.Data)
	}
}

// TestQueueSameEventEveryKind sends the same arrivals through the real
// handler of every hook kind in sync mode and in queue mode, on the local
// hand-off path and on the store's read-back path (a store without
// store.LocalQueue, and a boltstore file reopened before its events were
// delivered, as after a crash): the Trigger must see deep-equal Events.
func TestQueueSameEventEveryKind(t *testing.T) {
	for _, kc := range kindCases(t) {
		t.Run(kc.name, func(t *testing.T) {
			send := func(env *kindEnv) {
				t.Helper()
				rr := httptest.NewRecorder()
				env.handler(kc.kind).ServeHTTP(rr, kc.req(env.addr(kc.kind)))
				if rr.Code != http.StatusAccepted {
					t.Fatalf("got %d %s, want 202", rr.Code, rr.Body)
				}
			}
			syncRec := newRecorder(nil)
			send(newKindEnv(t, memstore.New(), hooks.Sync(syncRec)))
			want := syncRec.Delivered()[0]
			// The queue reads an email's bodies again from its message
			// (QueueOptions.EmailParts) rather than storing them.
			opts := fastOptions()
			opts.EmailParts = emailhook.Parts

			t.Run("handoff", func(t *testing.T) {
				s := newCountingStore(t, memstore.New())
				rec := newRecorder(nil)
				q := startQueue(t, s, rec, opts)
				send(newKindEnv(t, s, q))
				waitFor(t, "delivery", func() bool { return len(rec.Delivered()) == 1 })
				sameEvent(t, "hand-off", rec.Delivered()[0], want)
				if n := s.claims.Load(); n != 0 {
					t.Fatalf("the hand-off claimed %d events from the store, want 0", n)
				}
				// What the store keeps reads back the same (as after a crash).
				st := waitState(t, q, "org", rec.Delivered()[0].ID, "delivered")
				sameEvent(t, "stored", st.Event, want)
				if want.Email != nil && want.Email.HTML != "" {
					ev, err := s.Store.GetEvent(context.Background(), "org", st.Event.ID)
					if err != nil {
						t.Fatal(err)
					}
					// The message's HTML part is quoted-printable: its
					// decoding is not in the message as it is. Nor is its
					// attachment's, in base64.
					if bytes.Contains(ev.Payload, []byte(want.Email.HTML)) {
						t.Fatalf("the email's %d-byte payload holds its decoded HTML body beside the message", len(ev.Payload))
					}
					for _, f := range want.Files {
						if bytes.Contains(ev.Payload, f.Content) {
							t.Fatalf("the email's payload holds attachment %s decoded beside the message", f.Name)
						}
					}
				}
			})
			t.Run("claimed", func(t *testing.T) {
				s := sharedStore{memstore.New()}
				rec := newRecorder(nil)
				q := startQueue(t, s, rec, opts)
				send(newKindEnv(t, s, q))
				waitFor(t, "delivery", func() bool { return len(rec.Delivered()) == 1 })
				sameEvent(t, "claimed", rec.Delivered()[0], want)
			})
			t.Run("bolt-reopened", func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "q.db")
				s, err := boltstore.Open(path, &boltstore.Options{NoSync: true})
				if err != nil {
					t.Fatal(err)
				}
				rec := newRecorder(nil)
				q := newQueue(t, s, rec, opts) // not started: no hand-off
				send(newKindEnv(t, s, q))
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				s, err = boltstore.Open(path, &boltstore.Options{NoSync: true})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Close() })
				startQueue(t, s, rec, opts)
				waitFor(t, "delivery", func() bool { return len(rec.Delivered()) == 1 })
				sameEvent(t, "read back", rec.Delivered()[0], want)
			})
		})
	}
}
