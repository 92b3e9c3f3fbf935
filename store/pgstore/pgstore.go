package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/internal/lookupcache"
)

// DefaultSchema is the PostgreSQL schema the store uses when
// Options.Schema is empty.
const DefaultSchema = "public"

// maxIdentLen is PostgreSQL's limit on identifier length, in bytes.
const maxIdentLen = 63

// Options configures a store. The zero value (or a nil *Options) works.
type Options struct {
	// Schema is the PostgreSQL schema holding the store's tables. The
	// store creates it when it does not exist and migrates the tables in
	// it. Default "public". Two stores with different schemas in one
	// database are independent.
	Schema string
	// MaxConns caps the connection pool that Open creates. Zero keeps
	// the DSN's pool_max_conns, or else pgx's default (the larger of 4
	// and the number of CPUs); a positive value overrides the DSN. New
	// ignores it: the caller configured its own pool.
	MaxConns int32
	// CacheMaxAge bounds how long a hook or API key looked up (by
	// HookByToken, GetHook or GetKey) is served from memory without being
	// read again. Changes made through any store on the schema, or by hand,
	// are announced with NOTIFY and reach every replica's cache in
	// milliseconds; CacheMaxAge is the bound when an announcement is late
	// or lost. 0 means DefaultCacheMaxAge (5s); a negative value turns the
	// cache off (every lookup is a query).
	CacheMaxAge time.Duration
	// Logger receives the store's few messages (migrations applied, the
	// listening connection lost). Nil discards them.
	Logger *slog.Logger
}

// DefaultCacheMaxAge is Options.CacheMaxAge when it is 0.
const DefaultCacheMaxAge = 5 * time.Second

// driver is the store on PostgreSQL, which Open and New put behind the
// portable layer (store.Portable). It is safe for concurrent use by many
// goroutines, and several stores (in one process or in many) may use the
// same database and schema at once: that is what it is for.
type driver struct {
	pool    *pgxpool.Pool
	ownPool bool // Close closes the pool (Open made it)
	schema  string
	ident   string // schema, quoted for SQL
	// debugLockClass is the first key of the advisory locks that
	// serialize AppendDebug per hook; it differs between schemas.
	debugLockClass int32
	log            *slog.Logger
	closed         atomic.Bool
	// cache serves lookups from memory; nil when Options.CacheMaxAge is
	// negative.
	cache *lookupcache.Cache
	// listen LISTENs on the schema's channel: cache invalidation and
	// queue wake-ups.
	listen *listener
	// channel is the schema's notification channel.
	channel string
	// enqueues and completes feed the Enqueue and Complete committers
	// (group commit); quit stops them, and committers counts them.
	enqueues   chan *enqueueReq
	completes  chan *completeReq
	quit       chan struct{}
	committers sync.WaitGroup
	groups     atomic.Int64 // Enqueue transactions run, for tests

	// Completions left by CompleteLater; lazyKick wakes lazyLoop.
	lazyMu   sync.Mutex
	lazy     []lazyComplete
	lazyKick chan struct{} // buffered, 1
}

var (
	_ store.Store           = (*driver)(nil)
	_ store.EnqueueNotifier = (*driver)(nil)
	_ store.LocalQueue      = (*driver)(nil)
	_ store.KeyUsageStore   = (*driver)(nil)
)

// Open connects to the database at dsn (a postgres:// URL or a libpq
// keyword/value string, as pgx accepts), creates or migrates the store's
// schema and returns the store.Store, behind the portable layer
// (store.Portable): store.As finds its store.LocalQueue,
// store.IdempotencyStore, store.KeyUsageStore and store.EnqueueNotifier,
// and Pool and Schema its connection pool and schema. Close closes the
// connection pool.
func Open(ctx context.Context, dsn string, opts *Options) (store.Store, error) {
	if dsn == "" {
		return nil, fmt.Errorf("%w: empty DSN", ErrOptions)
	}
	o, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included.
		return nil, fmt.Errorf("%w: cannot parse the DSN", ErrOptions)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connect: %w", err)
	}
	s, err := newStore(ctx, pool, o)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownPool = true
	return store.Portable(s), nil
}

// New returns a store.Store on a pool the caller made and keeps owning,
// behind the portable layer as Open's: Close marks the store closed but
// leaves the pool open. Like Open, it creates or migrates the store's
// schema first. Options.MaxConns is ignored.
func New(ctx context.Context, pool *pgxpool.Pool, opts *Options) (store.Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: nil pool", ErrOptions)
	}
	o, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	s, err := newStore(ctx, pool, o)
	if err != nil {
		return nil, err
	}
	return store.Portable(s), nil
}

func checkOptions(opts *Options) (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Schema == "" {
		o.Schema = DefaultSchema
	}
	if len(o.Schema) > maxIdentLen || strings.ContainsRune(o.Schema, 0) {
		return o, fmt.Errorf("%w: schema name must be 1 to %d bytes without NUL", ErrOptions, maxIdentLen)
	}
	if o.MaxConns < 0 {
		return o, fmt.Errorf("%w: negative MaxConns", ErrOptions)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

func newStore(ctx context.Context, pool *pgxpool.Pool, o Options) (*driver, error) {
	s := &driver{
		pool:           pool,
		schema:         o.Schema,
		ident:          pgx.Identifier{o.Schema}.Sanitize(),
		debugLockClass: int32(hash32("inbound/pgstore/debug:" + o.Schema)),
		log:            o.Logger,
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if o.CacheMaxAge >= 0 {
		age := o.CacheMaxAge
		if age == 0 {
			age = DefaultCacheMaxAge
		}
		s.cache = lookupcache.New(lookupcache.Options{MaxAge: age})
		s.cache.SetEnabled(false) // until the listener listens
	}
	s.channel = channelName(o.Schema)
	s.listen = newListener(pool.Config().ConnConfig, o.Schema, s.cache, o.Logger)
	s.listen.start()
	s.enqueues, s.completes, s.quit = make(chan *enqueueReq), make(chan *completeReq), make(chan struct{})
	for range enqueueCommitters {
		s.committers.Go(func() { groupLoop(s.quit, s.enqueues, maxEnqueueBatch, s.commitGroup) })
	}
	for range completeCommitters {
		s.committers.Go(func() { groupLoop(s.quit, s.completes, maxEnqueueBatch, s.completeGroup) })
	}
	s.lazyKick = make(chan struct{}, 1)
	s.committers.Go(s.lazyLoop)
	return s, nil
}

// Schema returns the name of the PostgreSQL schema of s, a store that
// Open or New returned; ok is false for any other store.Store.
func Schema(s store.Store) (schema string, ok bool) {
	d, ok := store.As[*driver](s)
	if !ok {
		return "", false
	}
	return d.schema, true
}

// Pool returns the connection pool of s, a store that Open or New
// returned, for a host that wants to run its own queries (River's, for
// example) or read pool statistics; ok is false for any other
// store.Store. Do not close the pool.
func Pool(s store.Store) (pool *pgxpool.Pool, ok bool) {
	d, ok := store.As[*driver](s)
	if !ok {
		return nil, false
	}
	return d.pool, true
}

// As answers store.As for the driver's own type, which only this package
// can name: Pool, Schema and the tests reach the driver behind the
// portable layer through it, and nothing outside can.
func (s *driver) As(target any) bool {
	if p, ok := target.(**driver); ok {
		*p = s
		return true
	}
	return false
}

// Close releases the store: it closes the pool when Open made it, waiting
// for queries in flight. Later calls of any method return
// store.ErrClosed; so does a second Close.
func (s *driver) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return fmt.Errorf("pgstore: %w", store.ErrClosed)
	}
	// Enqueues already taken by a committer finish; later ones get
	// ErrClosed.
	close(s.quit)
	s.committers.Wait()
	s.listen.stop()
	if s.ownPool {
		s.pool.Close()
	}
	return nil
}

// q returns query with {s} replaced by the quoted schema name.
func (s *driver) q(query string) string { return strings.ReplaceAll(query, "{s}", s.ident) }

// check returns ErrClosed before an operation starts on a closed store.
// (The portable layer checked the arguments and the context.)
func (s *driver) check() error {
	if s.closed.Load() {
		return fmt.Errorf("pgstore: %w", store.ErrClosed)
	}
	return nil
}

// PostgreSQL error codes the store maps to sentinels.
const (
	codeUniqueViolation      = "23505"
	codeCharNotInRepertoire  = "22021" // invalid UTF-8
	codeUntranslatableChar   = "22P05"
	codeStringDataRightTrunc = "22001"
)

// wrap maps err from pgx to the sentinels of package store; what names the
// operation for the message.
func (s *driver) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return fmt.Errorf("pgstore: %s: %w", what, store.ErrClosed)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid) {
		return err // made by this package, inside a transaction
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstore: %s: %w", what, store.ErrNotFound)
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("pgstore: %s: %w", what, store.ErrConflict)
		case codeCharNotInRepertoire, codeUntranslatableChar, codeStringDataRightTrunc:
			// A text field with invalid UTF-8 or a NUL byte.
			return fmt.Errorf("pgstore: %s: %s: %w", what, pe.Message, store.ErrInvalid)
		}
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}

func notFound(what, id string) error {
	return fmt.Errorf("pgstore: %s %q: %w", what, id, store.ErrNotFound)
}

func invalid(what string) error { return fmt.Errorf("pgstore: %s: %w", what, store.ErrInvalid) }

// utc returns t in UTC (pgx returns timestamptz values in the local zone).
func utc(t time.Time) time.Time { return t.UTC() }

func hash32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func hash64(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64())
}
