package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// Timeline entries are keyed by ticket sequence then entry sequence, so a
// ticket's timeline is one contiguous, ordered run of keys.

// Timeline reads a ticket's entries, oldest first.
func (r readTx) Timeline(ticketID string) ([]ticketcore.Entry, error) {
	seq, err := r.ticketSeq(ticketID)
	if err != nil {
		return nil, err
	}
	prefix := u64(seq)
	var entries []ticketcore.Entry
	c := r.bucket(bucketEntries).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var e ticketcore.Entry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("read timeline of %s: %w", ticketID, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// Entry reads one timeline entry.
func (r readTx) Entry(ticketID string, seq int) (ticketcore.Entry, error) {
	var e ticketcore.Entry
	tseq, ok := ticketcore.ParseTicketID(ticketID)
	if !ok || seq <= 0 {
		return e, notFound("entry", fmt.Sprintf("%s#%d", ticketID, seq))
	}
	found, err := getJSON(r.bucket(bucketEntries), entryKey(tseq, seq), &e)
	switch {
	case err != nil:
		return e, fmt.Errorf("read entry %s#%d: %w", ticketID, seq, err)
	case !found:
		return e, notFound("entry", fmt.Sprintf("%s#%d", ticketID, seq))
	}
	return e, nil
}

// AppendEntry gives e the sequence after the ticket's last entry, found by
// seeking to the next ticket's first key and stepping back.
func (w *writeTx) AppendEntry(ticketID string, e *ticketcore.Entry) error {
	tseq, err := w.ticketSeq(ticketID)
	if err != nil {
		return fmt.Errorf("append entry: %w", err)
	}
	c := w.bucket(bucketEntries).Cursor()
	k, _ := c.Seek(u64(tseq + 1))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	last := 0
	if k != nil && readU64(k) == tseq {
		last = int(binary.BigEndian.Uint32(k[8:]))
	}
	e.Seq = last + 1
	if err := putJSON(w.bucket(bucketEntries), entryKey(tseq, e.Seq), e); err != nil {
		return w.fail("append entry to "+ticketID, err)
	}
	return nil
}

// UpdateEntry replaces an existing entry.
func (w *writeTx) UpdateEntry(ticketID string, e ticketcore.Entry) error {
	tseq, ok := ticketcore.ParseTicketID(ticketID)
	key := entryKey(tseq, e.Seq)
	if !ok || e.Seq <= 0 || w.bucket(bucketEntries).Get(key) == nil {
		return notFound("entry", fmt.Sprintf("%s#%d", ticketID, e.Seq))
	}
	if err := putJSON(w.bucket(bucketEntries), key, e); err != nil {
		return w.fail(fmt.Sprintf("update entry %s#%d", ticketID, e.Seq), err)
	}
	return nil
}
