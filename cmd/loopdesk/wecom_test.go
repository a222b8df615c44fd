package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

const (
	wecomCorp   = "ww5823bf96d3bd56c7"
	wecomToken  = "loopdeskcallback"
	wecomAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	wecomKF     = "wkLOOPDESK00001"
)

func newWeComDouble(t *testing.T) *wecomtest.Server {
	t.Helper()
	d := wecomtest.New(wecomtest.Config{CorpID: wecomCorp, Token: wecomToken, EncodingAESKey: wecomAESKey,
		AppSecret: "app-secret", KFSecret: "kf-secret", AgentID: 1000002})
	t.Cleanup(d.Close)
	return d
}

func withWeCom(d *wecomtest.Server) func(*Config) {
	return func(c *Config) {
		c.Channels.WeCom = WeComChannelConfig{CorpID: wecomCorp, Token: wecomToken, AESKey: wecomAESKey,
			AgentID: 1000002, Secret: "app-secret", KFSecret: "kf-secret", APIBase: d.URL(),
			Welcome: "您好！", Timeout: defaultConfig().Channels.WeCom.Timeout}
	}
}

// A WeChat customer's message opens a ticket with the extractor's fields;
// the agent's reply typed in the WeCom app reaches the customer through
// kf/send_msg; 关闭 solves the ticket. Every step is on the timeline.
func TestWeComEndToEnd(t *testing.T) {
	d := newWeComDouble(t)
	srv, _ := newTestGateway(t, withWeCom(d))
	d.SetCallbacks(srv.URL+"/hooks/wecom/kf", srv.URL+"/hooks/wecom")

	if _, status, err := d.CustomerSends(wecomKF, "wmCUSTOMER01", wecomtest.KFMessage{
		Text: "你好，我要退款，订单号 2026112500012345，衣服尺码不对"}); err != nil || status != http.StatusOK {
		t.Fatalf("customer message: %d %v", status, err)
	}
	var tk answer
	waitFor(t, "the ticket", func() bool {
		tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return tk.status == http.StatusOK
	})
	fields, _ := tk.body["fields"].(map[string]any)
	if tk.body["channel"] != "wecom" || tk.body["intent"] != "refund" || fields["order_id"] != "2026112500012345" ||
		tk.body["thread"] != wecomKF+":wmCUSTOMER01" {
		t.Fatalf("ticket: %s", tk.raw)
	}
	waitFor(t, "the acknowledgement on WeChat", func() bool { return len(d.Sent()) == 1 })
	if ack := d.Sent()[0]; ack.ToUser != "wmCUSTOMER01" || ack.OpenKfID != wecomKF || !strings.Contains(ack.Text, "T-000001") {
		t.Errorf("acknowledgement: %+v", ack)
	}

	if status, err := d.AgentSends("li", "T-000001 已为您办理退款"); err != nil || status != http.StatusOK {
		t.Fatalf("agent message: %d %v", status, err)
	}
	waitFor(t, "the reply on WeChat", func() bool { return len(d.Sent()) == 2 })
	if r := d.Sent()[1]; r.Text != "已为您办理退款" || r.ToUser != "wmCUSTOMER01" {
		t.Errorf("reply: %+v", r)
	}

	if status, err := d.AgentSends("li", "关闭 T-000001"); err != nil || status != http.StatusOK {
		t.Fatalf("agent message: %d %v", status, err)
	}
	waitFor(t, "the ticket solved", func() bool {
		tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return tk.body["status"] == "solved"
	})
	var by []string
	for _, e := range tk.body["timeline"].([]any) {
		e := e.(map[string]any)
		if e["type"] == "reply" && e["by"] == "li" {
			by = append(by, e["delivery"].(string)+" "+e["text"].(string))
		}
	}
	waitFor(t, "the agent's answers in the app", func() bool { return len(d.AppMessages()) >= 2 })
	var answers []string
	for _, m := range d.AppMessages() {
		if m.ToUser == "li" && m.MsgType == "text" {
			answers = append(answers, strings.SplitN(m.Content, "\n", 2)[0])
		}
	}
	if !slices.Contains(answers, "已回复 T-000001") || !slices.Contains(answers, "已解决") {
		t.Errorf("answers in the app: %q", answers)
	}
	if len(by) != 1 || !strings.HasSuffix(by[0], "已为您办理退款") {
		t.Errorf("agent replies on the timeline: %q", by)
	}
}

// Callbacks that do not check out are refused and change nothing.
func TestWeComForgedCallbackRefused(t *testing.T) {
	d := newWeComDouble(t)
	srv, _ := newTestGateway(t, withWeCom(d))
	d.SetCallbacks(srv.URL+"/hooks/wecom/kf", srv.URL+"/hooks/wecom")
	d.AddKFMessages(wecomKF, wecomtest.KFMessage{ExternalUserID: "wmX", Text: "hi"})
	req, err := d.KFCallback(wecomKF)
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	q.Set("msg_signature", strings.Repeat("0", 40))
	req.URL.RawQuery = q.Encode()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged callback: %d", resp.StatusCode)
	}
	if d.SyncCalls() != 0 {
		t.Error("a forged callback caused a sync")
	}
	if a := call(t, "GET", srv.URL+"/api/v1/tickets", testAdminToken, nil); len(a.body["tickets"].([]any)) != 0 {
		t.Errorf("tickets after a forged callback: %s", a.raw)
	}
}

// TestWeComKill9ReplaysPagesOnce: 500 customer messages wait on a kf
// account; loopdesk syncs them a page of 5 at a time (each page slowed
// down) and is killed with -9 in the middle, twice. After a restart it
// catches up from the stored cursor, reading again the page it was killed
// on: every message is on exactly one ticket, once.
func TestWeComKill9ReplaysPagesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real loopdesk processes")
	}
	d := newWeComDouble(t)
	d.SetPageSize(5)
	slow := httptest.NewServer(slowSync(d.URL(), 10*time.Millisecond))
	defer slow.Close()
	const customers, each = 50, 10
	for c := range customers {
		for i := range each {
			d.AddKFMessages(wecomKF, wecomtest.KFMessage{ExternalUserID: fmt.Sprintf("wmC%03d", c),
				Text: fmt.Sprintf("订单 %016d 还没发货 (%d-%d)", 2026112500000000+c, c, i)})
		}
	}
	env := []string{"LOOPDESK_CHANNELS_WECOM_CORP_ID=" + wecomCorp, "LOOPDESK_CHANNELS_WECOM_TOKEN=" + wecomToken,
		"LOOPDESK_CHANNELS_WECOM_AES_KEY=" + wecomAESKey, "LOOPDESK_CHANNELS_WECOM_KF_SECRET=kf-secret",
		"LOOPDESK_CHANNELS_WECOM_API_BASE=" + slow.URL}
	dataDir := t.TempDir()
	p := startLoopdeskEnv(t, dataDir, "", env)
	for kill := range 2 {
		d.SetCallbacks(p.url+"/hooks/wecom/kf", p.url+"/hooks/wecom")
		if _, err := d.CallKF(wecomKF); err != nil {
			t.Fatal(err)
		}
		calls := d.SyncCalls()
		waitFor(t, "a few pages synced", func() bool { return d.SyncCalls() >= calls+10 })
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		t.Logf("kill -9 #%d after %d sync_msg calls", kill+1, d.SyncCalls())
		p = startLoopdeskEnv(t, dataDir, "", env)
	}
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("graceful stop: %v\n%s", err, p.logs)
		}
	}()
	// No callback now: the restart catches up on its own.
	var seen map[string]int
	var tickets []map[string]any
	waitFor(t, "every message filed", func() bool {
		time.Sleep(100 * time.Millisecond)
		seen, tickets = map[string]int{}, allTickets(t, p.url)
		total := 0
		for _, tk := range tickets {
			for _, e := range tk["timeline"].([]any) {
				if e := e.(map[string]any); e["type"] == "message" {
					seen[e["text"].(string)]++
					total++
				}
			}
		}
		return total >= customers*each
	})
	if len(seen) != customers*each || len(tickets) != customers {
		t.Errorf("%d distinct messages on %d tickets, want %d on %d", len(seen), len(tickets), customers*each, customers)
	}
	for text, n := range seen {
		if n != 1 {
			t.Errorf("%q is on the tickets %d times", text, n)
		}
	}
	// Each restart reads again at most the page it was killed on (and
	// asks once more at the end): had the cursor not been stored with the
	// messages, each would start over from the first of the 100 pages.
	pages, calls := customers*each/5, d.SyncCalls()
	if calls > pages+2*2+2 {
		t.Errorf("%d sync_msg calls for %d pages and 2 kills: the restarts did not resume at the stored cursor", calls, pages)
	}
	t.Logf("%d sync_msg calls in all for %d pages", calls, pages)
}

// slowSync proxies to the double, holding each sync_msg answer back a
// little, so that a kill lands between a page fetched and a page stored.
func slowSync(target string, delay time.Duration) http.Handler {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/kf/sync_msg" {
			time.Sleep(delay)
		}
		proxy.ServeHTTP(w, r)
	})
}

// WeChat's window end to end: the acknowledgement and four replies use
// the customer's five messages; the fifth reply waits (on the timeline,
// and the assignee is told in the WeCom app) and goes out as soon as the
// customer writes again.
func TestWeComHeldReplyGoesOutWhenTheCustomerWrites(t *testing.T) {
	d := newWeComDouble(t)
	srv, _ := newTestGateway(t, withWeCom(d))
	d.SetCallbacks(srv.URL+"/hooks/wecom/kf", srv.URL+"/hooks/wecom")
	d.CustomerSends(wecomKF, "wmHELD", wecomtest.KFMessage{Text: "快递三天没动了"})
	waitFor(t, "the acknowledgement", func() bool { return len(d.Sent()) == 1 })
	for i := 1; i <= 5; i++ {
		a := call(t, "POST", srv.URL+"/api/v1/tickets/T-000001/replies", testAdminToken, map[string]any{"text": fmt.Sprintf("第%d条回复", i)})
		if a.status != http.StatusCreated && a.status != http.StatusOK {
			t.Fatalf("reply %d: %d %s", i, a.status, a.raw)
		}
	}
	var tk answer
	waitFor(t, "the fifth reply held", func() bool {
		tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return strings.Contains(tk.raw, `"delivery_held"`)
	})
	if n := len(d.Sent()); n != 5 {
		t.Fatalf("%d messages reached WeChat, want 5", n)
	}
	waitFor(t, "the assignee told in the app", func() bool {
		for _, m := range d.AppMessages() {
			if strings.Contains(m.Content, "客户再发消息后自动补发") {
				return true
			}
		}
		return false
	})
	d.CustomerSends(wecomKF, "wmHELD", wecomtest.KFMessage{Text: "好的，谢谢"})
	waitFor(t, "the held reply sent", func() bool { return len(d.Sent()) == 6 })
	if last := d.Sent()[5]; last.Text != "第5条回复" {
		t.Errorf("sent after the customer wrote: %+v", last)
	}
	tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
	for _, e := range tk.body["timeline"].([]any) {
		if e := e.(map[string]any); e["type"] == "reply" && e["delivery"] != "sent" {
			waitFor(t, "every reply marked sent", func() bool {
				return !strings.Contains(call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil).raw, `"delivery":"pending"`)
			})
			break
		}
	}
	if d.DuplicateSends() != 0 {
		t.Errorf("%d replies sent twice", d.DuplicateSends())
	}
}

// An admin maps a WeCom member to an agent through the API; the member's
// commands then act as that agent.
func TestWeComAgentMappedThroughAPI(t *testing.T) {
	d := newWeComDouble(t)
	srv, _ := newTestGateway(t, withWeCom(d))
	d.SetCallbacks(srv.URL+"/hooks/wecom/kf", srv.URL+"/hooks/wecom")
	if a := call(t, "PUT", srv.URL+"/api/v1/agents/li/notify/wecom", testAdminToken, map[string]any{"address": "LiMin"}); a.status != http.StatusNoContent {
		t.Fatalf("map: %d %s", a.status, a.raw)
	}
	d.AgentSends("LiMin", "我的工单")
	waitFor(t, "the answer", func() bool { return len(d.AppMessages()) == 1 })
	if m := d.AppMessages()[0]; m.ToUser != "LiMin" || m.Content != "你没有待处理的工单。" {
		t.Errorf("answer %+v", m)
	}
	agents := call(t, "GET", srv.URL+"/api/v1/agents", testAdminToken, nil)
	if !strings.Contains(agents.raw, `"wecom":"LiMin"`) {
		t.Errorf("agents list: %s", agents.raw)
	}
}

// One kf callback delivered three times at once (WeCom's retries of a
// slow answer) gives each customer message once, on the real store.
func TestWeComRepeatedCallbackOneMessageEach(t *testing.T) {
	d := newWeComDouble(t)
	srv, _ := newTestGateway(t, withWeCom(d))
	d.SetCallbacks(srv.URL+"/hooks/wecom/kf", srv.URL+"/hooks/wecom")
	d.SetPageSize(2)
	for i := range 7 {
		d.AddKFMessages(wecomKF, wecomtest.KFMessage{ExternalUserID: "wmR", Text: fmt.Sprintf("第%d条：订单 2026112500012345", i)})
	}
	req, err := d.KFCallback(wecomKF)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			again := req.Clone(t.Context())
			again.Body, _ = req.GetBody()
			resp, err := http.DefaultClient.Do(again)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("callback: %v %v", err, resp)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	var tk answer
	waitFor(t, "seven messages on the ticket", func() bool {
		tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return tk.status == http.StatusOK && countEntries(tk.body, "message") >= 7
	})
	m := call(t, "GET", srv.URL+"/metrics", "", nil).raw
	if n := countEntries(tk.body, "message"); n != 7 || !strings.Contains(m, "loopdesk_messages_received_total{channel=\"wecom\"} 7\n") {
		t.Errorf("%d messages on the ticket, want 7", n)
	}
	if a := call(t, "GET", srv.URL+"/api/v1/tickets", testAdminToken, nil); len(a.body["tickets"].([]any)) != 1 {
		t.Errorf("more than one ticket: %s", a.raw)
	}
}
