package boltstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// Errors of the store itself; data errors are ticketcore's.
var (
	// ErrClosed answers every call made after Close.
	ErrClosed = errors.New("store closed")
	// ErrInUse: another process (or another Store in this one) holds the file.
	ErrInUse = errors.New("data dir in use")
)

// Config configures a Store.
type Config struct {
	// Path is the bbolt file. Its directory is created if missing. Required.
	Path string
	// Logger receives slow commits and panics recovered from Update fns.
	// Defaults to slog.Default().
	Logger *slog.Logger
	// MaxBatch is the most Update calls committed together. Larger batches
	// amortise an fsync over more writes but make each commit longer.
	// Defaults to 1000.
	MaxBatch int
	// LockTimeout is how long Open waits for the file lock that another
	// process holds before failing with ErrInUse. Defaults to 1s.
	LockTimeout time.Duration
	// SlowCommit is the commit duration past which a warning is logged.
	// Defaults to 1s.
	SlowCommit time.Duration
}

func (c *Config) applyDefaults() error {
	if c.Path == "" {
		return errors.New("boltstore: no path")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 1000
	}
	if c.LockTimeout <= 0 {
		c.LockTimeout = time.Second
	}
	if c.SlowCommit <= 0 {
		c.SlowCommit = time.Second
	}
	return nil
}

// Store is the bbolt ticketcore.Store. Its methods are safe for concurrent
// use.
type Store struct {
	cfg    Config
	log    *slog.Logger
	db     *bolt.DB
	queue  queue
	leases leases
	// writerDone is closed when the writer goroutine has drained the queue.
	writerDone chan struct{}
	// commits counts durable commits, so tests can see batching happen.
	commits atomic.Uint64

	// mu guards closed; readers counts View, Claim and Stats calls in
	// flight, which Close waits for before closing the file.
	mu      sync.Mutex
	closed  bool
	readers sync.WaitGroup
}

var _ ticketcore.Store = (*Store)(nil)

// Open opens (or creates) the store at cfg.Path and starts its writer.
func Open(cfg Config) (*Store, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("open bolt store: %w", err)
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{
		Timeout: cfg.LockTimeout,
		// The freelist is rebuilt by a scan on open instead of being written
		// on every commit: fewer pages per fsync on the hot path.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		// Growing the mapping waits for every open read transaction, so a
		// long ticket listing would hold up commits (and every 202) while
		// the file grows. Reserve address space up front; it costs no memory.
		InitialMmapSize: 1 << 30,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open bolt store %s: %w (another loopdesk holds its lock): %w",
			cfg.Path, ErrInUse, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open bolt store %s: %w", cfg.Path, err)
	}
	if err := createBuckets(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open bolt store %s: %w", cfg.Path, err)
	}
	s := &Store{cfg: cfg, log: cfg.Logger.With("store", "bolt"), db: db,
		writerDone: make(chan struct{})}
	s.queue.init()
	s.leases.init()
	go s.write()
	return s, nil
}

// createBuckets creates the buckets a data file lacks. The open-ticket
// counts of a file written before they existed are counted from its
// tickets. (The attachments bucket of such a file is left alone: its
// content is for the blob store to take over, not for the store to drop.)
func createBuckets(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		countOpen := tx.Bucket(bucketOpen) == nil && tx.Bucket(bucketTickets) != nil
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if countOpen {
			return countOpenTickets(tx)
		}
		return nil
	})
}

// enter admits a read-only call unless the store is closed; the caller
// must call s.readers.Done when it finishes.
func (s *Store) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.readers.Add(1)
	return nil
}

// View runs fn in a read-only bbolt transaction. A panic in fn propagates
// to the caller (it runs on the caller's goroutine) after the transaction
// is released.
func (s *Store) View(ctx context.Context, fn func(ticketcore.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.readers.Done()
	return s.db.View(func(tx *bolt.Tx) error { return fn(readTx{tx}) })
}

// Stats reads the queue counters that every enqueue and completion keeps.
func (s *Store) Stats(ctx context.Context) (ticketcore.Stats, error) {
	var st ticketcore.Stats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if err := s.enter(); err != nil {
		return st, err
	}
	defer s.readers.Done()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounts)
		st.Inbox, st.Outbox, st.Timers = count(b, countInbox), count(b, countOutbox), count(b, countTimers)
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("read queue stats: %w", err)
	}
	return st, nil
}

// Close stops accepting calls, lets queued updates and running reads
// finish, and closes the file. Calls after Close, Close among them, answer
// ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.mu.Unlock()

	s.queue.close()
	<-s.writerDone
	s.readers.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close bolt store %s: %w", s.cfg.Path, err)
	}
	return nil
}
