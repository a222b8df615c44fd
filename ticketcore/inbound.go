package ticketcore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
)

// HandleMessage stores msg and queues it for the inbox worker in one
// transaction; once it returns, the channel may acknowledge the message. A
// message whose channel and ExternalID were stored before changes nothing and
// answers the first one's id. It implements channels.Handler.
func (s *Service) HandleMessage(ctx context.Context, msg channels.Message) (channels.Receipt, error) {
	if err := validateInbound(msg); err != nil {
		return channels.Receipt{}, err
	}
	m := Message{Channel: msg.Channel, ExternalID: msg.ExternalID, Thread: msg.Thread,
		Direction: channels.In, From: msg.From, Text: msg.Text, Meta: msg.Meta,
		SentAt: msg.SentAt}
	if len(msg.Attachments) > 0 {
		refs, err := s.keepAttachments(ctx, msg.Attachments)
		if err != nil {
			return channels.Receipt{}, fmt.Errorf("store inbound %s message: %w", msg.Channel, err)
		}
		m.Attachments = refs
	}
	var receipt channels.Receipt
	err := s.store.Update(ctx, func(tx Tx) error {
		receipt = channels.Receipt{}
		prev, err := tx.MessageByExternalID(m.Channel, m.ExternalID)
		if err == nil {
			receipt = channels.Receipt{MessageID: prev.ID, Duplicate: true}
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		stored := m
		stored.At = s.cfg.Now()
		if err := tx.AddMessage(&stored); err != nil {
			return err
		}
		receipt.MessageID = stored.ID
		return tx.EnqueueInbox(stored.ID)
	})
	if err != nil {
		return channels.Receipt{}, fmt.Errorf("store inbound %s message: %w", msg.Channel, err)
	}
	if receipt.Duplicate {
		s.metrics.duplicates.WithLabelValues(msg.Channel).Inc()
	} else {
		s.metrics.received.WithLabelValues(msg.Channel).Inc()
		s.intake.arrived.Add(1)
		wake(s.inboxWake)
	}
	return receipt, nil
}

// validateInbound checks what every channel must fill in. NUL never
// appears in names and ids: stores use it as a separator.
func validateInbound(msg channels.Message) error {
	switch {
	case msg.Channel == "":
		return channels.Invalid("no channel")
	case msg.ExternalID == "":
		return channels.Invalid("no external id: every inbound message needs an idempotency key")
	case msg.Thread == "":
		return channels.Invalid("no thread")
	case strings.TrimSpace(msg.Text) == "" && len(msg.Attachments) == 0:
		return channels.Invalid("no text and no attachments")
	case strings.ContainsRune(msg.Channel+msg.ExternalID+msg.Thread, 0):
		return channels.Invalid("NUL in channel, external id or thread")
	}
	return nil
}

// Conversation returns the messages of a thread, inbound and outbound,
// oldest first. It implements channels.Conversations.
func (s *Service) Conversation(ctx context.Context, channel, thread string) ([]channels.ConversationMessage, error) {
	var msgs []Message
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		msgs, err = tx.Conversation(channel, thread)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read conversation: %w", err)
	}
	out := make([]channels.ConversationMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.conversationMessage())
	}
	return out, nil
}
