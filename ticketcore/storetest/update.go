package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// everythingContact is the contact writeEverything(ext) creates.
func everythingContact(ext string) ticketcore.Contact {
	return ticketcore.Contact{Name: "王芳 " + ext, Identities: []ticketcore.Identity{{Channel: channels.API, ID: "u-" + ext}},
		Emails: []string{ext + "@example.com"}, CreatedAt: t0, UpdatedAt: t0}
}

// writeEverything makes one change of every kind in tx and reports the
// ticket and message it created. The ticket is assigned to "agent-"+ext
// and the contact is everythingContact(ext).
func writeEverything(tx ticketcore.Tx, ext string) (ticketcore.Ticket, ticketcore.Message, error) {
	tk := ticket(ticketcore.StatusNew, channels.API, "u-"+ext)
	tk.Assignee = "agent-" + ext
	m := inbound(ext, "u-"+ext, "text of "+ext)
	c := everythingContact(ext)
	for _, step := range []func() error{
		func() error { return tx.CreateTicket(&tk) },
		func() error {
			return tx.AppendEntry(tk.ID, &ticketcore.Entry{Type: ticketcore.EntryNote, At: t0, By: "x"})
		},
		func() error { return tx.AddMessage(&m) },
		func() error { return tx.EnqueueInbox(m.ID) },
		func() error { return tx.EnqueueOutbox(ticketcore.OutboxItem{MessageID: m.ID, Due: t0}) },
		func() error { return tx.ScheduleTimer(ticketcore.Timer{ID: "timer-" + ext, Kind: "k", Due: t0}) },
		func() error { return tx.PutMeta("meta-"+ext, []byte(ext)) },
		func() error { return tx.CreateContact(&c) },
	} {
		if err := step(); err != nil {
			return tk, m, err
		}
	}
	return tk, m, nil
}

// expectNothing checks that no trace of writeEverything(ext) is stored.
func expectNothing(t *testing.T, s ticketcore.Store, ext string) {
	t.Helper()
	view(t, s, func(tx ticketcore.ReadTx) error {
		_, err := tx.MessageByExternalID(channels.API, ext)
		wantErrIs(t, "message of a failed update", err, ticketcore.ErrNotFound)
		if v, _ := tx.Meta("meta-" + ext); v != nil {
			t.Errorf("meta of a failed update is stored: %q", v)
		}
		_, err = tx.FindContact(ticketcore.ContactKey{Identity: everythingContact(ext).Identities[0]})
		wantErrIs(t, "contact of a failed update", err, ticketcore.ErrNotFound)
		if n, _ := tx.OpenTickets("agent-" + ext); n != 0 {
			t.Errorf("OpenTickets counts %d tickets of a failed update", n)
		}
		if id, _ := tx.ActiveTicket(channels.API, "u-"+ext); id != "" {
			t.Errorf("ticket %s of a failed update is stored", id)
		}
		return nil
	})
}

func testUpdateRollback(t *testing.T, h Harness) {
	s := h.Open(t)
	kept := addMessages(t, s, inbound("kept", "u-gone", "kept"))[0]
	err := s.Update(ctx, func(tx ticketcore.Tx) error {
		if _, _, err := writeEverything(tx, "gone"); err != nil {
			return err
		}
		changed := kept
		changed.Text = "changed"
		if err := tx.UpdateMessage(changed); err != nil {
			return err
		}
		return errBoom
	})
	wantErrIs(t, "Update", err, errBoom)
	expectNothing(t, s, "gone")
	view(t, s, func(tx ticketcore.ReadTx) error {
		conv, err := tx.Conversation(channels.API, "u-gone")
		expectIDs(t, "conversation after a failed update", texts(conv), "kept")
		return err
	})
	if st := stats(t, s); st != (ticketcore.Stats{}) {
		t.Errorf("Stats after a failed update = %+v, want zero", st)
	}
	if id := createTickets(t, s, ticket(ticketcore.StatusNew, channels.API, "u"))[0].ID; id != "T-000001" {
		t.Errorf("first committed ticket is %s, want T-000001", id)
	}
}

func testReadOwnWrites(t *testing.T, h Harness) {
	s := h.Open(t)
	update(t, s, func(tx ticketcore.Tx) error {
		tk, m, err := writeEverything(tx, "own")
		if err != nil {
			return err
		}
		if _, err := tx.Ticket(tk.ID); err != nil {
			t.Errorf("Ticket in its own transaction: %v", err)
		}
		if id, _ := tx.ActiveTicket(channels.API, "u-own"); id != tk.ID {
			t.Errorf("ActiveTicket in its own transaction = %q, want %s", id, tk.ID)
		}
		if got, err := tx.MessageByExternalID(channels.API, "own"); err != nil || got.ID != m.ID {
			t.Errorf("MessageByExternalID in its own transaction = %s, %v", got.ID, err)
		}
		if tl, _ := tx.Timeline(tk.ID); len(tl) != 1 {
			t.Errorf("Timeline in its own transaction has %d entries, want 1", len(tl))
		}
		if v, _ := tx.Meta("meta-own"); string(v) != "own" {
			t.Errorf("Meta in its own transaction = %q", v)
		}
		if c, err := tx.FindContact(ticketcore.ContactKey{Email: "own@example.com"}); err != nil || c.Name != everythingContact("own").Name {
			t.Errorf("FindContact in its own transaction = %+v, %v", c, err)
		}
		if n, _ := tx.OpenTickets("agent-own"); n != 1 {
			t.Errorf("OpenTickets in its own transaction = %d, want 1", n)
		}
		return nil
	})
}

// testFailingFnInBatch: concurrent updates, every third failing after it
// wrote. A store that commits them together must keep the others whole and
// hand each failure to its own caller only.
func testFailingFnInBatch(t *testing.T, h Harness) {
	s := h.Open(t)
	const n = 30
	own := make([]error, n)
	for i := range own {
		own[i] = fmt.Errorf("fn %d: %w", i, errBoom)
	}
	errs := together(n, func(i int) error {
		return s.Update(ctx, func(tx ticketcore.Tx) error {
			if _, _, err := writeEverything(tx, fmt.Sprintf("b%02d", i)); err != nil {
				return err
			}
			if i%3 == 0 {
				return own[i]
			}
			return nil
		})
	})
	for i, err := range errs {
		ext := fmt.Sprintf("b%02d", i)
		if i%3 != 0 {
			if err != nil {
				t.Errorf("update %d: %v", i, err)
			}
			continue
		}
		if !errors.Is(err, own[i]) {
			t.Errorf("update %d: got %v, want its own error", i, err)
		}
		expectNothing(t, s, ext)
	}
	if st, want := stats(t, s), (ticketcore.Stats{Inbox: 20, Outbox: 20, Timers: 20}); st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	var listed []string
	view(t, s, func(tx ticketcore.ReadTx) error {
		tks, _, err := tx.Tickets(ticketcore.TicketQuery{Limit: ticketcore.MaxPageSize})
		listed = ids(tks, ticketIDOf)
		return err
	})
	if len(listed) != 20 || listed[0] != "T-000020" {
		t.Errorf("tickets %v, want T-000020 … T-000001", listed)
	}
	view(t, s, func(tx ticketcore.ReadTx) error {
		cs, _, err := tx.Contacts(ticketcore.ContactQuery{Limit: ticketcore.MaxPageSize})
		listed = ids(cs, contactIDOf)
		return err
	})
	if len(listed) != 20 || listed[0] != "C-000020" {
		t.Errorf("contacts %v, want C-000020 … C-000001", listed)
	}
}

func testPanicInFn(t *testing.T, h Harness) {
	s := h.Open(t)
	const n = 10
	errs := together(n, func(i int) error {
		return s.Update(ctx, func(tx ticketcore.Tx) error {
			if _, _, err := writeEverything(tx, fmt.Sprintf("p%d", i)); err != nil {
				return err
			}
			if i == 3 {
				panic("fn 3 panics")
			}
			return nil
		})
	})
	for i, err := range errs {
		if (err != nil) != (i == 3) {
			t.Errorf("update %d: error %v", i, err)
		}
	}
	expectNothing(t, s, "p3")
	if st := stats(t, s); st.Inbox != n-1 {
		t.Errorf("Stats.Inbox = %d, want %d", st.Inbox, n-1)
	}
	update(t, s, func(tx ticketcore.Tx) error { return tx.PutMeta("after", []byte("panic")) })
}

func testCancelledContext(t *testing.T, h Harness) {
	s := h.Open(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := s.Update(cctx, func(tx ticketcore.Tx) error {
		_, _, err := writeEverything(tx, "cancelled")
		return err
	})
	wantErrIs(t, "Update with a cancelled context", err, context.Canceled)
	expectNothing(t, s, "cancelled")
	if st := stats(t, s); st != (ticketcore.Stats{}) {
		t.Errorf("Stats = %+v, want zero", st)
	}
}
