package ticketcore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
)

// Patch is a change an agent makes to a ticket; nil fields stay as they are.
// In Fields a nil value removes the field.
type Patch struct {
	Status   *string            `json:"status"`
	Priority *string            `json:"priority"`
	Assignee *string            `json:"assignee"`
	Group    *string            `json:"group"`
	Tags     *[]string          `json:"tags"`
	Fields   map[string]*string `json:"fields"`
}

// Ticket returns one ticket with its timeline.
func (s *Service) Ticket(ctx context.Context, id string) (Ticket, error) {
	var t Ticket
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if t, err = tx.Ticket(id); err != nil {
			return err
		}
		t.Timeline, err = tx.Timeline(id)
		return err
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("read ticket %s: %w", id, err)
	}
	return t, nil
}

// Tickets lists tickets newest first; next continues the list.
func (s *Service) Tickets(ctx context.Context, q TicketQuery) (tickets []Ticket, next string, err error) {
	err = s.store.View(ctx, func(tx ReadTx) error {
		tickets, next, err = tx.Tickets(q)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list tickets: %w", err)
	}
	return tickets, next, nil
}

// Change applies p to ticket id on behalf of by, recording one event per
// changed attribute. An unknown status or priority is ErrInvalid, an illegal
// status transition ErrConflict; either way nothing changes.
func (s *Service) Change(ctx context.Context, id, by string, p Patch) (Ticket, error) {
	if err := p.validate(); err != nil {
		return Ticket{}, err
	}
	var t Ticket
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.Ticket(id); err != nil {
			return err
		}
		wasActive := IsActive(t.Status)
		changes, err := p.apply(&t)
		if err != nil || len(changes) == 0 {
			return err
		}
		if !wasActive && IsActive(t.Status) {
			if err := onlyActiveTicket(tx, t); err != nil {
				return err
			}
		}
		now := s.cfg.Now()
		for _, c := range changes {
			if err := appendEntry(tx, t.ID, changeEntry(now, by, c.field, c.before, c.after, "")); err != nil {
				return err
			}
		}
		if slices.ContainsFunc(changes, func(c change) bool { return c.field == "status" }) {
			t.SolvedAt = time.Time{}
			if t.Status == StatusSolved {
				t.SolvedAt = now
			}
		}
		t.UpdatedAt = now
		return tx.UpdateTicket(t)
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("change ticket %s: %w", id, err)
	}
	return t, nil
}

// onlyActiveTicket refuses to reopen t while its thread has another active
// ticket: the customer's messages go to one ticket at a time.
func onlyActiveTicket(tx ReadTx, t Ticket) error {
	other, err := tx.ActiveTicket(t.Channel, t.Thread)
	if err != nil || other == "" || other == t.ID {
		return err
	}
	return fmt.Errorf("%w: %s is the conversation's active ticket; solve or merge it before reopening %s",
		ErrConflict, other, t.ID)
}

type change struct {
	field         string
	before, after any
}

func (p Patch) validate() error {
	if p.Status != nil && !slices.Contains(Statuses(), *p.Status) {
		return fmt.Errorf("%w: unknown status %q (one of %s)", ErrInvalid, *p.Status, strings.Join(Statuses(), ", "))
	}
	if p.Priority != nil && !nlu.ValidPriority(*p.Priority) {
		return fmt.Errorf("%w: unknown priority %q (one of %s)", ErrInvalid, *p.Priority, strings.Join(nlu.Priorities(), ", "))
	}
	for k := range p.Fields {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("%w: empty field name", ErrInvalid)
		}
	}
	return nil
}

// apply changes t and lists what changed.
func (p Patch) apply(t *Ticket) ([]change, error) {
	var out []change
	if p.Status != nil && *p.Status != t.Status {
		if !CanTransition(t.Status, *p.Status) {
			return nil, fmt.Errorf("%w: a %s ticket cannot become %s", ErrConflict, t.Status, *p.Status)
		}
		out = append(out, change{"status", t.Status, *p.Status})
		t.Status = *p.Status
	}
	for _, f := range []struct {
		name string
		to   *string
		at   *string
	}{{"priority", p.Priority, &t.Priority}, {"assignee", p.Assignee, &t.Assignee}, {"group", p.Group, &t.Group}} {
		if f.to != nil && *f.to != *f.at {
			out = append(out, change{f.name, *f.at, *f.to})
			*f.at = *f.to
		}
	}
	if p.Tags != nil {
		tags := normalizeTags(*p.Tags)
		if !slices.Equal(tags, t.Tags) {
			out = append(out, change{"tags", t.Tags, tags})
			t.Tags = tags
		}
	}
	for _, k := range sortedKeys(p.Fields) {
		before, had := t.Fields[k]
		switch v := p.Fields[k]; {
		case v == nil && had:
			out = append(out, change{"fields." + k, before, nil})
			delete(t.Fields, k)
		case v != nil && (!had || before != *v):
			if t.Fields == nil {
				t.Fields = map[string]string{}
			}
			out = append(out, change{"fields." + k, before, *v})
			t.Fields[k] = *v
		}
	}
	return out, nil
}

func normalizeTags(tags []string) []string {
	out := []string{}
	for _, tag := range tags {
		if tag = strings.TrimSpace(tag); tag != "" && !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	slices.Sort(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Reply sends text to the ticket's requester on the ticket's own channel on
// behalf of by. The first reply opens a new ticket. A closed ticket takes no
// replies (ErrConflict): the customer's next message opens a new one.
func (s *Service) Reply(ctx context.Context, id, by, text string) (Entry, error) {
	return s.write(ctx, id, by, text, true)
}

// Note adds an internal note, never sent to the customer.
func (s *Service) Note(ctx context.Context, id, by, text string) (Entry, error) {
	return s.write(ctx, id, by, text, false)
}

func (s *Service) write(ctx context.Context, id, by, text string, public bool) (Entry, error) {
	what := "note on"
	if public {
		what = "reply to"
	}
	if strings.TrimSpace(text) == "" {
		return Entry{}, fmt.Errorf("%s ticket %s: %w: the text is empty", what, id, ErrInvalid)
	}
	var e Entry
	err := s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		now := s.cfg.Now()
		if !public {
			e = Entry{Type: EntryNote, Text: text, At: now, By: by}
			return tx.AppendEntry(id, &e)
		}
		if t.Status == StatusClosed {
			return fmt.Errorf("%w: the ticket is closed", ErrConflict)
		}
		meta, err := lastInboundMeta(tx, id)
		if err != nil {
			return err
		}
		if e, err = s.enqueueReply(tx, t, text, by, KindReply, meta, now); err != nil {
			return err
		}
		if t.Status == StatusNew {
			if err := appendEntry(tx, id, changeEntry(now, by, "status", t.Status, StatusOpen, "first reply")); err != nil {
				return err
			}
			t.Status = StatusOpen
		}
		t.UpdatedAt = now
		return tx.UpdateTicket(t)
	})
	if err != nil {
		return Entry{}, fmt.Errorf("%s ticket %s: %w", what, id, err)
	}
	if public {
		wake(s.outboxWake)
	}
	return e, nil
}

// lastInboundMeta is the channel data of the customer's latest message on a
// ticket: what a reply needs to land in the right place (an email's
// Message-ID, a kf account).
func lastInboundMeta(tx ReadTx, ticketID string) (map[string]string, error) {
	entries, err := tx.Timeline(ticketID)
	if err != nil {
		return nil, err
	}
	for _, e := range slices.Backward(entries) {
		if e.Type == EntryMessage && e.Direction == channels.In && e.MessageID != "" {
			m, err := tx.Message(e.MessageID)
			if err != nil {
				return nil, err
			}
			return m.Meta, nil
		}
	}
	return nil, nil
}
