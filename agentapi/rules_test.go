package agentapi_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/agentapi"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func TestRulesDryRun(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	h.fake.explain = "matched: vip-refund → group after_sales_vip, priority high\nSLA policy: vip (calendar cn-workdays)\n"
	rec := h.do("POST", "/api/v1/rules/test", aliceToken, `{
		"ticket": {"intent": "refund", "priority": "normal", "channel": "wecom",
		           "fields": {"order_id": "2026112500012345", "amount": "129.00"}, "tags": ["退款"]},
		"contact": {"tier": "vip", "region": "北京"},
		"text": "我要退款，订单 2026112500012345",
		"at": "2026-09-30T17:55:00+08:00"}`)
	want(t, rec, http.StatusOK, "")
	if ans := decode[map[string]string](t, rec); ans["explanation"] != h.fake.explain {
		t.Fatalf("answer %v", ans)
	}
	args := h.fake.callsTo("ExplainRules")[0].Args
	tk, c, at := args[0].(ticketcore.Ticket), args[1].(ticketcore.Contact), args[3].(time.Time)
	if tk.Intent != "refund" || tk.Fields["amount"] != "129.00" || !reflect.DeepEqual(tk.Tags, []string{"退款"}) ||
		c.Tier != "vip" || c.Region != "北京" || c.Tags == nil || c.Attrs == nil ||
		args[2] != "我要退款，订单 2026112500012345" ||
		!at.Equal(time.Date(2026, 9, 30, 9, 55, 0, 0, time.UTC)) {
		t.Fatalf("call %+v", args)
	}
}

func TestRulesDryRunDefaultsToNow(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	want(t, h.do("POST", "/api/v1/rules/test", aliceToken, `{"ticket":{"intent":"logistics"}}`), http.StatusOK, "")
	args := h.fake.callsTo("ExplainRules")[0].Args
	if at := args[3].(time.Time); !at.Equal(testNow) {
		t.Fatalf("at %v, want %v", at, testNow)
	}
	if tk := args[0].(ticketcore.Ticket); tk.Fields == nil || tk.Tags == nil {
		t.Fatalf("ticket %+v: rules should see empty fields and tags, not null", tk)
	}
}

func TestRulesDryRunRefusals(t *testing.T) {
	for _, tc := range []struct{ body, code string }{
		{`{"ticket":{"intent":"refund"},"at":"2026-09-30 17:55"}`, "invalid_request"},
		{`{"ticket":{"priority":"asap"}}`, "invalid_request"},
		{`{"ticket":{"status":"done"}}`, "invalid_request"},
		{`{"ticket":{"intnet":"refund"}}`, "invalid_json"},
		{`{"contact":{"tier":"vip","level":3}}`, "invalid_json"},
		{`{"tickets":{}}`, "invalid_json"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			h := newHarness(t, agentapi.Config{})
			want(t, h.do("POST", "/api/v1/rules/test", aliceToken, tc.body), http.StatusBadRequest, tc.code)
			if len(h.fake.allCalls()) != 0 {
				t.Fatal("a refused dry run reached the core")
			}
		})
	}
	h := newHarness(t, agentapi.Config{})
	h.fake.errs["ExplainRules"] = ticketcore.ErrNotFound // no desk configured
	want(t, h.do("POST", "/api/v1/rules/test", aliceToken, `{}`), http.StatusNotFound, "not_found")
}
