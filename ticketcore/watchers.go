package ticketcore

import (
	"context"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// watchQueue is how many changed tickets wait for the watchers; past it a
// change is not shown until the ticket's next one (channels.TicketWatcher
// is best effort).
const watchQueue = 1024

// watchTimeout bounds one watcher's call.
const watchTimeout = 10 * time.Second

// changed tells the attached channels that show tickets (channels.
// TicketWatcher) that a committed change touched the ticket. It never
// blocks the caller.
func (s *Service) changed(ticketID string) {
	select {
	case s.changes <- ticketID:
	default:
		s.log.Debug("watchers behind; a ticket change is not shown until its next", "ticket", ticketID)
	}
}

// runWatchers hands changed tickets to the watching channels, one at a
// time, until ctx is done.
func (s *Service) runWatchers(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.changes:
			for _, w := range s.watchers() {
				wctx, cancel := context.WithTimeout(ctx, watchTimeout)
				w.TicketChanged(wctx, id)
				cancel()
			}
		}
	}
}

// watchers are the attached channels that show tickets.
func (s *Service) watchers() []channels.TicketWatcher {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []channels.TicketWatcher
	for _, ch := range s.channels {
		if w, ok := ch.(channels.TicketWatcher); ok {
			out = append(out, w)
		}
	}
	return out
}
