package boltstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/internal/lookupcache"
)

// Options configures Open. The zero value (or nil) works.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process or store before failing with ErrLocked. Zero or negative
	// means 1 second; Open never waits forever.
	Timeout time.Duration
	// FileMode is the permission of a new database file; zero means 0600.
	FileMode os.FileMode
	// NoSync skips fsync after each commit and log write. It is UNSAFE: a crash or power
	// loss can lose acknowledged events or corrupt the file. It exists for
	// tests only.
	NoSync bool
	// MaxBatch caps how many concurrent Enqueue calls share one log write,
	// and how many other queue writes (Claim, Complete, Fail, Replay,
	// Prune) and AppendDebug calls share one commit; zero or negative
	// means 256.
	MaxBatch int
	// LazyDelay bounds how long a CompleteLater, an event in the queue's
	// log, or a ReserveKey, ConfirmKey or ReleaseKey waits for another
	// write to share its commit before it gets one of its own; zero or
	// negative means DefaultLazyDelay (100ms). Keep it far below the
	// queue's lease.
	LazyDelay time.Duration
}

// DefaultLazyDelay is the default of Options.LazyDelay. Under load the
// committer so applies thousands of logged events, and their
// completions, in a commit, instead of hundreds in ten: fewer fsyncs of
// the bbolt file compete with the log's, and fewer pages are written per
// event. The cost is the window in which a crash loses completions,
// whose events are then delivered once more (at least once), and
// idempotency key records (see "Idempotency keys" in the package
// documentation).
const DefaultLazyDelay = 100 * time.Millisecond

// driver is the store in one bbolt file, which Open puts behind the
// portable layer (store.Portable). It is safe for concurrent use within
// one process; see the package documentation for the caveats.
type driver struct {
	db       *bolt.DB
	maxBatch int

	mu     sync.RWMutex // held for reading by every call, for writing by Close
	closed bool

	lazyDelay time.Duration

	// cache serves HookByToken, GetHook and GetKey from memory. This
	// process makes every write (the file is locked to it), and each write
	// of a hook or key drops its entries after it commits, so the cache is
	// exact.
	cache *lookupcache.Cache

	// Completions waiting for a commit (CompleteLater); lazyKick wakes the
	// committer to start its lazyDelay timer.
	lazyMu     sync.Mutex
	lazy       []lazyComplete
	lazyClosed bool
	lazyKick   chan struct{} // buffered, 1

	// Seen-key changes not yet committed (idempotency.go).
	keys keyOverlay

	reqs chan *writeReq // to the committer; unbuffered
	quit chan struct{}  // closed by Close to stop the committer and the log writer
	done chan struct{}  // closed by the committer when it stops

	// The queue's log (log.go, wal.go). The log writer alone uses wal,
	// logBuf and logErr.
	wal      *walFile
	limits   logLimits
	logBuf   []byte
	logErr   error         // set when a write or sync of the log failed
	log      logState      // shared with the committer
	logReqs  chan *logReq  // to the log writer; unbuffered
	logDone  chan struct{} // closed by the log writer when it stops
	applyNow chan struct{} // buffered, 1: the committer should apply the log now
	applied  chan struct{} // buffered, 1: the committer applied logged events

	// Test hooks, set before the first write and only read by the
	// committer (the log writer): beforeDrain (beforeLog) runs after it
	// takes a batch's first request, onCommit (onLog) after each group
	// transaction (log write) with the group's size.
	beforeDrain func()
	onCommit    func(n int)
	beforeLog   func()
	onLog       func(n int)
}

var (
	_ store.Store         = (*driver)(nil)
	_ store.LocalQueue    = (*driver)(nil)
	_ store.KeyUsageStore = (*driver)(nil)
)

// fileOptions is a copy of opts (nil means the zero Options) with the
// file's defaults filled in: a one-second lock timeout and mode 0600.
func fileOptions(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.FileMode == 0 {
		o.FileMode = 0o600
	}
	return o
}

// Open opens (creating if needed) the database file at path and returns
// the store.Store it holds, behind the portable layer (store.Portable);
// store.As finds its store.LocalQueue, store.IdempotencyStore and
// store.KeyUsageStore. Open fails with ErrLocked when the file is held by
// another process or store for longer than opts.Timeout. The store is
// safe for concurrent use within the process.
func Open(path string, opts *Options) (store.Store, error) {
	d, err := openDriver(path, opts)
	if err != nil {
		return nil, err
	}
	return store.Portable(d), nil
}

// openDriver is Open without the portable layer.
func openDriver(path string, opts *Options) (*driver, error) {
	o := fileOptions(opts)
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.LazyDelay <= 0 {
		o.LazyDelay = DefaultLazyDelay
	}
	db, err := bolt.Open(path, o.FileMode, &bolt.Options{
		Timeout:      o.Timeout,
		NoSync:       o.NoSync,
		FreelistType: bolt.FreelistMapType,
		// The freelist is not written with every commit (fewer pages per
		// fsync under a stream of small queue writes); Open rebuilds it
		// by scanning the file, which a crash cannot make wrong.
		NoFreelistSync: true,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %v for its lock)", ErrLocked, path, o.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	var epoch uint64
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		switch v := meta.Get(keyVersion); {
		case v == nil:
			return meta.Put(keyVersion, fileVersion)
		case string(v) == "1":
			return migrateV1(tx)
		case string(v) == "2":
			if err := migrateV2(tx); err != nil {
				return err
			}
		case !bytes.Equal(v, fileVersion):
			return fmt.Errorf("%w: %q, want %q", ErrVersion, v, fileVersion)
		}
		if epoch, err = recoverLog(tx, path+walSuffix); err != nil {
			return err
		}
		return releaseClaims(tx)
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	// Every logged event is in the file now: the log starts afresh.
	wal, err := createWAL(path+walSuffix, o.FileMode, epoch, o.NoSync)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	s := &driver{
		db:        db,
		maxBatch:  o.MaxBatch,
		lazyDelay: o.LazyDelay,
		cache:     lookupcache.New(lookupcache.Options{}),
		lazyKick:  make(chan struct{}, 1),
		keys:      keyOverlay{newest: map[string]keyChange{}},
		reqs:      make(chan *writeReq),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		wal:       wal,
		limits:    defaultLogLimits,
		log:       logState{ids: map[string]bool{}, idem: map[string]idemEntry{}},
		logReqs:   make(chan *logReq),
		logDone:   make(chan struct{}),
		applyNow:  make(chan struct{}, 1),
		applied:   make(chan struct{}, 1),
	}
	go s.commitLoop()
	go s.logLoop()
	return s, nil
}

// Close waits for calls in progress, stops the committer and closes the
// file. Later calls return store.ErrClosed, as does a second Close.
func (s *driver) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	s.lazyMu.Lock()
	s.lazyClosed = true // the committer commits what is left, then stops
	s.lazyMu.Unlock()
	close(s.quit)
	<-s.logDone
	<-s.done // the committer applied what was logged
	err := s.closeLog()
	if cerr := s.db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("boltstore: close: %w", cerr)
	}
	return err
}

// closeLog closes the log file and, when every event it holds is in the
// bbolt file, removes it: a closed store is one file.
func (s *driver) closeLog() error {
	s.log.mu.Lock()
	unapplied := len(s.log.ids)
	s.log.mu.Unlock()
	if err := s.wal.close(); err != nil {
		return fmt.Errorf("boltstore: close log: %w", err)
	}
	if unapplied > 0 {
		return nil // Open applies them
	}
	if err := os.Remove(s.wal.path); err != nil {
		return fmt.Errorf("boltstore: remove log: %w", err)
	}
	return nil
}

// enter takes the read lock and reports ErrClosed; the caller must call
// s.leave. (The portable layer checked the context.)
func (s *driver) enter() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

func (s *driver) leave() { s.mu.RUnlock() }

// view and update run fn in a transaction after enter.
func (s *driver) view(fn func(tx *bolt.Tx) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.db.View(fn)
}

func (s *driver) update(fn func(tx *bolt.Tx) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.db.Update(fn)
}

func notFound(what, id string) error {
	return fmt.Errorf("boltstore: %s %q: %w", what, id, store.ErrNotFound)
}

func put(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("boltstore: encode: %w", err)
	}
	return b.Put(k, data)
}
