package wecom

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/internal/wait"
)

// syncer runs one sync at a time per kf account and folds the requests
// that arrive meanwhile into one more run: WeCom calls back for every
// message (and again when an answer is slow), while one sync_msg loop
// fetches everything there is.
type syncer struct {
	run     func(ctx context.Context, openKfID, token string) error
	backoff func(failures int) time.Duration
	log     *slog.Logger

	mu       sync.Mutex
	ctx      context.Context // nil until start
	accounts map[string]*syncState
	wg       sync.WaitGroup
}

type syncState struct {
	token   string // the newest callback token
	dirty   bool   // a request came after the running sync began
	running bool
}

func newSyncer(run func(context.Context, string, string) error, backoff func(int) time.Duration, log *slog.Logger) *syncer {
	return &syncer{run: run, backoff: backoff, log: log, accounts: map[string]*syncState{}}
}

// start lets requests run (those made before start run now).
func (s *syncer) start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = ctx
	for id, st := range s.accounts {
		if st.dirty && !st.running {
			s.launch(id, st)
		}
	}
}

// request asks for a sync of openKfID with the callback's token.
func (s *syncer) request(openKfID, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.accounts[openKfID]
	if st == nil {
		st = &syncState{}
		s.accounts[openKfID] = st
	}
	if token != "" {
		st.token = token
	}
	st.dirty = true
	if s.ctx != nil && !st.running && s.ctx.Err() == nil {
		s.launch(openKfID, st)
	}
}

// launch runs syncs of one account until no request is left; s.mu held.
func (s *syncer) launch(openKfID string, st *syncState) {
	st.running = true
	ctx := s.ctx
	s.wg.Go(func() {
		for failures := 0; ; {
			s.mu.Lock()
			if !st.dirty || ctx.Err() != nil {
				st.running = false
				s.mu.Unlock()
				return
			}
			st.dirty = false
			token := st.token
			s.mu.Unlock()
			if err := s.run(ctx, openKfID, token); err != nil {
				failures++
				s.log.Error("sync 微信客服 messages; trying again", "open_kfid", openKfID, "err", err)
				s.mu.Lock()
				st.dirty = true
				s.mu.Unlock()
				if !wait.Sleep(ctx, s.backoff(failures)) {
					continue
				}
			} else {
				failures = 0
			}
		}
	})
}

// retryWait backs off base, twice base, four times … up to 64 times base.
func retryWait(base time.Duration, failures int) time.Duration {
	return base << min(failures-1, 6)
}

// wait waits for the syncs in hand (after the start context is done).
func (s *syncer) wait() { s.wg.Wait() }
