package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// With the LLM server down, 1,000 messages still become 1,000 tickets read
// by the rules, each recording why, and the breaker stops calling the
// server at its threshold.
func TestLLMDownTicketsStillOpen(t *testing.T) {
	var calls atomic.Int64
	llmSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":{"message":"The server is overloaded","type":"server_error","code":null}}`)
	}))
	defer llmSrv.Close()
	srv, _ := newTestGateway(t, func(c *Config) {
		c.NLU.Extractor = "llm"
		c.NLU.LLM.BaseURL, c.NLU.LLM.Model, c.NLU.LLM.Retries = llmSrv.URL+"/v1", "gpt-4o-mini", -1
		c.NLU.LLM.Breaker.Failures, c.NLU.LLM.Breaker.Cooldown = 5, time.Hour
	})
	const n = 1000
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Go(func() {
			for i := w; i < n; i += 20 {
				a := call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
					"external_id": fmt.Sprintf("down-%d", i), "thread": fmt.Sprintf("c-%d", i),
					"from": map[string]any{"id": fmt.Sprintf("c-%d", i)}, "text": fmt.Sprintf("订单 2026112500%06d 还没发货", i)})
				if a.status != http.StatusAccepted {
					t.Errorf("message %d: %d %s", i, a.status, a.raw)
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, "1,000 tickets", func() bool {
		return strings.Contains(call(t, "GET", srv.URL+"/metrics", "", nil).raw, fmt.Sprintf(`loopdesk_tickets_created_total{channel="api"} %d`, n))
	})
	if c := calls.Load(); c > 5 {
		t.Errorf("%d calls to a server that is down; the breaker opens after 5", c)
	}
	tk := call(t, "GET", srv.URL+"/api/v1/tickets/T-000777", testAdminToken, nil).body
	reading, _ := tk["reading"].(map[string]any)
	if tk["intent"] != "logistics" || reading["extractor"] != "rules" || reading["fallback"] == "" || reading["fallback"] == nil {
		t.Errorf("T-000777: intent %v, reading %v", tk["intent"], reading)
	}
	metrics := call(t, "GET", srv.URL+"/metrics", "", nil).raw
	if !strings.Contains(metrics, `loopdesk_llm_fallbacks_total{reason="breaker_open"}`) {
		t.Error("no breaker_open fallbacks in the metrics")
	}
	t.Logf("%d messages, %d tickets, %d LLM calls", n, n, calls.Load())
}
