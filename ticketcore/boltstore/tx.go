package boltstore

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// readTx implements ticketcore.ReadTx on a bbolt transaction. Everything it
// returns is decoded or copied: bbolt's bytes die with the transaction.
type readTx struct{ tx *bolt.Tx }

// writeTx implements ticketcore.Tx. It lives for one attempt at a batch.
type writeTx struct {
	readTx
	// ended lists the claims this transaction completed; they end when it
	// commits.
	ended []leaseKey
	// err is the first storage error of the running fn. A write method that
	// fails may have written part of its records, so the fn fails with it
	// even if the fn ignores the error.
	err error
}

var (
	_ ticketcore.ReadTx = readTx{}
	_ ticketcore.Tx     = (*writeTx)(nil)
)

func (r readTx) bucket(name []byte) *bolt.Bucket { return r.tx.Bucket(name) }

// fail records a storage error of the running fn (see writeTx.err).
func (w *writeTx) fail(doing string, err error) error {
	err = fmt.Errorf("%s: %w", doing, err)
	if w.err == nil {
		w.err = err
	}
	return err
}

// getJSON decodes the record at key into v and reports whether there was one.
func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, ticketcore.ErrNotFound)
}

// validKeyPart rejects what cannot be part of a composite key: NUL is the
// separator, and bbolt limits key length.
func validKeyPart(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: NUL in %s", ticketcore.ErrInvalid, what)
	}
	if len(s) > maxKeyPart {
		return fmt.Errorf("%w: %s longer than %d bytes", ticketcore.ErrInvalid, what, maxKeyPart)
	}
	return nil
}

func validThread(channel, thread string) error {
	if err := validKeyPart("channel", channel); err != nil {
		return err
	}
	return validKeyPart("thread", thread)
}

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

// Tickets walks the tickets bucket from the newest down and decodes each
// ticket to match it. A linear scan is fine at the scale of one machine's
// team; a store past that keeps indexes (or is PostgreSQL).
func (r readTx) Tickets(q ticketcore.TicketQuery) ([]ticketcore.Ticket, string, error) {
	c := r.bucket(bucketTickets).Cursor()
	k, v := c.Last()
	if q.Cursor != "" {
		after, ok := ticketcore.ParseTicketID(q.Cursor)
		if !ok {
			return nil, "", fmt.Errorf("%w: cursor %q is not a ticket id", ticketcore.ErrInvalid, q.Cursor)
		}
		if k, v = c.Seek(u64(after)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	size := q.PageSize()
	var page []ticketcore.Ticket
	for ; k != nil; k, v = c.Prev() {
		var t ticketcore.Ticket
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, "", fmt.Errorf("list tickets: decode %d: %w", readU64(k), err)
		}
		if !q.Match(t) {
			continue
		}
		if len(page) == size { // one more match: there is a next page
			return page, page[size-1].ID, nil
		}
		page = append(page, t)
	}
	return page, "", nil
}

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

// CreateTicket numbers t from the tickets bucket's sequence, which rolls
// back with the transaction: ids stay gap-free. t.Timeline is not stored;
// entries are added with AppendEntry.
func (w *writeTx) CreateTicket(t *ticketcore.Ticket) error {
	if err := validThread(t.Channel, t.Thread); err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	b := w.bucket(bucketTickets)
	seq, err := b.NextSequence()
	if err != nil {
		return w.fail("create ticket", err)
	}
	t.ID = ticketcore.FormatTicketID(seq)
	if err := w.putTicket(seq, *t); err != nil {
		return err
	}
	if ticketcore.IsActive(t.Status) && t.Thread != "" && w.bucket(bucketActive).Get(join(t.Channel, t.Thread)) == nil {
		return w.setActive(*t, seq)
	}
	return nil
}

// UpdateTicket replaces a ticket and moves the active-ticket index with it:
// a ticket that is solved or closed (or moves thread) leaves the index if
// it is the one there; a ticket that becomes active takes it; a ticket that
// stays active takes it only when it is free, so updating an older ticket
// never hides a newer one.
func (w *writeTx) UpdateTicket(t ticketcore.Ticket) error {
	seq, ok := ticketcore.ParseTicketID(t.ID)
	if err := validThread(t.Channel, t.Thread); err != nil {
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

func (w *writeTx) reindex(old, t ticketcore.Ticket, seq uint64) error {
	b := w.bucket(bucketActive)
	oldKey, newKey := join(old.Channel, old.Thread), join(t.Channel, t.Thread)
	active := ticketcore.IsActive(t.Status) && t.Thread != ""
	moved := string(oldKey) != string(newKey)
	if old.Thread != "" && (!active || moved) {
		if v := b.Get(oldKey); v != nil && readU64(v) == seq {
			if err := b.Delete(oldKey); err != nil {
				return w.fail("unindex ticket "+t.ID, err)
			}
		}
	}
	if !active {
		return nil
	}
	if b.Get(newKey) != nil {
		return nil // indexed already: this ticket, or the thread's other active one keeps it
	}
	return w.setActive(t, seq)
}

func (w *writeTx) setActive(t ticketcore.Ticket, seq uint64) error {
	if err := w.bucket(bucketActive).Put(join(t.Channel, t.Thread), u64(seq)); err != nil {
		return w.fail("index ticket "+t.ID, err)
	}
	return nil
}

// Meta returns a copy of a stored setting, or nil.
func (r readTx) Meta(key string) ([]byte, error) {
	b := r.bucket(bucketMeta)
	v := b.Get([]byte(key))
	if v == nil && !has(b, []byte(key)) {
		return nil, nil
	}
	return append([]byte{}, v...), nil
}

// PutMeta stores a copy of value: bbolt needs it until commit, which is
// after fn has returned.
func (w *writeTx) PutMeta(key string, value []byte) error {
	if key == "" || len(key) > maxKeyPart {
		return fmt.Errorf("put meta: %w: key must have 1 to %d bytes", ticketcore.ErrInvalid, maxKeyPart)
	}
	if err := w.bucket(bucketMeta).Put([]byte(key), append([]byte{}, value...)); err != nil {
		return w.fail("put meta "+key, err)
	}
	return nil
}
