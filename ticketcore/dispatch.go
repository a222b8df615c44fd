package ticketcore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/wait"
	"github.com/loopdesk/loopdesk/notify"
)

// runDispatcher claims due outbox items and delivers them, at most
// Delivery.Concurrency at a time; one settler records the outcomes in
// batches.
func (s *Service) runDispatcher(ctx context.Context) {
	sem := make(chan struct{}, s.cfg.Delivery.Concurrency)
	outcomes := make(chan outcome, s.cfg.Delivery.Concurrency)
	var sends, settler sync.WaitGroup
	settler.Go(func() { s.settle(context.WithoutCancel(ctx), outcomes) })
	defer func() {
		sends.Wait()
		close(outcomes)
		settler.Wait()
	}()
	for {
		items, err := s.store.ClaimOutbox(ctx, s.cfg.Now(), cap(sem), s.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("claim outbox", "err", err)
			if !wait.Sleep(ctx, time.Second) {
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
			sends.Go(func() {
				defer func() { <-sem }()
				outcomes <- s.attempt(context.WithoutCancel(ctx), it)
			})
		}
	}
}

// outcome is what one delivery attempt came to.
type outcome struct {
	item    OutboxItem
	attempt int
	err     error
	state   string    // sent, failed, pending (to be retried) or deliveryHeld
	started time.Time // when the attempt began
	until   time.Time // of a held send: when to try again at the latest
}

// deliveryHeld is the outcome of a send the channel held (channels.Hold):
// not an attempt, not a delivery state of the message.
const deliveryHeld = "held"

// attempt makes one delivery attempt at an outbox item. A hold whose until
// has passed already, or of a message held longer than MaxHold, counts as
// a failed attempt: a channel that keeps holding cannot keep a message
// forever.
func (s *Service) attempt(ctx context.Context, it OutboxItem) outcome {
	m := it.Message
	o := outcome{item: it, attempt: it.Attempts + 1, state: channels.DeliverySent, started: s.cfg.Now()}
	if ch, ok := s.channel(m.Channel); ok {
		sendCtx, cancel := context.WithTimeout(ctx, s.cfg.Delivery.Timeout)
		o.err = ch.Send(sendCtx, m.outbound(o.attempt))
		cancel()
	} else {
		o.err = channels.Permanent(fmt.Errorf("channel %q is not configured", m.Channel))
	}
	until, held := channels.HeldUntil(o.err)
	now := s.cfg.Now()
	held = held && until.After(now) && (m.HeldAt.IsZero() || now.Sub(m.HeldAt) < s.cfg.Delivery.MaxHold)
	switch {
	case o.err == nil:
	case held:
		o.state, o.until = deliveryHeld, until
	case channels.IsPermanent(o.err) || o.attempt >= s.cfg.Delivery.MaxAttempts:
		o.state = channels.DeliveryFailed
	default:
		o.state = channels.DeliveryPending
	}
	return o
}

// settle records outcomes, whatever has queued up in one transaction.
func (s *Service) settle(ctx context.Context, in <-chan outcome) {
	batch := make([]outcome, 0, cap(in))
	for o := range in {
		batch = drain(in, append(batch[:0], o))
		s.record(ctx, batch)
	}
}

// record commits the outcomes of batch; if that fails, each on its own, so
// one bad record does not lose the others. An outcome that cannot be
// recorded leaves its item in the outbox, to be tried again when its claim
// ends.
func (s *Service) record(ctx context.Context, batch []outcome) {
	now := s.cfg.Now()
	err := s.store.Update(ctx, func(tx Tx) error {
		for _, o := range batch {
			if err := s.recordTx(tx, o, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for _, o := range batch {
			s.record(ctx, []outcome{o})
		}
		return
	}
	for _, o := range batch {
		m := o.item.Message
		log := s.log.With("message", m.ID, "ticket", m.TicketID, "channel", m.Channel, "attempt", o.attempt)
		switch {
		case err != nil:
			log.Error("record delivery; the item is tried again when its claim ends", "err", err, "send_err", o.err)
		case o.state == channels.DeliverySent:
			s.metrics.sent.WithLabelValues(m.Channel).Inc()
			s.metrics.delivery.WithLabelValues(m.Channel).Observe(seconds(m.At, now))
		case o.state == channels.DeliveryFailed:
			s.metrics.failed.WithLabelValues(m.Channel).Inc()
			log.Error("delivery failed; giving up", "err", o.err)
		case o.state == deliveryHeld:
			s.metrics.held.WithLabelValues(m.Channel).Inc()
			log.Info("delivery held until the customer writes again", "until", o.until, "err", o.err)
		default:
			s.metrics.retried.WithLabelValues(m.Channel).Inc()
			log.Warn("delivery failed; will retry", "err", o.err)
		}
	}
}

// recordTx records one outcome: a hold, a retry (which ends any hold: the
// message no longer waits for the customer), or a final state.
//
// The message is read again first: the copy claimed may be stale (a claim
// that outlived its lease, while a later one held the message).
func (s *Service) recordTx(tx Tx, o outcome, now time.Time) error {
	m, err := tx.Message(o.item.MessageID)
	if err != nil {
		return err
	}
	o.item.Message = m
	switch o.state {
	case deliveryHeld:
		return s.holdTx(tx, o, now)
	case channels.DeliveryPending:
		next := o.item
		next.Message = Message{}
		next.Attempts, next.Due, next.LastError = o.attempt, now.Add(s.retryDelay(o.attempt, o.err)), o.err.Error()
		if err := tx.RescheduleOutbox(next); err != nil {
			return err
		}
		return unholdTx(tx, o.item.Message)
	}
	return s.settleTx(tx, o.item.Message, o.state, o.err, now)
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

// settleTx records the final delivery state of m, an outbound message as
// claimed: sent, or failed (see failTx). One no longer in the outbox was
// settled before, by a claim that outlived its lease.
func (s *Service) settleTx(tx Tx, m Message, state string, sendErr error, now time.Time) error {
	if queued, err := tx.InOutbox(m.ID); err != nil || !queued {
		return err
	}
	if state == channels.DeliveryFailed {
		return s.failTx(tx, m, sendErr.Error(), now)
	}
	if err := setDeliveryTx(tx, m, state); err != nil {
		return err
	}
	return doneTx(tx, m)
}

// failTx gives up on m, an outbound message, for reason: failed on the
// message and its timeline entry, an event saying why, a notice to the
// ticket's assignee, and the item out of the outbox. A notice that
// failed tells nobody: that would be another notice.
func (s *Service) failTx(tx Tx, m Message, reason string, now time.Time) error {
	if err := setDeliveryTx(tx, m, channels.DeliveryFailed); err != nil {
		return err
	}
	if m.TicketID != "" && m.EntrySeq > 0 {
		failed := Entry{Type: EntryEvent, Event: EventDeliveryFailed, At: now, By: BySystem,
			MessageID: m.ID, Reason: reason}
		if err := tx.AppendEntry(m.TicketID, &failed); err != nil {
			return err
		}
	}
	if m.Kind == KindAsk {
		if err := s.askFailedTx(tx, m, reason); err != nil {
			return err
		}
	}
	if m.TicketID != "" && toCustomer(m) {
		text := fmt.Sprintf("工单 %s 的回复未能送达客户：%s", m.TicketID, reason)
		if err := s.tellAssignee(tx, m.TicketID, notify.KindDeliveryFail, text, now); err != nil {
			return err
		}
	}
	return doneTx(tx, m)
}

// setDeliveryTx sets the delivery state of m and of its timeline entry.
func setDeliveryTx(tx Tx, m Message, state string) error {
	m.Delivery = state
	if err := tx.UpdateMessage(m); err != nil {
		return err
	}
	if m.TicketID == "" || m.EntrySeq <= 0 {
		return nil
	}
	e, err := tx.Entry(m.TicketID, m.EntrySeq)
	if err != nil {
		return err
	}
	e.Delivery = state
	return tx.UpdateEntry(m.TicketID, e)
}

// doneTx ends the delivery of m: off its thread's held index and out of
// the outbox (if it is still there).
func doneTx(tx Tx, m Message) error {
	if err := unholdTx(tx, m); err != nil {
		return err
	}
	return tx.CompleteOutbox(m.ID)
}

// toCustomer reports whether m goes to a customer, not to an agent
// through a notifier.
func toCustomer(m Message) bool {
	return m.Kind != KindNotice && !strings.HasPrefix(m.Channel, notify.ChannelPrefix)
}
