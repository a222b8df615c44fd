package boltstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// Ticket reads a ticket; tickets are stored without their timeline.
func (r readTx) Ticket(id string) (ticketcore.Ticket, error) {
	var t ticketcore.Ticket
	seq, ok := ticketcore.ParseTicketID(id)
	if !ok {
		return t, notFound("ticket", id)
	}
	found, err := getJSON(r.bucket(bucketTickets), u64(seq), &t)
	switch {
	case err != nil:
		return t, fmt.Errorf("read ticket %s: %w", id, err)
	case !found:
		return t, notFound("ticket", id)
	}
	return t, nil
}

// ticketSeq is the key of an existing ticket, or ErrNotFound.
func (r readTx) ticketSeq(id string) (uint64, error) {
	seq, ok := ticketcore.ParseTicketID(id)
	if !ok || r.bucket(bucketTickets).Get(u64(seq)) == nil {
		return 0, notFound("ticket", id)
	}
	return seq, nil
}

// Tickets lists the tickets that match q in the order q.Sort names.
func (r readTx) Tickets(q ticketcore.TicketQuery) ([]ticketcore.Ticket, string, error) {
	switch q.Sort {
	case "", ticketcore.SortNewest:
		return r.newestTickets(q)
	case ticketcore.SortQueue:
		return r.queuedTickets(q)
	}
	return nil, "", fmt.Errorf("list tickets: %w: unknown sort %q", ticketcore.ErrInvalid, q.Sort)
}

// newestTickets walks the tickets bucket from the newest down; the cursor
// is a position in that walk, so it need not name a stored ticket.
func (r readTx) newestTickets(q ticketcore.TicketQuery) ([]ticketcore.Ticket, string, error) {
	var after uint64
	if q.Cursor != "" {
		n, ok := ticketcore.ParseTicketID(q.Cursor)
		if !ok {
			return nil, "", fmt.Errorf("list tickets: %w: cursor %q is not a ticket id", ticketcore.ErrInvalid, q.Cursor)
		}
		after = n
	}
	page, next, err := pageNewest(r.bucket(bucketTickets), after, q.PageSize(), q.Match, ticketID)
	if err != nil {
		return nil, "", fmt.Errorf("list tickets: %w", err)
	}
	return page, next, nil
}

func ticketID(t ticketcore.Ticket) string { return t.ID }

// queuedTickets lists tickets in ticketcore.QueueLess order. No bbolt index
// can keep that order (priority and due time change with updates), so it
// decodes every ticket, keeps the matches that come after the cursor and
// sorts them: a linear scan and a sort, fine at one machine's scale.
//
// The cursor is the last ticket of the previous page, and the next page
// starts right after the place that ticket holds in the order now, whether
// or not it still matches q: a ticket solved or reassigned while an agent
// pages on neither restarts the list nor ends it. Had the cursor ticket's
// priority or due time changed meanwhile, its place moved with it and the
// next page may repeat or skip tickets; a cursor that is only an id cannot
// do better. A cursor that names no stored ticket is ErrInvalid.
func (r readTx) queuedTickets(q ticketcore.TicketQuery) ([]ticketcore.Ticket, string, error) {
	after := func(ticketcore.Ticket) bool { return true }
	if q.Cursor != "" {
		last, err := r.Ticket(q.Cursor)
		if errors.Is(err, ticketcore.ErrNotFound) {
			return nil, "", fmt.Errorf("list tickets: %w: cursor %q names no ticket", ticketcore.ErrInvalid, q.Cursor)
		}
		if err != nil {
			return nil, "", fmt.Errorf("list tickets: %w", err)
		}
		after = func(t ticketcore.Ticket) bool { return ticketcore.QueueLess(last, t) }
	}
	var rest []ticketcore.Ticket
	err := r.bucket(bucketTickets).ForEach(func(k, v []byte) error {
		var t ticketcore.Ticket
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("decode ticket %d: %w", readU64(k), err)
		}
		if q.Match(t) && after(t) {
			rest = append(rest, t)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list tickets: %w", err)
	}
	slices.SortFunc(rest, queueCmp)
	if size := q.PageSize(); len(rest) > size {
		return rest[:size:size], rest[size-1].ID, nil
	}
	return rest, "", nil
}

// queueCmp is ticketcore.QueueLess as a comparison; ticket ids break every
// tie, so it is a total order.
func queueCmp(a, b ticketcore.Ticket) int {
	switch {
	case ticketcore.QueueLess(a, b):
		return -1
	case ticketcore.QueueLess(b, a):
		return 1
	}
	return 0
}

// validTicket checks what a ticket is indexed by: its threads (its own and
// those of its conversations) and its assignee.
func validTicket(t ticketcore.Ticket) error {
	if err := validThread(t.Channel, t.Thread); err != nil {
		return err
	}
	for _, c := range t.Conversations {
		if err := validThread(c.Channel, c.Thread); err != nil {
			return fmt.Errorf("conversation %s/%s: %w", c.Channel, c.Thread, err)
		}
	}
	return validKeyPart("assignee", t.Assignee)
}

// CreateTicket numbers t from the tickets bucket's sequence, which rolls
// back with the transaction: ids stay gap-free. t.Timeline is not stored;
// entries are added with AppendEntry.
func (w *writeTx) CreateTicket(t *ticketcore.Ticket) error {
	if err := validTicket(*t); err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	seq, err := w.bucket(bucketTickets).NextSequence()
	if err != nil {
		return w.fail("create ticket", err)
	}
	t.ID = ticketcore.FormatTicketID(seq)
	if err := w.putTicket(seq, *t); err != nil {
		return err
	}
	// A new ticket had no threads and counted for no assignee: the zero
	// Ticket is its past.
	return w.reindex(ticketcore.Ticket{}, *t, seq)
}

// UpdateTicket replaces a ticket and moves the active-ticket index and the
// open-ticket counts with it (see reindex).
func (w *writeTx) UpdateTicket(t ticketcore.Ticket) error {
	seq, ok := ticketcore.ParseTicketID(t.ID)
	if err := validTicket(t); err != nil {
		return fmt.Errorf("update ticket %s: %w", t.ID, err)
	}
	var old ticketcore.Ticket
	if ok {
		found, err := getJSON(w.bucket(bucketTickets), u64(seq), &old)
		if err != nil {
			return fmt.Errorf("update ticket %s: %w", t.ID, err)
		}
		ok = found
	}
	if !ok {
		return notFound("ticket", t.ID)
	}
	if err := w.putTicket(seq, t); err != nil {
		return err
	}
	return w.reindex(old, t, seq)
}

func (w *writeTx) putTicket(seq uint64, t ticketcore.Ticket) error {
	t.Timeline = nil
	if err := putJSON(w.bucket(bucketTickets), u64(seq), t); err != nil {
		return w.fail("store ticket "+t.ID, err)
	}
	return nil
}
