package wecomtest_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

func textTo(user, content string) map[string]any {
	return map[string]any{"touser": user, "msgtype": "text", "agentid": 218, "text": map[string]string{"content": content}}
}

func TestAppSendRules(t *testing.T) {
	c := newClock()
	s := newDouble(t, c)
	tok := token(t, s, "app-secret")

	bad := textTo("alice", "x")
	bad["agentid"] = 1
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, bad), wecomtest.ErrCodeInvalidAgentID)
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, textTo("", "x")), wecomtest.ErrCodeInvalidUserList)
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, textTo("alice", "")), wecomtest.ErrCodeEmptyContent)
	asString := textTo("alice", "agentid as a string")
	asString["agentid"] = "218"
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, asString), 0)

	for i := range 29 {
		a := post(t, s, "/cgi-bin/message/send", tok, textTo("alice", "n"+strconv.Itoa(i)))
		wantErr(t, a, 0)
		if a.MsgID == "" || a.ResponseCode != "" {
			t.Fatalf("answer %+v", a)
		}
	}
	// Alice has had 30 this minute: the 31st answers ok and reaches only Bob.
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, textTo("alice|bob", "over")), 0)
	msgs := s.AppMessages()
	last := msgs[len(msgs)-1]
	if len(msgs) != 31 || len(last.Delivered) != 1 || last.Delivered[0] != "bob" {
		t.Fatalf("%d messages, last delivered to %v", len(msgs), last.Delivered)
	}
	if n := s.DroppedAppMessages(); n != 1 {
		t.Errorf("DroppedAppMessages = %d, want 1", n)
	}
	c.Add(time.Minute)
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, textTo("alice", "a minute later")), 0)
	if n := len(s.AppMessages()); n != 32 {
		t.Errorf("%d messages, want 32", n)
	}

	dup := textTo("carol", "same")
	dup["enable_duplicate_check"] = 1
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, dup), 0)
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, dup), 0)
	if n := s.DroppedAppMessages(); n != 2 {
		t.Errorf("DroppedAppMessages = %d after a duplicate, want 2", n)
	}
}

func card(taskID string) map[string]any {
	return map[string]any{
		"touser": "alice", "msgtype": "template_card", "agentid": 218,
		"template_card": map[string]any{
			"card_type":  "button_interaction",
			"main_title": map[string]string{"title": "Ticket #42", "desc": "refund"},
			"task_id":    taskID,
			"button_list": []map[string]any{
				{"text": "Accept", "style": 1, "key": "accept:42"},
				{"text": "Reject", "style": 2, "key": "reject:42"},
			},
		},
	}
}

func TestTemplateCardFlow(t *testing.T) {
	s := newDouble(t, newClock())
	rc := newReceiver(t, s.Config())
	s.SetCallbacks("", rc.srv.URL)
	tok := token(t, s, "app-secret")

	sent := post(t, s, "/cgi-bin/message/send", tok, card("ticket-42"))
	wantErr(t, sent, 0)
	if sent.ResponseCode == "" {
		t.Fatal("no response_code for a button card")
	}
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, card("ticket-42")), wecomtest.ErrCodeInvalidParameter) // task_id reused
	wantErr(t, post(t, s, "/cgi-bin/message/send", tok, card("ticket 42")), wecomtest.ErrCodeInvalidParameter)
	m := s.AppMessages()[0]
	if m.TaskID != "ticket-42" || m.CardType != "button_interaction" || len(m.Buttons) != 2 || m.Title != "Ticket #42" {
		t.Errorf("AppMessage = %+v", m)
	}

	status, err := s.ClickButton("alice", "ticket-42", "accept:42")
	if err != nil || status != http.StatusOK {
		t.Fatalf("ClickButton: %d %v", status, err)
	}
	ev := parseXML[struct {
		ToUserName   string `xml:"ToUserName"`
		FromUserName string `xml:"FromUserName"`
		MsgType      string `xml:"MsgType"`
		Event        string `xml:"Event"`
		EventKey     string `xml:"EventKey"`
		TaskID       string `xml:"TaskId"`
		CardType     string `xml:"CardType"`
		ResponseCode string `xml:"ResponseCode"`
		AgentID      int    `xml:"AgentID"`
	}](t, rc.received()[0])
	if ev.ToUserName != "wx5823bf96d3bd56c7" || ev.FromUserName != "alice" || ev.MsgType != "event" || ev.Event != "template_card_event" ||
		ev.EventKey != "accept:42" || ev.TaskID != "ticket-42" || ev.CardType != "button_interaction" || ev.ResponseCode == "" || ev.AgentID != 218 {
		t.Fatalf("event %+v", ev)
	}

	update := map[string]any{"userids": []string{"alice"}, "agentid": 218, "response_code": ev.ResponseCode, "button": map[string]string{"replace_name": "Accepted"}}
	wantErr(t, post(t, s, "/cgi-bin/message/update_template_card", tok, update), 0)
	wantErr(t, post(t, s, "/cgi-bin/message/update_template_card", tok, update), wecomtest.ErrCodeInvalidParameter) // once
	update["response_code"] = sent.ResponseCode
	wantErr(t, post(t, s, "/cgi-bin/message/update_template_card", tok, update), 0)
	update["response_code"] = "made-up"
	wantErr(t, post(t, s, "/cgi-bin/message/update_template_card", tok, update), wecomtest.ErrCodeInvalidParameter)
	if u := s.CardUpdates(); len(u) != 2 || u[0].ReplaceName != "Accepted" || u[0].ResponseCode != ev.ResponseCode {
		t.Errorf("CardUpdates = %+v", u)
	}
}

func TestAgentSends(t *testing.T) {
	s := newDouble(t, newClock())
	rc := newReceiver(t, s.Config())
	s.SetCallbacks("", rc.srv.URL)
	if status, err := s.AgentSends("zhangsan", "收到，我来处理 ]]> <b>"); err != nil || status != http.StatusOK {
		t.Fatalf("AgentSends: %d %v", status, err)
	}
	msg := parseXML[struct {
		ToUserName   string `xml:"ToUserName"`
		FromUserName string `xml:"FromUserName"`
		CreateTime   int64  `xml:"CreateTime"`
		MsgType      string `xml:"MsgType"`
		Content      string `xml:"Content"`
		MsgID        int64  `xml:"MsgId"`
		AgentID      int    `xml:"AgentID"`
	}](t, rc.received()[0])
	if msg.ToUserName != "wx5823bf96d3bd56c7" || msg.FromUserName != "zhangsan" || msg.CreateTime != newClock().Now().Unix() ||
		msg.MsgType != "text" || msg.Content != "收到，我来处理 ]]> <b>" || msg.MsgID <= 0 || msg.AgentID != 218 {
		t.Errorf("message %+v", msg)
	}
}
