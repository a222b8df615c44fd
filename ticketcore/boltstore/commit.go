package boltstore

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// Group commit. bbolt allows one write transaction at a time and each
// commit costs an fsync, so one transaction per Update would cap the store
// at the disk's flush rate. Instead Update queues its fn and a single writer
// goroutine takes everything queued (up to MaxBatch), runs the fns in order
// in one transaction and commits once; while it commits, new calls queue up
// and form the next batch. The batch size thus follows the load by itself,
// with no timer adding latency.

// States of a request. The writer and the waiting caller race to move a
// queued request: the writer to take it, the caller (on ctx done) to
// abandon it. Whoever wins decides whether fn runs.
const (
	stateQueued int32 = iota
	stateTaken
	stateAbandoned
)

type request struct {
	ctx   context.Context
	fn    func(ticketcore.Tx) error
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on an answer
}

// queue hands requests from callers to the writer.
type queue struct {
	mu     sync.Mutex
	items  []*request
	spare  []*request // the writer's previous batch, reused as the next queue
	closed bool
	wake   chan struct{} // buffered(1): "items or closed changed"
}

func (q *queue) init() { q.wake = make(chan struct{}, 1) }

func (q *queue) push(r *request) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.items = append(q.items, r)
	q.mu.Unlock()
	q.signal()
	return nil
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// take waits for requests and returns up to max of them, oldest first; it
// returns nil once the queue is closed and empty. The returned slice is the
// writer's until its next take.
func (q *queue) take(max int) []*request {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		if q.closed {
			return nil
		}
		q.mu.Unlock()
		<-q.wake
		q.mu.Lock()
	}
	clear(q.spare[:cap(q.spare)]) // drop references to answered requests
	if len(q.items) <= max {
		batch := q.items
		q.items, q.spare = q.spare[:0], batch
		return batch
	}
	batch := append(q.spare[:0], q.items[:max]...)
	n := copy(q.items, q.items[max:])
	clear(q.items[n:])
	q.items, q.spare = q.items[:n], batch
	return batch
}

// Update queues fn for the writer and waits until its batch has committed.
// A ctx done before the writer takes the request answers ctx.Err() and fn
// never runs; once taken, Update waits for the outcome, so a nil error
// always means durably committed and ctx.Err() always means nothing was
// written. fn must not call the Store: the writer is busy running it.
func (s *Store) Update(ctx context.Context, fn func(ticketcore.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := s.queue.push(r); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(stateQueued, stateAbandoned) {
			return ctx.Err()
		}
		return <-r.done
	}
}

// write is the writer goroutine. It ends after Close, once the queue is
// drained.
func (s *Store) write() {
	defer close(s.writerDone)
	for {
		batch := s.queue.take(s.cfg.MaxBatch)
		if batch == nil {
			return
		}
		s.commitBatch(s.start(batch))
	}
}

// start takes the requests still wanted out of batch: abandoned ones are
// dropped, those whose ctx is done answered without running.
func (s *Store) start(batch []*request) []*request {
	live := batch[:0]
	for _, r := range batch {
		if !r.state.CompareAndSwap(stateQueued, stateTaken) {
			continue
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	return live
}

// commitBatch runs the fns of live in one transaction and commits it. A
// failing fn spoils the transaction for all: it is rolled back, the failing
// caller gets its error, and the others run again in a fresh transaction.
// The fns before the failure run again each time; once those reruns add up
// to the batch's size, the fns before a failure are committed on their own
// instead, so a batch full of failures costs extra commits rather than
// quadratic reruns.
func (s *Store) commitBatch(live []*request) {
	budget := len(live)
	for len(live) > 0 {
		failed, err := s.try(live)
		if failed < 0 {
			return
		}
		live[failed].done <- err
		if budget -= failed; budget < 0 {
			s.commitBatch(live[:failed])
			live = live[failed+1:]
			continue
		}
		live = slices.Delete(live, failed, failed+1)
	}
}

// try runs live in one transaction. If every fn succeeds it commits and
// answers them all and returns -1; otherwise it rolls back and returns the
// index and error of the fn that failed, leaving the answers to the caller.
func (s *Store) try(live []*request) (int, error) {
	tx, err := s.db.Begin(true)
	if err != nil {
		answer(live, fmt.Errorf("begin write transaction: %w", err))
		return -1, nil
	}
	w := &writeTx{readTx: readTx{tx}}
	if failed, err := runAll(w, live, s.recovered); failed >= 0 {
		_ = tx.Rollback()
		return failed, err
	}
	before := s.leases.claims()
	err = s.commit(tx, len(live))
	if err == nil {
		// Before answering, so that a caller who completed or rescheduled
		// an item sees its claim ended when Update returns.
		s.leases.end(w.ended, before)
	}
	answer(live, err)
	return -1, nil
}

// runAll runs the fns of live in order in w; it returns the index and error
// of the first that fails, or -1.
func runAll(w *writeTx, live []*request, onPanic func(any, []byte)) (int, error) {
	for i, r := range live {
		if err := w.run(r.fn, onPanic); err != nil {
			return i, err
		}
	}
	return -1, nil
}

// commit makes tx durable. Only then may the claims it completed end, so
// that a claim outlives a completion that did not commit.
func (s *Store) commit(tx *bolt.Tx, n int) error {
	start := time.Now()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %d updates: %w", n, err)
	}
	s.commits.Add(1)
	if took := time.Since(start); took > s.cfg.SlowCommit {
		s.log.Warn("slow commit: the disk is slow to flush", "updates", n, "took", took)
	}
	return nil
}

func answer(rs []*request, err error) {
	for _, r := range rs {
		r.done <- err
	}
}

// recovered logs a panic of an Update fn with its stack, which the error
// handed to the caller cannot carry.
func (s *Store) recovered(v any, stack []byte) {
	s.log.Error("update panicked; its transaction is rolled back", "panic", v, "stack", string(stack))
}

// run calls fn on w and turns a panic into an error. A write that failed
// half-way (w.err) fails fn even if fn ignored the error, so no torn
// record is committed.
func (w *writeTx) run(fn func(ticketcore.Tx) error, onPanic func(any, []byte)) (err error) {
	w.err = nil
	defer func() {
		if v := recover(); v != nil {
			onPanic(v, debug.Stack())
			err = fmt.Errorf("update panicked: %v", v)
		}
		if err == nil {
			err = w.err
		}
	}()
	return fn(w)
}
