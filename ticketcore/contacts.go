package ticketcore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// contactFor finds the contact who sent m, or makes one. A sender the
// channel knows by an identity seen before is that contact; else a verified
// phone or email the channel gives (the API channel's integrator, a mail
// server) links the new identity to the contact who has it.
func contactFor(tx Tx, m Message, now time.Time) (Contact, error) {
	id := Identity{Channel: m.Channel, ID: m.From.ID}
	if id.ID == "" {
		id.ID = m.Thread
	}
	c, err := tx.FindContact(ContactKey{Identity: id})
	if err == nil || !errors.Is(err, ErrNotFound) {
		return c, err
	}
	var phone, email string
	if m.From.Verified {
		phone, email = NormalizePhone(m.From.Phone), normalizeEmail(m.From.Email)
	}
	for _, key := range []ContactKey{{Phone: phone}, {Email: email}} {
		if key.Phone == "" && key.Email == "" {
			continue
		}
		c, err := tx.FindContact(key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Contact{}, err
		}
		c.Identities = append(c.Identities, id)
		c.UpdatedAt = now
		return c, tx.UpdateContact(c)
	}
	c = Contact{Name: m.From.Name, Identities: []Identity{id}, Phones: nonEmpty(phone),
		Emails: nonEmpty(email), Tags: []string{}, Attrs: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateContact(&c); err != nil {
		return Contact{}, fmt.Errorf("create contact: %w", err)
	}
	return c, nil
}

// normalizeEmail returns an address in lower case, or "" when e does not
// look like one (a malformed address is ignored, not an error: the message
// still becomes a ticket).
func normalizeEmail(e string) string {
	e = strings.ToLower(strings.TrimSpace(e))
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at == len(e)-1 || len(e) > 254 || strings.ContainsFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return ""
	}
	return e
}

func nonEmpty(s string) []string {
	if s == "" {
		return []string{}
	}
	return []string{s}
}

// NormalizePhone returns a Chinese mobile number as its 11 digits (without
// +86, spaces or hyphens), or "" when p is not one.
func NormalizePhone(p string) string {
	digits := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) && r < 128 {
			return r
		}
		return -1
	}, p)
	for _, prefix := range []string{"0086", "86"} {
		if len(digits) == 11+len(prefix) && strings.HasPrefix(digits, prefix) {
			digits = digits[len(prefix):]
		}
	}
	if len(digits) != 11 || digits[0] != '1' || digits[1] < '3' {
		return ""
	}
	return digits
}

// ContactPatch is a change an agent makes to a contact; nil fields stay.
type ContactPatch struct {
	Name   *string            `json:"name"`
	Tier   *string            `json:"tier"`
	Region *string            `json:"region"`
	Tags   *[]string          `json:"tags"`
	Phones *[]string          `json:"phones"`
	Emails *[]string          `json:"emails"`
	Attrs  map[string]*string `json:"attrs"`
}

// Contact returns one contact.
func (s *Service) Contact(ctx context.Context, id string) (Contact, error) {
	var c Contact
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		c, err = tx.Contact(id)
		return err
	})
	if err != nil {
		return Contact{}, fmt.Errorf("read contact %s: %w", id, err)
	}
	return c, nil
}

// Contacts lists contacts newest first.
func (s *Service) Contacts(ctx context.Context, q ContactQuery) (list []Contact, next string, err error) {
	err = s.store.View(ctx, func(tx ReadTx) error {
		list, next, err = tx.Contacts(q)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list contacts: %w", err)
	}
	return list, next, nil
}

// ChangeContact applies p. Phones and emails an agent sets count as
// verified; one that belongs to another contact is ErrConflict.
func (s *Service) ChangeContact(ctx context.Context, id string, p ContactPatch) (Contact, error) {
	var c Contact
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if c, err = tx.Contact(id); err != nil {
			return err
		}
		if err := p.apply(&c); err != nil {
			return err
		}
		c.UpdatedAt = s.cfg.Now()
		return tx.UpdateContact(c)
	})
	if err != nil {
		return Contact{}, fmt.Errorf("change contact %s: %w", id, err)
	}
	return c, nil
}

// Validate checks what the contact could not keep: phones that are not
// mainland mobile numbers, malformed emails, empty attribute names
// (ErrInvalid). Callers may check before they start writing.
func (p ContactPatch) Validate() error {
	for _, ph := range deref(p.Phones) {
		if NormalizePhone(ph) == "" {
			return fmt.Errorf("%w: %q is not a mainland China mobile number", ErrInvalid, ph)
		}
	}
	for _, e := range deref(p.Emails) {
		if normalizeEmail(e) == "" {
			return fmt.Errorf("%w: %q is not an email address", ErrInvalid, e)
		}
	}
	for k := range p.Attrs {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("%w: attribute names must not be empty", ErrInvalid)
		}
	}
	return nil
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

func (p ContactPatch) apply(c *Contact) error {
	if err := p.Validate(); err != nil {
		return err
	}
	for _, f := range []struct {
		to *string
		at *string
	}{{p.Name, &c.Name}, {p.Tier, &c.Tier}, {p.Region, &c.Region}} {
		if f.to != nil {
			*f.at = strings.TrimSpace(*f.to)
		}
	}
	if p.Tags != nil {
		c.Tags = normalizeTags(*p.Tags)
	}
	if p.Phones != nil {
		c.Phones = normalizeAll(*p.Phones, NormalizePhone)
	}
	if p.Emails != nil {
		c.Emails = normalizeAll(*p.Emails, normalizeEmail)
	}
	for k, v := range p.Attrs {
		if c.Attrs == nil {
			c.Attrs = map[string]string{}
		}
		if v == nil {
			delete(c.Attrs, k)
		} else {
			c.Attrs[k] = *v
		}
	}
	return nil
}

// normalizeAll normalizes each value, once each, in order.
func normalizeAll(values []string, normalize func(string) string) []string {
	out := []string{}
	for _, v := range values {
		if n := normalize(v); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// LinkIdentity makes an identity part of contact id. An identity of
// another contact brings that whole contact along: its identities, phones,
// emails, tags and tickets move here and it is deleted.
func (s *Service) LinkIdentity(ctx context.Context, id string, ident Identity) (Contact, error) {
	if ident.Channel == "" || ident.ID == "" {
		return Contact{}, fmt.Errorf("%w: an identity needs a channel and an id", ErrInvalid)
	}
	var c Contact
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if c, err = tx.Contact(id); err != nil {
			return err
		}
		other, err := tx.FindContact(ContactKey{Identity: ident})
		switch {
		case err == nil && other.ID == c.ID:
			return nil
		case err == nil:
			return absorbContact(tx, &c, other, s.cfg.Now())
		case !errors.Is(err, ErrNotFound):
			return err
		}
		c.Identities = append(c.Identities, ident)
		c.UpdatedAt = s.cfg.Now()
		return tx.UpdateContact(c)
	})
	if err != nil {
		return Contact{}, fmt.Errorf("link identity to contact %s: %w", id, err)
	}
	return c, nil
}

// absorbContact moves other into c and deletes other.
func absorbContact(tx Tx, c *Contact, other Contact, now time.Time) error {
	if err := tx.DeleteContact(other.ID); err != nil {
		return err
	}
	c.Identities = append(c.Identities, other.Identities...)
	for _, p := range other.Phones {
		if !slices.Contains(c.Phones, p) {
			c.Phones = append(c.Phones, p)
		}
	}
	for _, e := range other.Emails {
		if !slices.Contains(c.Emails, e) {
			c.Emails = append(c.Emails, e)
		}
	}
	c.Tags = normalizeTags(append(c.Tags, other.Tags...))
	for _, f := range []struct{ to, from *string }{{&c.Name, &other.Name}, {&c.Tier, &other.Tier}, {&c.Region, &other.Region}} {
		if *f.to == "" {
			*f.to = *f.from
		}
	}
	for k, v := range other.Attrs {
		if _, ok := c.Attrs[k]; !ok {
			if c.Attrs == nil {
				c.Attrs = map[string]string{}
			}
			c.Attrs[k] = v
		}
	}
	c.UpdatedAt = now
	if err := tx.UpdateContact(*c); err != nil {
		return err
	}
	return moveTickets(tx, other.ID, c.ID)
}

// moveTickets points every ticket of contact from at contact to.
func moveTickets(tx Tx, from, to string) error {
	q := TicketQuery{Contact: []string{from}, Limit: MaxPageSize}
	for {
		tickets, next, err := tx.Tickets(q)
		if err != nil {
			return err
		}
		for _, t := range tickets {
			t.ContactID = to
			if err := tx.UpdateTicket(t); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		q.Cursor = next
	}
}
