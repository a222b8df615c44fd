package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/configs"
)

// slackAPI records chat.postMessage and chat.update calls as Slack's Web
// API answers them.
type slackAPI struct {
	mu      sync.Mutex
	posts   []string          // channel|text
	roots   []string          // ts of messages posted outside a thread into C_AFTER: ticket cards
	updates map[string]string // ts → blocks of the message's last update
}

// card is what the message at ts shows after its last update.
func (a *slackAPI) card(ts string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.updates[ts]
}

func (a *slackAPI) cards() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.roots...)
}

func (a *slackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/api/chat.update" {
		a.mu.Lock()
		if a.updates == nil {
			a.updates = map[string]string{}
		}
		a.updates[r.Form.Get("ts")] = r.Form.Get("blocks")
		a.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, r.Form.Get("channel"), r.Form.Get("ts"))
		return
	}
	if r.URL.Path != "/api/chat.postMessage" {
		io.WriteString(w, `{"ok":true,"messages":[]}`)
		return
	}
	a.mu.Lock()
	a.posts = append(a.posts, r.Form.Get("channel")+"|"+r.Form.Get("text"))
	n := len(a.posts)
	ts := fmt.Sprintf("1764151300.%06d", n)
	if r.Form.Get("channel") == "C_AFTER" && r.Form.Get("thread_ts") == "" {
		a.roots = append(a.roots, ts)
	}
	a.mu.Unlock()
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, r.Form.Get("channel"), ts)
}

func (a *slackAPI) sent() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.posts...)
}

// A customer's direct message to the app opens a ticket; the
// acknowledgement and the agent's reply are posted back into it.
func TestSlackCustomerEndToEnd(t *testing.T) {
	api := &slackAPI{}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	srv, _ := newTestGateway(t, func(c *Config) {
		c.Channels.Slack.SigningSecret, c.Channels.Slack.BotToken, c.Channels.Slack.APIBase = "s3cret", "xoxb-t", apiSrv.URL
	})
	body := `{"token":"x","team_id":"T1","type":"event_callback","event_id":"Ev9","event_time":1764151200,` +
		`"event":{"type":"message","channel":"D9","channel_type":"im","user":"U9","text":"订单 2026112500012345 还没发货","ts":"1764151200.000100"}}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/slack/events", strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("event: %v %v", err, resp)
	}
	resp.Body.Close()
	var tk answer
	waitFor(t, "the ticket", func() bool {
		tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return tk.status == http.StatusOK
	})
	if tk.body["channel"] != "slack" || tk.body["thread"] != "D9" {
		t.Fatalf("ticket %s", tk.raw)
	}
	waitFor(t, "the acknowledgement in Slack", func() bool { return len(api.sent()) == 1 })
	if a := call(t, "POST", srv.URL+"/api/v1/tickets/T-000001/replies", testAdminToken, map[string]any{"text": "已催促仓库发货"}); a.status >= 300 {
		t.Fatalf("reply: %d %s", a.status, a.raw)
	}
	waitFor(t, "the reply in Slack", func() bool { return len(api.sent()) == 2 })
	if got := api.sent()[1]; got != "D9|已催促仓库发货" {
		t.Errorf("posted %q", got)
	}
}

// slackDesk is the e-commerce desk with its agents on Slack (U_<NAME>)
// and notices going there.
func slackDesk(t *testing.T) string {
	t.Helper()
	src, err := configs.FS.ReadFile(configs.Desk)
	if err != nil {
		t.Fatal(err)
	}
	desk := string(src)
	for _, name := range []string{"li", "wang", "zhang", "zhao", "zhou", "qian", "sun"} {
		desk = strings.Replace(desk, "notify: {wecom: "+name+",", "notify: {slack: U_"+strings.ToUpper(name)+", wecom: "+name+",", 1)
	}
	desk = strings.ReplaceAll(desk, "via: [wecom, im]", "via: [slack]")
	path := filepath.Join(t.TempDir(), "desk.yaml")
	if err := os.WriteFile(path, []byte(desk), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// slackRequest signs body for path as Slack does.
func slackRequest(t *testing.T, url, body, contentType string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("slack request to %s: %v %v", url, err, resp)
	}
	resp.Body.Close()
}

// A ticket from the API channel is posted to Slack; Claim assigns it to
// the clicking agent; the agent's thread reply reaches the customer on the
// API channel, a // note does not; /ticket sets the priority; Solve solves
// it; each step is on the timeline by the agent the Slack user is.
func TestSlackAgentsWorkATicket(t *testing.T) {
	api := &slackAPI{}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	var mu sync.Mutex
	var toCustomer []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb struct{ Text string }
		json.NewDecoder(r.Body).Decode(&cb)
		mu.Lock()
		toCustomer = append(toCustomer, cb.Text)
		mu.Unlock()
	}))
	defer receiver.Close()
	srv, _ := newTestGateway(t, func(c *Config) {
		c.Tickets.Desk = slackDesk(t)
		c.Channels.API.CallbackURL = receiver.URL
		s := &c.Channels.Slack
		s.SigningSecret, s.BotToken, s.APIBase = "s3cret", "xoxb-t", apiSrv.URL
		s.Groups = map[string]string{"after_sales": "C_AFTER"}
	})
	if a := call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
		"external_id": "s-1", "from": map[string]any{"id": "cust-1"}, "text": "我要退款，订单号 2026112500012345"}); a.status != 202 {
		t.Fatalf("message: %d %s", a.status, a.raw)
	}
	waitFor(t, "the ticket's card in Slack", func() bool { return len(api.cards()) == 1 })
	card := api.cards()[0]
	nobody := ""
	call(t, "PATCH", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, map[string]any{"assignee": nobody})

	click := func(action, trigger string) {
		payload := fmt.Sprintf(`{"type":"block_actions","trigger_id":%q,"user":{"id":"U_WANG"},"container":{"channel_id":"C_AFTER","message_ts":%q},`+
			`"actions":[{"type":"button","action_id":%q,"block_id":"ticket","value":"T-000001"}]}`, trigger, card, action)
		slackRequest(t, srv.URL+"/hooks/slack/interactions", url.Values{"payload": {payload}}.Encode(), "application/x-www-form-urlencoded")
	}
	click("claim", "tg-1")
	if tk := call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil); tk.body["assignee"] != "wang" {
		t.Fatalf("after Claim the assignee is %v", tk.body["assignee"])
	}
	for _, want := range []string{"意图 refund", "cust-1 (api)", "order_id: `2026112500012345`", `SLA \u003c!date^`, "组 售后组"} { // the blocks as JSON
		if c := api.card(card); !strings.Contains(c, want) {
			t.Errorf("the card lacks %q: %s", want, c)
		}
	}
	waitFor(t, "the card showing who claimed it", func() bool {
		return strings.Contains(api.card(card), "处理人 王强") && strings.Contains(api.card(card), `"action_id":"solve"`)
	})
	// The customer writes again: it shows in the ticket's thread.
	call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
		"external_id": "s-2", "from": map[string]any{"id": "cust-1"}, "text": "请问什么时候到账？"})
	waitFor(t, "the customer's message in the thread", func() bool {
		return slices.ContainsFunc(api.sent(), func(p string) bool { return strings.Contains(p, "请问什么时候到账？") })
	})
	reply := func(id, ts, text string) {
		slackRequest(t, srv.URL+"/hooks/slack/events", fmt.Sprintf(`{"type":"event_callback","event_id":%q,"event":{"type":"message",`+
			`"channel":"C_AFTER","channel_type":"channel","user":"U_WANG","text":%q,"ts":%q,"thread_ts":%q}}`, id, text, ts, card), "application/json")
	}
	reply("Ev1", "1764151400.000100", "已为您办理退款，3 个工作日内到账")
	reply("Ev2", "1764151401.000100", "// 客户是老用户，注意安抚")
	slackRequest(t, srv.URL+"/hooks/slack/commands", url.Values{"command": {"/ticket"}, "user_id": {"U_WANG"},
		"text": {"priority urgent"}, "trigger_id": {"tg-2"}}.Encode(), "application/x-www-form-urlencoded") // the ticket clicked last
	// A change made elsewhere, which tells no one, still shows on the card.
	call(t, "PATCH", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, map[string]any{"status": "pending"})
	waitFor(t, "the card showing the status set through the API", func() bool { return strings.Contains(api.card(card), "状态 pending") })
	click("solve", "tg-3")
	waitFor(t, "the card of the solved ticket", func() bool {
		c := api.card(card)
		return strings.Contains(c, "状态 solved") && !strings.Contains(c, `"action_id":"solve"`)
	})

	waitFor(t, "the reply at the customer", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(toCustomer, "已为您办理退款，3 个工作日内到账")
	})
	tk := call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
	if tk.body["status"] != "solved" || tk.body["priority"] != "urgent" {
		t.Errorf("ticket status %v priority %v, want solved and urgent", tk.body["status"], tk.body["priority"])
	}
	var byWang []string
	for _, e := range tk.body["timeline"].([]any) {
		if e := e.(map[string]any); e["by"] == "wang" {
			if e["via"] != "slack:U_WANG" {
				t.Errorf("an entry by wang via %v, want the Slack user slack:U_WANG: %v", e["via"], e)
			}
			what, _ := e["type"].(string)
			if f, ok := e["field"].(string); ok {
				what += ":" + f
			}
			byWang = append(byWang, what)
		}
	}
	for _, want := range []string{"event:assignee", "reply", "note", "event:priority", "event:status"} {
		if !slices.Contains(byWang, want) {
			t.Errorf("no %s by wang on the timeline: %v", want, byWang)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, text := range toCustomer {
		if strings.Contains(text, "老用户") {
			t.Errorf("the note reached the customer: %q", text)
		}
	}
}
