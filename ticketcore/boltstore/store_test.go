package boltstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
	"github.com/loopdesk/loopdesk/ticketcore/storetest"
)

var quiet = slog.New(slog.DiscardHandler)

// openAt opens a store on path and closes it when the test ends, unless
// the test closed it already.
func openAt(t testing.TB, path string, cfg Config) *Store {
	t.Helper()
	cfg.Path = path
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func tempPath(t testing.TB) string { return filepath.Join(t.TempDir(), "loopdesk.db") }

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) ticketcore.Store { return openAt(t, tempPath(t), Config{}) },
		Reopen: func(t *testing.T, s ticketcore.Store) ticketcore.Store {
			return openAt(t, s.(*Store).cfg.Path, Config{})
		},
	})
}

// A small MaxBatch makes the suite's concurrent tests split into several
// batches, and failures fall in the middle of some.
func TestConformanceSmallBatches(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) ticketcore.Store { return openAt(t, tempPath(t), Config{MaxBatch: 3}) },
	})
}

func TestSecondOpenFailsClearly(t *testing.T) {
	path := tempPath(t)
	first := openAt(t, path, Config{})
	_, err := Open(Config{Path: path, Logger: quiet, LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path, Config{}) // released on Close
}

func TestOpenNeedsPath(t *testing.T) {
	if _, err := Open(Config{}); err == nil {
		t.Fatal("Open without a path: no error")
	}
}

// TestClaimsEndWithRestart: leases live in memory, so a restart offers
// claimed items again at once.
func TestClaimsEndWithRestart(t *testing.T) {
	path := tempPath(t)
	s := openAt(t, path, Config{})
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var id string
	err := s.Update(context.Background(), func(tx ticketcore.Tx) error {
		m := ticketcore.Message{Channel: channels.API, ExternalID: "e", Thread: "u", Direction: channels.In}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		id = m.ID
		return tx.EnqueueInbox(m.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if msgs, _ := s.ClaimInbox(context.Background(), now, 10, time.Hour); len(msgs) != 1 {
		t.Fatalf("claimed %d, want 1", len(msgs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, Config{})
	msgs, err := s.ClaimInbox(context.Background(), now, 10, time.Hour)
	if err != nil || len(msgs) != 1 || msgs[0].ID != id {
		t.Fatalf("after restart: claimed %v, %v; want %s", msgs, err, id)
	}
}

// gate holds the writer inside a first update until released, so that the
// test can line up the requests of the next batch deterministically.
type gate struct {
	entered, release chan struct{}
	done             chan error
}

func holdWriter(s *Store) *gate {
	g := &gate{entered: make(chan struct{}), release: make(chan struct{}), done: make(chan error, 1)}
	go func() {
		g.done <- s.Update(context.Background(), func(ticketcore.Tx) error {
			close(g.entered)
			<-g.release
			return nil
		})
	}()
	<-g.entered
	return g
}

// queueUpdate starts an Update and returns once it is queued.
func queueUpdate(s *Store, ctx context.Context, fn func(ticketcore.Tx) error) chan error {
	before := s.queue.len()
	done := make(chan error, 1)
	go func() { done <- s.Update(ctx, fn) }()
	for s.queue.len() == before {
		runtime.Gosched()
	}
	return done
}

func TestConcurrentUpdatesShareCommits(t *testing.T) {
	s := openAt(t, tempPath(t), Config{MaxBatch: 20})
	g := holdWriter(s)
	var queued []chan error
	for i := range 50 {
		queued = append(queued, queueUpdate(s, context.Background(), func(tx ticketcore.Tx) error {
			return tx.PutMeta(fmt.Sprintf("k%d", i), []byte("v"))
		}))
	}
	before := s.commits.Load()
	close(g.release)
	if err := <-g.done; err != nil {
		t.Fatal(err)
	}
	for _, done := range queued {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// The held update's own commit, then 50 queued in batches of 20.
	if got := s.commits.Load() - before; got != 1+3 {
		t.Errorf("%d commits for 1+50 updates, want 4", got)
	}
}

// TestFailedFnRerunsTheRest: a failing fn sends the others of its batch to
// a fresh transaction, where the earlier ones run again; later ones run
// once, and each write is stored once.
func TestFailedFnRerunsTheRest(t *testing.T) {
	s := openAt(t, tempPath(t), Config{})
	g := holdWriter(s)
	runs := make([]int, 3)
	fn := func(i int) func(ticketcore.Tx) error {
		return func(tx ticketcore.Tx) error {
			runs[i]++
			if i == 1 {
				return errors.New("middle fails")
			}
			m := ticketcore.Message{Channel: channels.API, ExternalID: fmt.Sprint(i), Thread: "u", Direction: channels.In}
			return tx.AddMessage(&m)
		}
	}
	var done []chan error
	for i := range 3 {
		done = append(done, queueUpdate(s, context.Background(), fn(i)))
	}
	close(g.release)
	errs := []error{<-done[0], <-done[1], <-done[2]}
	if errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errors %v, want only the middle one", errs)
	}
	if runs[0] != 2 || runs[1] != 1 || runs[2] != 1 {
		t.Errorf("runs %v, want [2 1 1]", runs)
	}
	_ = s.View(context.Background(), func(tx ticketcore.ReadTx) error {
		conv, _ := tx.Conversation(channels.API, "u")
		if len(conv) != 2 {
			t.Errorf("conversation has %d messages, want 2", len(conv))
		}
		return nil
	})
}

// TestCancelWhileQueued: a caller whose ctx ends while its update waits
// gets ctx.Err() at once, and its fn never runs.
func TestCancelWhileQueued(t *testing.T) {
	s := openAt(t, tempPath(t), Config{})
	g := holdWriter(s)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	done := queueUpdate(s, ctx, func(ticketcore.Tx) error { ran <- struct{}{}; return nil })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Update: %v, want context.Canceled", err)
	}
	close(g.release)
	if err := <-g.done; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // the writer has drained the queue
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Error("the cancelled update ran")
	default:
	}
}

func TestCloseTwice(t *testing.T) {
	s := openAt(t, tempPath(t), Config{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
}

// TestManyFailuresCostNoQuadraticReruns: a batch where every other fn
// fails runs each fn a bounded number of times.
func TestManyFailuresCostNoQuadraticReruns(t *testing.T) {
	s := openAt(t, tempPath(t), Config{})
	g := holdWriter(s)
	const n = 100
	var runs int // only the writer goroutine touches it until the answers are in
	var done []chan error
	for i := range n {
		done = append(done, queueUpdate(s, context.Background(), func(tx ticketcore.Tx) error {
			runs++
			if i%2 == 1 {
				return fmt.Errorf("fn %d fails", i)
			}
			return tx.PutMeta(fmt.Sprint(i), []byte("v"))
		}))
	}
	close(g.release)
	for i, d := range done {
		if err := <-d; (err != nil) != (i%2 == 1) {
			t.Errorf("update %d: %v", i, err)
		}
	}
	if runs > 3*n {
		t.Errorf("%d fn runs for %d updates, want at most %d", runs, n, 3*n)
	}
	_ = s.View(context.Background(), func(tx ticketcore.ReadTx) error {
		for i := range n {
			if v, _ := tx.Meta(fmt.Sprint(i)); (v != nil) != (i%2 == 0) {
				t.Errorf("meta %d = %q", i, v)
			}
		}
		return nil
	})
}
