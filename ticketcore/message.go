package ticketcore

import (
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// Message is one stored message of a conversation, inbound or outbound.
type Message struct {
	ID         string         `json:"id"`
	Channel    string         `json:"channel"`
	ExternalID string         `json:"external_id,omitempty"`
	Thread     string         `json:"thread"`
	Direction  string         `json:"direction"`
	From       channels.Party `json:"from,omitzero"`
	To         channels.Party `json:"to,omitzero"`
	Text       string         `json:"text"`
	// Attachments are stored apart by content hash.
	Attachments []AttachmentRef   `json:"attachments,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	// Group is the channel's starting group for a new ticket (channels.Message.Group).
	Group string `json:"group,omitempty"`
	// At is when loopdesk stored it; SentAt what the vendor said, if anything.
	At     time.Time `json:"at"`
	SentAt time.Time `json:"sent_at,omitzero"`
	// TicketID is set once the message is on a ticket.
	TicketID string `json:"ticket_id,omitempty"`
	// Kind and Delivery describe outbound messages.
	Kind     string `json:"kind,omitempty"`
	Delivery string `json:"delivery,omitempty"`
	// EntrySeq is the timeline entry of an outbound message, whose delivery
	// state follows the message's.
	EntrySeq int `json:"entry_seq,omitempty"`
	// HeldAt is when its channel first held an outbound message until the
	// customer writes again (channels.Hold); zero if it never did.
	HeldAt time.Time `json:"held_at,omitzero"`
}

// AttachmentRef names a stored attachment.
type AttachmentRef struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// SHA256 addresses the content in the blob store; empty when Skipped.
	SHA256 string `json:"sha256,omitempty"`
	// Skipped says why the content was not kept (too large, a type not
	// accepted); a note on the ticket says it too.
	Skipped string `json:"skipped,omitempty"`
}

// conversationMessage is how a channel shows m to its caller.
func (m Message) conversationMessage() channels.ConversationMessage {
	cm := channels.ConversationMessage{ID: m.ID, Direction: m.Direction, Text: m.Text,
		At: m.At, Delivery: m.Delivery, TicketID: m.TicketID}
	for _, a := range m.Attachments {
		cm.Attachments = append(cm.Attachments, channels.Attachment{
			Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
	}
	return cm
}

// outbound is the dispatcher's view of a stored outbound message.
func (m Message) outbound(attempt int) channels.Outbound {
	return channels.Outbound{ID: m.ID, Channel: m.Channel, Thread: m.Thread, To: m.To,
		Text: m.Text, TicketID: m.TicketID, Kind: m.Kind, Meta: m.Meta,
		Attempt: attempt, CreatedAt: m.At}
}

// Kinds of outbound messages.
const (
	KindAck      = "ack"      // the acknowledgement of a new ticket
	KindReply    = "reply"    // an agent's public reply
	KindProgress = "progress" // a stage hand-off told to the customer
	KindAsk      = "ask"      // the bot asking the customer for fields before a ticket opens
)
