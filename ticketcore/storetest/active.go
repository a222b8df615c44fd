package storetest

import (
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// activeOf reads ActiveTicket of one thread.
func activeOf(t *testing.T, s ticketcore.Store, channel, thread string) string {
	t.Helper()
	var id string
	view(t, s, func(tx ticketcore.ReadTx) error {
		var err error
		id, err = tx.ActiveTicket(channel, thread)
		return err
	})
	return id
}

// thread is one (channel, thread) pair.
type thread struct{ channel, thread string }

// expectActive checks ActiveTicket of each thread.
func expectActive(t *testing.T, s ticketcore.Store, step string, want map[thread]string) {
	t.Helper()
	for th, id := range want {
		if got := activeOf(t, s, th.channel, th.thread); got != id {
			t.Errorf("%s: ActiveTicket(%s, %s) = %q, want %q", step, th.channel, th.thread, got, id)
		}
	}
}

func updateTickets(t *testing.T, s ticketcore.Store, ts ...ticketcore.Ticket) {
	t.Helper()
	update(t, s, func(tx ticketcore.Tx) error {
		for _, tk := range ts {
			if err := tx.UpdateTicket(tk); err != nil {
				return err
			}
		}
		return nil
	})
}

// testActiveConversations: a ticket answers the threads of its
// Conversations as well as its own. Merging closes the child, then gives
// its thread to the parent, in one transaction; unmerging takes the
// thread from the parent, then reopens the child.
func testActiveConversations(t *testing.T, h Harness) {
	s := h.Open(t)
	own, childs, others := thread{channels.API, "u-parent"}, thread{channels.Email, "<c@example.com>"}, thread{channels.API, "u-other"}
	tks := createTickets(t, s, ticket(ticketcore.StatusOpen, own.channel, own.thread),
		ticket(ticketcore.StatusOpen, childs.channel, childs.thread), ticket(ticketcore.StatusNew, others.channel, others.thread))
	parent, child, other := tks[0], tks[1], tks[2]
	childConv := ticketcore.Conversation{Channel: childs.channel, Thread: childs.thread, Requester: child.Requester, From: child.ID}
	otherConv := ticketcore.Conversation{Channel: others.channel, Thread: others.thread, Requester: other.Requester}

	child.Status, child.MergedInto, child.PreMergeStatus = ticketcore.StatusClosed, parent.ID, ticketcore.StatusOpen
	parent.Conversations = []ticketcore.Conversation{childConv}
	updateTickets(t, s, child, parent)
	expectActive(t, s, "merged", map[thread]string{own: parent.ID, childs: parent.ID, others: other.ID})

	parent.Conversations = []ticketcore.Conversation{childConv, otherConv}
	updateTickets(t, s, parent)
	expectActive(t, s, "a conversation whose thread another active ticket holds",
		map[thread]string{childs: parent.ID, others: other.ID})
	parent.Conversations = []ticketcore.Conversation{childConv}
	updateTickets(t, s, parent)
	expectActive(t, s, "that conversation removed", map[thread]string{childs: parent.ID, others: other.ID})

	parent.Status = ticketcore.StatusPending
	updateTickets(t, s, parent)
	expectActive(t, s, "parent pending", map[thread]string{own: parent.ID, childs: parent.ID})
	parent.Status = ticketcore.StatusSolved
	updateTickets(t, s, parent)
	expectActive(t, s, "parent solved", map[thread]string{own: "", childs: ""})
	parent.Status = ticketcore.StatusOpen
	updateTickets(t, s, parent)
	expectActive(t, s, "parent reopened", map[thread]string{own: parent.ID, childs: parent.ID})
	parent.Conversations = nil
	updateTickets(t, s, parent)
	expectActive(t, s, "child's conversation removed", map[thread]string{own: parent.ID, childs: ""})
	parent.Conversations = []ticketcore.Conversation{childConv}
	updateTickets(t, s, parent)
	expectActive(t, s, "child's conversation back", map[thread]string{childs: parent.ID})

	// Unmerging: the parent lets go of the child's thread, then the child
	// is reopened and takes it back, in one transaction.
	parent.Conversations = nil
	child.Status, child.MergedInto, child.PreMergeStatus = ticketcore.StatusOpen, "", ""
	updateTickets(t, s, parent, child)
	expectActive(t, s, "unmerged", map[thread]string{own: parent.ID, childs: child.ID})

	fresh := thread{"wecom", "wm-1"}
	tk := ticket(ticketcore.StatusNew, channels.API, "u-new")
	tk.Conversations = []ticketcore.Conversation{{Channel: fresh.channel, Thread: fresh.thread}}
	closed := ticket(ticketcore.StatusSolved, channels.API, "u-closed")
	closed.Conversations = []ticketcore.Conversation{{Channel: "wecom", Thread: "wm-2"}}
	tks = createTickets(t, s, tk, closed)
	expectActive(t, s, "created with conversations", map[thread]string{fresh: tks[0].ID, {"wecom", "wm-2"}: ""})
}

// testOpenTickets follows the open-ticket counts of three agents through
// assignments and the ticket lifecycle.
func testOpenTickets(t *testing.T, h Harness) {
	s := h.Open(t)
	expect := func(step string, li, han, mei int) {
		t.Helper()
		view(t, s, func(tx ticketcore.ReadTx) error {
			for agent, want := range map[string]int{"li": li, "han": han, "mei": mei, "": 0, "nobody": 0} {
				if got, err := tx.OpenTickets(agent); err != nil || got != want {
					t.Errorf("%s: OpenTickets(%q) = %d, %v; want %d", step, agent, got, err, want)
				}
			}
			return nil
		})
	}
	assigned := func(status, assignee string) ticketcore.Ticket {
		tk := ticket(status, channels.API, "u-"+assignee)
		tk.Assignee = assignee
		return tk
	}
	tks := createTickets(t, s, assigned(ticketcore.StatusNew, "li"), assigned(ticketcore.StatusNew, ""),
		assigned(ticketcore.StatusSolved, "li"))
	t1, t2 := tks[0], tks[1]
	expect("created", 1, 0, 0)
	change := func(step string, tk *ticketcore.Ticket, status, assignee string, li, han, mei int) {
		t.Helper()
		tk.Status, tk.Assignee = status, assignee
		updateTickets(t, s, *tk)
		expect(step, li, han, mei)
	}
	change("assigned", &t2, ticketcore.StatusOpen, "li", 2, 0, 0)
	change("reassigned", &t1, ticketcore.StatusNew, "han", 1, 1, 0)
	change("pending", &t2, ticketcore.StatusPending, "li", 1, 1, 0)
	change("on hold", &t2, ticketcore.StatusOnHold, "li", 1, 1, 0)
	change("solved", &t2, ticketcore.StatusSolved, "li", 0, 1, 0)
	change("reopened", &t2, ticketcore.StatusOpen, "li", 1, 1, 0)
	change("solved and reassigned at once", &t1, ticketcore.StatusSolved, "mei", 1, 0, 0)
	change("reopened", &t1, ticketcore.StatusOpen, "mei", 1, 0, 1)
	change("unassigned", &t1, ticketcore.StatusOpen, "", 1, 0, 0)
	change("solved", &t2, ticketcore.StatusSolved, "li", 0, 0, 0)
	change("closed", &t2, ticketcore.StatusClosed, "li", 0, 0, 0)

	update(t, s, func(tx ticketcore.Tx) error { // two changes of one ticket in one transaction
		a, b := t1, t1
		a.Assignee, b.Assignee = "li", "han"
		if err := tx.UpdateTicket(a); err != nil {
			return err
		}
		return tx.UpdateTicket(b)
	})
	expect("assigned twice in one transaction", 0, 1, 0)
	failing(t, s, func(tx ticketcore.Tx) error {
		moved := t1
		moved.Assignee = "mei"
		return tx.UpdateTicket(moved)
	})
	expect("after a failed reassignment", 0, 1, 0)
}
