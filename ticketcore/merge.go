package ticketcore

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Events of merging and linking.
const (
	EventMerged     = "merged"      // this ticket was merged into another
	EventMergedFrom = "merged_from" // another ticket was merged into this one
	EventUnmerged   = "unmerged"
	EventLinked     = "linked"
	EventUnlinked   = "unlinked"
)

// Merge merges ticket id into ticket into on behalf of by: id is closed as
// merged, its customers' conversations follow into, so that their next
// messages land there and every public reply on into reaches each of them
// on their own channel and thread. Unmerge undoes it.
func (s *Service) Merge(ctx context.Context, id, into, by string) (Ticket, error) {
	if id == into {
		return Ticket{}, fmt.Errorf("merge %s: %w: a ticket cannot be merged into itself", id, ErrInvalid)
	}
	var parent Ticket
	err := s.store.Update(ctx, func(tx Tx) error {
		child, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		if parent, err = tx.Ticket(into); err != nil {
			return err
		}
		return s.mergeTx(tx, &child, &parent, by)
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("merge %s into %s: %w", id, into, err)
	}
	return parent, nil
}

func (s *Service) mergeTx(tx Tx, child, parent *Ticket, by string) error {
	switch {
	case child.MergedInto != "":
		return fmt.Errorf("%w: %s is merged into %s already", ErrConflict, child.ID, child.MergedInto)
	case len(child.Conversations) > 0:
		return fmt.Errorf("%w: other tickets are merged into %s; merge those into %s directly", ErrConflict, child.ID, parent.ID)
	case parent.MergedInto != "" || !IsActive(parent.Status):
		return fmt.Errorf("%w: %s is %s; merge into an active ticket", ErrConflict, parent.ID, parent.Status)
	case child.Status == StatusClosed:
		return fmt.Errorf("%w: %s is closed", ErrConflict, child.ID)
	}
	now := s.cfg.Now()
	before := timerIDs(s.timers(*child))
	moved := primary(*child)
	moved.From = child.ID
	child.PreMergeStatus, child.Status, child.MergedInto, child.UpdatedAt = child.Status, StatusClosed, parent.ID, now
	if child.SLA != nil { // paused, not met: an unmerge resumes the clocks
		child.SLA.Pause(now, s.slaCalendar(*child))
		child.DueAt = time.Time{}
	}
	if s.desk != nil {
		if err := s.ackPages(tx, *child, by, now); err != nil {
			return err
		}
	}
	// The child first: closing it frees its threads for the parent.
	if err := tx.UpdateTicket(*child); err != nil {
		return err
	}
	if err := s.syncTimers(tx, *child, before); err != nil {
		return err
	}
	if !hasThread(*parent, moved.Channel, moved.Thread) {
		parent.Conversations = append(parent.Conversations, moved)
	}
	parent.UpdatedAt = now
	if err := tx.UpdateTicket(*parent); err != nil {
		return err
	}
	if err := appendEntry(tx, child.ID, Entry{Type: EntryEvent, Event: EventMerged, At: now, By: by,
		Field: "status", Before: child.PreMergeStatus, After: StatusClosed, Reason: "merged into " + parent.ID}); err != nil {
		return err
	}
	return appendEntry(tx, parent.ID, Entry{Type: EntryEvent, Event: EventMergedFrom, At: now, By: by,
		Reason: fmt.Sprintf("%s merged in; its customer's conversation follows", child.ID)})
}

// hasThread reports whether t answers a thread already.
func hasThread(t Ticket, channel, thread string) bool {
	if t.Channel == channel && t.Thread == thread {
		return true
	}
	return slices.ContainsFunc(t.Conversations, func(c Conversation) bool { return c.Channel == channel && c.Thread == thread })
}

// Unmerge takes a merged ticket out of the ticket it was merged into: its
// conversations come back and it has the status it had before.
func (s *Service) Unmerge(ctx context.Context, id, by string) (Ticket, error) {
	var child, parent Ticket
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if child, err = tx.Ticket(id); err != nil {
			return err
		}
		if child.MergedInto == "" {
			return fmt.Errorf("%w: %s is not merged", ErrConflict, id)
		}
		parent, err = tx.Ticket(child.MergedInto)
		if err != nil {
			return err
		}
		return s.unmergeTx(tx, &child, &parent, by)
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("unmerge %s: %w", id, err)
	}
	return child, nil
}

func (s *Service) unmergeTx(tx Tx, child, parent *Ticket, by string) error {
	now := s.cfg.Now()
	parent.Conversations = slices.DeleteFunc(parent.Conversations, func(c Conversation) bool { return c.From == child.ID })
	parent.UpdatedAt = now
	// The parent first: it lets go of the child's threads.
	if err := tx.UpdateTicket(*parent); err != nil {
		return err
	}
	status := child.PreMergeStatus
	if status == "" {
		status = StatusOpen
	}
	child.Status, child.MergedInto, child.PreMergeStatus, child.UpdatedAt = status, "", "", now
	if IsActive(status) {
		if err := onlyActiveTicket(tx, *child); err != nil {
			return err
		}
	}
	if s.desk != nil {
		s.followStatus(child, StatusClosed, now)
	}
	if err := tx.UpdateTicket(*child); err != nil {
		return err
	}
	if err := s.syncTimers(tx, *child, nil); err != nil {
		return err
	}
	if err := appendEntry(tx, parent.ID, Entry{Type: EntryEvent, Event: EventUnmerged, At: now, By: by,
		Reason: child.ID + " taken out again"}); err != nil {
		return err
	}
	return appendEntry(tx, child.ID, Entry{Type: EntryEvent, Event: EventUnmerged, At: now, By: by,
		Field: "status", Before: StatusClosed, After: status, Reason: "unmerged from " + parent.ID})
}

// LinkTypes lists the types a link may have.
func LinkTypes() []string {
	return []string{LinkRelated, LinkParent, LinkChild, LinkDuplicate, LinkOriginal}
}

// inverse is the type of a link as seen from the other ticket.
func inverse(linkType string) (string, bool) {
	switch linkType {
	case LinkRelated:
		return LinkRelated, true
	case LinkParent:
		return LinkChild, true
	case LinkChild:
		return LinkParent, true
	case LinkDuplicate:
		return LinkOriginal, true
	case LinkOriginal:
		return LinkDuplicate, true
	}
	return "", false
}

// Link relates ticket id to other (linkType as seen from id) and other to
// id by the inverse type; linking again replaces the type.
func (s *Service) Link(ctx context.Context, id, other, linkType, by string) (Ticket, error) {
	inv, ok := inverse(linkType)
	if !ok || id == other {
		return Ticket{}, fmt.Errorf("link %s to %s: %w: link type %q (related, parent, child, duplicate, original) between two tickets", id, other, ErrInvalid, linkType)
	}
	var t Ticket
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.cfg.Now()
		var err error
		if t, err = setLink(tx, id, other, linkType, by, now); err != nil {
			return err
		}
		_, err = setLink(tx, other, id, inv, by, now)
		return err
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("link %s to %s: %w", id, other, err)
	}
	return t, nil
}

// Unlink removes the link between two tickets, on both.
func (s *Service) Unlink(ctx context.Context, id, other, by string) (Ticket, error) {
	var t Ticket
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.cfg.Now()
		var err error
		if t, err = setLink(tx, id, other, "", by, now); err != nil {
			return err
		}
		_, err = setLink(tx, other, id, "", by, now)
		return err
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("unlink %s from %s: %w", id, other, err)
	}
	return t, nil
}

// setLink makes id's link to other of linkType ("" removes it).
func setLink(tx Tx, id, other, linkType, by string, now time.Time) (Ticket, error) {
	t, err := tx.Ticket(id)
	if err != nil {
		return Ticket{}, err
	}
	had := slices.IndexFunc(t.Links, func(l Link) bool { return l.TicketID == other })
	if had < 0 && linkType == "" {
		return Ticket{}, fmt.Errorf("%w: %s is not linked to %s", ErrNotFound, id, other)
	}
	e := Entry{Type: EntryEvent, Event: EventLinked, At: now, By: by, Field: "links", After: Link{Type: linkType, TicketID: other}}
	if had >= 0 {
		e.Before = t.Links[had]
		t.Links = slices.Delete(t.Links, had, had+1)
	}
	if linkType == "" {
		e.Event, e.After = EventUnlinked, nil
	} else {
		t.Links = append(t.Links, Link{Type: linkType, TicketID: other})
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(t); err != nil {
		return Ticket{}, err
	}
	return t, appendEntry(tx, id, e)
}

// Broadcast answers an incident: one public reply on ticket id reaches its
// customers and the customers of every ticket linked to it as its child;
// with solve, all of them are solved. It returns how many tickets it
// answered.
func (s *Service) Broadcast(ctx context.Context, id, by, text string, solve bool) (int, error) {
	n := 0
	err := s.store.Update(ctx, func(tx Tx) error {
		n = 0
		t, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		ids := []string{t.ID}
		for _, l := range t.Links {
			if l.Type == LinkChild {
				ids = append(ids, l.TicketID)
			}
		}
		for _, tid := range ids {
			if err := s.answer(tx, tid, by, text, solve); err != nil {
				return fmt.Errorf("%s: %w", tid, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("broadcast on %s: %w", id, err)
	}
	wake(s.outboxWake)
	return n, nil
}

// answer replies on one ticket and, with solve, solves it. Closed tickets
// are skipped: their customers write again on a new one.
func (s *Service) answer(tx Tx, id, by, text string, solve bool) error {
	t, err := tx.Ticket(id)
	if err != nil || t.Status == StatusClosed {
		return err
	}
	if _, err := s.replyTx(tx, &t, by, text, KindReply); err != nil {
		return err
	}
	if !solve || t.Status == StatusSolved {
		return nil
	}
	solved := StatusSolved
	return s.changeTx(tx, &t, by, Patch{Status: &solved})
}
