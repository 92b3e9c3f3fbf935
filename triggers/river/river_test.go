package rivertrigger_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/triggers/internal/brokertest"
	rivertrigger "github.com/inbound-hooks/inbound/triggers/river"
)

// dsnVar names the variable that holds the test database's DSN (as for
// store/pgstore's tests).
const dsnVar = "INBOUND_TEST_PG_DSN"

func testEvent() *hooks.Event {
	return &hooks.Event{ID: "01JEVENT", Org: "acme", HookID: "h1", HookKind: "form", HookName: "Contact",
		ReceivedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Data:       map[string]any{"n": json.Number("12345678901234567890"), "tags": []any{"a", "b"}},
		Raw:        []byte("n=12345678901234567890"), ContentType: "application/x-www-form-urlencoded"}
}

func TestArgsJSON(t *testing.T) {
	e := testEvent()
	b, err := json.Marshal(rivertrigger.ArgsFor(e))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(e)
	if string(b) != string(want) {
		t.Errorf("args JSON: got %s, want the event's %s", b, want)
	}
	var a rivertrigger.Args
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if a.ID != e.ID || !reflect.DeepEqual(a.Event, e) {
		t.Errorf("round trip: got %+v, want %+v", a.Event, e)
	}
	if _, err := json.Marshal(rivertrigger.Args{ID: "x", Event: e}); err == nil {
		t.Error("args whose ID is not the event's encoded")
	}
	if _, err := json.Marshal(rivertrigger.Args{}); err == nil {
		t.Error("args without an event encoded")
	}
}

func FuzzArgsUnmarshal(f *testing.F) {
	b, _ := json.Marshal(testEvent())
	f.Add(b)
	f.Add([]byte(`{"id":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a rivertrigger.Args
		if err := json.Unmarshal(b, &a); err != nil {
			return
		}
		if a.Event == nil || a.ID != a.Event.ID {
			t.Fatalf("decoded args %+v", a)
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("decoded args do not encode: %v", err)
		}
	})
}

// recorder is an Inserter that keeps what it is given.
type recorder struct {
	args rivertype.JobArgs
	opts *river.InsertOpts
	err  error
}

func (r *recorder) Insert(_ context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	r.args, r.opts = args, opts
	if r.err != nil {
		return nil, r.err
	}
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{ID: 1}}, nil
}

func TestFireOptions(t *testing.T) {
	if _, err := rivertrigger.New(nil, rivertrigger.Options{}); !errors.Is(err, rivertrigger.ErrNilInserter) {
		t.Errorf("nil inserter: got %v", err)
	}
	rec := &recorder{}
	tr, err := rivertrigger.New(rec, rivertrigger.Options{InsertOpts: &river.InsertOpts{Queue: "hooks",
		UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fire(context.Background(), testEvent()); err != nil {
		t.Fatal(err)
	}
	if rec.opts.Queue != "hooks" || !rec.opts.UniqueOpts.ByArgs || rec.opts.UniqueOpts.ByPeriod != 0 {
		t.Errorf("insert options %+v: want queue hooks, unique by args only", rec.opts)
	}
	if err := tr.Fire(context.Background(), &hooks.Event{}); !errors.Is(err, rivertrigger.ErrNilEvent) {
		t.Errorf("event without ID: got %v", err)
	}
	rec.err = errors.New("down")
	if err := tr.Fire(context.Background(), testEvent()); !errors.Is(err, rec.err) {
		t.Errorf("failed insert: got %v", err)
	}
}

// database is a fresh schema with River's tables, reached directly (admin)
// and through a proxy the test can cut (pool); dropped at the end.
type database struct {
	admin  *pgxpool.Pool
	pool   *pgxpool.Pool
	schema string
	proxy  *brokertest.Proxy
	client *river.Client[pgx.Tx]
}

func newDatabase(t *testing.T) *database {
	t.Helper()
	dsn := os.Getenv(dsnVar)
	if dsn == "" {
		brokertest.Need(t, "%s is not set; the River tests need PostgreSQL (for example %s=%q)",
			dsnVar, dsnVar, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	if err := admin.Ping(ctx); err != nil {
		brokertest.Need(t, "PostgreSQL at %s: %v", dsnVar, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "river_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	m, err := rivermigrate.New(riverpgxv5.New(admin), &rivermigrate.Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatalf("migrate River into %s: %v", schema, err)
	}

	proxy := brokertest.NewProxy(t, net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))))
	pcfg := cfg.Copy()
	host, port, _ := net.SplitHostPort(proxy.Addr())
	p, _ := strconv.Atoi(port)
	pcfg.ConnConfig.Host, pcfg.ConnConfig.Port = host, uint16(p)
	pcfg.ConnConfig.Fallbacks = nil
	pcfg.ConnConfig.ConnectTimeout = time.Second
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	return &database{admin: admin, pool: pool, schema: schema, proxy: proxy, client: client}
}

// ids returns the event ID of every job, checking that each job's args are
// the event.
func (d *database) ids(t *testing.T) []string {
	t.Helper()
	rows, err := d.admin.Query(context.Background(), `SELECT kind, args FROM `+d.schema+`.river_job ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var kind string
		var args []byte
		if err := rows.Scan(&kind, &args); err != nil {
			t.Fatal(err)
		}
		brokertest.ValidEvent(t, args)
		var a rivertrigger.Args
		if err := json.Unmarshal(args, &a); err != nil || kind != rivertrigger.Kind || a.Event.HookKind != "web" {
			t.Errorf("job %s %.80s: %v", kind, args, err)
		}
		ids = append(ids, a.ID)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRedeliveryExactlyOnce makes the first attempts of several events time
// out after their insert committed: the queue fires them again, and the
// uniqueness key keeps one job per event.
func TestRedeliveryExactlyOnce(t *testing.T) {
	d := newDatabase(t)
	tr, err := rivertrigger.New(d.client, rivertrigger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n, slow = 20, 5
	wrapped := &brokertest.AcceptedThenSlow{Trigger: tr, N: slow}
	opts := brokertest.QueueOptions()
	opts.AttemptTimeout = 300 * time.Millisecond
	host := brokertest.NewHost(t, wrapped, &opts)
	ids := host.PostN(t, n)
	host.WaitDelivered(t, ids, 30*time.Second)
	if wrapped.Slowed() != slow || wrapped.Fired() < n+slow {
		t.Fatalf("slowed %d attempts and fired %d, want %d slowed and at least %d fired", wrapped.Slowed(), wrapped.Fired(), slow, n+slow)
	}
	brokertest.ExactlyOnce(t, d.ids(t), ids)
}

// TestOutage cuts the connections to PostgreSQL: events wait and are
// retried, and all arrive, once each, when it is back.
func TestOutage(t *testing.T) {
	d := newDatabase(t)
	tr, err := rivertrigger.New(d.client, rivertrigger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	brokertest.Outage(t, tr, d.proxy, func() []string { return d.ids(t) })
}
