package ticketcore

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// Statuses of the ticket lifecycle.
const (
	StatusNew     = "new"
	StatusOpen    = "open"
	StatusPending = "pending" // waiting on the customer
	StatusOnHold  = "on_hold" // waiting on a third party
	StatusSolved  = "solved"
	StatusClosed  = "closed"
)

// Statuses returns every status in lifecycle order.
func Statuses() []string {
	return []string{StatusNew, StatusOpen, StatusPending, StatusOnHold, StatusSolved, StatusClosed}
}

// transitions is the lifecycle: which status may follow which. Staying in
// the same status is not a transition and always allowed. Closed is final: a
// customer who writes again gets a new ticket.
var transitions = map[string][]string{
	StatusNew:     {StatusOpen, StatusPending, StatusOnHold, StatusSolved},
	StatusOpen:    {StatusPending, StatusOnHold, StatusSolved},
	StatusPending: {StatusOpen, StatusOnHold, StatusSolved},
	StatusOnHold:  {StatusOpen, StatusPending, StatusSolved},
	StatusSolved:  {StatusOpen, StatusClosed},
	StatusClosed:  {},
}

// CanTransition reports whether a ticket in status from may move to status to.
func CanTransition(from, to string) bool {
	if from == to {
		_, known := transitions[from]
		return known
	}
	return slices.Contains(transitions[from], to)
}

// IsActive reports whether a ticket in status s still takes the customer's
// messages: anything but solved and closed.
func IsActive(s string) bool { return s != StatusSolved && s != StatusClosed }

// Ticket is one customer request and everything done about it.
type Ticket struct {
	ID        string            `json:"id"`
	Status    string            `json:"status"`
	Priority  string            `json:"priority"`
	Intent    string            `json:"intent"`
	Fields    map[string]string `json:"fields"`
	Channel   string            `json:"channel"`
	Thread    string            `json:"thread"`
	Requester channels.Party    `json:"requester"`
	Assignee  string            `json:"assignee"`
	Group     string            `json:"group"`
	Tags      []string          `json:"tags"`
	// Subject is the start of the first message, for lists.
	Subject string `json:"subject"`
	// Lang is the language the customer wrote in; replies use it.
	Lang      string    `json:"lang"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// SolvedAt is when the ticket was last solved; zero otherwise.
	SolvedAt time.Time `json:"solved_at,omitzero"`
	// ContactID is the person who asked, across channels.
	ContactID string `json:"contact_id,omitempty"`
	// Type is the ticket type (e.g. "refund"); a type with stages moves
	// through them, Stage naming the current one.
	Type  string `json:"type,omitempty"`
	Stage string `json:"stage,omitempty"`
	// SLA is the service-level state; nil while no policy applies.
	SLA *sla.State `json:"sla"`
	// DueAt is the earliest due time of the SLA targets that run, for
	// queues; zero when none runs.
	DueAt time.Time `json:"due_at,omitzero"`
	// Breached is set once any SLA target of the ticket breached (even one
	// whose clock later restarted); solving it then needs BreachReason.
	Breached bool `json:"sla_breached,omitempty"`
	// BreachReason is why a breached ticket was late, required to solve it.
	BreachReason string `json:"breach_reason,omitempty"`
	// Waiting counts the customer's messages since the last public reply.
	Waiting int `json:"waiting"`
	// Escalated lists the SLA-fraction escalations already applied to the
	// running response targets ("first_response@0.5").
	Escalated []string `json:"escalated,omitempty"`
	// Links relate this ticket to others; each link is stored on both.
	Links []Link `json:"links,omitempty"`
	// Conversations are the other customers' threads this ticket answers:
	// those of the tickets merged into it. A public reply goes to each.
	Conversations []Conversation `json:"conversations,omitempty"`
	// MergedInto names the ticket this one was merged into; PreMergeStatus
	// is the status it had, restored by an unmerge.
	MergedInto     string `json:"merged_into,omitempty"`
	PreMergeStatus string `json:"pre_merge_status,omitempty"`
	// FollowUpOf names the solved or closed ticket this one follows up: the
	// ticket the customer's conversation had when they wrote again past
	// Config.ReopenWindow or after it was closed (for a ticket merged away,
	// the one it was merged into).
	FollowUpOf string `json:"follow_up_of,omitempty"`
	// Reading is how the customer's first message was read: by which
	// extractor, how surely, and where each field came from.
	Reading *Reading `json:"reading,omitempty"`
	// Missing lists the fields the bot asked the customer for and did not
	// get before the ticket opened (the customer asked for a person, or
	// did not answer in time).
	Missing []string `json:"missing_fields,omitempty"`
	// Summary is a short summary of a long conversation for agents, when
	// summaries are on.
	Summary *Summary `json:"summary,omitempty"`
	// Timeline is filled only when one ticket is read with its history.
	Timeline []Entry `json:"timeline,omitempty"`
}

// Reading records an extraction on the ticket.
type Reading struct {
	// Extractor decided the intent (rules, llm).
	Extractor  string  `json:"extractor"`
	Confidence float64 `json:"confidence"`
	// Fallback says why a fallback's result was used (llm_timeout, …).
	Fallback string `json:"fallback,omitempty"`
	// Fields says which extractor read each field, and how surely.
	Fields map[string]FieldSource `json:"fields,omitempty"`
}

// FieldSource is where a field's value came from.
type FieldSource struct {
	Extractor  string  `json:"extractor"`
	Confidence float64 `json:"confidence"`
}

// readingOf is the record of ex.
func readingOf(ex nlu.Extraction) *Reading {
	r := &Reading{Extractor: ex.Extractor, Confidence: ex.Confidence, Fallback: ex.Fallback}
	for k, src := range ex.FieldSources {
		if _, ok := ex.Fields[k]; !ok {
			continue
		}
		if r.Fields == nil {
			r.Fields = map[string]FieldSource{}
		}
		r.Fields[k] = FieldSource{Extractor: src.Extractor, Confidence: src.Confidence}
	}
	return r
}

// Link types. A link is stored on both tickets: related ↔ related,
// parent ↔ child, duplicate (the duplicate) ↔ original.
const (
	LinkRelated   = "related"
	LinkParent    = "parent" // the other ticket is this one's parent
	LinkChild     = "child"  // the other ticket is this one's child
	LinkDuplicate = "duplicate"
	LinkOriginal  = "original"
)

// Link is one relation to another ticket, as seen from this one.
type Link struct {
	Type     string `json:"type"`
	TicketID string `json:"ticket_id"`
}

// Conversation is a customer's thread on a channel, with who they are.
type Conversation struct {
	Channel   string         `json:"channel"`
	Thread    string         `json:"thread"`
	Requester channels.Party `json:"requester"`
	ContactID string         `json:"contact_id,omitempty"`
	// From is the ticket the conversation came from (a merged child).
	From string `json:"from,omitempty"`
}

// ticketIDPrefix starts every ticket id: T-000123.
const ticketIDPrefix = "T-"

// FormatTicketID renders the n-th ticket's id.
func FormatTicketID(n uint64) string { return fmt.Sprintf("%s%06d", ticketIDPrefix, n) }

// ParseTicketID returns the sequence number of a ticket id, or false when id
// is not one.
func ParseTicketID(id string) (uint64, bool) {
	digits, ok := strings.CutPrefix(id, ticketIDPrefix)
	if !ok || len(digits) < 6 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	// Only the canonical form: T-0000001 is not another name of T-000001.
	return n, err == nil && n > 0 && FormatTicketID(n) == id
}

// subjectOf is the first line of text, cut to a length that fits a list.
func subjectOf(text string) string {
	text = strings.TrimSpace(text)
	if line, _, ok := strings.Cut(text, "\n"); ok {
		text = strings.TrimSpace(line)
	}
	const max = 80
	if r := []rune(text); len(r) > max {
		return string(r[:max]) + "…"
	}
	return text
}
