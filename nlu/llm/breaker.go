package llm

import (
	"sync"
	"time"
)

// breaker is a consecutive-failure circuit breaker. Closed, calls go
// through; after threshold failed calls in a row it opens for cooldown and
// calls are skipped; then it lets one probe through (half open), which
// closes it on success and opens it again on failure.
//
// Until the server has answered once since start-up or since its last
// failure, at most threshold−failures calls are in flight. Without that, a
// burst of concurrent calls to a server that is down would all fail before
// the first failure counted; with it, a down server gets at most threshold
// calls before the breaker opens, however many callers there are. A healthy
// server's calls are not limited here (MaxConcurrent is).
type breaker struct {
	mu        sync.Mutex
	threshold int // 0: never opens
	cooldown  time.Duration
	now       func() time.Time
	failures  int
	inFlight  int
	healthy   bool      // the last call that finished succeeded
	openUntil time.Time // zero while closed
	probing   bool      // the half-open probe is in flight
}

// ticket is a call the breaker let through; record it when it ends.
type ticket struct{ probe bool }

// outcome is how a call ended.
type outcome int

const (
	succeeded outcome = iota
	failed
	// abandoned calls say nothing about the server (the caller's context
	// ended first); they only free their slot.
	abandoned
)

func newBreaker(cfg BreakerConfig, now func() time.Time) *breaker {
	return &breaker{threshold: cfg.Failures, cooldown: cfg.Cooldown, now: now}
}

// allow reports whether a call may go to the server now.
func (b *breaker) allow() (ticket, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.threshold == 0:
		return ticket{}, true
	case !b.openUntil.IsZero():
		if b.probing || b.now().Before(b.openUntil) {
			return ticket{}, false
		}
		b.probing = true
		b.inFlight++
		return ticket{probe: true}, true
	case !b.healthy && b.failures+b.inFlight >= b.threshold:
		return ticket{}, false
	}
	b.inFlight++
	return ticket{}, true
}

func (b *breaker) record(t ticket, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.threshold == 0 {
		return
	}
	b.inFlight--
	if t.probe {
		b.probing = false
	}
	switch o {
	case succeeded:
		b.failures, b.healthy, b.openUntil = 0, true, time.Time{}
	case failed:
		b.failures++
		b.healthy = false
		if t.probe || b.failures >= b.threshold {
			b.openUntil = b.now().Add(b.cooldown)
		}
	}
}
