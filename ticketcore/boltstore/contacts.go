package boltstore

import (
	"fmt"
	"slices"
	"strings"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// Contacts are records of the contacts bucket, numbered by its sequence
// like tickets. The contact_keys bucket maps every identity, phone and
// email to the one contact it belongs to; a contact's record and its keys
// change together.

// Contact reads a contact by id.
func (r readTx) Contact(id string) (ticketcore.Contact, error) {
	seq, ok := ticketcore.ParseContactID(id)
	if !ok {
		return ticketcore.Contact{}, notFound("contact", id)
	}
	return r.contactAt(seq)
}

func (r readTx) contactAt(seq uint64) (ticketcore.Contact, error) {
	var c ticketcore.Contact
	id := ticketcore.FormatContactID(seq)
	found, err := getJSON(r.bucket(bucketContacts), u64(seq), &c)
	switch {
	case err != nil:
		return c, fmt.Errorf("read contact %s: %w", id, err)
	case !found:
		return c, notFound("contact", id)
	}
	return c, nil
}

// FindContact follows the contact_keys index.
func (r readTx) FindContact(key ticketcore.ContactKey) (ticketcore.Contact, error) {
	k, err := lookupKey(key)
	if err != nil {
		return ticketcore.Contact{}, fmt.Errorf("find contact: %w", err)
	}
	v := r.bucket(bucketContactKeys).Get(k)
	if v == nil {
		return ticketcore.Contact{}, notFound("contact with", describeKey(string(k)))
	}
	return r.contactAt(readU64(v))
}

// Contacts walks the contacts bucket from the newest down, like tickets.
func (r readTx) Contacts(q ticketcore.ContactQuery) ([]ticketcore.Contact, string, error) {
	var after uint64
	if q.Cursor != "" {
		n, ok := ticketcore.ParseContactID(q.Cursor)
		if !ok {
			return nil, "", fmt.Errorf("list contacts: %w: cursor %q is not a contact id", ticketcore.ErrInvalid, q.Cursor)
		}
		after = n
	}
	page, next, err := pageNewest(r.bucket(bucketContacts), after, q.PageSize(), q.Match, contactID)
	if err != nil {
		return nil, "", fmt.Errorf("list contacts: %w", err)
	}
	return page, next, nil
}

func contactID(c ticketcore.Contact) string { return c.ID }

// CreateContact checks c's keys before it takes an id, so that a refused
// contact takes none even when the fn goes on: ids stay gap-free.
func (w *writeTx) CreateContact(c *ticketcore.Contact) error {
	keys, err := w.freeKeys(*c, 0)
	if err != nil {
		return fmt.Errorf("create contact: %w", err)
	}
	seq, err := w.bucket(bucketContacts).NextSequence()
	if err != nil {
		return w.fail("create contact", err)
	}
	c.ID = ticketcore.FormatContactID(seq)
	return w.putContact(seq, *c, nil, keys)
}

// UpdateContact replaces a contact; the keys it no longer has leave the
// index, the new ones join it.
func (w *writeTx) UpdateContact(c ticketcore.Contact) error {
	seq, ok := ticketcore.ParseContactID(c.ID)
	if !ok {
		return notFound("contact", c.ID)
	}
	old, err := w.contactAt(seq)
	if err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	keys, err := w.freeKeys(c, seq)
	if err != nil {
		return fmt.Errorf("update contact %s: %w", c.ID, err)
	}
	oldKeys, err := contactKeys(old)
	if err != nil {
		return fmt.Errorf("update contact %s: stored keys: %w", c.ID, err)
	}
	return w.putContact(seq, c, oldKeys, keys)
}

// DeleteContact removes a contact and the keys that point at it.
func (w *writeTx) DeleteContact(id string) error {
	seq, ok := ticketcore.ParseContactID(id)
	if !ok {
		return notFound("contact", id)
	}
	old, err := w.contactAt(seq)
	if err != nil {
		return fmt.Errorf("delete contact: %w", err)
	}
	oldKeys, err := contactKeys(old)
	if err != nil {
		return fmt.Errorf("delete contact %s: stored keys: %w", id, err)
	}
	if err := w.unindexContact(seq, oldKeys, nil); err != nil {
		return err
	}
	if err := w.bucket(bucketContacts).Delete(u64(seq)); err != nil {
		return w.fail("delete contact "+id, err)
	}
	return nil
}

// freeKeys returns the index keys of c, or ErrInvalid for a malformed one,
// or ErrConflict for one that belongs to a contact other than seq (0: c is
// new).
func (r readTx) freeKeys(c ticketcore.Contact, seq uint64) ([]string, error) {
	keys, err := contactKeys(c)
	if err != nil {
		return nil, err
	}
	b := r.bucket(bucketContactKeys)
	for _, k := range keys {
		if v := b.Get([]byte(k)); v != nil && readU64(v) != seq {
			return nil, fmt.Errorf("%w: %s belongs to contact %s", ticketcore.ErrConflict,
				describeKey(k), ticketcore.FormatContactID(readU64(v)))
		}
	}
	return keys, nil
}

// putContact stores contact seq with keys, removing those of oldKeys it no
// longer has. Its keys were checked free (freeKeys).
func (w *writeTx) putContact(seq uint64, c ticketcore.Contact, oldKeys, keys []string) error {
	if err := w.unindexContact(seq, oldKeys, keys); err != nil {
		return err
	}
	b := w.bucket(bucketContactKeys)
	for _, k := range keys {
		if err := b.Put([]byte(k), u64(seq)); err != nil {
			return w.fail("index contact "+c.ID, err)
		}
	}
	if err := putJSON(w.bucket(bucketContacts), u64(seq), c); err != nil {
		return w.fail("store contact "+c.ID, err)
	}
	return nil
}

// unindexContact removes the keys of oldKeys that are not in kept and
// point at contact seq.
func (w *writeTx) unindexContact(seq uint64, oldKeys, kept []string) error {
	b := w.bucket(bucketContactKeys)
	for _, k := range oldKeys {
		if slices.Contains(kept, k) {
			continue
		}
		if v := b.Get([]byte(k)); v != nil && readU64(v) == seq {
			if err := b.Delete([]byte(k)); err != nil {
				return w.fail("unindex contact "+ticketcore.FormatContactID(seq), err)
			}
		}
	}
	return nil
}

// contactKeys validates and returns the index keys of c's identities,
// phones and emails, each once.
func contactKeys(c ticketcore.Contact) ([]string, error) {
	var keys []string
	for _, id := range c.Identities {
		if err := validIdentity(id); err != nil {
			return nil, err
		}
		keys = append(keys, string(identityKey(id)))
	}
	for _, p := range c.Phones {
		if err := validContactPart("phone", p); err != nil {
			return nil, err
		}
		keys = append(keys, string(phoneKey(p)))
	}
	for _, e := range c.Emails {
		if err := validContactPart("email", e); err != nil {
			return nil, err
		}
		keys = append(keys, string(emailKey(e)))
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// lookupKey is the index key of the one identity, phone or email that key sets.
func lookupKey(key ticketcore.ContactKey) ([]byte, error) {
	hasID, hasPhone, hasEmail := key.Identity != (ticketcore.Identity{}), key.Phone != "", key.Email != ""
	if n := btoi(hasID) + btoi(hasPhone) + btoi(hasEmail); n != 1 {
		return nil, fmt.Errorf("%w: a contact key sets exactly one of identity, phone and email, not %d",
			ticketcore.ErrInvalid, n)
	}
	switch {
	case hasPhone:
		return phoneKey(key.Phone), validContactPart("phone", key.Phone)
	case hasEmail:
		return emailKey(key.Email), validContactPart("email", key.Email)
	}
	return identityKey(key.Identity), validIdentity(key.Identity)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// validContactPart rejects an empty identity, phone or email as well as
// what cannot be part of a key: an empty one would make every contact
// that has one collide.
func validContactPart(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", ticketcore.ErrInvalid, what)
	}
	return validKeyPart(what, s)
}

func validIdentity(id ticketcore.Identity) error {
	if err := validContactPart("identity channel", id.Channel); err != nil {
		return err
	}
	return validContactPart("identity id", id.ID)
}

// describeKey renders an index key for an error: "phone 13800138000".
func describeKey(k string) string { return strings.ReplaceAll(k, "\x00", " ") }
