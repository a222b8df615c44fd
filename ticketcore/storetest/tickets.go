package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// seqIDs is T-000001 … T-00000n.
func seqIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = ticketcore.FormatTicketID(uint64(i + 1))
	}
	return out
}

func testTicketIDsConcurrent(t *testing.T, h Harness) {
	s := h.Open(t)
	const creators, each = 12, 2
	got := make([][]string, creators)
	errs := together(creators, func(i int) error {
		return s.Update(ctx, func(tx ticketcore.Tx) error {
			got[i] = got[i][:0]
			for range each {
				tk := ticket(ticketcore.StatusNew, channels.API, fmt.Sprintf("user-%d", i))
				if err := tx.CreateTicket(&tk); err != nil {
					return err
				}
				got[i] = append(got[i], tk.ID)
			}
			return nil
		})
	})
	var all []string
	for i, err := range errs {
		if err != nil {
			t.Fatalf("creator %d: %v", i, err)
		}
		all = append(all, got[i]...)
	}
	slices.Sort(all)
	if want := seqIDs(creators * each); !sameIDs(all, want) {
		t.Errorf("ids %v, want each of %v once", all, want)
	}
}

// testTicketIDsGapFree: a creation that rolls back gives its id back.
func testTicketIDsGapFree(t *testing.T, h Harness) {
	s := h.Open(t)
	created := make([]string, 10)
	errs := together(10, func(i int) error {
		return s.Update(ctx, func(tx ticketcore.Tx) error {
			tk := ticket(ticketcore.StatusNew, channels.API, fmt.Sprintf("user-%d", i))
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			created[i] = tk.ID
			if i%2 == 1 {
				return errBoom
			}
			return nil
		})
	})
	var kept []string
	for i, err := range errs {
		if i%2 == 1 {
			wantErrIs(t, fmt.Sprintf("creator %d", i), err, errBoom)
			continue
		}
		if err != nil {
			t.Fatalf("creator %d: %v", i, err)
		}
		kept = append(kept, created[i])
	}
	slices.Sort(kept)
	if want := seqIDs(5); !sameIDs(kept, want) {
		t.Errorf("committed ids %v, want %v", kept, want)
	}
	if next := createTickets(t, s, ticket(ticketcore.StatusNew, channels.API, "u"))[0].ID; next != "T-000006" {
		t.Errorf("next id %s, want T-000006", next)
	}
}

func testTicketReadWrite(t *testing.T, h Harness) {
	s := h.Open(t)
	tk := ticket(ticketcore.StatusNew, channels.API, "user-1")
	tk.Fields = map[string]string{"order_id": "2026112500012345"}
	tk.Tags, tk.Subject, tk.Lang = []string{"vip"}, "订单还没发货", "zh"
	tk.SLA = &sla.State{Policy: "standard"}
	created := createTickets(t, s, tk)[0]
	if created.ID != "T-000001" {
		t.Fatalf("first ticket id %q, want T-000001", created.ID)
	}
	readTicket := func(id string) ticketcore.Ticket {
		var got ticketcore.Ticket
		view(t, s, func(tx ticketcore.ReadTx) error {
			var err error
			got, err = tx.Ticket(id)
			return err
		})
		return got
	}
	sameJSON(t, "created ticket", created, readTicket(created.ID))

	changed := created
	changed.Status, changed.Assignee, changed.UpdatedAt = ticketcore.StatusOpen, "li.lei", t0.Add(1)
	update(t, s, func(tx ticketcore.Tx) error {
		if err := tx.UpdateTicket(changed); err != nil {
			return err
		}
		return tx.AppendEntry(changed.ID, &ticketcore.Entry{Type: ticketcore.EntryNote, Text: "n", At: t0})
	})
	got := readTicket(created.ID)
	sameJSON(t, "updated ticket", changed, got)
	if len(got.Timeline) != 0 {
		t.Errorf("Ticket carries %d timeline entries, want none", len(got.Timeline))
	}

	err := s.View(ctx, func(tx ticketcore.ReadTx) error {
		_, err := tx.Ticket("T-000099")
		wantErrIs(t, "unknown ticket", err, ticketcore.ErrNotFound)
		_, err = tx.Ticket("nonsense")
		wantErrIs(t, "malformed ticket id", err, ticketcore.ErrNotFound)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	missing := changed
	missing.ID = "T-000099"
	err = s.Update(ctx, func(tx ticketcore.Tx) error { return tx.UpdateTicket(missing) })
	wantErrIs(t, "UpdateTicket of an unknown ticket", err, ticketcore.ErrNotFound)
}

func testTimeline(t *testing.T, h Harness) {
	s := h.Open(t)
	tks := createTickets(t, s, ticket(ticketcore.StatusNew, channels.API, "a"),
		ticket(ticketcore.StatusNew, channels.API, "b"))
	a, b := tks[0].ID, tks[1].ID
	entries := []ticketcore.Entry{
		{Type: ticketcore.EntryMessage, Direction: channels.In, Text: "hi", At: t0, By: ticketcore.ByCustomer, MessageID: "msg-1"},
		{Type: ticketcore.EntryNote, Text: "for b", At: t0, By: "li.lei"},
		{Type: ticketcore.EntryEvent, Event: ticketcore.EventChanged, Field: "priority", Before: "normal", After: "high", At: t0, By: "li.lei"},
		{Type: ticketcore.EntryReply, Direction: channels.Out, Text: "ok", At: t0, By: "li.lei", Delivery: channels.DeliveryPending},
	}
	owner := []string{a, b, a, a}
	update(t, s, func(tx ticketcore.Tx) error {
		for i := range entries {
			if err := tx.AppendEntry(owner[i], &entries[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if got := []int{entries[0].Seq, entries[1].Seq, entries[2].Seq, entries[3].Seq}; !slices.Equal(got, []int{1, 1, 2, 3}) {
		t.Errorf("entry seqs %v, want [1 1 2 3] (numbered per ticket)", got)
	}
	view(t, s, func(tx ticketcore.ReadTx) error {
		tl, err := tx.Timeline(a)
		if err != nil {
			return err
		}
		sameJSON(t, "timeline of "+a, []ticketcore.Entry{entries[0], entries[2], entries[3]}, tl)
		e, err := tx.Entry(a, 3)
		sameJSON(t, "Entry", entries[3], e)
		return err
	})
	sent := entries[3]
	sent.Delivery = channels.DeliverySent
	update(t, s, func(tx ticketcore.Tx) error { return tx.UpdateEntry(a, sent) })
	view(t, s, func(tx ticketcore.ReadTx) error {
		e, err := tx.Entry(a, 3)
		sameJSON(t, "updated entry", sent, e)
		return err
	})
	testTimelineMissing(t, s, a)
}

func testTimelineMissing(t *testing.T, s ticketcore.Store, id string) {
	_ = s.View(ctx, func(tx ticketcore.ReadTx) error {
		_, err := tx.Entry(id, 9)
		wantErrIs(t, "unknown entry", err, ticketcore.ErrNotFound)
		_, err = tx.Entry("T-000099", 1)
		wantErrIs(t, "entry of an unknown ticket", err, ticketcore.ErrNotFound)
		return nil
	})
	err := s.Update(ctx, func(tx ticketcore.Tx) error {
		return tx.AppendEntry("T-000099", &ticketcore.Entry{Type: ticketcore.EntryNote, At: t0})
	})
	wantErrIs(t, "AppendEntry to an unknown ticket", err, ticketcore.ErrNotFound)
	err = s.Update(ctx, func(tx ticketcore.Tx) error {
		return tx.UpdateEntry(id, ticketcore.Entry{Seq: 9, Type: ticketcore.EntryNote, At: t0})
	})
	wantErrIs(t, "UpdateEntry of an unknown entry", err, ticketcore.ErrNotFound)
}

// testActiveTicket follows a thread through a ticket's life and a
// follow-up ticket.
func testActiveTicket(t *testing.T, h Harness) {
	s := h.Open(t)
	active := func(channel, thread string) string {
		var id string
		view(t, s, func(tx ticketcore.ReadTx) error {
			var err error
			id, err = tx.ActiveTicket(channel, thread)
			return err
		})
		return id
	}
	expect := func(step, want string) {
		t.Helper()
		if got := active(channels.API, "u1"); got != want {
			t.Errorf("%s: ActiveTicket = %q, want %q", step, got, want)
		}
	}
	setStatus := func(tk *ticketcore.Ticket, status string) {
		tk.Status = status
		update(t, s, func(tx ticketcore.Tx) error { return tx.UpdateTicket(*tk) })
	}
	expect("no ticket yet", "")
	a := createTickets(t, s, ticket(ticketcore.StatusNew, channels.API, "u1"))[0]
	expect("created", a.ID)
	if got := active(channels.Email, "u1"); got != "" {
		t.Errorf("another channel's thread of the same name: ActiveTicket = %q, want none", got)
	}
	setStatus(&a, ticketcore.StatusPending)
	expect("pending", a.ID)
	setStatus(&a, ticketcore.StatusSolved)
	expect("solved", "")
	setStatus(&a, ticketcore.StatusOpen)
	expect("reopened", a.ID)
	setStatus(&a, ticketcore.StatusSolved)
	b := ticket(ticketcore.StatusNew, channels.API, "u1")
	b.FollowUpOf = a.ID
	b = createTickets(t, s, b)[0]
	expect("follow-up created", b.ID)
	setStatus(&a, ticketcore.StatusOpen)
	expect("old ticket reopened beside the active one", b.ID)
	setStatus(&a, ticketcore.StatusSolved)
	expect("old ticket solved again", b.ID)
	c := createTickets(t, s, ticket(ticketcore.StatusNew, channels.API, "u1"))[0]
	expect("second active ticket created", b.ID)
	setStatus(&c, ticketcore.StatusSolved)
	setStatus(&a, ticketcore.StatusClosed)
	expect("old ticket closed", b.ID)
	setStatus(&b, ticketcore.StatusClosed)
	expect("follow-up closed", "")
	createTickets(t, s, ticket(ticketcore.StatusSolved, channels.API, "u1"))
	expect("ticket created solved", "")
}

// listTickets creates 23 tickets with varied statuses, channels, fields,
// tags and contacts, and returns them oldest first.
func listTickets(t *testing.T, s ticketcore.Store) []ticketcore.Ticket {
	statuses := []string{ticketcore.StatusNew, ticketcore.StatusOpen, ticketcore.StatusSolved, ticketcore.StatusPending}
	var all []ticketcore.Ticket
	for batch := range 3 {
		var ts []ticketcore.Ticket
		for i := batch * 8; i < min(batch*8+8, 23); i++ {
			ch := []string{channels.API, channels.Email}[i%2]
			tk := ticket(statuses[i%4], ch, fmt.Sprintf("user-%02d", i))
			tk.Fields["order_id"] = fmt.Sprintf("ORD-%03d", i)
			if i%5 == 0 {
				tk.Tags = []string{"vip"}
			}
			if i%3 > 0 {
				tk.ContactID = ticketcore.FormatContactID(uint64(i % 3))
			}
			ts = append(ts, tk)
		}
		all = append(all, createTickets(t, s, ts...)...)
	}
	return all
}

// walk lists every page of q and checks the paging rules on the way.
func walk(t *testing.T, s ticketcore.Store, q ticketcore.TicketQuery) []string {
	t.Helper()
	var out []string
	for page := 0; ; page++ {
		var got []ticketcore.Ticket
		var next string
		view(t, s, func(tx ticketcore.ReadTx) error {
			var err error
			got, next, err = tx.Tickets(q)
			return err
		})
		if len(got) > q.PageSize() {
			t.Fatalf("page %d has %d tickets, limit %d", page, len(got), q.PageSize())
		}
		if page > 0 && len(got) == 0 {
			t.Errorf("page %d is empty: the page before it should have had no next", page)
		}
		for _, tk := range got {
			if len(tk.Timeline) > 0 {
				t.Errorf("listed ticket %s carries a timeline", tk.ID)
			}
		}
		out = append(out, ids(got, ticketIDOf)...)
		if next == "" {
			return out
		}
		if len(got) == 0 || page > 100 {
			t.Fatalf("page %d: %d tickets and next %q", page, len(got), next)
		}
		q.Cursor = next
	}
}

func testTicketList(t *testing.T, h Harness) {
	s := h.Open(t)
	all := listTickets(t, s)
	want := ids(all, ticketIDOf)
	slices.Reverse(want)
	for _, limit := range []int{0, 1, 5, 23, 200} {
		if got := walk(t, s, ticketcore.TicketQuery{Limit: limit}); !sameIDs(got, want) {
			t.Errorf("limit %d: listed %v, want %v", limit, got, want)
		}
	}
}

func testTicketListFilters(t *testing.T, h Harness) {
	s := h.Open(t)
	all := listTickets(t, s)
	slices.Reverse(all)
	for _, q := range []ticketcore.TicketQuery{
		{Status: []string{ticketcore.StatusOpen}, Limit: 2},
		{Status: []string{ticketcore.StatusNew, ticketcore.StatusPending}, Channel: []string{channels.Email}, Limit: 2},
		{Status: []string{ticketcore.StatusSolved}, Limit: 3}, // 6 matches: the last page is full
		{Text: "ord-007"},
		{Text: "VIP", Limit: 2},
		{Assignee: []string{"nobody"}},
		{Contact: []string{"C-000002"}, Limit: 3},
		{Contact: []string{"C-000001", "C-000002"}, Status: []string{ticketcore.StatusOpen, ticketcore.StatusNew}},
	} {
		var want []string
		for _, tk := range all {
			if q.Match(tk) {
				want = append(want, tk.ID)
			}
		}
		if got := walk(t, s, q); !sameIDs(got, want) {
			t.Errorf("%+v: listed %v, want %v", q, got, want)
		}
	}
}
