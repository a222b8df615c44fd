package ticketcore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
)

// DeliveryFailed records what a channel learned after Send returned (a
// vendor's failure event, a bounce): the outbound message messageID failed
// for reason. Its message and timeline entry say failed, an event says
// why, the ticket's assignee is told, and a delivery still queued is given
// up, all in one transaction. An id that names no outbound message is an
// error wrapping channels.ErrUnknownMessage; a message already failed
// changes nothing. It implements channels.DeliveryReports.
func (s *Service) DeliveryFailed(ctx context.Context, messageID, reason string) error {
	if strings.TrimSpace(reason) == "" {
		reason = "the channel reported that delivery failed"
	}
	var failed Message
	err := s.store.Update(ctx, func(tx Tx) error {
		failed = Message{}
		m, err := tx.Message(messageID)
		if errors.Is(err, ErrNotFound) || err == nil && m.Direction != channels.Out {
			return fmt.Errorf("%w: %s is not a message loopdesk sent", channels.ErrUnknownMessage, messageID)
		}
		if err != nil || m.Delivery == channels.DeliveryFailed {
			return err
		}
		failed = m
		return s.failTx(tx, m, reason, s.cfg.Now())
	})
	if err != nil {
		return fmt.Errorf("record failed delivery of %s: %w", messageID, err)
	}
	if failed.ID != "" {
		s.metrics.failed.WithLabelValues(failed.Channel).Inc()
		s.log.Warn("the channel reports a delivery failed", "message", failed.ID, "ticket", failed.TicketID,
			"channel", failed.Channel, "reason", reason)
		wake(s.outboxWake)
	}
	return nil
}

var _ channels.DeliveryReports = (*Service)(nil)
