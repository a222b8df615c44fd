package channels

import (
	"context"
	"time"
)

// Channel names as they appear on tickets and messages.
const (
	API         = "api"
	WeCom       = "wecom"
	MiniProgram = "miniprogram"
	Email       = "email"
	Slack       = "slack"
)

// Party is a person on the other side of a conversation, as the channel knows them.
type Party struct {
	// ID is the channel's stable id for the person (API from.id, WeCom
	// external_userid, openid, email address, Slack user id).
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	// Verified says the channel vouches that Phone and Email are this
	// person's (an integrator's logged-in user, an authenticated mail
	// sender). Only verified ones link the person to an existing contact:
	// anyone can type someone else's number into a web form.
	Verified bool `json:"verified,omitempty"`
}

// Attachment is a file that came with a message.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// Data is the content; it travels inbound only and is stored apart from the message.
	Data []byte `json:"-"`
	// NotFetched says why the channel has no content (over its size
	// limit, expired at the vendor); Data is then nil, Size what the
	// vendor said. The ticket gets a note saying so instead of a file.
	NotFetched string `json:"-"`
}

// Message is one inbound customer message, verified and normalized by its channel.
type Message struct {
	// Channel is the channel name (API, WeCom, …).
	Channel string
	// ExternalID is the vendor's id for this message (or the API's external_id):
	// with Channel it is the idempotency key. Required.
	ExternalID string
	// Thread is the conversation within the channel that replies go back to. Required.
	Thread string
	// From is the sender.
	From Party
	// Text is the message text; for email "Subject: …" and a blank line may precede the body.
	Text string
	// Attachments, possibly none.
	Attachments []Attachment
	// SentAt is when the vendor says it was sent; zero if unknown.
	SentAt time.Time
	// Meta carries channel-specific values a reply needs later (email
	// Message-ID, kf open_kfid, …). Stored with the message, never shown to
	// the extractor.
	Meta map[string]string
	// Group is the group the channel's configuration gives the
	// conversation (mail to 售后@ goes to after-sales): where a new ticket
	// starts, before the desk's rules, which may move it. Empty: the rules
	// alone decide.
	Group string
}

// Receipt is the answer to a stored message.
type Receipt struct {
	// MessageID is the store's id of the message; a duplicate answers the first one's id.
	MessageID string
	// Duplicate is true when the idempotency key was seen before and nothing changed.
	Duplicate bool
}

// Handler takes inbound messages from channels.
type Handler interface {
	// HandleMessage stores msg durably before it returns; only then may the
	// channel acknowledge it to the vendor. A message whose idempotency key was
	// stored before answers the same MessageID with Duplicate set and changes
	// nothing. Safe for concurrent use. Errors wrapping ErrInvalid mean the
	// message itself is unusable; other errors are the store's (retry later).
	HandleMessage(ctx context.Context, msg Message) (Receipt, error)
}

// Outbound is one message loopdesk sends on a channel: a ticket acknowledgement,
// an agent's reply, a notification.
type Outbound struct {
	// ID is stable across delivery attempts: a channel or its peer deduplicates on it.
	ID string
	// Channel is the channel name to send on.
	Channel string
	// Thread is the conversation to send into.
	Thread string
	// To is the recipient as the channel knows them.
	To Party
	// Text is what to send.
	Text string
	// TicketID is the ticket this message belongs to, if any.
	TicketID string
	// Kind says why it is sent: "ack" (a new ticket's acknowledgement),
	// "ask" (the bot asking for fields before a ticket opens), "reply" (an
	// agent's), "progress" (a stage told to the customer), "notification".
	// ack, ask and progress are automatic: no person wrote them.
	Kind string
	// Meta carries channel-specific values from the inbound message (see Message.Meta).
	Meta map[string]string
	// Attempt counts delivery attempts, starting at 1.
	Attempt int
	// CreatedAt is when the message was enqueued.
	CreatedAt time.Time
}

// Channel sends outbound messages on one channel.
type Channel interface {
	// Name is the channel name (API, WeCom, …).
	Name() string
	// Send delivers out. It may be called more than once for the same out.ID
	// (delivery is at least once); a channel that can passes the id to its
	// peer for deduplication. A nil error means the peer accepted the message.
	// Errors are retried by the dispatcher unless marked Permanent; RetryAfter
	// tells it when the peer asked to be called again. Safe for concurrent use;
	// ctx bounds the call.
	Send(ctx context.Context, out Outbound) error
}

// ConversationMessage is one message of a conversation as a channel may show it.
type ConversationMessage struct {
	ID          string       `json:"id"`
	Direction   string       `json:"direction"` // "in" or "out"
	Text        string       `json:"text"`
	At          time.Time    `json:"at"`
	Delivery    string       `json:"delivery,omitempty"` // outbound only: pending, sent, failed
	TicketID    string       `json:"ticket_id,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Directions of a conversation message.
const (
	In  = "in"
	Out = "out"
)

// Delivery states of an outbound message.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// Conversations reads the messages of a thread.
type Conversations interface {
	// Conversation returns the messages of thread on channel, inbound and
	// outbound, oldest first. An unknown thread is an empty conversation.
	Conversation(ctx context.Context, channel, thread string) ([]ConversationMessage, error)
}
