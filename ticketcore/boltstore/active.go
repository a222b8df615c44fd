package boltstore

import (
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// What follows a ticket's status: the active-ticket index (which active
// ticket answers a thread) and the open-ticket counts (how many active
// tickets each assignee holds). Both change in the transaction that writes
// the ticket, so they never disagree with the tickets bucket.

// ActiveTicket reads the active-ticket index.
func (r readTx) ActiveTicket(channel, thread string) (string, error) {
	if err := validThread(channel, thread); err != nil {
		return "", err
	}
	v := r.bucket(bucketActive).Get(join(channel, thread))
	if v == nil {
		return "", nil
	}
	return ticketcore.FormatTicketID(readU64(v)), nil
}

// OpenTickets reads the open-ticket count of an assignee; "" is nobody,
// and nobody's tickets are not counted.
func (r readTx) OpenTickets(assignee string) (int, error) {
	if assignee == "" {
		return 0, nil
	}
	if err := validKeyPart("assignee", assignee); err != nil {
		return 0, err
	}
	return count(r.bucket(bucketOpen), []byte(assignee)), nil
}

// threadsOf lists the active-index keys of a ticket's threads: its own and
// those of its conversations. An empty thread is none.
func threadsOf(t ticketcore.Ticket) []string {
	var keys []string
	if t.Thread != "" {
		keys = append(keys, string(join(t.Channel, t.Thread)))
	}
	for _, c := range t.Conversations {
		if c.Thread != "" {
			keys = append(keys, string(join(c.Channel, c.Thread)))
		}
	}
	return keys
}

// countedFor is the assignee whose open tickets t counts in, or "".
func countedFor(t ticketcore.Ticket) string {
	if !ticketcore.IsActive(t.Status) {
		return ""
	}
	return t.Assignee
}

// reindex moves the index entries and the open-ticket count of ticket seq
// from its old state to t. Entries of the threads t no longer has, and of
// all its threads once it is solved or closed, are removed where they point
// at it. While t is active each of its threads whose entry is free points
// at it, and an entry pointing at another ticket stays: that ticket keeps
// the thread until it is solved or closed, so updating an older ticket
// never hides a newer one. A merge thus moves a child's thread to the
// parent when the child is solved or closed before the parent is written
// with the child's conversation.
func (w *writeTx) reindex(old, t ticketcore.Ticket, seq uint64) error {
	b := w.bucket(bucketActive)
	active := ticketcore.IsActive(t.Status)
	keep := threadsOf(t)
	for _, key := range threadsOf(old) {
		if active && slices.Contains(keep, key) {
			continue
		}
		if v := b.Get([]byte(key)); v != nil && readU64(v) == seq {
			if err := b.Delete([]byte(key)); err != nil {
				return w.fail("unindex ticket "+t.ID, err)
			}
		}
	}
	if active {
		for _, key := range keep {
			if b.Get([]byte(key)) != nil {
				continue // this ticket's already, or the thread's other active one keeps it
			}
			if err := b.Put([]byte(key), u64(seq)); err != nil {
				return w.fail("index ticket "+t.ID, err)
			}
		}
	}
	return w.recount(countedFor(old), countedFor(t))
}

// recount moves one open ticket from the assignee it counted for to the
// one it counts for now; "" is none.
func (w *writeTx) recount(from, to string) error {
	if from == to {
		return nil
	}
	if from != "" {
		if err := w.addOpen(from, -1); err != nil {
			return err
		}
	}
	if to != "" {
		return w.addOpen(to, 1)
	}
	return nil
}

// addOpen changes an assignee's count, never below zero; a count that
// reaches zero is deleted, so the bucket holds only those who have work.
func (w *writeTx) addOpen(assignee string, delta int) error {
	b := w.bucket(bucketOpen)
	key := []byte(assignee)
	var err error
	if n := max(count(b, key)+delta, 0); n > 0 {
		err = b.Put(key, u64(uint64(n)))
	} else {
		err = b.Delete(key)
	}
	if err != nil {
		return w.fail("count open tickets of "+assignee, err)
	}
	return nil
}

// countOpenTickets fills an empty open_tickets bucket from the stored
// tickets: a data file written before the counts existed gets them on its
// first open.
func countOpenTickets(tx *bolt.Tx) error {
	w := &writeTx{readTx: readTx{tx}}
	return tx.Bucket(bucketTickets).ForEach(func(k, v []byte) error {
		var t ticketcore.Ticket
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("count open tickets: decode ticket %d: %w", readU64(k), err)
		}
		return w.recount("", countedFor(t))
	})
}
