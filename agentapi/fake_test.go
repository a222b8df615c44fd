package agentapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// call is one method call the fake saw, with its arguments.
type call struct {
	Method string
	Args   []any
}

// fakeTickets is the ticket core as the API sees it: it records every call
// and answers from its maps; errs makes a method fail.
type fakeTickets struct {
	mu       sync.Mutex
	calls    []call
	errs     map[string]error
	tickets  map[string]ticketcore.Ticket
	contacts map[string]ticketcore.Contact
	blobs    map[string]blob // by ticket id + "/" + sha256
	list     []ticketcore.Ticket
	next     string
	agents   []ticketcore.AgentStatus
	answered int
	explain  string
}

type blob struct {
	ref  ticketcore.AttachmentRef
	data []byte
}

func newFake() *fakeTickets {
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, time.FixedZone("CST", 8*3600))
	ticket := func(id, intent, name string) ticketcore.Ticket {
		return ticketcore.Ticket{ID: id, Status: ticketcore.StatusOpen, Priority: "high", Intent: intent,
			Fields: map[string]string{"order_id": "2026112500012345"}, Channel: "wecom", Thread: "wm-" + id,
			Requester: channels.Party{ID: "wm-" + id, Name: name}, Group: "after_sales", Tags: []string{},
			CreatedAt: at, UpdatedAt: at, ContactID: "C-000001"}
	}
	return &fakeTickets{
		errs: map[string]error{},
		tickets: map[string]ticketcore.Ticket{
			"T-000001": ticket("T-000001", "refund", "王芳"),
			"T-000002": ticket("T-000002", "logistics", "李雷"),
			"T-000003": ticket("T-000003", "logistics", "韩梅梅"),
		},
		contacts: map[string]ticketcore.Contact{
			"C-000001": {ID: "C-000001", Name: "王芳", Identities: []ticketcore.Identity{{Channel: "wecom", ID: "wmAbc123"}},
				Phones: []string{"13800138000"}, Emails: []string{}, Tier: "vip", Region: "北京", Tags: []string{},
				Attrs: map[string]string{}, CreatedAt: at, UpdatedAt: at},
		},
		blobs: map[string]blob{},
	}
}

// record notes a call and returns the error set for method, if any.
func (f *fakeTickets) record(method string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Method: method, Args: args})
	return f.errs[method]
}

// callsTo returns the calls of method, oldest first.
func (f *fakeTickets) callsTo(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeTickets) allCalls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeTickets) ticket(id string) (ticketcore.Ticket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tickets[id]
	if !ok {
		return ticketcore.Ticket{}, fmt.Errorf("read ticket %s: %w", id, ticketcore.ErrNotFound)
	}
	return t, nil
}

func (f *fakeTickets) contact(id string) (ticketcore.Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.contacts[id]
	if !ok {
		return ticketcore.Contact{}, fmt.Errorf("read contact %s: %w", id, ticketcore.ErrNotFound)
	}
	return c, nil
}

func (f *fakeTickets) Ticket(_ context.Context, id string) (ticketcore.Ticket, error) {
	if err := f.record("Ticket", id); err != nil {
		return ticketcore.Ticket{}, err
	}
	t, err := f.ticket(id)
	t.Timeline = []ticketcore.Entry{{Seq: 1, Type: ticketcore.EntryMessage, Direction: "in",
		Text: "订单 2026112500012345 还没发货", At: t.CreatedAt, By: ticketcore.ByCustomer}}
	return t, err
}

func (f *fakeTickets) Tickets(_ context.Context, q ticketcore.TicketQuery) ([]ticketcore.Ticket, string, error) {
	if err := f.record("Tickets", q); err != nil {
		return nil, "", err
	}
	return f.list, f.next, nil
}

func (f *fakeTickets) Change(_ context.Context, id, by string, p ticketcore.Patch) (ticketcore.Ticket, error) {
	if err := f.record("Change", id, by, p); err != nil {
		return ticketcore.Ticket{}, err
	}
	return f.ticket(id)
}

func (f *fakeTickets) Reply(_ context.Context, id, by, text string) (ticketcore.Entry, error) {
	if err := f.record("Reply", id, by, text); err != nil {
		return ticketcore.Entry{}, err
	}
	return ticketcore.Entry{Seq: 2, Type: ticketcore.EntryReply, Direction: "out", Text: text, By: by, Delivery: "pending"}, nil
}

func (f *fakeTickets) Note(_ context.Context, id, by, text string) (ticketcore.Entry, error) {
	if err := f.record("Note", id, by, text); err != nil {
		return ticketcore.Entry{}, err
	}
	return ticketcore.Entry{Seq: 2, Type: ticketcore.EntryNote, Text: text, By: by}, nil
}

func (f *fakeTickets) CompleteStage(_ context.Context, id, by string, fields map[string]string) (ticketcore.Ticket, error) {
	if err := f.record("CompleteStage", id, by, fields); err != nil {
		return ticketcore.Ticket{}, err
	}
	return f.ticket(id)
}

func (f *fakeTickets) Merge(_ context.Context, id, into, by string) (ticketcore.Ticket, error) {
	if err := f.record("Merge", id, into, by); err != nil {
		return ticketcore.Ticket{}, err
	}
	return f.ticket(into)
}

func (f *fakeTickets) Unmerge(_ context.Context, id, by string) (ticketcore.Ticket, error) {
	if err := f.record("Unmerge", id, by); err != nil {
		return ticketcore.Ticket{}, err
	}
	return f.ticket(id)
}

func (f *fakeTickets) Link(_ context.Context, id, other, linkType, by string) (ticketcore.Ticket, error) {
	if err := f.record("Link", id, other, linkType, by); err != nil {
		return ticketcore.Ticket{}, err
	}
	return f.ticket(id)
}

func (f *fakeTickets) Unlink(_ context.Context, id, other, by string) (ticketcore.Ticket, error) {
	if err := f.record("Unlink", id, other, by); err != nil {
		return ticketcore.Ticket{}, err
	}
	return f.ticket(id)
}

func (f *fakeTickets) Broadcast(_ context.Context, id, by, text string, solve bool) (int, error) {
	if err := f.record("Broadcast", id, by, text, solve); err != nil {
		return 0, err
	}
	return f.answered, nil
}

func (f *fakeTickets) AddAttachment(_ context.Context, id, by string, a channels.Attachment, text string) (ticketcore.Entry, error) {
	if err := f.record("AddAttachment", id, by, a, text); err != nil {
		return ticketcore.Entry{}, err
	}
	sum := sha256.Sum256(a.Data)
	ref := ticketcore.AttachmentRef{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size,
		SHA256: hex.EncodeToString(sum[:])}
	return ticketcore.Entry{Seq: 3, Type: ticketcore.EntryNote, Text: text, By: by,
		Attachments: []ticketcore.AttachmentRef{ref}}, nil
}

func (f *fakeTickets) Attachment(_ context.Context, id, sum string) (ticketcore.AttachmentRef, []byte, error) {
	if err := f.record("Attachment", id, sum); err != nil {
		return ticketcore.AttachmentRef{}, nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blobs[id+"/"+sum]
	if !ok {
		return ticketcore.AttachmentRef{}, nil, fmt.Errorf("read attachment: %w: ticket %s has no attachment %s",
			ticketcore.ErrNotFound, id, sum)
	}
	return b.ref, b.data, nil
}

func (f *fakeTickets) Contact(_ context.Context, id string) (ticketcore.Contact, error) {
	if err := f.record("Contact", id); err != nil {
		return ticketcore.Contact{}, err
	}
	return f.contact(id)
}

func (f *fakeTickets) Contacts(_ context.Context, q ticketcore.ContactQuery) ([]ticketcore.Contact, string, error) {
	if err := f.record("Contacts", q); err != nil {
		return nil, "", err
	}
	c, _ := f.contact("C-000001")
	return []ticketcore.Contact{c}, f.next, nil
}

func (f *fakeTickets) ChangeContact(_ context.Context, id string, p ticketcore.ContactPatch) (ticketcore.Contact, error) {
	if err := f.record("ChangeContact", id, p); err != nil {
		return ticketcore.Contact{}, err
	}
	c, err := f.contact(id)
	if err == nil && p.Tier != nil {
		c.Tier = *p.Tier
	}
	return c, err
}

func (f *fakeTickets) LinkIdentity(_ context.Context, id string, ident ticketcore.Identity) (ticketcore.Contact, error) {
	if err := f.record("LinkIdentity", id, ident); err != nil {
		return ticketcore.Contact{}, err
	}
	c, err := f.contact(id)
	c.Identities = append(c.Identities, ident)
	return c, err
}

func (f *fakeTickets) Agents(context.Context) ([]ticketcore.AgentStatus, error) {
	if err := f.record("Agents"); err != nil {
		return nil, err
	}
	return f.agents, nil
}

func (f *fakeTickets) SetAgentAddress(_ context.Context, agent, notifier, address string, reset bool) error {
	return f.record("SetAgentAddress", agent, notifier, address, reset)
}

func (f *fakeTickets) SetAvailable(_ context.Context, agent string, available bool) error {
	return f.record("SetAvailable", agent, available)
}

func (f *fakeTickets) AckPage(_ context.Context, pageID, by string) error {
	return f.record("AckPage", pageID, by)
}

func (f *fakeTickets) ExplainRules(t ticketcore.Ticket, c ticketcore.Contact, text string, now time.Time) (string, error) {
	if err := f.record("ExplainRules", t, c, text, now); err != nil {
		return "", err
	}
	return f.explain, nil
}
