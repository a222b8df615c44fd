package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// slackAPI records chat.postMessage calls as Slack's Web API answers them.
type slackAPI struct {
	mu    sync.Mutex
	posts []string // channel|text
}

func (a *slackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/api/chat.postMessage" {
		io.WriteString(w, `{"ok":true,"messages":[]}`)
		return
	}
	a.mu.Lock()
	a.posts = append(a.posts, r.Form.Get("channel")+"|"+r.Form.Get("text"))
	n := len(a.posts)
	a.mu.Unlock()
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1764151300.%06d"}`, r.Form.Get("channel"), n)
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
