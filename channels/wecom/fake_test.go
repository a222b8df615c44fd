package wecom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/channeltest"
)

// memCore plays the ticket core for the channel's tests
// (channeltest.Core) with a desk that records agents' acts.
type memCore struct {
	*channeltest.Core
	desk *memDesk
}

func newMemCore(now func() time.Time) *memCore {
	return &memCore{Core: channeltest.NewCore(now), desk: &memDesk{}}
}

func (c *memCore) deps() Deps { return Deps{Handler: c, State: c, Reports: c, Desk: c.desk} }

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

func (d *memDesk) Assign(_ context.Context, a channels.Act, agent string) (channels.TicketSummary, error) {
	t, err := d.act(a, "assign %s %s %s", a.Ticket, a.Agent, agent)
	t.Assignee = agent
	return t, err
}

func (d *memDesk) SetStatus(_ context.Context, a channels.Act, status string) (channels.TicketSummary, error) {
	t, err := d.act(a, "status %s %s %s", a.Ticket, a.Agent, status)
	t.Status = status
	return t, err
}

func (d *memDesk) Merge(_ context.Context, a channels.Act, into string) (channels.TicketSummary, error) {
	_, err := d.act(a, "merge %s %s %s", a.Ticket, a.Agent, into)
	t, _ := d.ticket(into)
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
