package ticketcore

import (
	"context"
	"slices"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// watchQueue is how many changed tickets wait for the watchers; past it a
// change is not shown until the ticket's next one (channels.TicketWatcher
// is best effort).
const watchQueue = 1024

// watchBatch is the most changes taken together.
const watchBatch = 256

// watchTimeout bounds one watcher's call.
const watchTimeout = 10 * time.Second

// watchedStore is the Service's store: every Update that wrote tickets
// tells the watchers of them once it committed, whatever wrote them (an
// agent, routing, a timer, the customer's message), so no operation has
// to remember to.
type watchedStore struct {
	Store
	s *Service
}

func (w watchedStore) Update(ctx context.Context, fn func(Tx) error) error {
	var touched []string
	err := w.Store.Update(ctx, func(tx Tx) error {
		touched = touched[:0] // fn may run again
		return fn(touchTx{tx, &touched})
	})
	if err == nil {
		for _, id := range touched {
			w.s.changed(id)
		}
	}
	return err
}

// touchTx notes the tickets a transaction writes.
type touchTx struct {
	Tx
	touched *[]string
}

func (tx touchTx) CreateTicket(t *Ticket) error {
	if err := tx.Tx.CreateTicket(t); err != nil {
		return err
	}
	tx.note(t.ID)
	return nil
}

func (tx touchTx) UpdateTicket(t Ticket) error {
	tx.note(t.ID)
	return tx.Tx.UpdateTicket(t)
}

func (tx touchTx) note(id string) {
	if !slices.Contains(*tx.touched, id) {
		*tx.touched = append(*tx.touched, id)
	}
}

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

// runWatchers hands changed tickets to the watching channels until ctx is
// done: the changes waiting are taken together, each ticket once.
func (s *Service) runWatchers(ctx context.Context) {
	batch := make([]string, 0, watchBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.changes:
			batch = drain(s.changes, append(batch[:0], id))
		}
		watchers := s.watchers()
		if len(watchers) == 0 {
			continue
		}
		slices.Sort(batch)
		for _, id := range slices.Compact(batch) {
			for _, w := range watchers {
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
