// Package channeltest holds what channel adapters' tests share: Core, an
// in-memory stand-in for the ticket core on the channel contract, and
// Clock. Test-only: nothing outside _test.go files imports it.
package channeltest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// Core plays the ticket core for a channel's tests. It stores each batch
// with its checkpoint under one lock (the transaction), deduplicates by
// channel and ExternalID as the store does and counts the duplicates,
// keeps the State in memory, and records delivery reports. Safe for
// concurrent use.
type Core struct {
	mu         sync.Mutex
	now        func() time.Time
	state      map[string][]byte
	seen       map[string]time.Time
	msgs       []channels.Message
	byID       map[string]bool
	failed     map[string]string
	calls      int
	duplicates int
	failAt     int
	onceErrs   int
	// Known says which ids DeliveryFailed knows as outbound messages;
	// defaults to those starting with "o" or "msg-".
	Known func(id string) bool
}

// NewCore returns an empty Core on clock now (time.Now when nil).
func NewCore(now func() time.Time) *Core {
	if now == nil {
		now = time.Now
	}
	return &Core{now: now, state: map[string][]byte{}, seen: map[string]time.Time{},
		byID: map[string]bool{}, failed: map[string]string{}}
}

// FailBatch makes the n-th HandleBatch call from now on fail, once.
func (c *Core) FailBatch(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failAt = c.calls + n
}

// FailOnce makes the next n Once calls fail.
func (c *Core) FailOnce(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onceErrs = n
}

// HandleMessage stores one message as a batch of one without a checkpoint.
func (c *Core) HandleMessage(ctx context.Context, m channels.Message) (channels.Receipt, error) {
	r, err := c.HandleBatch(ctx, []channels.Message{m}, channels.Checkpoint{})
	if err != nil {
		return channels.Receipt{}, err
	}
	return r[0], nil
}

// HandleBatch stores msgs and the checkpoint together; an invalid message
// refuses the batch with nothing written.
func (c *Core) HandleBatch(_ context.Context, msgs []channels.Message, at channels.Checkpoint) ([]channels.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == c.failAt {
		return nil, errors.New("the store is down")
	}
	for i, m := range msgs {
		if m.Channel == "" || m.ExternalID == "" || m.Thread == "" {
			return nil, channels.Invalid("msgs[%d]: no channel, external id or thread", i)
		}
	}
	var out []channels.Receipt
	for _, m := range msgs {
		key := m.Channel + "\x00" + m.ExternalID
		if c.byID[key] {
			c.duplicates++
			out = append(out, channels.Receipt{MessageID: m.ExternalID, Duplicate: true})
			continue
		}
		c.byID[key] = true
		c.msgs = append(c.msgs, m)
		out = append(out, channels.Receipt{MessageID: m.ExternalID})
	}
	if at.Key != "" {
		c.state[at.Key] = slices.Clone(at.Value)
	}
	return out, nil
}

// Messages are the messages stored, in order.
func (c *Core) Messages() []channels.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

// Duplicates counts messages handed over again after they were stored.
func (c *Core) Duplicates() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.duplicates
}

// Get reads a State key.
func (c *Core) Get(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.state[key]), nil
}

// Update changes a State key atomically; nil deletes it.
func (c *Core) Update(_ context.Context, key string, fn func([]byte) ([]byte, error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := fn(slices.Clone(c.state[key]))
	if err != nil {
		return err
	}
	if v == nil {
		delete(c.state, key)
	} else {
		c.state[key] = v
	}
	return nil
}

// Once remembers key for ttl on the Core's clock.
func (c *Core) Once(_ context.Context, key string, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.onceErrs > 0 {
		c.onceErrs--
		return false, errors.New("the store is down")
	}
	if until, ok := c.seen[key]; ok && c.now().Before(until) {
		return false, nil
	}
	c.seen[key] = c.now().Add(ttl)
	return true, nil
}

// Remembered reports how many keys Once remembers and the State holds.
func (c *Core) Remembered() (onceKeys, stateKeys int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen), len(c.state)
}

// DeliveryFailed records a failure of a known outbound id.
func (c *Core) DeliveryFailed(_ context.Context, id, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	known := c.Known
	if known == nil {
		known = func(id string) bool { return strings.HasPrefix(id, "o") || strings.HasPrefix(id, "msg-") }
	}
	if !known(id) {
		return fmt.Errorf("%w: %s", channels.ErrUnknownMessage, id)
	}
	c.failed[id] = reason
	return nil
}

// Failure is the reason recorded for an outbound id.
func (c *Core) Failure(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.failed[id]
	return r, ok
}

// Clock is a settable clock for tests.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
