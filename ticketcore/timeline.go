package ticketcore

import "time"

// Types of timeline entries.
const (
	EntryMessage = "message" // the customer wrote
	EntryReply   = "reply"   // we answered the customer (agent, bot or acknowledgement)
	EntryNote    = "note"    // internal note, never sent
	EntryEvent   = "event"   // something changed
)

// Events an EntryEvent records.
const (
	EventCreated        = "created"
	EventChanged        = "changed"         // Field went from Before to After
	EventDeliveryFailed = "delivery_failed" // an outbound message was given up on
	EventDeliveryHeld   = "delivery_held"   // a channel keeps a reply until the customer writes again
	// EventFollowUp links a new ticket and the solved or closed one it
	// follows up, on both: on the new ticket Field "follow_up_of", on the
	// old one "followed_by", After naming the other ticket.
	EventFollowUp = "follow_up"
)

// Actors that are not people.
const (
	BySystem   = "system"
	ByCustomer = "customer"
	ByBot      = "bot" // the bot asking the customer for fields
)

// Entry is one line of a ticket's timeline: who did what, when, and for a
// change what it was before and after.
type Entry struct {
	Seq       int       `json:"seq"`
	Type      string    `json:"type"`
	Direction string    `json:"direction,omitempty"`
	Text      string    `json:"text,omitempty"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	// Via is the chat identity an agent acted as, when they acted from a
	// chat ("slack:U0123", "wecom:zhangsan").
	Via string `json:"via,omitempty"`
	// MessageID links message and reply entries to the conversation.
	MessageID string `json:"message_id,omitempty"`
	// Delivery of an outbound reply: pending, sent, failed.
	Delivery string `json:"delivery,omitempty"`
	// Attachments of a note (a file an agent added).
	Attachments []AttachmentRef `json:"attachments,omitempty"`
	// Mentions are the agents a note names with @.
	Mentions []string `json:"mentions,omitempty"`
	// Event, Field, Before, After and Reason describe an EntryEvent.
	Event  string `json:"event,omitempty"`
	Field  string `json:"field,omitempty"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// changeEntry records that field went from before to after.
func changeEntry(at time.Time, by, field string, before, after any, reason string) Entry {
	return Entry{Type: EntryEvent, Event: EventChanged, At: at, By: by,
		Field: field, Before: before, After: after, Reason: reason}
}
