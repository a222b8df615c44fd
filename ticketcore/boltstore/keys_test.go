package boltstore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// TestKeyPartLength: what becomes part of a key may have up to maxKeyPart
// bytes; one byte more is ErrInvalid, not a bbolt error at commit.
func TestKeyPartLength(t *testing.T) {
	s := openAt(t, tempPath(t), Config{})
	fits, long := strings.Repeat("x", maxKeyPart), strings.Repeat("x", maxKeyPart+1)
	for what, c := range map[string]ticketcore.Contact{
		"identity channel": {Identities: []ticketcore.Identity{{Channel: long, ID: "u"}}},
		"identity id":      {Identities: []ticketcore.Identity{{Channel: channels.API, ID: long}}},
		"phone":            {Phones: []string{long}},
		"email":            {Emails: []string{long}},
	} {
		err := s.Update(context.Background(), func(tx ticketcore.Tx) error { return tx.CreateContact(&c) })
		if !errors.Is(err, ticketcore.ErrInvalid) {
			t.Errorf("contact with a %s of %d bytes: %v, want ErrInvalid", what, len(long), err)
		}
	}
	err := s.Update(context.Background(), func(tx ticketcore.Tx) error {
		tk := ticketcore.Ticket{Status: ticketcore.StatusNew, Channel: channels.API, Thread: "u", Assignee: long}
		return tx.CreateTicket(&tk)
	})
	if !errors.Is(err, ticketcore.ErrInvalid) {
		t.Errorf("ticket with an assignee of %d bytes: %v, want ErrInvalid", len(long), err)
	}
	err = s.Update(context.Background(), func(tx ticketcore.Tx) error {
		c := ticketcore.Contact{Identities: []ticketcore.Identity{{Channel: fits, ID: fits}}, Phones: []string{fits}}
		if err := tx.CreateContact(&c); err != nil {
			return err
		}
		tk := ticketcore.Ticket{Status: ticketcore.StatusNew, Channel: fits, Thread: fits, Assignee: fits}
		return tx.CreateTicket(&tk)
	})
	if err != nil {
		t.Errorf("contact and ticket whose key parts have %d bytes: %v", maxKeyPart, err)
	}
	err = s.View(context.Background(), func(tx ticketcore.ReadTx) error {
		if n, err := tx.OpenTickets(fits); n != 1 || err != nil {
			t.Errorf("OpenTickets = %d, %v; want 1", n, err)
		}
		_, err := tx.OpenTickets(long)
		return err
	})
	if !errors.Is(err, ticketcore.ErrInvalid) {
		t.Errorf("OpenTickets of an assignee of %d bytes: %v, want ErrInvalid", len(long), err)
	}
}
