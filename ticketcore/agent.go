package ticketcore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
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
	// BreachReason says why a ticket that breached its SLA was late.
	BreachReason *string `json:"breach_reason"`
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
// status transition ErrConflict, solving a ticket that breached its SLA
// without a breach reason ErrIncomplete; either way nothing changes.
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
		return s.changeTx(tx, &t, by, p)
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("change ticket %s: %w", id, err)
	}
	wake(s.outboxWake)
	return t, nil
}

func (s *Service) changeTx(tx Tx, t *Ticket, by string, p Patch) error {
	return s.changeBecause(tx, t, by, "", p)
}

// changeBecause is changeTx with the reason each change entry gives.
func (s *Service) changeBecause(tx Tx, t *Ticket, by, reason string, p Patch) error {
	old := *t
	before := timerIDs(s.timers(old))
	changes, err := p.apply(t)
	if err != nil || len(changes) == 0 {
		return err
	}
	now := s.cfg.Now()
	var fx effects
	s.catchUpBreaches(t, now, &fx)
	if err := checkChange(tx, old, *t); err != nil {
		return err
	}
	for _, c := range changes {
		fx.change(now, by, c.field, c.before, c.after, reason)
	}
	if t.Status != old.Status {
		t.SolvedAt = time.Time{}
		if t.Status == StatusSolved {
			t.SolvedAt = now
		}
	}
	if s.desk != nil {
		if err := s.deskChange(tx, old, t, p, by, now, &fx); err != nil {
			return err
		}
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(*t); err != nil {
		return err
	}
	if err := fx.write(s, tx, *t, now); err != nil {
		return err
	}
	return s.syncTimers(tx, *t, before)
}

// checkChange refuses what the ticket's state does not allow.
func checkChange(tx ReadTx, old, t Ticket) error {
	if !IsActive(old.Status) && IsActive(t.Status) {
		if err := onlyActiveTicket(tx, t); err != nil {
			return err
		}
	}
	solving := t.Status == StatusSolved && old.Status != StatusSolved
	if solving && (t.Breached || t.SLA.Breached()) && strings.TrimSpace(t.BreachReason) == "" {
		return fmt.Errorf("%w: the ticket breached its SLA; give a breach_reason to solve it", ErrIncomplete)
	}
	return nil
}

// deskChange follows a change with the desk: the SLA clock follows the
// status and the priority's policy, a new assignee hears of the ticket,
// and whatever pages were open are acknowledged by the agent acting.
func (s *Service) deskChange(tx Tx, old Ticket, t *Ticket, p Patch, by string, now time.Time, fx *effects) error {
	s.followStatus(t, old.Status, now)
	c, err := ticketContact(tx, *t)
	if err != nil {
		return err
	}
	if t.Priority != old.Priority {
		if r := s.reselectPolicy(t, s.env(*t, c, "", now), now); r != "" {
			fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventChanged, Field: "sla", At: now, By: by, Reason: r})
		}
		if t.Priority == nlu.PriorityUrgent {
			fx.notices = append(fx.notices, s.urgentPage(*t))
		}
	}
	if t.Assignee != old.Assignee && t.Assignee != "" && t.Assignee != by {
		fx.notices = append(fx.notices, notice{kind: notify.KindAssigned, agents: []string{t.Assignee},
			via: s.desk.cfg.Notify.Via, what: by + " 转给你的工单"})
	}
	if t.Group != old.Group && p.Assignee == nil && t.Group != "" {
		t.Assignee = ""
		if err := s.assign(tx, t, now, fx); err != nil {
			return err
		}
	}
	if by == ByCustomer { // a customer reopening the ticket answers no page
		return nil
	}
	return s.ackPages(tx, *t, by, now)
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
	}{{"priority", p.Priority, &t.Priority}, {"assignee", p.Assignee, &t.Assignee}, {"group", p.Group, &t.Group},
		{"breach_reason", p.BreachReason, &t.BreachReason}} {
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

// Reply sends text to the ticket's requester on the ticket's own channel,
// and to every customer whose ticket was merged into it on theirs, on
// behalf of by. The first reply opens a new ticket and meets its first
// response target. A closed ticket takes no replies (ErrConflict): the
// customer's next message opens a new one.
func (s *Service) Reply(ctx context.Context, id, by, text string) (Entry, error) {
	return s.write(ctx, id, by, text, true)
}

// Note adds an internal note, never sent to the customer. Agents it
// mentions (@name) are notified.
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
		if public {
			e, err = s.replyTx(tx, &t, by, text, KindReply)
		} else {
			e, err = s.noteTx(tx, t, by, text)
		}
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("%s ticket %s: %w", what, id, err)
	}
	wake(s.outboxWake)
	s.summarize(id)
	return e, nil
}

func (s *Service) noteTx(tx Tx, t Ticket, by, text string) (Entry, error) {
	now := s.cfg.Now()
	e := Entry{Type: EntryNote, Text: text, At: now, By: by, Mentions: s.mentions(text)}
	if err := tx.AppendEntry(t.ID, &e); err != nil || s.desk == nil {
		return e, err
	}
	if len(e.Mentions) > 0 {
		n := notice{kind: notify.KindMention, agents: e.Mentions, via: s.desk.cfg.Notify.Via,
			text: fmt.Sprintf("%s 在工单 %s 提到了你：%s", by, t.ID, text)}
		if _, err := s.send(tx, t, n, now); err != nil {
			return e, err
		}
	}
	return e, s.ackPages(tx, t, by, now)
}

// mentions are the configured agents text names as @name.
func (s *Service) mentions(text string) []string {
	if s.desk == nil {
		return nil
	}
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '，' || r == ',' }) {
		name, ok := strings.CutPrefix(f, "@")
		name = strings.TrimRight(name, ".:：。!！?？")
		if _, known := s.desk.router.Agent(name); ok && known && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// replyTx sends a public reply to every conversation of t and follows it
// on the ticket: first/next response met, waiting cleared, a new ticket
// opened, pages acknowledged. It returns the entry of the ticket's own
// requester's reply.
func (s *Service) replyTx(tx Tx, t *Ticket, by, text, kind string) (Entry, error) {
	if t.Status == StatusClosed {
		return Entry{}, fmt.Errorf("%w: the ticket is closed", ErrConflict)
	}
	now := s.cfg.Now()
	before := timerIDs(s.timers(*t))
	var fx effects
	s.catchUpBreaches(t, now, &fx)
	var first Entry
	for i, conv := range append([]Conversation{primary(*t)}, t.Conversations...) {
		meta, err := threadMeta(tx, conv.Channel, conv.Thread)
		if err != nil {
			return Entry{}, err
		}
		e, err := s.enqueueReply(tx, *t, conv, text, by, kind, meta, now)
		if err != nil {
			return Entry{}, err
		}
		if i == 0 {
			first = e
		}
	}
	if t.Status == StatusNew {
		if err := appendEntry(tx, t.ID, changeEntry(now, by, "status", t.Status, StatusOpen, "first reply")); err != nil {
			return Entry{}, err
		}
		t.Status = StatusOpen
	}
	t.Waiting = 0
	if t.SLA != nil {
		cal := s.slaCalendar(*t)
		t.SLA.Meet(sla.FirstResponse, now, cal)
		t.SLA.Meet(sla.NextResponse, now, cal)
		t.DueAt = t.SLA.NextDue()
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(*t); err != nil {
		return Entry{}, err
	}
	if err := fx.write(s, tx, *t, now); err != nil {
		return Entry{}, err
	}
	if s.desk != nil {
		if err := s.ackPages(tx, *t, by, now); err != nil {
			return Entry{}, err
		}
	}
	return first, s.syncTimers(tx, *t, before)
}

// primary is the ticket's own conversation.
func primary(t Ticket) Conversation {
	return Conversation{Channel: t.Channel, Thread: t.Thread, Requester: t.Requester, ContactID: t.ContactID}
}

// threadMeta is the channel data of the customer's latest message in a
// thread: what a reply needs to land in the right place (an email's
// Message-ID, a kf account).
func threadMeta(tx ReadTx, channel, thread string) (map[string]string, error) {
	msgs, err := tx.Conversation(channel, thread)
	if err != nil {
		return nil, err
	}
	for _, m := range slices.Backward(msgs) {
		if m.Direction == channels.In {
			return m.Meta, nil
		}
	}
	return nil, nil
}
