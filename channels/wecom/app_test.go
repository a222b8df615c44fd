package wecom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify"
)

func (r *rig) agent(user, text string) {
	r.t.Helper()
	if status, err := r.dbl.AgentSends(user, text); err != nil || status != http.StatusOK {
		r.t.Fatalf("agent message: %d %v", status, err)
	}
}

// answers waits for n answers in the app and returns them.
func (r *rig) answers(n int) []string {
	r.t.Helper()
	r.eventually("answers in the app", func() bool { return len(r.dbl.AppMessages()) >= n })
	var out []string
	for _, m := range r.dbl.AppMessages() {
		out = append(out, m.Content)
	}
	return out
}

func TestAgentCommands(t *testing.T) {
	r := newRig(t)
	steps := []struct{ text, action, answer string }{
		{"T-000001 已为您办理退款", "reply T-000001 li 已为您办理退款", "已回复 T-000001"},
		{"备注 #1 客户很急", "note T-000001 li 客户很急", "已备注 T-000001"},
		{"接单 T-000001", "claim T-000001 li", "已接单\nT-000001 [普通] 退款"},
		{"转 T-000001 财务组", "transfer T-000001 li 财务组", "已转组"},
		{"优先级 T-000001 紧急", "priority T-000001 li urgent", "已改优先级\nT-000001 [紧急]"},
		{"指派 T-000001 王强", "assign T-000001 li 王强", "已指派"},
		{"状态 T-000001 待客户", "status T-000001 li pending", "已改状态"},
		{"status #1 on-hold", "status T-000001 li on_hold", "Status changed"},
		{"关闭 T-000001", "solve T-000001 li", "已解决"},
		{"solve #1", "solve T-000001 li", "Solved"},
		{"合并 T-000001 到 T-000002", "merge T-000001 li T-000002", "已合并到"},
	}
	for i, s := range steps {
		r.agent("li", s.text)
		got := r.answers(i + 1)[i]
		if !strings.HasPrefix(got, s.answer) {
			t.Errorf("%q answered %q, want it to start with %q", s.text, got, s.answer)
		}
		if done := r.core.desk.done(); len(done) != i+1 || done[i] != s.action {
			t.Errorf("%q did %v, want %q last", s.text, done, s.action)
		}
	}
	r.agent("li", "我的工单")
	if got := r.answers(len(steps) + 1)[len(steps)]; !strings.Contains(got, "你的工单（1）") {
		t.Errorf("queue answered %q", got)
	}
	r.agent("li", "T-000099 你好")
	if got := r.answers(len(steps) + 2)[len(steps)+1]; got != "没有工单 T-000099。" {
		t.Errorf("unknown ticket answered %q", got)
	}
	r.agent("zhangsan", "接单 T-000001")
	if got := r.answers(len(steps) + 3)[len(steps)+2]; !strings.Contains(got, "wecom: zhangsan") {
		t.Errorf("unmapped member answered %q", got)
	}
	r.agent("li", "状态 T-000001 随便")
	if got := r.answers(len(steps) + 4)[len(steps)+3]; !strings.HasPrefix(got, "状态写处理中") || len(r.core.desk.done()) != len(steps) {
		t.Errorf("an unknown status answered %q, did %v", got, r.core.desk.done())
	}
}

// An agent's reply is made before WeCom hears "success": when the store
// fails after it, WeCom is answered 500 and retries, and the retry neither
// replies twice nor stays unanswered.
func TestAgentCommandActsBeforeTheAnswer(t *testing.T) {
	r := newRig(t)
	plain := "<xml><ToUserName><![CDATA[" + testCorp + "]]></ToUserName><FromUserName><![CDATA[li]]></FromUserName>" +
		"<CreateTime>1764151200</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[T-000001 马上处理]]></Content>" +
		"<MsgId>7300000000000000009</MsgId><AgentID>1000002</AgentID></xml>"
	r.core.FailOnce(1)
	for _, want := range []int{http.StatusInternalServerError, http.StatusOK, http.StatusOK} {
		req, err := r.dbl.SignedRequest(http.MethodPost, r.srv.URL+"/hooks/wecom", []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("callback answered %d, want %d", resp.StatusCode, want)
		}
		if done := r.core.desk.done(); len(done) != 1 {
			t.Fatalf("acted %v after a callback answered %d", done, want)
		}
	}
	r.answers(1)
	r.ch.work.Wait()
	if n := len(r.dbl.AppMessages()); n != 1 {
		t.Errorf("%d answers to the agent, want 1", n)
	}
}

// The same callback delivered again (WeCom's retry) acts once.
func TestRepeatedAgentCallbackActsOnce(t *testing.T) {
	r := newRig(t)
	plain := "<xml><ToUserName><![CDATA[" + testCorp + "]]></ToUserName><FromUserName><![CDATA[li]]></FromUserName>" +
		"<CreateTime>1764151200</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[T-000001 好的]]></Content>" +
		"<MsgId>7300000000000000001</MsgId><AgentID>1000002</AgentID></xml>"
	for range 3 {
		req, err := r.dbl.SignedRequest(http.MethodPost, r.srv.URL+"/hooks/wecom", []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("callback: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	r.answers(1)
	r.ch.work.Wait()
	if done := r.core.desk.done(); len(done) != 1 {
		t.Fatalf("acted %d times: %v", len(done), done)
	}
}

// A new ticket reaches two agents as cards; Claim on one claims the
// ticket, and both cards' buttons turn into who claimed it.
func TestTicketCardClaim(t *testing.T) {
	r := newRig(t)
	n := notify.Notice{ID: "msg-0000000007-cardcard", Kind: notify.KindNewTicket, TicketID: "T-000001",
		Subject: "退款", Text: "订单 2026112500012345 申请退款", Priority: "high", Group: "售后组",
		To: notify.Recipient{Agent: "li", Address: "li"}}
	if err := r.ch.Notifier().Notify(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	other := n
	other.ID, other.To = "msg-0000000008-cardcard", notify.Recipient{Agent: "wang", Address: "wang"}
	if err := r.ch.Notifier().Notify(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	cards := r.dbl.AppMessages()
	if len(cards) != 2 || cards[0].MsgType != "template_card" || cards[0].CardType != "button_interaction" ||
		cards[0].TaskID != n.ID || len(cards[0].Buttons) != 2 || cards[0].Buttons[0].Key != "claim T-000001" {
		t.Fatalf("cards: %+v", cards)
	}
	var body struct {
		Duplicate int `json:"enable_duplicate_check"`
	}
	if json.Unmarshal(cards[0].Body, &body); body.Duplicate != 1 {
		t.Error("no duplicate check: a retried notice would reach the agent twice")
	}
	if err := r.ch.Notifier().Notify(t.Context(), n); err != nil {
		t.Fatalf("a retried card delivery: %v", err)
	}
	if status, err := r.dbl.ClickButton("li", n.ID, "claim T-000001"); err != nil || status != http.StatusOK {
		t.Fatalf("click: %d %v", status, err)
	}
	r.eventually("the card updates", func() bool { return len(r.dbl.CardUpdates()) == 2 })
	var who []string
	for _, u := range r.dbl.CardUpdates() {
		if u.ReplaceName != "已由李敏接单" {
			t.Errorf("card update %+v", u)
		}
		who = append(who, u.UserIDs...)
	}
	if slices.Sort(who); !slices.Equal(who, []string{"li", "wang"}) {
		t.Errorf("cards updated for %v, want li's and wang's", who)
	}
	if done := r.core.desk.done(); !slices.Equal(done, []string{"claim T-000001 li"}) {
		t.Errorf("desk did %v", done)
	}
}

// Other notices come as markdown; over 30 a minute to one member the
// outbox is told to wait.
func TestNotifierMarkdownAndRateLimit(t *testing.T) {
	r := newRig(t)
	n := notify.Notice{Kind: notify.KindSLAWarning, TicketID: "T-000001", Subject: "SLA 即将超时",
		Text: "首次响应还剩 10 分钟", Priority: "urgent", To: notify.Recipient{Agent: "li", Address: "li"}}
	for i := range memberPerMinute {
		n.ID = "n-" + string(rune('a'+i))
		n.Text = fmt.Sprintf("首次响应还剩 %d 分钟", 40-i) // WeCom drops repeated content
		if err := r.ch.Notifier().Notify(t.Context(), n); err != nil {
			t.Fatalf("notice %d: %v", i+1, err)
		}
	}
	if m := r.dbl.AppMessages()[0]; m.MsgType != "markdown" || !strings.Contains(m.Content, "**SLA 即将超时** T-000001") {
		t.Errorf("notice as %s: %q", m.MsgType, m.Content)
	}
	err := r.ch.Notifier().Notify(t.Context(), n)
	if d, ok := channels.RetryDelay(err); !ok || d != time.Minute {
		t.Fatalf("31st notice in a minute: %v", err)
	}
	if err := r.ch.Notifier().Notify(t.Context(), notify.Notice{ID: "again", Kind: notify.KindSLAWarning,
		Text: "x", To: notify.Recipient{Address: "wang"}}); err != nil {
		t.Fatalf("another member: %v", err)
	}
	if r.dbl.DroppedAppMessages() != 0 {
		t.Error("WeCom dropped messages: the limit was not kept")
	}
	n.To.Address = ""
	if err := r.ch.Notifier().Notify(t.Context(), n); !channels.IsPermanent(err) {
		t.Errorf("agent without a wecom address: %v", err)
	}
}
