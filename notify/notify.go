package notify

import (
	"context"
	"time"
)

// Kinds of notice: why an agent is told.
const (
	KindNewTicket       = "new_ticket"       // a ticket arrived in the agent's group
	KindAssigned        = "assigned"         // the ticket was assigned to the agent
	KindUrgent          = "urgent"           // the ticket is (now) urgent
	KindMention         = "mention"          // the agent was @mentioned in a note
	KindSLAWarning      = "sla_warning"      // an SLA target is close
	KindSLABreach       = "sla_breach"       // an SLA target was missed
	KindHandoff         = "handoff"          // a stage handed the ticket to the agent's group
	KindPage            = "page"             // an urgent page that needs acknowledgement
	KindPageEscalated   = "page_escalated"   // an unacknowledged page, escalated to the group lead
	KindEscalation      = "escalation"       // the ticket's priority was raised by an escalation rule
	KindDeliveryHeld    = "delivery_held"    // a reply waits until the customer writes again
	KindDeliveryFail    = "delivery_failed"  // a reply could not be delivered to the customer
	KindCustomerMessage = "customer_message" // the customer wrote again on the agent's ticket
)

// Notice is one message to an agent (or a group lead, an on-call phone)
// about a ticket.
type Notice struct {
	// ID is stable across delivery attempts (the outbox id): peers
	// deduplicate on it.
	ID string
	// Kind is one of the Kind constants.
	Kind     string
	TicketID string
	// Subject is a one-line summary (a title, an SMS first line).
	Subject string
	// Text is the message body.
	Text     string
	Priority string
	Group    string
	// To is who is told.
	To Recipient
	// Urgent marks a notice that should interrupt: a page (acknowledged
	// by acting on the ticket) or an SLA breach.
	Urgent bool
	// Attempt counts delivery attempts, starting at 1.
	Attempt int
	// CreatedAt is when the notice was enqueued.
	CreatedAt time.Time
}

// Recipient is who a notice is for.
type Recipient struct {
	// Agent is the agent's loopdesk id.
	Agent string
	// Address is the agent's address on the notifier that delivers the
	// notice (a phone number for SMS, an IM user id).
	Address string
}

// Notifier delivers notices on one medium.
type Notifier interface {
	// Name is the configured name, e.g. "sms", "im".
	Name() string
	// Notify delivers n. It may be called more than once for the same n.ID
	// (delivery is at least once); a notifier that can passes the id to its
	// peer for deduplication. A nil error means the peer accepted the notice.
	// Errors follow channels' convention, since notices travel through the
	// same outbox: they are retried unless marked channels.Permanent, and
	// channels.RetryAfter says when the peer asked to be called again. Safe
	// for concurrent use; ctx bounds the call.
	Notify(ctx context.Context, n Notice) error
}
