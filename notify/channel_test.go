package notify_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify"
)

var testNotice = notify.Notice{
	ID:        "O-000077",
	Kind:      notify.KindPage,
	TicketID:  "T-000123",
	Subject:   "紧急：退款失败",
	Text:      "VIP 客户王芳的退款失败，请立即处理",
	Priority:  "urgent",
	Group:     "after_sales",
	To:        notify.Recipient{Agent: "agent-7", Address: "+8613800138000"},
	Urgent:    true,
	Attempt:   3,
	CreatedAt: time.Date(2026, 1, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
}

// fakeNotifier records notices and answers err.
type fakeNotifier struct {
	mu   sync.Mutex
	got  []notify.Notice
	err  error
	name string
}

func (f *fakeNotifier) Name() string { return f.name }

func (f *fakeNotifier) Notify(_ context.Context, n notify.Notice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, n)
	return f.err
}

func TestOutboundRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		n    notify.Notice
	}{
		{name: "every field", n: testNotice},
		{name: "not urgent", n: func() notify.Notice { n := testNotice; n.Urgent = false; n.Kind = notify.KindAssigned; return n }()},
		{name: "zero", n: notify.Notice{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := notify.Outbound("sms", tt.n)
			if got := notify.FromOutbound(out); !reflect.DeepEqual(got, tt.n) {
				t.Errorf("FromOutbound(Outbound(n)) = %+v\nwant %+v", got, tt.n)
			}
			for k, v := range out.Meta {
				if v == "" && k != notify.MetaKind {
					t.Errorf("Meta[%q] is set but empty", k)
				}
			}
		})
	}
}

func TestOutboundFields(t *testing.T) {
	out := notify.Outbound("sms", testNotice)
	want := channels.Outbound{
		ID:       "O-000077",
		Channel:  "notify.sms",
		To:       channels.Party{ID: "agent-7"},
		Text:     testNotice.Text,
		TicketID: "T-000123",
		Kind:     "notification",
		Meta: map[string]string{
			"kind": "page", "address": "+8613800138000", "subject": testNotice.Subject,
			"priority": "urgent", "group": "after_sales", "urgent": "true",
		},
		Attempt:   3,
		CreatedAt: testNotice.CreatedAt,
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("Outbound = %+v\nwant %+v", out, want)
	}
}

func TestChannelSendsTheNotice(t *testing.T) {
	f := &fakeNotifier{name: "sms"}
	ch := notify.Channel(f)
	if got := ch.Name(); got != "notify.sms" {
		t.Errorf("Name = %q, want notify.sms", got)
	}
	// The ticket core may fill Meta itself rather than through Outbound.
	out := channels.Outbound{
		ID: "O-1", Channel: "notify.sms", To: channels.Party{ID: "agent-7"}, Text: "hi", TicketID: "T-000001",
		Kind: "notification", Attempt: 1, CreatedAt: testNotice.CreatedAt,
		Meta: map[string]string{"kind": "mention", "address": "13800138000", "urgent": "yes"},
	}
	if err := ch.Send(context.Background(), out); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := notify.Notice{ID: "O-1", Kind: notify.KindMention, TicketID: "T-000001", Text: "hi",
		To: notify.Recipient{Agent: "agent-7", Address: "13800138000"}, Attempt: 1, CreatedAt: testNotice.CreatedAt}
	if len(f.got) != 1 || !reflect.DeepEqual(f.got[0], want) {
		t.Errorf("notified %+v\nwant [%+v]", f.got, want)
	}
}

func TestChannelKeepsErrorClass(t *testing.T) {
	cause := errors.New("gateway said no")
	tests := []struct {
		name      string
		err       error
		permanent bool
		delay     time.Duration
	}{
		{name: "retryable", err: cause},
		{name: "permanent", err: channels.Permanent(cause), permanent: true},
		{name: "retry after", err: channels.RetryAfter(cause, time.Minute), delay: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := notify.Channel(&fakeNotifier{name: "im", err: tt.err})
			err := ch.Send(context.Background(), notify.Outbound("im", testNotice))
			if !errors.Is(err, cause) {
				t.Fatalf("Send = %v, want %v", err, cause)
			}
			if got := channels.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tt.permanent)
			}
			if d, _ := channels.RetryDelay(err); d != tt.delay {
				t.Errorf("RetryDelay = %v, want %v", d, tt.delay)
			}
		})
	}
}

func TestChannelRejectsOtherChannels(t *testing.T) {
	f := &fakeNotifier{name: "sms"}
	err := notify.Channel(f).Send(context.Background(), notify.Outbound("im", testNotice))
	if !channels.IsPermanent(err) {
		t.Errorf("Send = %v, want a permanent error", err)
	}
	if len(f.got) != 0 {
		t.Errorf("notifier was called with %+v", f.got)
	}
}
