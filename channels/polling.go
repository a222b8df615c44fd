package channels

import (
	"context"
	"time"
)

// Checkpoint is how far a polling channel has read its source: a kf
// sync_msg cursor, an IMAP mailbox's UIDVALIDITY and last UID.
type Checkpoint struct {
	// Key names the source ("wecom/kf/cursor/wkAbc"); it is a State key.
	Key string
	// Value is the position, opaque to the core.
	Value []byte
}

// BatchHandler takes what a polling channel read from its source in one go.
type BatchHandler interface {
	// HandleBatch stores msgs as HandleMessage does and sets the State key
	// at.Key to at.Value, all in one transaction: a crash leaves either
	// everything or nothing, so a poller that reads its position back with
	// State.Get neither skips nor repeats messages. Messages stored before
	// (same channel and ExternalID) answer Duplicate and change nothing;
	// the receipts follow msgs' order. One message wrapping ErrInvalid
	// refuses the whole batch with nothing written: a channel passes only
	// messages it has checked. msgs may be empty (the position still moves).
	HandleBatch(ctx context.Context, msgs []Message, at Checkpoint) ([]Receipt, error)
}

// State is durable key-value storage for the facts a channel keeps for
// itself: access tokens, send windows, poll positions, callbacks already
// seen. Keys start with the channel name ("wecom/…"). Safe for concurrent
// use; every write is durable when the call returns.
type State interface {
	// Get returns the value of key, or nil when it is unset.
	Get(ctx context.Context, key string) ([]byte, error)
	// Update sets key to what fn returns for its current value (nil when
	// unset), atomically; a nil result deletes the key. If fn returns an
	// error nothing changes and Update returns it. fn may run more than
	// once and must not call the State.
	Update(ctx context.Context, key string, fn func(old []byte) ([]byte, error)) error
	// Once reports whether key is new, and remembers it for ttl: the
	// second call with a key within ttl answers false. Deduplicates
	// vendors' retried callbacks.
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// DeliveryReports takes what a channel learns about a delivery after Send
// returned: a vendor's later failure event (微信客服 msg_send_fail), a
// bounced email.
type DeliveryReports interface {
	// DeliveryFailed marks the outbound message with id messageID (the
	// Outbound.ID the channel sent) failed for reason, on its message and
	// its ticket's timeline, and tells the ticket's assignee. An id that is
	// not an outbound message is an error wrapping ErrUnknownMessage; one
	// already marked failed changes nothing.
	DeliveryFailed(ctx context.Context, messageID, reason string) error
}
