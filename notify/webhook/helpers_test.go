package webhook_test

import (
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/notify/webhook"
)

const testSecret = "wh-secret-7d1e"

// fixedNow is the clock of every test notifier.
var fixedNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var testNotice = notify.Notice{
	ID:        "O-000077",
	Kind:      notify.KindPage,
	TicketID:  "T-000123",
	Subject:   "紧急：退款失败",
	Text:      "VIP 客户 <王芳> 的退款失败 & 已等待 2 小时",
	Priority:  "urgent",
	Group:     "after_sales",
	To:        notify.Recipient{Agent: "agent-7", Address: "+8613800138000"},
	Urgent:    true,
	Attempt:   2,
	CreatedAt: time.Date(2026, 1, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
}

// testBody is testNotice on the wire.
const testBody = `{"id":"O-000077","kind":"page","ticket_id":"T-000123","subject":"紧急：退款失败",` +
	`"text":"VIP 客户 <王芳> 的退款失败 & 已等待 2 小时","priority":"urgent","group":"after_sales",` +
	`"to":{"agent":"agent-7","address":"+8613800138000"},"urgent":true,"attempt":2,"created_at":"2026-01-01T00:00:00Z"}`

// newNotifier returns a notifier named "sms" with the fixed clock and the
// given overrides.
func newNotifier(t *testing.T, cfg webhook.Config) *webhook.Notifier {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "sms"
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	n, err := webhook.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

// checkClass asserts how the dispatcher would read err.
func checkClass(t *testing.T, err error, wantNil, wantPermanent bool, wantDelay time.Duration) {
	t.Helper()
	if wantNil {
		if err != nil {
			t.Fatalf("Notify = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatal("Notify = nil, want an error")
	}
	if got := channels.IsPermanent(err); got != wantPermanent {
		t.Errorf("IsPermanent(%v) = %v, want %v", err, got, wantPermanent)
	}
	d, asked := channels.RetryDelay(err)
	if asked != (wantDelay > 0) || d != wantDelay {
		t.Errorf("RetryDelay(%v) = %v, %v; want %v", err, d, asked, wantDelay)
	}
}
