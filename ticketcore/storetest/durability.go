package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// testDurability: what Update committed is there after Close and reopen,
// and numbering continues where it stopped.
func testDurability(t *testing.T, h Harness) {
	if h.Reopen == nil {
		t.Skip("the harness cannot reopen a store")
	}
	s := h.Open(t)
	var tk ticketcore.Ticket
	var m ticketcore.Message
	update(t, s, func(tx ticketcore.Tx) error {
		var err error
		tk, m, err = writeEverything(tx, "durable")
		return err
	})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = h.Reopen(t, s)
	view(t, s, func(tx ticketcore.ReadTx) error {
		got, err := tx.Ticket(tk.ID)
		sameJSON(t, "ticket after reopen", tk, got)
		if tl, _ := tx.Timeline(tk.ID); len(tl) != 1 {
			t.Errorf("timeline after reopen has %d entries, want 1", len(tl))
		}
		if id, _ := tx.ActiveTicket(channels.API, "u-durable"); id != tk.ID {
			t.Errorf("ActiveTicket after reopen = %q, want %s", id, tk.ID)
		}
		byExt, _ := tx.MessageByExternalID(channels.API, "durable")
		sameJSON(t, "message after reopen", m, byExt)
		if v, _ := tx.Meta("meta-durable"); string(v) != "durable" {
			t.Errorf("meta after reopen = %q", v)
		}
		c, _ := tx.FindContact(ticketcore.ContactKey{Email: "durable@example.com"})
		want := everythingContact("durable")
		want.ID = "C-000001"
		sameJSON(t, "contact after reopen", want, c)
		if n, _ := tx.OpenTickets("agent-durable"); n != 1 {
			t.Errorf("OpenTickets after reopen = %d, want 1", n)
		}
		return err
	})
	if st, want := stats(t, s), (ticketcore.Stats{Inbox: 1, Outbox: 1, Timers: 1}); st != want {
		t.Errorf("Stats after reopen = %+v, want %+v", st, want)
	}
	expectIDs(t, "inbox after reopen", claimInbox(t, s, t0, 10), m.ID)
	expectIDs(t, "outbox after reopen", ids(claimOutbox(t, s, t0, 10), outboxID), m.ID)
	expectIDs(t, "timers after reopen", claimTimers(t, s, t0, 10), "timer-durable")
	next := createTickets(t, s, ticket(ticketcore.StatusNew, channels.API, "u2"))[0]
	if next.ID != "T-000002" {
		t.Errorf("ticket after reopen is %s, want T-000002", next.ID)
	}
	if c := createContacts(t, s, ticketcore.Contact{Name: "next"})[0]; c.ID != "C-000002" {
		t.Errorf("contact after reopen is %s, want C-000002", c.ID)
	}
	if m2 := addMessages(t, s, inbound("d2", "u2", "x"))[0]; m2.ID == m.ID {
		t.Errorf("a message after reopen reused id %s", m.ID)
	}
}

// testClose: Close while updates are on their way. Each update either
// committed (nil, and there after reopen) or failed (and is not); nothing
// hangs, and every call after Close fails.
func testClose(t *testing.T, h Harness) {
	s := h.Open(t)
	const n = 40
	errs := together(n+1, func(i int) error {
		if i == n {
			return s.Close()
		}
		return s.Update(ctx, func(tx ticketcore.Tx) error {
			m := inbound(fmt.Sprintf("c%02d", i), "closing", "x")
			return tx.AddMessage(&m)
		})
	})
	if errs[n] != nil {
		t.Fatalf("Close: %v", errs[n])
	}
	for what, err := range map[string]error{
		"Update": s.Update(ctx, func(ticketcore.Tx) error { return nil }),
		"View":   s.View(ctx, func(ticketcore.ReadTx) error { return nil }),
		"ClaimInbox": func() error {
			_, err := s.ClaimInbox(ctx, t0, 1, lease)
			return err
		}(),
		"Stats": func() error { _, err := s.Stats(ctx); return err }(),
	} {
		if err == nil {
			t.Errorf("%s after Close: no error", what)
		}
	}
	if h.Reopen == nil {
		return
	}
	s = h.Reopen(t, s)
	var committed, stored []string
	for i, err := range errs[:n] {
		if err == nil {
			committed = append(committed, fmt.Sprintf("c%02d", i))
		}
	}
	view(t, s, func(tx ticketcore.ReadTx) error {
		conv, err := tx.Conversation(channels.API, "closing")
		stored = ids(conv, func(m ticketcore.Message) string { return m.ExternalID })
		return err
	})
	slices.Sort(stored)
	expectIDs(t, "stored after Close, by external id", stored, committed...)
}
