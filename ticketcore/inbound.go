package ticketcore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// HandleMessage stores msg and queues it for the inbox worker in one
// transaction; once it returns, the channel may acknowledge the message. A
// message whose channel and ExternalID were stored before changes nothing and
// answers the first one's id. A new message releases the replies its thread
// held until the customer wrote again. It implements channels.Handler.
func (s *Service) HandleMessage(ctx context.Context, msg channels.Message) (channels.Receipt, error) {
	if err := validateInbound(msg); err != nil {
		return channels.Receipt{}, err
	}
	m, err := s.prepareInbound(ctx, msg)
	if err != nil {
		return channels.Receipt{}, fmt.Errorf("store inbound %s message: %w", msg.Channel, err)
	}
	var st storing
	err = s.store.Update(ctx, func(tx Tx) error {
		st = storing{}
		return s.storeInboundTx(tx, m, s.cfg.Now(), &st)
	})
	if err != nil {
		return channels.Receipt{}, fmt.Errorf("store inbound %s message: %w", msg.Channel, err)
	}
	s.stored([]Message{m}, st)
	return st.receipts[0], nil
}

// HandleBatch stores msgs as HandleMessage does and sets the State key
// at.Key to at.Value (a nil Value unsets it), all in one transaction. One
// invalid message (or a checkpoint without a key) refuses the whole batch
// before anything is written; the error wraps channels.ErrInvalid and names
// the message's index in msgs. It implements channels.BatchHandler.
func (s *Service) HandleBatch(ctx context.Context, msgs []channels.Message, at channels.Checkpoint) ([]channels.Receipt, error) {
	if at.Key == "" {
		return nil, channels.Invalid("a checkpoint needs a key")
	}
	for i, msg := range msgs {
		if err := validateInbound(msg); err != nil {
			return nil, fmt.Errorf("msgs[%d]: %w", i, err)
		}
	}
	batch := make([]Message, len(msgs))
	for i, msg := range msgs {
		m, err := s.prepareInbound(ctx, msg)
		if err != nil {
			return nil, fmt.Errorf("store a batch of inbound messages: msgs[%d]: %w", i, err)
		}
		batch[i] = m
	}
	var st storing
	err := s.store.Update(ctx, func(tx Tx) error {
		st = storing{}
		now := s.cfg.Now()
		for _, m := range batch {
			if err := s.storeInboundTx(tx, m, now, &st); err != nil {
				return err
			}
		}
		return putState(tx, at.Key, at.Value)
	})
	if err != nil {
		return nil, fmt.Errorf("store a batch of %d inbound messages at %s: %w", len(msgs), at.Key, err)
	}
	s.stored(batch, st)
	return st.receipts, nil
}

// prepareInbound turns a valid msg into the Message to store, its
// attachments kept in the blob store first (content before the message
// that names it).
func (s *Service) prepareInbound(ctx context.Context, msg channels.Message) (Message, error) {
	m := Message{Channel: msg.Channel, ExternalID: msg.ExternalID, Thread: msg.Thread,
		Direction: channels.In, From: msg.From, Text: msg.Text, Meta: msg.Meta,
		SentAt: msg.SentAt, Group: msg.Group}
	if len(msg.Attachments) > 0 {
		refs, err := s.keepAttachments(ctx, msg.Attachments)
		if err != nil {
			return Message{}, err
		}
		m.Attachments = refs
	}
	return m, nil
}

// storing is what a transaction of inbound messages did, for after the commit.
type storing struct {
	receipts []channels.Receipt // in the order of the messages
	released bool               // held replies were queued again
}

// storeInboundTx stores m and queues it for the inbox worker, unless its
// idempotency key was stored before (within this transaction too), and
// releases the replies held on its thread.
func (s *Service) storeInboundTx(tx Tx, m Message, now time.Time, st *storing) error {
	prev, err := tx.MessageByExternalID(m.Channel, m.ExternalID)
	if err == nil {
		st.receipts = append(st.receipts, channels.Receipt{MessageID: prev.ID, Duplicate: true})
		return nil
	}
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	m.At = now
	if err := tx.AddMessage(&m); err != nil {
		return err
	}
	st.receipts = append(st.receipts, channels.Receipt{MessageID: m.ID})
	if err := tx.EnqueueInbox(m.ID); err != nil {
		return err
	}
	released, err := releaseHeldTx(tx, m.Channel, m.Thread, now)
	st.released = st.released || released > 0
	return err
}

// stored counts committed inbound messages and wakes the workers they concern.
func (s *Service) stored(msgs []Message, st storing) {
	var arrived int64
	for i, r := range st.receipts {
		if r.Duplicate {
			s.metrics.duplicates.WithLabelValues(msgs[i].Channel).Inc()
			continue
		}
		s.metrics.received.WithLabelValues(msgs[i].Channel).Inc()
		arrived++
	}
	if arrived > 0 {
		s.intake.arrived.Add(arrived)
		wake(s.inboxWake)
	}
	if st.released {
		wake(s.outboxWake)
	}
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

var (
	_ channels.Handler      = (*Service)(nil)
	_ channels.BatchHandler = (*Service)(nil)
)
