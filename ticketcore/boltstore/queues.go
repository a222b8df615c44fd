package boltstore

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// The durable queues. Each change keeps its queue's counter in the counts
// bucket, so Stats never walks a queue. Changes that end a claim record it
// in w.ended; the claim ends only when the transaction commits.

func count(b *bolt.Bucket, name []byte) int {
	v := b.Get(name)
	if len(v) != 8 {
		return 0
	}
	return int(readU64(v))
}

func (w *writeTx) addCount(name []byte, delta int) error {
	b := w.bucket(bucketCounts)
	n := max(count(b, name)+delta, 0)
	if err := b.Put(name, u64(uint64(n))); err != nil {
		return w.fail("count "+string(name), err)
	}
	return nil
}

// has reports whether key is in b. Get cannot tell: it answers nil for an
// empty value, which is what index keys carry.
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return bytes.Equal(k, key)
}

// queuedMessage is the sequence of a stored message, or ErrNotFound.
func (w *writeTx) queuedMessage(id string) (uint64, error) {
	seq, ok := parseMessageID(id)
	if !ok || w.bucket(bucketMessages).Get(u64(seq)) == nil {
		return 0, notFound("message", id)
	}
	return seq, nil
}

// EnqueueInbox queues a stored message; queueing it again changes nothing.
func (w *writeTx) EnqueueInbox(messageID string) error {
	seq, err := w.queuedMessage(messageID)
	if err != nil {
		return fmt.Errorf("enqueue inbox: %w", err)
	}
	b := w.bucket(bucketInbox)
	if has(b, u64(seq)) {
		return nil
	}
	if err := b.Put(u64(seq), nil); err != nil {
		return w.fail("enqueue inbox "+messageID, err)
	}
	return w.addCount(countInbox, 1)
}

// InInbox reports whether a message waits in the inbox.
func (r readTx) InInbox(messageID string) (bool, error) {
	seq, ok := parseMessageID(messageID)
	return ok && has(r.bucket(bucketInbox), u64(seq)), nil
}

// InOutbox reports whether a message waits in the outbox.
func (r readTx) InOutbox(messageID string) (bool, error) {
	seq, ok := parseMessageID(messageID)
	return ok && has(r.bucket(bucketOutbox), u64(seq)), nil
}

// CompleteInbox removes a message from the inbox. One that is not there
// (completed by a worker whose lease ran out) is no error.
func (w *writeTx) CompleteInbox(messageID string) error {
	seq, ok := parseMessageID(messageID)
	if !ok {
		return nil
	}
	w.ended = append(w.ended, leaseKey{kind: leaseInbox, seq: seq})
	b := w.bucket(bucketInbox)
	if !has(b, u64(seq)) {
		return nil
	}
	if err := b.Delete(u64(seq)); err != nil {
		return w.fail("complete inbox "+messageID, err)
	}
	return w.addCount(countInbox, -1)
}

// EnqueueOutbox queues a stored message for delivery; queueing a queued one
// again replaces it like RescheduleOutbox.
func (w *writeTx) EnqueueOutbox(item ticketcore.OutboxItem) error {
	seq, err := w.queuedMessage(item.MessageID)
	if err != nil {
		return fmt.Errorf("enqueue outbox: %w", err)
	}
	replaced, err := w.unqueueOutbox(seq)
	if err != nil {
		return err
	}
	if !replaced {
		if err := w.addCount(countOutbox, 1); err != nil {
			return err
		}
	}
	return w.putOutbox(seq, item)
}

// RescheduleOutbox stores the new state of a queued item. An item no longer
// queued (completed meanwhile) stays completed: nothing is stored.
func (w *writeTx) RescheduleOutbox(item ticketcore.OutboxItem) error {
	seq, ok := parseMessageID(item.MessageID)
	if !ok {
		return nil
	}
	replaced, err := w.unqueueOutbox(seq)
	if err != nil || !replaced {
		return err
	}
	return w.putOutbox(seq, item)
}

// CompleteOutbox removes an item; a missing one is no error.
func (w *writeTx) CompleteOutbox(messageID string) error {
	seq, ok := parseMessageID(messageID)
	if !ok {
		return nil
	}
	w.ended = append(w.ended, leaseKey{kind: leaseOutbox, seq: seq})
	removed, err := w.unqueueOutbox(seq)
	if err != nil || !removed {
		return err
	}
	if err := w.bucket(bucketOutbox).Delete(u64(seq)); err != nil {
		return w.fail("complete outbox "+messageID, err)
	}
	return w.addCount(countOutbox, -1)
}

// unqueueOutbox removes an item's due-index key and ends its claim; it
// reports whether the item was queued.
func (w *writeTx) unqueueOutbox(seq uint64) (bool, error) {
	var old ticketcore.OutboxItem
	found, err := getJSON(w.bucket(bucketOutbox), u64(seq), &old)
	if err != nil {
		return false, fmt.Errorf("read outbox item %s: %w", formatMessageID(seq), err)
	}
	if !found {
		return false, nil
	}
	w.ended = append(w.ended, leaseKey{kind: leaseOutbox, seq: seq})
	if err := w.bucket(bucketOutboxDue).Delete(dueKey(old.Due, u64(seq))); err != nil {
		return false, w.fail("unqueue outbox "+old.MessageID, err)
	}
	return true, nil
}

func (w *writeTx) putOutbox(seq uint64, item ticketcore.OutboxItem) error {
	item.Message = ticketcore.Message{}
	if err := putJSON(w.bucket(bucketOutbox), u64(seq), item); err != nil {
		return w.fail("queue outbox "+item.MessageID, err)
	}
	if err := w.bucket(bucketOutboxDue).Put(dueKey(item.Due, u64(seq)), nil); err != nil {
		return w.fail("queue outbox "+item.MessageID, err)
	}
	return nil
}

// ScheduleTimer stores t, replacing (and unclaiming) a timer with its id so
// that the new due time counts at once.
func (w *writeTx) ScheduleTimer(t ticketcore.Timer) error {
	if t.ID == "" || len(t.ID) > maxKeyPart {
		return fmt.Errorf("schedule timer: %w: id must have 1 to %d bytes", ticketcore.ErrInvalid, maxKeyPart)
	}
	replaced, err := w.unscheduleTimer(t.ID)
	if err != nil {
		return err
	}
	if !replaced {
		if err := w.addCount(countTimers, 1); err != nil {
			return err
		}
	}
	if err := putJSON(w.bucket(bucketTimers), []byte(t.ID), t); err != nil {
		return w.fail("schedule timer "+t.ID, err)
	}
	if err := w.bucket(bucketTimersDue).Put(dueKey(t.Due, []byte(t.ID)), nil); err != nil {
		return w.fail("schedule timer "+t.ID, err)
	}
	return nil
}

// DeleteTimer removes a timer; a missing one is no error.
func (w *writeTx) DeleteTimer(id string) error {
	removed, err := w.unscheduleTimer(id)
	if err != nil || !removed {
		return err
	}
	if err := w.bucket(bucketTimers).Delete([]byte(id)); err != nil {
		return w.fail("delete timer "+id, err)
	}
	return w.addCount(countTimers, -1)
}

// unscheduleTimer removes a timer's due-index key and ends its claim; it
// reports whether the timer existed.
func (w *writeTx) unscheduleTimer(id string) (bool, error) {
	w.ended = append(w.ended, leaseKey{kind: leaseTimer, id: id})
	var old ticketcore.Timer
	found, err := getJSON(w.bucket(bucketTimers), []byte(id), &old)
	if err != nil {
		return false, fmt.Errorf("read timer %s: %w", id, err)
	}
	if !found {
		return false, nil
	}
	if err := w.bucket(bucketTimersDue).Delete(dueKey(old.Due, []byte(id))); err != nil {
		return false, w.fail("unschedule timer "+id, err)
	}
	return true, nil
}
