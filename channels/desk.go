package channels

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Desk is what agents do to tickets from inside a chat channel (the WeCom
// app, Slack), as the person the chat user is mapped to. Ticket ids look
// like T-000123. Errors are shown to the agent as they are, so they say in
// a sentence what went wrong; ones wrapping ErrNoAgent or ErrNoTicket tell
// the channel which. Safe for concurrent use.
type Desk interface {
	// AgentFor returns the loopdesk agent whose address on notifier (the
	// agent's "notify" entry, e.g. wecom: zhangsan) is address, or an error
	// wrapping ErrNoAgent.
	AgentFor(ctx context.Context, notifier, address string) (string, error)
	// Ticket returns one ticket.
	Ticket(ctx context.Context, ticketID string) (TicketSummary, error)
	// Reply sends text to the ticket's customer on the ticket's channel.
	Reply(ctx context.Context, a Act, text string) error
	// Note adds an internal note.
	Note(ctx context.Context, a Act, text string) error
	// Claim assigns the ticket to the agent (and opens a new one); one
	// that another agent has is refused, saying who.
	Claim(ctx context.Context, a Act) (TicketSummary, error)
	// Transfer hands the ticket to a group, named by its name or display
	// name ("finance", "财务组"), unassigned.
	Transfer(ctx context.Context, a Act, group string) (TicketSummary, error)
	// Assign hands the ticket to an agent, named by their name or display
	// name ("wang", "王芳"); unlike Claim it takes the ticket from whoever
	// has it.
	Assign(ctx context.Context, a Act, agent string) (TicketSummary, error)
	// SetPriority sets urgent, high, normal or low.
	SetPriority(ctx context.Context, a Act, priority string) (TicketSummary, error)
	// SetStatus sets open, pending (waiting on the customer), on_hold or
	// solved.
	SetStatus(ctx context.Context, a Act, status string) (TicketSummary, error)
	// Solve solves the ticket.
	Solve(ctx context.Context, a Act) (TicketSummary, error)
	// Merge merges the ticket into the ticket into: its customer's
	// conversation follows there, and it is closed. It returns into.
	Merge(ctx context.Context, a Act, into string) (TicketSummary, error)
	// Queue lists the active tickets assigned to agent, most pressing first.
	Queue(ctx context.Context, agent string) ([]TicketSummary, error)
}

// Act is an agent's request to change a ticket from a chat.
type Act struct {
	// Ticket is the ticket's id.
	Ticket string
	// Agent is the loopdesk agent who acts.
	Agent string
	// Key is the idempotency key of the chat message that asked (the WeCom
	// MsgId, a Slack event id): an act whose key was seen within a day
	// changes nothing and answers with the ticket as it is, so a vendor's
	// retried callback acts once. Empty: no key.
	Key string
	// Via is who the agent is in the chat they acted from, as
	// "notifier:address" ("slack:U0123", "wecom:zhangsan"); the ticket's
	// timeline shows it on the entries the act makes. Empty: not shown.
	Via string
}

// TicketWatcher is a channel that shows tickets (Slack's ticket cards): the
// core tells it that a ticket changed — its status, assignee, priority,
// group, or anything else — after the change is committed, whoever made it.
// Best effort: a call missed (a crash, a full queue) is made up by the
// ticket's next change.
type TicketWatcher interface {
	TicketChanged(ctx context.Context, ticketID string)
}

// TicketID reads what an agent typed for a ticket — "T-000123", "t-123",
// "#123", "#T-000123", "T123" — as the ticket's id (T-000123); ok is false
// for anything else, or more than 9 digits.
func TicketID(ref string) (id string, ok bool) {
	digits := strings.TrimPrefix(ref, "#")
	if rest, found := strings.CutPrefix(strings.ToUpper(digits), "T"); found {
		digits = strings.TrimPrefix(rest, "-")
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n == 0 || len(digits) > 9 || digits[0] == '+' {
		return "", false
	}
	return fmt.Sprintf("T-%06d", n), true
}

// TicketSummary is a ticket as a chat message shows it.
type TicketSummary struct {
	ID        string
	Status    string
	Priority  string
	Subject   string
	Channel   string
	Requester string
	Group     string // display name when the group has one
	Assignee  string // display name when the agent has one
	DueAt     time.Time
	Intent    string
	// Fields are what was read from the customer's message (order_id, …).
	Fields map[string]string
}
