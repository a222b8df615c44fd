package ticketcore

import (
	"context"
	"errors"
	"math"
	"time"
)

// Errors of the ticket core. Stores return ErrNotFound; the service returns
// all three, wrapped with what was being done.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change does not fit the ticket's state (an illegal
	// status transition, a reply to a closed ticket).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request itself is wrong (an unknown status or priority).
	ErrInvalid = errors.New("invalid")
	// ErrIncomplete: the change is allowed but needs something the request
	// lacks (a breach reason to solve a breached ticket, a stage's
	// required fields).
	ErrIncomplete = errors.New("incomplete")
)

// Store keeps tickets, conversations and the durable queues (inbox, outbox,
// timers) that connect them. Implementations pass the storetest suite.
//
// Every method is safe for concurrent use. Update commits durably before it
// returns: once it returns nil, a crash loses nothing it wrote.
type Store interface {
	// Update runs fn in a read-write transaction and commits it, as if
	// alone (serializable): what fn read is still so when it commits. The
	// ticket core relies on it (a held reply and the customer's next
	// message, a Once key, a chat act's key). If fn returns
	// an error nothing it wrote is kept and Update returns that error. fn may
	// run more than once (a store that commits concurrent updates together
	// runs a batch again without a failed member), so it must only read and
	// write through tx and reset anything it captures at its start. fn must
	// not call the Store itself (a single-writer store would deadlock). A ctx
	// done before fn runs answers ctx.Err() with nothing written; once fn has
	// run, Update waits for the commit.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(ReadTx) error) error

	// ClaimInbox returns up to limit inbound messages waiting to be worked,
	// oldest first, and hides them from other claims until now+lease.
	// Completing (Tx.CompleteInbox) ends the claim; an item whose lease runs
	// out is offered again, so work on it must be idempotent within a
	// transaction.
	ClaimInbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Message, error)
	// ClaimOutbox returns up to limit outbox items due at now, earliest first,
	// with their messages, hidden from other claims for lease. Rescheduling or
	// completing an item ends the claim.
	ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxItem, error)
	// ClaimTimers returns up to limit timers due at now, earliest first,
	// hidden from other claims for lease. Deleting a timer ends the claim.
	ClaimTimers(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Timer, error)

	// Stats counts what waits in the queues.
	Stats(ctx context.Context) (Stats, error)
	// Close releases the store; in-flight calls finish first.
	Close() error
}

// ReadTx reads within a transaction.
type ReadTx interface {
	// Ticket returns the ticket without its timeline, or ErrNotFound.
	Ticket(id string) (Ticket, error)
	// Timeline returns a ticket's entries, oldest first.
	Timeline(ticketID string) ([]Entry, error)
	// Entry returns one timeline entry by its Seq, or ErrNotFound.
	Entry(ticketID string, seq int) (Entry, error)
	// Tickets lists tickets that match q in q.Sort order (newest first by
	// default), at most q.PageSize(), starting after q.Cursor (the id of the
	// last ticket of the previous page: the list goes on after the place
	// that ticket holds in the order now); next is the cursor of the
	// following page, empty on the last one. An unknown Sort, or a cursor
	// that names no ticket, is ErrInvalid.
	Tickets(q TicketQuery) (tickets []Ticket, next string, err error)
	// ActiveTicket returns the id of the active (not solved or closed) ticket
	// of a thread, or "" when there is none. A ticket's threads are its own
	// (Channel, Thread) and those of its Conversations. A thread has one
	// active ticket at a time (the Service keeps it so); should a second
	// become active, the first keeps the index until it is solved or closed.
	ActiveTicket(channel, thread string) (string, error)
	// Message returns a stored message, or ErrNotFound.
	Message(id string) (Message, error)
	// MessageByExternalID finds an inbound message by its idempotency key, or ErrNotFound.
	MessageByExternalID(channel, externalID string) (Message, error)
	// Conversation returns the messages of a thread, oldest first.
	Conversation(channel, thread string) ([]Message, error)
	// LastFiledMessage returns the newest message of a thread that is on a
	// ticket (TicketID set), inbound or outbound, or ErrNotFound when none
	// is. It reads the thread newest first and stops at that message, so
	// its cost is the messages newer than it (those still waiting in the
	// inbox), not the length of the conversation.
	LastFiledMessage(channel, thread string) (Message, error)
	// InInbox reports whether a message waits in the inbox (not yet
	// completed); InOutbox whether one waits in the outbox.
	InInbox(messageID string) (bool, error)
	InOutbox(messageID string) (bool, error)
	// Meta returns a small stored setting, or nil when unset.
	Meta(key string) ([]byte, error)
	// MetaRange calls fn with each stored setting whose key starts with
	// prefix (every one for ""), in ascending byte order of the keys,
	// until fn returns false. The value is fn's to keep. fn must not write
	// through the transaction: it collects what to change and changes it
	// once MetaRange has returned.
	MetaRange(prefix string, fn func(key string, value []byte) bool) error

	// Contact returns a contact by id, or ErrNotFound.
	Contact(id string) (Contact, error)
	// FindContact returns the contact an identity, phone or email belongs
	// to, or ErrNotFound. Matching is exact (callers normalize); a key with
	// not exactly one part set is ErrInvalid.
	FindContact(key ContactKey) (Contact, error)
	// Contacts lists contacts newest first that match q, paged like Tickets.
	Contacts(q ContactQuery) (contacts []Contact, next string, err error)
	// OpenTickets counts the active (not solved or closed) tickets assigned
	// to an assignee; "" has none.
	OpenTickets(assignee string) (int, error)
}

// Tx reads and writes within a transaction.
type Tx interface {
	ReadTx
	// CreateTicket gives t the next ticket id (T-000001, T-000002, …) and stores it.
	CreateTicket(t *Ticket) error
	// UpdateTicket replaces a stored ticket (ErrNotFound if there is none) and
	// keeps the active-ticket index of all its threads (its own and its
	// Conversations') in step: while it is active it takes the entries that
	// are free; entries that point at it are removed once it is not active
	// or no longer has the thread. So a merge closes the child before it
	// writes the parent, and an unmerge writes the parent first.
	UpdateTicket(t Ticket) error
	// AppendEntry adds e to a ticket's timeline and sets e.Seq.
	AppendEntry(ticketID string, e *Entry) error
	// UpdateEntry replaces the entry with e.Seq.
	UpdateEntry(ticketID string, e Entry) error
	// AddMessage gives m an id and stores it in its conversation; an inbound
	// message with an ExternalID is indexed for MessageByExternalID.
	AddMessage(m *Message) error
	// UpdateMessage replaces a stored message. Its channel, thread, external
	// id and direction are its identity and cannot change (ErrInvalid).
	UpdateMessage(m Message) error
	// EnqueueInbox queues a stored inbound message for the inbox worker
	// (ErrNotFound for an unknown message; queueing it twice is a no-op).
	EnqueueInbox(messageID string) error
	// CompleteInbox removes a message from the inbox and ends its claim; a
	// message no longer queued is not an error.
	CompleteInbox(messageID string) error
	// EnqueueOutbox queues a stored outbound message for delivery at
	// item.Due (ErrNotFound for an unknown message). Queueing it again
	// replaces the item and ends its claim.
	EnqueueOutbox(item OutboxItem) error
	// RescheduleOutbox stores the new Due, Attempts and LastError of a queued
	// item and ends its claim; an item no longer queued is not an error.
	RescheduleOutbox(item OutboxItem) error
	// CompleteOutbox removes an item from the outbox and ends its claim; an
	// item no longer queued is not an error.
	CompleteOutbox(messageID string) error
	// ScheduleTimer stores t, replacing a timer with the same ID.
	ScheduleTimer(t Timer) error
	// DeleteTimer removes a timer; a missing one is not an error.
	DeleteTimer(id string) error
	// PutMeta stores a small setting.
	PutMeta(key string, value []byte) error
	// DeleteMeta removes a setting; a missing one is not an error.
	DeleteMeta(key string) error

	// CreateContact gives c the next contact id (C-000001, …) and stores it
	// with its identities, phones and emails indexed for FindContact. An
	// identity, phone or email that already belongs to another contact is
	// ErrConflict, an empty one or one with NUL ErrInvalid; a refused write
	// writes nothing and uses no id.
	CreateContact(c *Contact) error
	// UpdateContact replaces a stored contact and its index entries, with
	// the same conflict rule.
	UpdateContact(c Contact) error
	// DeleteContact removes a contact and its index entries. To absorb a
	// contact into another, delete it first, then give its identities to
	// the other, in one transaction.
	DeleteContact(id string) error
}

// Blobs keeps attachment content apart from the store, addressed by its
// SHA-256. Safe for concurrent use.
type Blobs interface {
	// Put stores data durably (synced to disk before it returns) and
	// returns its SHA-256 (hex). Storing the same content again is a no-op.
	Put(ctx context.Context, data []byte) (string, error)
	// Get returns stored content, or an error wrapping ErrNotFound.
	Get(ctx context.Context, sha256 string) ([]byte, error)
}

// OutboxItem is an outbound message waiting for delivery.
type OutboxItem struct {
	MessageID string    `json:"message_id"`
	Due       time.Time `json:"due"`
	// Attempts made so far.
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
	// Message is filled by ClaimOutbox.
	Message Message `json:"-"`
}

// Timer is a durable job due at a time: its effect and its deletion commit
// together, so a restart neither misses nor repeats it.
type Timer struct {
	// ID is stable for what the timer is about (e.g. "autoclose:T-000001"),
	// so scheduling again replaces it.
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	TicketID string            `json:"ticket_id,omitempty"`
	Due      time.Time         `json:"due"`
	Data     map[string]string `json:"data,omitempty"`
}

// Stats counts what waits in the queues.
type Stats struct {
	Inbox  int
	Outbox int
	Timers int
}

// SortableNanos is t in Unix nanoseconds for keys that sort by time:
// times before the epoch (the zero time among them) count as the epoch,
// times past 2262 as the last instant UnixNano can say.
func SortableNanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}
