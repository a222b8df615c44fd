package channels

import (
	"errors"
	"fmt"
	"time"
)

// ErrNoAgent: a chat user is not mapped to a loopdesk agent.
var ErrNoAgent = errors.New("no agent for this user")

// ErrNoTicket: the ticket an agent named does not exist.
var ErrNoTicket = errors.New("no such ticket")

// ErrInvalid marks a message that cannot be accepted as it is (no text, no
// thread, …). Adapters answer it as a client error and the vendor must not retry.
var ErrInvalid = errors.New("invalid message")

// Invalid returns an error wrapping ErrInvalid with a human reason.
func Invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// permanentError marks a send that will fail the same way if repeated.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (bad recipient, rejected content,
// revoked credentials). A nil err stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError carries the peer's request to wait before retrying.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter marks err as temporary with a wait the peer asked for (HTTP 429
// Retry-After, a vendor's rate-limit window). A nil err stays nil.
func RetryAfter(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, after: after}
}

// RetryDelay returns the wait err asked for with RetryAfter, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.after, true
	}
	return 0, false
}

// ErrUnknownMessage: a delivery report names no outbound message loopdesk sent.
var ErrUnknownMessage = errors.New("unknown outbound message")

// holdError marks a send the peer will only take once the customer writes again.
type holdError struct {
	err   error
	until time.Time
}

func (e *holdError) Error() string { return e.err.Error() }
func (e *holdError) Unwrap() error { return e.err }

// Hold marks err as "not now: only after the customer writes again" (a
// 微信客服 or mini-program reply beyond the 5 messages allowed per customer
// message). The dispatcher keeps the message without counting an attempt,
// tells the ticket's assignee why, and tries it again as soon as the
// customer writes on the thread, or at until at the latest, when the
// channel decides whether the chance is gone. A nil err stays nil.
func Hold(err error, until time.Time) error {
	if err == nil {
		return nil
	}
	return &holdError{err: err, until: until}
}

// HeldUntil returns the time a Hold error waits until, if err is one.
func HeldUntil(err error) (time.Time, bool) {
	var h *holdError
	if errors.As(err, &h) {
		return h.until, true
	}
	return time.Time{}, false
}
