package webhook

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/loopdesk/loopdesk/notify"
)

// Payload is the JSON body of a notice. Every field is always present.
type Payload struct {
	// ID is stable across delivery attempts; deduplicate on it.
	ID string `json:"id"`
	// Kind says why the agent is told: new_ticket, assigned, urgent,
	// mention, sla_warning, sla_breach, handoff, page, page_escalated,
	// escalation.
	Kind     string `json:"kind"`
	TicketID string `json:"ticket_id"`
	Subject  string `json:"subject"`
	Text     string `json:"text"`
	Priority string `json:"priority"`
	Group    string `json:"group"`
	To       To     `json:"to"`
	// Urgent marks a page that needs acknowledgement.
	Urgent bool `json:"urgent"`
	// Attempt counts delivery attempts, starting at 1.
	Attempt int `json:"attempt"`
	// CreatedAt is when loopdesk enqueued the notice (RFC 3339, UTC).
	CreatedAt time.Time `json:"created_at"`
}

// To is the recipient of a notice.
type To struct {
	// Agent is the agent's loopdesk id.
	Agent string `json:"agent"`
	// Address is the agent's address on this notifier (a phone number for
	// an SMS gateway).
	Address string `json:"address"`
}

// encode returns the body posted for n.
func encode(n notify.Notice) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // receivers see the text as written, not \u003c
	err := enc.Encode(Payload{
		ID:        n.ID,
		Kind:      n.Kind,
		TicketID:  n.TicketID,
		Subject:   n.Subject,
		Text:      n.Text,
		Priority:  n.Priority,
		Group:     n.Group,
		To:        To{Agent: n.To.Agent, Address: n.To.Address},
		Urgent:    n.Urgent,
		Attempt:   n.Attempt,
		CreatedAt: n.CreatedAt.UTC(),
	})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}
