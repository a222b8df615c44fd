package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/nlu/llm/llmtest"
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

var rawPhone = regexp.MustCompile(`1[3-9]\d[ -]?\d{4}[ -]?\d{4}`)

// Through the gateway, an OpenAI-compatible server answers valid,
// malformed, truncated, slow, 429 and 500 responses in turn, checking each
// request (model, schema, no raw phone number); every message ends as a
// ticket recording the right fallback.
func TestLLMAnswersInTurn(t *testing.T) {
	valid := llmtest.Reply{Content: llmtest.Answer("logistics", "normal", map[string]string{"phone": "⟦PHONE_1⟧"}, 0.9)}
	steps := []struct {
		replies  []llmtest.Reply // one per call the message makes
		fallback string
	}{
		{[]llmtest.Reply{valid}, ""},
		{[]llmtest.Reply{{Content: `{"intent":"logistics"`}, {Content: "I cannot do JSON today"}}, "llm_invalid_json"},
		{[]llmtest.Reply{{Content: `{"intent":"logis`, FinishReason: "length"}}, "llm_truncated"},
		{[]llmtest.Reply{{Block: true}}, "llm_timeout"},
		{[]llmtest.Reply{{Status: 429, RetryAfter: "30"}}, "llm_http_429"},
		{[]llmtest.Reply{{Status: 500}}, "llm_http_5xx"},
		{[]llmtest.Reply{valid}, ""},
	}
	var script []llmtest.Reply
	for _, s := range steps {
		script = append(script, s.replies...)
	}
	srv := llmtest.NewServer(t, func(r llmtest.Request) llmtest.Reply {
		if r.Model != "gpt-4o-mini" || r.Schema() == nil {
			t.Errorf("request %d lacks the model or the schema: %s", r.N, r.Raw)
		}
		if raw := rawPhone.FindString(r.Text()); raw != "" {
			t.Errorf("request %d carries the phone number %s", r.N, raw)
		}
		if r.N > len(script) {
			t.Errorf("request %d: more calls than scripted", r.N)
			return llmtest.Reply{Status: 500}
		}
		return script[r.N-1]
	})
	gw, _ := newTestGateway(t, func(c *Config) {
		c.NLU.Extractor = "llm"
		c.NLU.LLM.BaseURL, c.NLU.LLM.Model, c.NLU.LLM.APIKey = srv.BaseURL(), "gpt-4o-mini", "sk-test"
		c.NLU.LLM.Retries, c.NLU.LLM.Timeout = -1, 300*time.Millisecond // only the blocked step waits for it
	})
	// Each text its own: the cascade keeps readings by text, so a repeated
	// one would not reach the server.
	texts := []string{"我的快递到哪了？电话 13800138000", "包裹还没到，电话 13800138000", "快递怎么还没到 电话13800138000",
		"物流不动了，电话 13800138000", "快递呢？电话 13800138000。", "我的包裹在哪，13800138000", "快递三天没更新了，电话 13800138000"}
	for i, s := range steps {
		id := fmt.Sprintf("T-%06d", i+1)
		call(t, "POST", gw.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
			"external_id": fmt.Sprintf("turn-%d", i), "thread": fmt.Sprintf("c-%d", i),
			"from": map[string]any{"id": fmt.Sprintf("c-%d", i)}, "text": texts[i]})
		waitFor(t, "ticket "+id, func() bool { return call(t, "GET", gw.URL+"/api/v1/tickets/"+id, testAdminToken, nil).status == 200 })
		tk := call(t, "GET", gw.URL+"/api/v1/tickets/"+id, testAdminToken, nil).body
		reading, _ := tk["reading"].(map[string]any)
		fields, _ := tk["fields"].(map[string]any)
		got, _ := reading["fallback"].(string)
		if got != s.fallback || fields["phone"] != "13800138000" || tk["intent"] != "logistics" {
			t.Errorf("%s: fallback %q (want %q), intent %v, fields %v", id, got, s.fallback, tk["intent"], fields)
		}
	}
	if srv.Calls() != len(script) {
		t.Errorf("%d calls, want %d", srv.Calls(), len(script))
	}
}
