package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/auth"
)

const (
	testAPIToken   = "test-api-token"
	testAdminToken = "test-admin-token"
	testAgentToken = "test-agent-token"
	testViewToken  = "test-viewer-token"
)

// newTestGateway wires the whole gateway as serve does, on a temporary data
// directory, behind an httptest server.
func newTestGateway(t *testing.T, mod func(*Config)) (*httptest.Server, *gateway) {
	t.Helper()
	cfg := defaultConfig()
	cfg.Data.Dir = t.TempDir()
	cfg.Auth.AdminToken = testAdminToken
	cfg.Auth.Tokens = []auth.Token{
		{Name: "alice", Role: auth.RoleAgent, SHA256: auth.Hash(testAgentToken)},
		{Name: "vera", Role: auth.RoleViewer, SHA256: auth.Hash(testViewToken)},
	}
	cfg.Channels.API.Token = testAPIToken
	cfg.Server.MaxBodyBytes = 64 << 10
	if mod != nil {
		mod(&cfg)
	}
	g, err := build(cfg, testLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.work(ctx) }()
	srv := httptest.NewServer(g.handler)
	t.Cleanup(func() { srv.Close(); cancel(); <-done; g.close() })
	return srv, g
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

func call(t *testing.T, method, url, token string, body any) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	json.Unmarshal(raw, &a.body)
	return a
}

func (a answer) errorCode() string {
	e, _ := a.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	if msg, _ := e["message"].(string); msg == "" {
		return ""
	}
	return code
}

// waitFor polls cond; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The README walk-through: a message becomes a ticket with the right intent
// and order_id, and the acknowledgement is in the conversation.
func TestWalkThrough(t *testing.T) {
	srv, _ := newTestGateway(t, nil)
	a := call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
		"external_id": "app-42-0001", "from": map[string]any{"id": "user-42", "name": "王芳", "phone": "13800138000"},
		"text": "订单 2026112500012345 付款后一直没发货，麻烦帮我查一下"})
	if a.status != http.StatusAccepted || a.body["duplicate"] != false || a.body["message_id"] == "" {
		t.Fatalf("send: %d %s", a.status, a.raw)
	}
	var conv answer
	waitFor(t, "the acknowledgement is delivered", func() bool {
		conv = call(t, "GET", srv.URL+"/api/v1/conversations/user-42/messages", testAPIToken, nil)
		msgs, _ := conv.body["messages"].([]any)
		return len(msgs) == 2 && msgs[1].(map[string]any)["delivery"] == "sent"
	})
	out := conv.body["messages"].([]any)[1].(map[string]any)
	if out["direction"] != "out" || !strings.Contains(out["text"].(string), "T-000001") ||
		!strings.HasPrefix(out["text"].(string), "已收到您的问题") {
		t.Errorf("acknowledgement = %v", out)
	}
	tk := call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
	fields, _ := tk.body["fields"].(map[string]any)
	if tk.status != 200 || tk.body["intent"] != "logistics" || fields["order_id"] != "2026112500012345" ||
		tk.body["status"] != "new" || tk.body["channel"] != "api" || tk.body["thread"] != "user-42" {
		t.Errorf("ticket: %d %s", tk.status, tk.raw)
	}
	for _, key := range []string{"id", "status", "priority", "intent", "fields", "channel", "thread", "requester",
		"assignee", "group", "tags", "created_at", "updated_at", "sla", "timeline"} {
		if _, ok := tk.body[key]; !ok {
			t.Errorf("ticket JSON lacks %q", key)
		}
	}
	r := call(t, "POST", srv.URL+"/api/v1/tickets/T-000001/replies", testAgentToken, map[string]string{"text": "已催仓库"})
	if r.status != http.StatusCreated || r.body["by"] != "alice" || r.body["delivery"] != "pending" {
		t.Errorf("reply: %d %s", r.status, r.raw)
	}
	list := call(t, "GET", srv.URL+"/api/v1/tickets?status=new,open&channel=api", testViewToken, nil)
	if tickets, _ := list.body["tickets"].([]any); list.status != 200 || len(tickets) != 1 || list.body["next_cursor"] != nil {
		t.Errorf("list: %d %s", list.status, list.raw)
	}
}

// The same external_id three times, also at once: one message, one ticket.
func TestSameExternalIDIsOneMessage(t *testing.T) {
	srv, _ := newTestGateway(t, nil)
	msg := map[string]any{"external_id": "dup-1", "thread": "t-1", "from": map[string]any{"id": "u-1"}, "text": "我要退款，订单号 2026112500012345"}
	ids := make([]string, 6)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			a := call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, msg)
			if a.status != http.StatusAccepted {
				t.Errorf("send %d: %d %s", i, a.status, a.raw)
			}
			ids[i], _ = a.body["message_id"].(string)
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("message ids differ: %v", ids)
		}
	}
	waitFor(t, "the ticket is created", func() bool {
		return call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil).status == 200
	})
	again := call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, msg)
	if again.body["duplicate"] != true || again.body["message_id"] != ids[0] {
		t.Errorf("resend after filing: %s", again.raw)
	}
	conv := call(t, "GET", srv.URL+"/api/v1/conversations/t-1/messages", testAPIToken, nil)
	in := 0
	for _, m := range conv.body["messages"].([]any) {
		if m.(map[string]any)["direction"] == "in" {
			in++
		}
	}
	list := call(t, "GET", srv.URL+"/api/v1/tickets", testAdminToken, nil)
	if n := len(list.body["tickets"].([]any)); in != 1 || n != 1 {
		t.Errorf("%d inbound messages and %d tickets, want 1 and 1", in, n)
	}
}

// Every refusal has its status and the error shape, and writes nothing.
func TestRefusals(t *testing.T) {
	srv, g := newTestGateway(t, func(c *Config) { c.Server.MaxBodyBytes = 4096 })
	send := srv.URL + "/api/v1/channels/api/messages"
	ok := map[string]any{"external_id": "x-1", "from": map[string]any{"id": "u"}, "text": "你好"}
	if a := call(t, "POST", send, testAPIToken, ok); a.status != http.StatusAccepted {
		t.Fatalf("setup: %d %s", a.status, a.raw)
	}
	waitFor(t, "the setup ticket, its acknowledgement settled", func() bool {
		a := call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return a.status == 200 && strings.Contains(a.raw, `"delivery":"sent"`)
	})
	before := snapshot(t, srv)
	big := map[string]any{"external_id": "x-2", "from": map[string]any{"id": "u"}, "text": strings.Repeat("很长", 2000)}
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"no token", "POST", send, "", ok, 401},
		{"bad token", "POST", send, "nope", ok, 401},
		{"admin token on the channel", "POST", send, testAdminToken, ok, 401},
		{"malformed json", "POST", send, testAPIToken, `{"external_id": "x-3", "text": `, 400},
		{"missing text", "POST", send, testAPIToken, map[string]any{"external_id": "x-4", "from": map[string]any{"id": "u"}}, 400},
		{"too large", "POST", send, testAPIToken, big, 413},
		{"bad agent token", "GET", "/api/v1/tickets", "nope", nil, 401},
		{"channel token on tickets", "GET", "/api/v1/tickets", testAPIToken, nil, 401},
		{"viewer patches", "PATCH", "/api/v1/tickets/T-000001", testViewToken, map[string]any{"status": "open"}, 403},
		{"viewer replies", "POST", "/api/v1/tickets/T-000001/replies", testViewToken, map[string]any{"text": "hi"}, 403},
		{"unknown ticket", "GET", "/api/v1/tickets/T-000999", testAgentToken, nil, 404},
		{"not a ticket id", "GET", "/api/v1/tickets/42", testAgentToken, nil, 404},
		{"patch unknown ticket", "PATCH", "/api/v1/tickets/T-000999", testAgentToken, map[string]any{"status": "open"}, 404},
		{"illegal transition", "PATCH", "/api/v1/tickets/T-000001", testAgentToken, map[string]any{"status": "closed", "priority": "low"}, 409},
		{"unknown status", "PATCH", "/api/v1/tickets/T-000001", testAgentToken, map[string]any{"status": "done"}, 400},
		{"misspelt patch key", "PATCH", "/api/v1/tickets/T-000001", testAgentToken, map[string]any{"priorty": "low"}, 400},
		{"patch too large", "PATCH", "/api/v1/tickets/T-000001", testAgentToken, map[string]any{"fields": map[string]string{"note": strings.Repeat("x", 5000)}}, 413},
		{"reply without text", "POST", "/api/v1/tickets/T-000001/replies", testAgentToken, map[string]any{}, 400},
		{"note malformed", "POST", "/api/v1/tickets/T-000001/notes", testAgentToken, "{", 400},
		{"bad limit", "GET", "/api/v1/tickets?limit=-1", testAgentToken, nil, 400},
		{"unknown route", "GET", "/api/v1/nothing", testAgentToken, nil, 404},
	} {
		url := c.path
		if !strings.HasPrefix(url, "http") {
			url = srv.URL + url
		}
		a := call(t, c.method, url, c.token, c.body)
		if a.status != c.status || a.errorCode() == "" {
			t.Errorf("%s: %d %s, want %d with the error shape", c.name, a.status, a.raw, c.status)
		}
	}
	if after := snapshot(t, srv); after != before {
		t.Errorf("a refused request wrote something:\nbefore %s\nafter  %s", before, after)
	}
	_ = g
}

// snapshot is every ticket with its timeline and the conversation of u.
func snapshot(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	var b strings.Builder
	list := call(t, "GET", srv.URL+"/api/v1/tickets", testAdminToken, nil)
	for _, tk := range list.body["tickets"].([]any) {
		b.WriteString(call(t, "GET", srv.URL+"/api/v1/tickets/"+tk.(map[string]any)["id"].(string), testAdminToken, nil).raw)
	}
	b.WriteString(call(t, "GET", srv.URL+"/api/v1/conversations/u/messages", testAPIToken, nil).raw)
	return b.String()
}

func TestPagination(t *testing.T) {
	srv, _ := newTestGateway(t, nil)
	for i := range 7 {
		call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
			"external_id": fmt.Sprint("p-", i), "from": map[string]any{"id": fmt.Sprint("u-", i)}, "text": "查一下物流"})
	}
	waitFor(t, "7 tickets", func() bool {
		return call(t, "GET", srv.URL+"/api/v1/tickets/T-000007", testAdminToken, nil).status == 200
	})
	var seen []string
	cursor := ""
	for range 10 {
		a := call(t, "GET", srv.URL+"/api/v1/tickets?limit=3&cursor="+cursor, testAdminToken, nil)
		for _, tk := range a.body["tickets"].([]any) {
			seen = append(seen, tk.(map[string]any)["id"].(string))
		}
		next, _ := a.body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if strings.Join(seen, ",") != "T-000007,T-000006,T-000005,T-000004,T-000003,T-000002,T-000001" {
		t.Errorf("pages = %v", seen)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	srv, _ := newTestGateway(t, nil)
	if a := call(t, "GET", srv.URL+"/healthz", "", nil); a.status != 200 {
		t.Errorf("healthz: %d", a.status)
	}
	call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
		"external_id": "m-1", "from": map[string]any{"id": "u"}, "text": "hi"})
	call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
		"external_id": "m-1", "from": map[string]any{"id": "u"}, "text": "hi"})
	var text string
	waitFor(t, "tickets_created in metrics", func() bool {
		text = call(t, "GET", srv.URL+"/metrics", "", nil).raw
		return strings.Contains(text, `loopdesk_tickets_created_total{channel="api"} 1`)
	})
	for _, want := range []string{`loopdesk_messages_received_total{channel="api"} 1`,
		`loopdesk_messages_duplicate_total{channel="api"} 1`, "loopdesk_outbox_pending",
		"loopdesk_inbox_pending", "loopdesk_message_processing_seconds_bucket"} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// Without configured tokens the first start makes them, keeps only their
// hashes, and shows them once; the next start uses the stored hashes.
func TestFirstStartMakesTokens(t *testing.T) {
	cfg := defaultConfig()
	cfg.Data.Dir = t.TempDir()
	cfg.Channels.API.CallbackURL = "http://127.0.0.1:1/never"
	start := func() (*gateway, *httptest.Server) {
		g, err := build(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return g, httptest.NewServer(g.handler)
	}
	g, srv := start()
	made := g.secrets
	if made.AdminToken == "" || made.APIToken == "" || made.CallbackSecret == "" {
		t.Fatalf("first start made %+v", made)
	}
	var banner bytes.Buffer
	printBanner(&banner, cfg, "127.0.0.1:8080", made)
	if !strings.Contains(banner.String(), made.AdminToken) || !strings.Contains(banner.String(), made.APIToken) {
		t.Errorf("banner does not show the new tokens:\n%s", banner.String())
	}
	if a := call(t, "GET", srv.URL+"/api/v1/tickets", made.AdminToken, nil); a.status != 200 {
		t.Errorf("new admin token: %d %s", a.status, a.raw)
	}
	raw, _ := os.ReadFile(filepath.Join(cfg.Data.Dir, "loopdesk.db"))
	for _, secret := range []string{made.AdminToken, made.APIToken} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the data file holds a token in the clear")
		}
	}
	srv.Close()
	g.close()

	g, srv = start()
	defer func() { srv.Close(); g.close() }()
	if g.secrets != (firstStart{}) {
		t.Errorf("second start made secrets again: %+v", g.secrets)
	}
	if a := call(t, "GET", srv.URL+"/api/v1/tickets", made.AdminToken, nil); a.status != 200 {
		t.Errorf("admin token after restart: %d", a.status)
	}
	msg := map[string]any{"external_id": "f-1", "from": map[string]any{"id": "u"}, "text": "hi"}
	if a := call(t, "POST", srv.URL+"/api/v1/channels/api/messages", made.APIToken, msg); a.status != http.StatusAccepted {
		t.Errorf("api token after restart: %d", a.status)
	}
}

// A callback receiver that refuses a reply for good (4xx) gets it once; the
// reply is marked failed on the ticket, with the reason, and counted.
func TestRefusedCallbackMarksReplyFailed(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		http.Error(w, "unknown user", http.StatusUnprocessableEntity)
	}))
	defer receiver.Close()
	srv, _ := newTestGateway(t, func(c *Config) { c.Channels.API.CallbackURL = receiver.URL })
	call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
		"external_id": "r-1", "from": map[string]any{"id": "u"}, "text": "退款怎么还没到"})
	var text string
	waitFor(t, "the failure is counted", func() bool {
		text = call(t, "GET", srv.URL+"/metrics", "", nil).raw
		return strings.Contains(text, `loopdesk_outbox_failed_total{channel="api"} 1`)
	})
	tk := call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
	timeline := tk.body["timeline"].([]any)
	var reply map[string]any
	for _, e := range timeline {
		if e.(map[string]any)["type"] == "reply" {
			reply = e.(map[string]any)
		}
	}
	last := timeline[len(timeline)-1].(map[string]any)
	if reply["delivery"] != "failed" || last["event"] != "delivery_failed" || !strings.Contains(last["reason"].(string), "422") {
		t.Errorf("timeline: %s", tk.raw)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Errorf("the receiver was called %d times, want 1", calls)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
