package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// queueTickets creates T-000001 … T-000015 with the priorities and due
// times below (0: no SLA running) and returns them; all are open but
// T-000014, which is solved.
func queueTickets(t *testing.T, s ticketcore.Store) []ticketcore.Ticket {
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	fixture := []struct {
		priority string
		due      time.Time
	}{
		{"normal", h(3)}, {"low", time.Time{}}, {"urgent", time.Time{}}, {"normal", h(1)}, {"high", h(2)},
		{"normal", time.Time{}}, {"normal", h(1)}, {"urgent", h(5)}, {"high", h(2)}, {"normal", time.Time{}},
		{"low", h(1)}, {"high", time.Time{}},
		{"normal", h(1).In(cst)}, // the same instant as T-000004's and T-000007's, in another zone
		{"urgent", time.Time{}},
		{"", t0}, // an unknown priority: not urgent, so ordered by its due time
	}
	var ts []ticketcore.Ticket
	for i, f := range fixture {
		tk := ticket(ticketcore.StatusOpen, channels.API, fmt.Sprintf("q-%02d", i+1))
		tk.Priority, tk.DueAt = f.priority, f.due
		if i+1 == 14 {
			tk.Status = ticketcore.StatusSolved
		}
		ts = append(ts, tk)
	}
	return createTickets(t, s, ts...)
}

// tids is T-0000nn for each n.
func tids(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = ticketcore.FormatTicketID(uint64(n))
	}
	return out
}

// queueOrder is queueTickets in queue order: urgent first, then due time
// (none last), then priority, then oldest first.
var queueOrder = []int{8, 3, 14, 15, 4, 7, 13, 11, 5, 9, 1, 12, 6, 10, 2}

func testQueueOrder(t *testing.T, h Harness) {
	s := h.Open(t)
	all := queueTickets(t, s)
	want := tids(queueOrder...)
	byLess := slices.Clone(all)
	slices.SortFunc(byLess, func(a, b ticketcore.Ticket) int {
		switch {
		case ticketcore.QueueLess(a, b):
			return -1
		case ticketcore.QueueLess(b, a):
			return 1
		}
		return 0
	})
	if got := ids(byLess, ticketIDOf); !sameIDs(got, want) {
		t.Fatalf("the fixture sorted by QueueLess is %v, the test expects %v", got, want)
	}
	for _, limit := range []int{0, 1, 2, 4, 5, 15} {
		q := ticketcore.TicketQuery{Sort: ticketcore.SortQueue, Limit: limit}
		if got := walk(t, s, q); !sameIDs(got, want) {
			t.Errorf("limit %d: listed %v, want %v", limit, got, want)
		}
	}
	active := ticketcore.TicketQuery{Sort: ticketcore.SortQueue, Status: []string{ticketcore.StatusOpen}, Limit: 3}
	wantActive := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == "T-000014" })
	if got := walk(t, s, active); !sameIDs(got, wantActive) {
		t.Errorf("open tickets: listed %v, want %v", got, wantActive)
	}
	newest := tids(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
	if got := walk(t, s, ticketcore.TicketQuery{Sort: ticketcore.SortNewest, Limit: 4}); !sameIDs(got, newest) {
		t.Errorf("sorted %s: listed %v, want %v", ticketcore.SortNewest, got, newest)
	}
}

// testQueueCursor: the queue's cursor is the last ticket of a page, and
// the next page starts right after the place that ticket holds in the
// order, even once it no longer matches the query.
func testQueueCursor(t *testing.T, h Harness) {
	s := h.Open(t)
	all := queueTickets(t, s)
	q := ticketcore.TicketQuery{Sort: ticketcore.SortQueue, Status: []string{ticketcore.StatusOpen}, Limit: 3}
	var first []ticketcore.Ticket
	view(t, s, func(tx ticketcore.ReadTx) error {
		var err error
		first, q.Cursor, err = tx.Tickets(q)
		return err
	})
	expectIDs(t, "first page", ids(first, ticketIDOf), tids(8, 3, 15)...)
	if q.Cursor != "T-000015" {
		t.Fatalf("next = %q, want T-000015", q.Cursor)
	}
	solved := all[14] // T-000015, the cursor
	solved.Status = ticketcore.StatusSolved
	updateTickets(t, s, solved)
	if got, want := walk(t, s, q), tids(4, 7, 13, 11, 5, 9, 1, 12, 6, 10, 2); !sameIDs(got, want) {
		t.Errorf("after the cursor ticket was solved: listed %v, want %v", got, want)
	}
	for _, cursor := range []string{"T-000099", "nonsense"} {
		err := s.View(ctx, func(tx ticketcore.ReadTx) error {
			_, _, err := tx.Tickets(ticketcore.TicketQuery{Sort: ticketcore.SortQueue, Cursor: cursor})
			return err
		})
		wantErrIs(t, fmt.Sprintf("queue cursor %q", cursor), err, ticketcore.ErrInvalid)
	}
}

func testTicketSortInvalid(t *testing.T, h Harness) {
	s := h.Open(t)
	createTickets(t, s, ticket(ticketcore.StatusNew, channels.API, "u"))
	for _, sort := range []string{"oldest", "Queue", " newest"} {
		err := s.View(ctx, func(tx ticketcore.ReadTx) error {
			_, _, err := tx.Tickets(ticketcore.TicketQuery{Sort: sort})
			return err
		})
		wantErrIs(t, fmt.Sprintf("Tickets sorted %q", sort), err, ticketcore.ErrInvalid)
	}
}
