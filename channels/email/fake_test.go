package email

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// memCore plays the ticket core for the channel's tests: it stores each
// batch of messages with its checkpoint under one lock (the transaction),
// keeps the State in memory, deduplicates by ExternalID as the store does
// and counts the duplicates, and records delivery reports.
type memCore struct {
	mu         sync.Mutex
	now        func() time.Time
	state      map[string][]byte
	seen       map[string]time.Time
	msgs       []channels.Message
	byID       map[string]bool
	failed     map[string]string // outbox id → reason
	batches    int
	duplicates int
}

func newMemCore() *memCore {
	return &memCore{now: time.Now, state: map[string][]byte{}, seen: map[string]time.Time{},
		byID: map[string]bool{}, failed: map[string]string{}}
}

func (c *memCore) deps() Deps { return Deps{Handler: c, State: c, Reports: c} }

func (c *memCore) HandleBatch(_ context.Context, msgs []channels.Message, at channels.Checkpoint) ([]channels.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs { // one invalid message refuses the batch, nothing written
		if m.Channel != channels.Email || m.ExternalID == "" || m.Thread == "" {
			return nil, channels.Invalid("message without channel, id or thread: %+v", m)
		}
	}
	c.batches++
	var out []channels.Receipt
	for _, m := range msgs {
		if c.byID[m.ExternalID] {
			c.duplicates++
			out = append(out, channels.Receipt{MessageID: m.ExternalID, Duplicate: true})
			continue
		}
		c.byID[m.ExternalID] = true
		c.msgs = append(c.msgs, m)
		out = append(out, channels.Receipt{MessageID: m.ExternalID})
	}
	if at.Key != "" {
		c.state[at.Key] = slices.Clone(at.Value)
	}
	return out, nil
}

func (c *memCore) Get(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.state[key]), nil
}

func (c *memCore) Update(_ context.Context, key string, fn func([]byte) ([]byte, error)) error {
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

func (c *memCore) Once(_ context.Context, key string, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until, ok := c.seen[key]; ok && c.now().Before(until) {
		return false, nil
	}
	c.seen[key] = c.now().Add(ttl)
	return true, nil
}

// DeliveryFailed knows the outbox ids that start with "o".
func (c *memCore) DeliveryFailed(_ context.Context, id, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !strings.HasPrefix(id, "o") {
		return fmt.Errorf("%w: %s", channels.ErrUnknownMessage, id)
	}
	c.failed[id] = reason
	return nil
}

func (c *memCore) messages() []channels.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

func (c *memCore) counts() (stored, duplicates int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs), c.duplicates
}

func (c *memCore) failure(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.failed[id]
	return r, ok
}

// position is the stored mailbox position, zero when none.
func (c *memCore) position(t *testing.T, key string) position {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var p position
	if raw := c.state[key]; raw != nil {
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("stored position %q: %v", raw, err)
		}
	}
	return p
}

func (c *memCore) setPosition(t *testing.T, key string, p position) {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state[key] = raw
}

// clock is a settable Now for acknowledgement windows.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (k *clock) Now() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.t
}

func (k *clock) add(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.t = k.t.Add(d)
}

// eventually polls cond until it holds, failing t after timeout. It
// returns how long that took.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(began) > timeout {
			t.Fatalf("after %v: %s", timeout, what)
		}
		<-tick.C
	}
	return time.Since(began)
}
