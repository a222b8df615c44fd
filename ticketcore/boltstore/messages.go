package boltstore

import (
	"bytes"
	"fmt"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// Message reads a message by id.
func (r readTx) Message(id string) (ticketcore.Message, error) {
	var m ticketcore.Message
	seq, ok := parseMessageID(id)
	if !ok {
		return m, notFound("message", id)
	}
	m, err := r.messageAt(seq)
	if err == nil && m.ID != id {
		return ticketcore.Message{}, notFound("message", id)
	}
	return m, err
}

func (r readTx) messageAt(seq uint64) (ticketcore.Message, error) {
	var m ticketcore.Message
	found, err := getJSON(r.bucket(bucketMessages), u64(seq), &m)
	switch {
	case err != nil:
		return m, fmt.Errorf("read message %s: %w", formatMessageID(seq), err)
	case !found:
		return m, notFound("message", formatMessageID(seq))
	}
	return m, nil
}

// MessageByExternalID follows the idempotency index of inbound messages.
func (r readTx) MessageByExternalID(channel, externalID string) (ticketcore.Message, error) {
	if err := validKeyPart("channel", channel); err != nil {
		return ticketcore.Message{}, err
	}
	v := r.bucket(bucketExternalIDs).Get(join(channel, externalID))
	if v == nil {
		return ticketcore.Message{}, notFound("message with external id", channel+"/"+externalID)
	}
	return r.messageAt(readU64(v))
}

// Conversation walks the thread index, whose keys end in the message
// sequence: oldest first.
func (r readTx) Conversation(channel, thread string) ([]ticketcore.Message, error) {
	if err := validThread(channel, thread); err != nil {
		return nil, err
	}
	prefix := threadPrefix(channel, thread)
	var msgs []ticketcore.Message
	c := r.bucket(bucketThreads).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		m, err := r.messageAt(readU64(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("read conversation: %w", err)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// LastFiledMessage walks the thread index from its newest key back to
// the first message with a ticket.
func (r readTx) LastFiledMessage(channel, thread string) (ticketcore.Message, error) {
	if err := validThread(channel, thread); err != nil {
		return ticketcore.Message{}, err
	}
	prefix := threadPrefix(channel, thread)
	c := r.bucket(bucketThreads).Cursor()
	// The thread's keys end just before prefix with its last byte (NUL)
	// raised: the first key there, if any, is past the thread.
	k, _ := c.Seek(append(join(channel, thread), 1))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		m, err := r.messageAt(readU64(k[len(prefix):]))
		if err != nil {
			return ticketcore.Message{}, fmt.Errorf("read the last filed message: %w", err)
		}
		if m.TicketID != "" {
			return m, nil
		}
	}
	return ticketcore.Message{}, notFound("filed message of thread", channel+"/"+thread)
}

// AddMessage numbers m from the messages bucket's sequence and indexes it
// by thread and, when inbound, by external id. A second inbound message
// with the same idempotency key is refused (ErrConflict): callers look it
// up first, and the refusal keeps "exactly one" true even when one does not.
func (w *writeTx) AddMessage(m *ticketcore.Message) error {
	if err := validMessage(*m); err != nil {
		return fmt.Errorf("add message: %w", err)
	}
	indexed := m.Direction == channels.In && m.ExternalID != ""
	extKey := join(m.Channel, m.ExternalID)
	if indexed && w.bucket(bucketExternalIDs).Get(extKey) != nil {
		return fmt.Errorf("add message: %w: external id %q of channel %s is stored already",
			ticketcore.ErrConflict, m.ExternalID, m.Channel)
	}
	seq, err := w.bucket(bucketMessages).NextSequence()
	if err != nil {
		return w.fail("add message", err)
	}
	m.ID = newMessageID(seq)
	if err := putJSON(w.bucket(bucketMessages), u64(seq), m); err != nil {
		return w.fail("add message", err)
	}
	if err := w.bucket(bucketThreads).Put(threadKey(m.Channel, m.Thread, seq), nil); err != nil {
		return w.fail("index message by thread", err)
	}
	if indexed {
		if err := w.bucket(bucketExternalIDs).Put(extKey, u64(seq)); err != nil {
			return w.fail("index message by external id", err)
		}
	}
	return nil
}

func validMessage(m ticketcore.Message) error {
	if err := validThread(m.Channel, m.Thread); err != nil {
		return err
	}
	if len(m.ExternalID) > maxKeyPart {
		return fmt.Errorf("%w: external id longer than %d bytes", ticketcore.ErrInvalid, maxKeyPart)
	}
	return nil
}

// UpdateMessage replaces a message. What it is indexed by (channel,
// thread, external id) is its identity and cannot change. The indexes
// themselves tell whether it would, so the old record need not be decoded:
// updates are on every message's hot path.
func (w *writeTx) UpdateMessage(m ticketcore.Message) error {
	seq, ok := parseMessageID(m.ID)
	if !ok || !has(w.bucket(bucketMessages), u64(seq)) {
		return notFound("message", m.ID)
	}
	if err := validMessage(m); err != nil {
		return fmt.Errorf("update message %s: %w", m.ID, err)
	}
	sameThread := has(w.bucket(bucketThreads), threadKey(m.Channel, m.Thread, seq))
	sameExternal := true
	if m.Direction == channels.In && m.ExternalID != "" {
		v := w.bucket(bucketExternalIDs).Get(join(m.Channel, m.ExternalID))
		sameExternal = v != nil && readU64(v) == seq
	}
	if !sameThread || !sameExternal {
		return fmt.Errorf("update message %s: %w: channel, thread and external id are fixed",
			m.ID, ticketcore.ErrInvalid)
	}
	if err := putJSON(w.bucket(bucketMessages), u64(seq), m); err != nil {
		return w.fail("update message "+m.ID, err)
	}
	return nil
}
