package ticketcore

import (
	"errors"
	"fmt"
	"time"
)

// A customer who writes again on a conversation whose ticket is solved or
// closed continues that ticket, on every channel alike: within
// Config.ReopenWindow of its solution the ticket reopens; otherwise a new
// ticket follows it up (Ticket.FollowUpOf), each naming the other on its
// timeline. Only a message whose thread has no active ticket looks for
// the ticket it continues, so the messages of a running ticket cost
// nothing more.

// sequel is what a message on a thread without an active ticket continues.
type sequel struct {
	// prev is the thread's latest ticket, or the ticket it was merged
	// into; a zero ID when the message starts a new conversation.
	prev Ticket
	// reopen: prev takes the message and opens again.
	reopen bool
	// why explains reopen, or why prev is followed up instead.
	why string
}

// maxMergeHops bounds how far MergedInto is followed. A merge goes one
// hop (a ticket others were merged into cannot be merged itself); the
// bound only guards against a cycle in stored data.
const maxMergeHops = 4

// sequelOf finds the ticket the message m continues, its thread having no
// active ticket, and whether it reopens. A ticket that is active (it let
// the thread go) is not continued.
func (s *Service) sequelOf(tx ReadTx, m Message, now time.Time) (sequel, error) {
	prev, merged, err := threadTicket(tx, m.Channel, m.Thread)
	if err != nil || prev.ID == "" || IsActive(prev.Status) {
		return sequel{}, err
	}
	sq := sequel{prev: prev}
	of := ""
	if merged != "" {
		of = fmt.Sprintf(" (the conversation of %s, merged into %s)", merged, prev.ID)
	}
	window := s.cfg.ReopenWindow
	switch {
	case prev.Status == StatusClosed:
		sq.why = fmt.Sprintf("%s is closed%s", prev.ID, of)
	case window < 0:
		sq.why = fmt.Sprintf("%s is solved and reopening is off%s", prev.ID, of)
	case prev.SolvedAt.IsZero() || now.Sub(prev.SolvedAt) >= window:
		sq.why = fmt.Sprintf("%s was solved more than %s ago%s", prev.ID, spellDuration(window), of)
	case !hasThread(prev, m.Channel, m.Thread):
		sq.why = fmt.Sprintf("%s is solved but no longer answers this conversation", prev.ID)
	default:
		// Reopening needs the ticket's own thread free too (onlyActiveTicket).
		other, err := tx.ActiveTicket(prev.Channel, prev.Thread)
		if err != nil {
			return sequel{}, err
		}
		if other != "" && other != prev.ID {
			sq.why = fmt.Sprintf("%s is solved and its own conversation has moved on to %s", prev.ID, other)
			break
		}
		who := "the customer"
		if merged != "" {
			who = "the customer of " + merged + " (merged into this ticket)"
		}
		sq.reopen, sq.why = true, fmt.Sprintf("%s wrote again within %s of the solution", who, spellDuration(window))
	}
	return sq, nil
}

// threadTicket is the latest ticket of a thread: that of its latest filed
// message, followed to the ticket it was merged into (merged names the
// ticket merged away then). A zero ID: the thread never had a ticket.
func threadTicket(tx ReadTx, channel, thread string) (t Ticket, merged string, err error) {
	last, err := tx.LastFiledMessage(channel, thread)
	if errors.Is(err, ErrNotFound) {
		return Ticket{}, "", nil
	}
	if err != nil {
		return Ticket{}, "", fmt.Errorf("find the ticket the conversation had: %w", err)
	}
	t, err = tx.Ticket(last.TicketID)
	if errors.Is(err, ErrNotFound) {
		return Ticket{}, "", nil
	}
	for i := 0; err == nil && t.MergedInto != "" && i < maxMergeHops; i++ {
		var into Ticket
		if into, err = tx.Ticket(t.MergedInto); err == nil {
			merged, t = t.ID, into
		}
	}
	if errors.Is(err, ErrNotFound) { // merged into a ticket that is gone: the merged one it is
		err = nil
	}
	return t, merged, err
}

// reopenTx puts m on the solved ticket it continues: the ticket opens
// again as if an agent had reopened it (its SLA clocks resume) on behalf
// of the customer, then takes the message as an active ticket does. No
// acknowledgement is sent: the customer knows the ticket.
func (s *Service) reopenTx(tx Tx, sq sequel, m *Message) error {
	t := sq.prev
	if err := s.changeBecause(tx, &t, ByCustomer, sq.why, Patch{Status: ptrTo(StatusOpen)}); err != nil {
		return fmt.Errorf("reopen %s: %w", t.ID, err)
	}
	return s.appendMessage(tx, t.ID, m)
}

// followUpEntries are the timeline entries linking a new ticket t to the
// ticket it follows up: one on each, naming the other. The old ticket
// gets an entry only; its record is not rewritten.
func followUpEntries(t Ticket, sq sequel, now time.Time) (onNew, onOld Entry) {
	onNew = Entry{Type: EntryEvent, Event: EventFollowUp, At: now, By: BySystem,
		Field: "follow_up_of", After: sq.prev.ID, Reason: "follows up " + sq.prev.ID + ": " + sq.why}
	onOld = Entry{Type: EntryEvent, Event: EventFollowUp, At: now, By: BySystem,
		Field: "followed_by", After: t.ID, Reason: "the customer wrote again; " + t.ID + " follows up this ticket"}
	return onNew, onOld
}

// spellDuration says d the way a person would: "7 days", "36 hours".
func spellDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return plural(int64(d/(24*time.Hour)), "day")
	case d > 0 && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	}
	return d.String()
}
