package ticketcore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
)

// queueSize is the most tickets Desk.Queue lists: what a chat message shows.
const queueSize = 20

// ChatDesk returns what agents do to tickets from inside a chat channel
// (the WeCom app, Slack), over the Service's own operations: the same
// changes, timeline entries and notices as the API's, by the agent the
// chat user is mapped to. It implements channels.Desk.
func (s *Service) ChatDesk() channels.Desk { return chatDesk{s} }

// chatDesk is channels.Desk on a Service. Its errors are sentences an
// agent reads in the chat.
type chatDesk struct{ s *Service }

var _ channels.Desk = chatDesk{}

// AgentFor finds the desk's agent whose address on notifier is address
// (the desk's notify entry, or the one set through the API). An address
// two agents have maps to neither: a chat user must not act as someone
// they may not be. Errors do not repeat the address (a person's id).
func (d chatDesk) AgentFor(ctx context.Context, notifier, address string) (string, error) {
	var agents []string
	if d.s.desk != nil && address != "" {
		err := d.s.store.View(ctx, func(tx ReadTx) error {
			var err error
			agents, err = d.s.agentsWithAddress(tx, notifier, address)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("find the agent of a %s address: %w", notifier, err)
		}
	}
	switch len(agents) {
	case 0:
		return "", fmt.Errorf("%w: no agent of the desk has this %s address", channels.ErrNoAgent, notifier)
	case 1:
		return agents[0], nil
	}
	return "", fmt.Errorf("%w: agents %s share this %s address; an admin must give it to one of them",
		channels.ErrNoAgent, strings.Join(agents, " and "), notifier)
}

// Ticket returns one ticket's summary.
func (d chatDesk) Ticket(ctx context.Context, ticketID string) (channels.TicketSummary, error) {
	var t Ticket
	err := d.s.store.View(ctx, func(tx ReadTx) error {
		var err error
		t, err = tx.Ticket(ticketID)
		return err
	})
	if err != nil {
		return channels.TicketSummary{}, d.failed(ticketID, fmt.Errorf("read ticket %s: %w", ticketID, err))
	}
	return d.summary(t), nil
}

// Reply sends text to the ticket's customer as the agent.
func (d chatDesk) Reply(ctx context.Context, a channels.Act, text string) error {
	_, err := d.write(ctx, a, text, true)
	return err
}

// Note adds an internal note by the agent.
func (d chatDesk) Note(ctx context.Context, a channels.Act, text string) error {
	_, err := d.write(ctx, a, text, false)
	return err
}

func (d chatDesk) write(ctx context.Context, a channels.Act, text string, public bool) (channels.TicketSummary, error) {
	if strings.TrimSpace(text) == "" {
		return channels.TicketSummary{}, fmt.Errorf("%w: the text is empty", ErrInvalid)
	}
	defer d.s.summarize(a.Ticket)
	return d.act(ctx, a, func(tx Tx, t *Ticket) (err error) {
		if public {
			_, err = d.s.replyTx(tx, t, a.Agent, text, KindReply)
		} else {
			_, err = d.s.noteTx(tx, *t, a.Agent, text)
		}
		return err
	})
}

// Claim assigns the ticket to the agent and opens a new one. A ticket
// another agent has is refused: of two agents clicking Claim on the same
// card, the first gets it and the second is told who did.
func (d chatDesk) Claim(ctx context.Context, a channels.Act) (channels.TicketSummary, error) {
	return d.change(ctx, a, func(t Ticket) (Patch, error) {
		if t.Assignee != "" && t.Assignee != a.Agent {
			return Patch{}, fmt.Errorf("%w: %s is already taken by %s", ErrConflict, t.ID, d.summary(t).Assignee)
		}
		p := Patch{Assignee: &a.Agent}
		if t.Status == StatusNew {
			p.Status = ptrTo(StatusOpen)
		}
		return p, nil
	})
}

// Transfer hands the ticket to a group, by name or display name, unassigned.
func (d chatDesk) Transfer(ctx context.Context, a channels.Act, group string) (channels.TicketSummary, error) {
	name, err := d.group(group)
	if err != nil {
		return channels.TicketSummary{}, err
	}
	return d.change(ctx, a, func(Ticket) (Patch, error) {
		return Patch{Group: &name, Assignee: ptrTo("")}, nil
	})
}

// Assign hands the ticket to an agent of the desk, named by name or
// display name, whoever has it now.
func (d chatDesk) Assign(ctx context.Context, a channels.Act, agent string) (channels.TicketSummary, error) {
	name, err := d.agent(agent)
	if err != nil {
		return channels.TicketSummary{}, err
	}
	return d.change(ctx, a, func(t Ticket) (Patch, error) {
		p := Patch{Assignee: &name}
		if t.Status == StatusNew {
			p.Status = ptrTo(StatusOpen)
		}
		return p, nil
	})
}

// chatStatuses are the statuses an agent sets from a chat: new is where
// tickets start, closed is where solved ones end on their own.
var chatStatuses = []string{StatusOpen, StatusPending, StatusOnHold, StatusSolved}

// SetStatus sets open, pending, on_hold (also "on-hold", "hold") or solved.
func (d chatDesk) SetStatus(ctx context.Context, a channels.Act, status string) (channels.TicketSummary, error) {
	status = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(status)), "-", "_")
	if status == "hold" {
		status = StatusOnHold
	}
	if status == StatusSolved {
		return d.Solve(ctx, a)
	}
	if !slices.Contains(chatStatuses, status) {
		return channels.TicketSummary{}, fmt.Errorf("%w: %q is not a status an agent sets; use one of %s",
			ErrInvalid, status, strings.Join(chatStatuses, ", "))
	}
	return d.change(ctx, a, func(Ticket) (Patch, error) { return Patch{Status: &status}, nil })
}

// Merge merges a.Ticket into the ticket into and returns into.
func (d chatDesk) Merge(ctx context.Context, a channels.Act, into string) (channels.TicketSummary, error) {
	if into == a.Ticket {
		return channels.TicketSummary{}, fmt.Errorf("%w: a ticket cannot be merged into itself", ErrInvalid)
	}
	var parent Ticket
	_, err := d.act(ctx, a, func(tx Tx, child *Ticket) error {
		var err error
		if parent, err = tx.Ticket(into); err != nil {
			return d.failed(into, err)
		}
		return d.s.mergeTx(tx, child, &parent, a.Agent)
	})
	if err != nil {
		return channels.TicketSummary{}, err
	}
	if parent.ID == "" { // a repeated act: into as it is now
		return d.Ticket(ctx, into)
	}
	return d.summary(parent), nil
}

// SetPriority sets the ticket's priority.
func (d chatDesk) SetPriority(ctx context.Context, a channels.Act, priority string) (channels.TicketSummary, error) {
	priority = strings.ToLower(strings.TrimSpace(priority))
	if !nlu.ValidPriority(priority) {
		return channels.TicketSummary{}, fmt.Errorf("%w: %q is not a priority; use one of %s",
			ErrInvalid, priority, strings.Join(nlu.Priorities(), ", "))
	}
	return d.change(ctx, a, func(Ticket) (Patch, error) { return Patch{Priority: &priority}, nil })
}

// Solve solves the ticket. One that breached its SLA needs a breach
// reason, which a chat command does not carry: the error says where to
// give it.
func (d chatDesk) Solve(ctx context.Context, a channels.Act) (channels.TicketSummary, error) {
	sum, err := d.change(ctx, a, func(Ticket) (Patch, error) { return Patch{Status: ptrTo(StatusSolved)}, nil })
	if errors.Is(err, ErrIncomplete) {
		return sum, fmt.Errorf("%w: %s missed its SLA, so solving it needs a breach reason (why it was late); "+
			"solve it in the web console and give the reason there", ErrIncomplete, a.Ticket)
	}
	return sum, err
}

// Queue lists agent's active tickets, most pressing first (SortQueue).
func (d chatDesk) Queue(ctx context.Context, agent string) ([]channels.TicketSummary, error) {
	if err := d.checkAgent(agent); err != nil {
		return nil, err
	}
	tickets, _, err := d.s.Tickets(ctx, TicketQuery{Assignee: []string{agent}, Sort: SortQueue, Limit: queueSize,
		Status: []string{StatusNew, StatusOpen, StatusPending, StatusOnHold}})
	if err != nil {
		return nil, fmt.Errorf("list the queue of %s: %w", agent, err)
	}
	out := make([]channels.TicketSummary, 0, len(tickets))
	for _, t := range tickets {
		out = append(out, d.summary(t))
	}
	return out, nil
}

// change applies the patch that patch makes of the ticket as stored.
func (d chatDesk) change(ctx context.Context, a channels.Act, patch func(Ticket) (Patch, error)) (channels.TicketSummary, error) {
	return d.act(ctx, a, func(tx Tx, t *Ticket) error {
		p, err := patch(*t)
		if err != nil {
			return err
		}
		if err := p.validate(); err != nil {
			return err
		}
		return d.s.changeTx(tx, t, a.Agent, p)
	})
}

// actKeyTTL is how long an act's key is remembered: far longer than any
// vendor retries a callback.
const actKeyTTL = 24 * time.Hour

// act runs fn on the ticket in one transaction, on behalf of a.Agent,
// unless a.Key was seen: then nothing changes and the ticket is answered
// as it is. The key is remembered in the same transaction as the change,
// so a crash leaves both or neither.
func (d chatDesk) act(ctx context.Context, a channels.Act, fn func(Tx, *Ticket) error) (channels.TicketSummary, error) {
	if err := d.checkAgent(a.Agent); err != nil {
		return channels.TicketSummary{}, err
	}
	var t Ticket
	err := d.s.store.Update(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.Ticket(a.Ticket); err != nil {
			return err
		}
		if a.Key != "" {
			first, err := onceTx(tx, "chat-act/"+a.Key, actKeyTTL, d.s.cfg.Now())
			if err != nil || !first {
				return err
			}
		}
		return fn(viaTx{tx, a}, &t)
	})
	if err != nil {
		return channels.TicketSummary{}, d.failed(a.Ticket, fmt.Errorf("ticket %s: %w", a.Ticket, err))
	}
	wake(d.s.outboxWake)
	return d.summary(t), nil
}

// viaTx marks the timeline entries an act makes as the agent's with the
// chat identity they acted as (channels.Act.Via).
type viaTx struct {
	Tx
	act channels.Act
}

func (tx viaTx) AppendEntry(ticketID string, e *Entry) error {
	if e.By == tx.act.Agent {
		e.Via = tx.act.Via
	}
	return tx.Tx.AppendEntry(ticketID, e)
}

// checkAgent refuses a name that is not one of the desk's agents.
func (d chatDesk) checkAgent(agent string) error {
	if d.s.desk == nil {
		return fmt.Errorf("%w: no desk is configured, so there are no agents", channels.ErrNoAgent)
	}
	if _, ok := d.s.desk.router.Agent(agent); !ok {
		return fmt.Errorf("%w: %q is not an agent of the desk", channels.ErrNoAgent, agent)
	}
	return nil
}

// agent is the name of the desk's agent called name or displayed as name
// (an @ before it is fine).
func (d chatDesk) agent(name string) (string, error) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "@")
	if d.s.desk == nil {
		return "", fmt.Errorf("%w: no desk is configured, so there are no agents", ErrInvalid)
	}
	var known []string
	for _, a := range d.s.desk.router.Agents() {
		if a.Name == name || a.Display == name {
			return a.Name, nil
		}
		known = append(known, a.Name)
	}
	return "", fmt.Errorf("%w: there is no agent %q; the agents are %s", ErrInvalid, name, strings.Join(known, ", "))
}

// group is the name of the group called name or displayed as name.
func (d chatDesk) group(name string) (string, error) {
	name = strings.TrimSpace(name)
	if d.s.desk == nil {
		return "", fmt.Errorf("%w: no desk is configured, so there are no groups", ErrInvalid)
	}
	var known []string
	for _, g := range d.s.desk.router.Groups() {
		if strings.EqualFold(g.Name, name) || g.Display == name {
			return g.Name, nil
		}
		known = append(known, fmt.Sprintf("%s (%s)", g.Display, g.Name))
	}
	return "", fmt.Errorf("%w: there is no group %q; the groups are %s", ErrInvalid, name, strings.Join(known, ", "))
}

// failed turns a missing ticket into an error wrapping channels.ErrNoTicket.
func (d chatDesk) failed(id string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return noTicketError{id: id}
	}
	return err
}

// noTicketError says a ticket an agent named does not exist. It wraps
// channels.ErrNoTicket and ErrNotFound.
type noTicketError struct{ id string }

func (e noTicketError) Error() string {
	return fmt.Sprintf("there is no ticket %s (ticket ids look like T-000123)", e.id)
}

func (e noTicketError) Unwrap() []error { return []error{channels.ErrNoTicket, ErrNotFound} }

// summary is t as a chat message shows it, with display names.
func (d chatDesk) summary(t Ticket) channels.TicketSummary {
	sum := channels.TicketSummary{ID: t.ID, Status: t.Status, Priority: t.Priority, Subject: t.Subject,
		Channel: t.Channel, Requester: partyName(t.Requester), Group: t.Group, Assignee: t.Assignee, DueAt: t.DueAt,
		Intent: t.Intent, Fields: maps.Clone(t.Fields)}
	if d.s.desk == nil {
		return sum
	}
	if g, ok := d.s.desk.router.Group(t.Group); ok {
		sum.Group = g.Display
	}
	if a, ok := d.s.desk.router.Agent(t.Assignee); ok {
		sum.Assignee = a.Display
	}
	return sum
}

// partyName is the most readable name a party has.
func partyName(p channels.Party) string {
	for _, n := range []string{p.Name, p.Phone, p.Email} {
		if n != "" {
			return n
		}
	}
	return p.ID
}

func ptrTo[T any](v T) *T { return &v }
