package ticketcore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify"
)

// Held sends. A channel that may only answer within a window the customer
// opens (微信客服: 5 messages per customer message, within 48 hours)
// returns channels.Hold: the item then waits in the outbox, due at the
// hold's until, with no attempt counted, and its thread's held index
// lists it. The customer's next message on the thread releases every item
// the index lists, in the transaction that stores the message; at until
// the channel decides whether the chance is gone.

// metaHeld + a hash of channel and thread → the thread's held outbox items
// (JSON), as they would be queued again.
const metaHeld = "held/"

// heldKey is the meta key of a thread's held index. Channel and thread are
// hashed: together they may be longer than a key may be.
func heldKey(channel, thread string) string {
	sum := sha256.Sum256([]byte(channel + "\x00" + thread))
	return metaHeld + hex.EncodeToString(sum[:])
}

// holdTx keeps an item its channel held until o.until: rescheduled then,
// its attempts unchanged, listed in its thread's held index. The first
// hold of a customer's message is told on the timeline and to the
// assignee. If the customer wrote while the send was under way, the
// chance the channel waits for is already there: the item is due at once.
func (s *Service) holdTx(tx Tx, o outcome, now time.Time) error {
	m := o.item.Message
	if queued, err := tx.InOutbox(m.ID); err != nil || !queued {
		return err
	}
	item := OutboxItem{MessageID: m.ID, Due: o.until, Attempts: o.item.Attempts, LastError: o.err.Error()}
	wrote, err := wroteSince(tx, m.Channel, m.Thread, o.started)
	if err != nil {
		return err
	}
	if wrote {
		item.Due = now
		return tx.RescheduleOutbox(item)
	}
	if err := tx.RescheduleOutbox(item); err != nil {
		return err
	}
	if err := addHeld(tx, m, item); err != nil {
		return err
	}
	return s.firstHoldTx(tx, m.ID, o.err.Error(), now)
}

// wroteSince reports whether the customer's latest message on a thread
// was stored after since.
func wroteSince(tx ReadTx, channel, thread string, since time.Time) (bool, error) {
	msgs, err := tx.Conversation(channel, thread)
	if err != nil {
		return false, err
	}
	for _, m := range slices.Backward(msgs) {
		if m.Direction == channels.In {
			return m.At.After(since), nil
		}
	}
	return false, nil
}

// firstHoldTx marks the message held and, the first time, records why on
// its ticket and tells the assignee. Notices held on a notifier are only
// marked: telling someone about a notice would be another notice.
func (s *Service) firstHoldTx(tx Tx, messageID, reason string, now time.Time) error {
	m, err := tx.Message(messageID)
	if err != nil || !m.HeldAt.IsZero() {
		return err
	}
	m.HeldAt = now
	if err := tx.UpdateMessage(m); err != nil {
		return err
	}
	if m.TicketID == "" || !toCustomer(m) {
		return nil
	}
	e := Entry{Type: EntryEvent, Event: EventDeliveryHeld, At: now, By: BySystem, MessageID: m.ID, Reason: reason}
	if err := appendEntry(tx, m.TicketID, e); err != nil {
		return err
	}
	text := fmt.Sprintf("工单 %s 的回复暂未发出，客户再发消息后自动补发：%s", m.TicketID, reason)
	return s.tellAssignee(tx, m.TicketID, notify.KindDeliveryHeld, text, now)
}

// addHeld lists item in its thread's held index, replacing an earlier
// listing of the same message.
func addHeld(tx Tx, m Message, item OutboxItem) error {
	key := heldKey(m.Channel, m.Thread)
	var held []OutboxItem
	if _, err := getJSONMeta(tx, key, &held); err != nil {
		return err
	}
	held = slices.DeleteFunc(held, func(it OutboxItem) bool { return it.MessageID == m.ID })
	return putJSONMeta(tx, key, append(held, item))
}

// unholdTx takes m off its thread's held index: it is no longer waiting
// for the customer (sent, failed, or retried as usual). Only a message
// that was ever held costs a read.
func unholdTx(tx Tx, m Message) error {
	if m.HeldAt.IsZero() {
		return nil
	}
	key := heldKey(m.Channel, m.Thread)
	var held []OutboxItem
	ok, err := getJSONMeta(tx, key, &held)
	if err != nil || !ok {
		return err
	}
	kept := slices.DeleteFunc(slices.Clone(held), func(it OutboxItem) bool { return it.MessageID == m.ID })
	switch {
	case len(kept) == len(held):
		return nil
	case len(kept) == 0:
		return tx.DeleteMeta(key)
	}
	return putJSONMeta(tx, key, kept)
}

// releaseHeldTx queues every item held on a thread again, due now with
// its attempts, and empties the thread's index: the customer just wrote.
// Items no longer queued (settled meanwhile) stay settled. It reports how
// many it queued. A thread with nothing held costs one read.
func releaseHeldTx(tx Tx, channel, thread string, now time.Time) (int, error) {
	key := heldKey(channel, thread)
	var held []OutboxItem
	ok, err := getJSONMeta(tx, key, &held)
	if errors.Is(err, errBadMeta) {
		// An index that cannot be read must not stop the thread's messages:
		// the items in it come due at their until anyway.
		return 0, tx.DeleteMeta(key)
	}
	if err != nil || !ok {
		return 0, err
	}
	n := 0
	for _, it := range held {
		queued, err := tx.InOutbox(it.MessageID)
		if err != nil {
			return 0, err
		}
		// One whose until has come is being tried now, or is about to
		// be: queueing it again would end that claim and send it twice.
		if !queued || !it.Due.After(now) {
			continue
		}
		it.Due = now
		if err := tx.EnqueueOutbox(it); err != nil {
			return 0, err
		}
		n++
	}
	return n, tx.DeleteMeta(key)
}
