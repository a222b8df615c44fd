package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// customerInbox is an API channel callback receiver: what reached each
// customer thread.
type customerInbox struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (c *customerInbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var cb struct{ Thread, Text string }
	json.NewDecoder(r.Body).Decode(&cb)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent == nil {
		c.sent = map[string][]string{}
	}
	c.sent[cb.Thread] = append(c.sent[cb.Thread], cb.Text)
}

func (c *customerInbox) of(thread string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sent[thread])
}

// On the embedded e-commerce desk with the rules extractor, a refund
// request without an order number gets the question; the customer's
// "订单号 …" completes the ticket. A customer who answers "转人工" gets a
// ticket at once, marked as missing the order number.
func TestAskingForTheOrderNumber(t *testing.T) {
	inbox := &customerInbox{}
	receiver := httptest.NewServer(inbox)
	defer receiver.Close()
	srv, _ := newTestGateway(t, func(c *Config) { c.Channels.API.CallbackURL = receiver.URL })
	send := func(id, thread, text string) {
		t.Helper()
		a := call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
			"external_id": id, "thread": thread, "from": map[string]any{"id": thread}, "text": text})
		if a.status != http.StatusAccepted {
			t.Fatalf("send %s: %d %s", id, a.status, a.raw)
		}
	}
	send("a-1", "c-1", "我要退款")
	waitFor(t, "the question", func() bool { return len(inbox.of("c-1")) == 1 })
	if q := inbox.of("c-1")[0]; !strings.Contains(q, "订单号") {
		t.Errorf("the question: %q", q)
	}
	if a := call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil); a.status != http.StatusNotFound {
		t.Fatalf("a ticket before the order number: %d", a.status)
	}
	send("a-2", "c-1", "订单号 2026112500012345")
	waitFor(t, "the ticket", func() bool {
		return call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil).status == http.StatusOK
	})
	tk := call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil).body
	fields, _ := tk["fields"].(map[string]any)
	if tk["intent"] != "refund" || fields["order_id"] != "2026112500012345" || tk["missing_fields"] != nil || tk["waiting"] != 2.0 {
		t.Errorf("the ticket: intent %v fields %v missing %v waiting %v", tk["intent"], fields, tk["missing_fields"], tk["waiting"])
	}
	reading, _ := tk["reading"].(map[string]any)
	sources, _ := reading["fields"].(map[string]any)
	if reading["extractor"] != "rules" || sources["order_id"] == nil {
		t.Errorf("the reading on the ticket: %v", reading)
	}
	waitFor(t, "the acknowledgement", func() bool { return len(inbox.of("c-1")) == 2 })

	send("b-1", "c-2", "我要退款，衣服不合适")
	waitFor(t, "the second customer's question", func() bool { return len(inbox.of("c-2")) == 1 })
	send("b-2", "c-2", "转人工")
	waitFor(t, "the ticket opened for a person", func() bool {
		return call(t, "GET", srv.URL+"/api/v1/tickets/T-000002", testAdminToken, nil).status == http.StatusOK
	})
	tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000002", testAdminToken, nil).body
	if missing, _ := tk["missing_fields"].([]any); tk["thread"] != "c-2" || len(missing) != 1 || missing[0] != "order_id" {
		t.Errorf("the ticket opened for a person: thread %v missing %v", tk["thread"], tk["missing_fields"])
	}
}
