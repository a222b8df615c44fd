package wecom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// memCore plays the ticket core for the channel's tests: it stores
// messages with their checkpoints under one lock, keeps the State in
// memory, and records delivery reports and what agents did.
type memCore struct {
	mu     sync.Mutex
	now    func() time.Time
	state  map[string][]byte
	seen   map[string]time.Time
	msgs   []channels.Message
	byID   map[string]bool
	failed map[string]string // outbox id → reason
	desk   *memDesk
	// failAt makes the failAt-th HandleBatch call fail (once).
	failAt     int
	calls      int
	onceErrs   int // the next onceErrs Once calls fail
	duplicates int
}

func newMemCore(now func() time.Time) *memCore {
	return &memCore{now: now, state: map[string][]byte{}, seen: map[string]time.Time{},
		byID: map[string]bool{}, failed: map[string]string{}, desk: &memDesk{}}
}

func (c *memCore) deps() Deps { return Deps{Handler: c, State: c, Reports: c, Desk: c.desk} }

func (c *memCore) HandleMessage(ctx context.Context, m channels.Message) (channels.Receipt, error) {
	r, err := c.HandleBatch(ctx, []channels.Message{m}, channels.Checkpoint{})
	if err != nil {
		return channels.Receipt{}, err
	}
	return r[0], nil
}

func (c *memCore) HandleBatch(_ context.Context, msgs []channels.Message, at channels.Checkpoint) ([]channels.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == c.failAt {
		return nil, errors.New("the store is down")
	}
	var out []channels.Receipt
	for _, m := range msgs {
		if m.ExternalID == "" || m.Thread == "" {
			return nil, channels.Invalid("message without id or thread")
		}
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

func (c *memCore) messages() []channels.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
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

func (c *memCore) DeliveryFailed(_ context.Context, id, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == "" || id[0] != 'o' {
		return fmt.Errorf("%w: %s", channels.ErrUnknownMessage, id)
	}
	c.failed[id] = reason
	return nil
}

// memDesk records agents' actions; member "li" is agent "li".
type memDesk struct {
	mu      sync.Mutex
	keys    map[string]bool
	actions []string
	tickets map[string]channels.TicketSummary
}

func (d *memDesk) did(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.actions = append(d.actions, fmt.Sprintf(format, args...))
}

func (d *memDesk) done() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.actions)
}

func (d *memDesk) ticket(id string) (channels.TicketSummary, error) {
	if id != "T-000001" {
		return channels.TicketSummary{}, fmt.Errorf("ticket %s: %w", id, channels.ErrNoTicket)
	}
	return channels.TicketSummary{ID: id, Status: "open", Priority: "normal", Subject: "退款", Group: "售后组"}, nil
}

func (d *memDesk) AgentFor(_ context.Context, notifier, address string) (string, error) {
	if notifier == channels.WeCom && address == "li" {
		return "li", nil
	}
	return "", channels.ErrNoAgent
}

func (d *memDesk) Ticket(_ context.Context, id string) (channels.TicketSummary, error) {
	return d.ticket(id)
}

// act records an act once per key, as the core does.
func (d *memDesk) act(a channels.Act, format string, args ...any) (channels.TicketSummary, error) {
	t, err := d.ticket(a.Ticket)
	if err != nil {
		return t, err
	}
	d.mu.Lock()
	if d.keys == nil {
		d.keys = map[string]bool{}
	}
	seen := a.Key != "" && d.keys[a.Key]
	d.keys[a.Key] = true
	d.mu.Unlock()
	if !seen {
		d.did(format, args...)
	}
	return t, nil
}

func (d *memDesk) Reply(_ context.Context, a channels.Act, text string) error {
	_, err := d.act(a, "reply %s %s %s", a.Ticket, a.Agent, text)
	return err
}

func (d *memDesk) Note(_ context.Context, a channels.Act, text string) error {
	_, err := d.act(a, "note %s %s %s", a.Ticket, a.Agent, text)
	return err
}

func (d *memDesk) Claim(_ context.Context, a channels.Act) (channels.TicketSummary, error) {
	t, err := d.act(a, "claim %s %s", a.Ticket, a.Agent)
	t.Assignee = "李敏"
	return t, err
}

func (d *memDesk) Transfer(_ context.Context, a channels.Act, group string) (channels.TicketSummary, error) {
	t, err := d.act(a, "transfer %s %s %s", a.Ticket, a.Agent, group)
	t.Group = group
	return t, err
}

func (d *memDesk) SetPriority(_ context.Context, a channels.Act, p string) (channels.TicketSummary, error) {
	t, err := d.act(a, "priority %s %s %s", a.Ticket, a.Agent, p)
	t.Priority = p
	return t, err
}

func (d *memDesk) Solve(_ context.Context, a channels.Act) (channels.TicketSummary, error) {
	t, err := d.act(a, "solve %s %s", a.Ticket, a.Agent)
	t.Status = "solved"
	return t, err
}

func (d *memDesk) Queue(_ context.Context, agent string) ([]channels.TicketSummary, error) {
	t, _ := d.ticket("T-000001")
	return []channels.TicketSummary{t}, nil
}

func readAll(req *http.Request) ([]byte, error) {
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// quiet drops the channel's logs in tests.
var quiet = slog.New(slog.DiscardHandler)
