package ticketcore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// runDispatcher claims due outbox items and delivers them, at most
// Delivery.Concurrency at a time.
func (s *Service) runDispatcher(ctx context.Context) {
	sem := make(chan struct{}, s.cfg.Delivery.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		items, err := s.store.ClaimOutbox(ctx, s.cfg.Now(), cap(sem), s.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("claim outbox", "err", err)
			if !backoff(ctx, time.Second) {
				return
			}
			continue
		}
		if len(items) == 0 && !s.idle(ctx, s.outboxWake) {
			return
		}
		for _, it := range items {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return // unsent claims return to the outbox when their lease ends
			}
			wg.Go(func() {
				defer func() { <-sem }()
				s.deliver(context.WithoutCancel(ctx), it)
			})
		}
	}
}

// deliver makes one attempt at an outbox item and records its outcome.
func (s *Service) deliver(ctx context.Context, it OutboxItem) {
	m := it.Message
	attempt := it.Attempts + 1
	var err error
	if ch, ok := s.channel(m.Channel); ok {
		sendCtx, cancel := context.WithTimeout(ctx, s.cfg.Delivery.Timeout)
		err = ch.Send(sendCtx, m.outbound(attempt))
		cancel()
	} else {
		err = channels.Permanent(fmt.Errorf("channel %q is not configured", m.Channel))
	}
	outcome := channels.DeliverySent
	switch {
	case err == nil:
	case channels.IsPermanent(err) || attempt >= s.cfg.Delivery.MaxAttempts:
		outcome = channels.DeliveryFailed
	default:
		outcome = channels.DeliveryPending
	}
	now := s.cfg.Now()
	rerr := s.store.Update(ctx, func(tx Tx) error {
		if outcome == channels.DeliveryPending {
			next := it
			next.Attempts, next.Due, next.LastError = attempt, now.Add(s.retryDelay(attempt, err)), err.Error()
			return tx.RescheduleOutbox(next)
		}
		return settleTx(tx, m.ID, outcome, err, now)
	})
	log := s.log.With("message", m.ID, "ticket", m.TicketID, "channel", m.Channel, "attempt", attempt)
	switch {
	case rerr != nil:
		log.Error("record delivery; the item is tried again when its claim ends", "err", rerr, "send_err", err)
	case outcome == channels.DeliverySent:
		s.metrics.sent.WithLabelValues(m.Channel).Inc()
		s.metrics.delivery.WithLabelValues(m.Channel).Observe(seconds(m.At, now))
	case outcome == channels.DeliveryFailed:
		s.metrics.failed.WithLabelValues(m.Channel).Inc()
		log.Error("delivery failed; giving up", "err", err)
	default:
		s.metrics.retried.WithLabelValues(m.Channel).Inc()
		log.Warn("delivery failed; will retry", "err", err)
	}
}

// retryDelay is the wait before attempt+1: what the peer asked for, else an
// exponential backoff with jitter so that a recovering peer is not hit by
// every waiting item at once.
func (s *Service) retryDelay(attempt int, err error) time.Duration {
	d := s.cfg.Delivery
	if after, ok := channels.RetryDelay(err); ok && after > 0 {
		return min(after, d.MaxBackoff)
	}
	wait := d.Backoff << min(attempt-1, 30)
	if wait <= 0 || wait > d.MaxBackoff {
		wait = d.MaxBackoff
	}
	return wait - time.Duration(rand.Int64N(int64(wait)/5+1))
}

// settleTx records the final delivery state of an outbound message on the
// message, its timeline entry, and (when it failed) as an event; the item
// leaves the outbox.
func settleTx(tx Tx, msgID, state string, sendErr error, now time.Time) error {
	m, err := tx.Message(msgID)
	if err != nil {
		return err
	}
	m.Delivery = state
	if err := tx.UpdateMessage(m); err != nil {
		return err
	}
	if m.TicketID != "" && m.EntrySeq > 0 {
		e, err := tx.Entry(m.TicketID, m.EntrySeq)
		if err != nil {
			return err
		}
		e.Delivery = state
		if err := tx.UpdateEntry(m.TicketID, e); err != nil {
			return err
		}
		if state == channels.DeliveryFailed {
			failed := Entry{Type: EntryEvent, Event: EventDeliveryFailed, At: now, By: BySystem,
				MessageID: m.ID, Reason: sendErr.Error()}
			if err := tx.AppendEntry(m.TicketID, &failed); err != nil {
				return err
			}
		}
	}
	return tx.CompleteOutbox(msgID)
}
