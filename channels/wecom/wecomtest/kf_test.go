package wecomtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

// syncAll loops sync_msg on has_more, as a correct client does, and returns
// the msgids and the number of calls.
func syncAll(t *testing.T, s *wecomtest.Server, tok, kfid, cursor string) (ids []string, next string, calls int) {
	t.Helper()
	for {
		calls++
		a := post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": kfid, "cursor": cursor, "limit": 1000})
		wantErr(t, a, 0)
		for _, raw := range a.MsgList {
			var m struct {
				MsgID string `json:"msgid"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.MsgID)
		}
		cursor = a.NextCursor
		if a.HasMore == 0 {
			return ids, cursor, calls
		}
		if calls > 100 {
			t.Fatal("has_more never cleared")
		}
	}
}

func TestSyncPaging(t *testing.T) {
	s := newDouble(t, newClock())
	tok := token(t, s, "kf-secret")
	var want []string
	for i := range 5 {
		want = append(want, s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: strings.Repeat("x", i+1)})...)
	}
	s.AddKFMessages("wk2", wecomtest.KFMessage{ExternalUserID: "wm2", Text: "other account"})

	s.SetPageSize(2)
	s.SetEmptyPages(2)
	first := post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1"})
	if first.HasMore != 1 || len(first.MsgList) != 0 || first.NextCursor == "" {
		t.Fatalf("quirk page = %+v, want has_more=1 with an empty list", first)
	}
	second := post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1", "cursor": first.NextCursor})
	if second.HasMore != 1 || len(second.MsgList) != 0 || second.NextCursor != first.NextCursor {
		t.Fatalf("second quirk page = %+v, want the same next_cursor %q", second, first.NextCursor)
	}

	got, next, calls := syncAll(t, s, tok, "wk1", second.NextCursor)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("synced %v, want %v", got, want)
	}
	if calls != 3 {
		t.Errorf("%d calls for 5 messages at 2 a page, want 3", calls)
	}
	if n := s.SyncCalls(); n != 5 {
		t.Errorf("SyncCalls = %d, want 5", n)
	}
	if len(next) > 64 {
		t.Errorf("cursor of %d bytes, documented as at most 64", len(next))
	}

	// Resuming from the saved cursor returns only what is new.
	newer := s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "later"})
	got, _, _ = syncAll(t, s, tok, "wk1", next)
	if strings.Join(got, ",") != newer[0] {
		t.Errorf("resumed sync got %v, want %v", got, newer)
	}
}

func TestSyncRequestRules(t *testing.T) {
	c := newClock()
	s := newDouble(t, c)
	rc := newReceiver(t, s.Config())
	s.SetCallbacks(rc.srv.URL, "")
	tok := token(t, s, "kf-secret")

	s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "too old", SendTime: c.Now().Add(-4 * 24 * time.Hour)})
	if _, status, err := s.CustomerSends("wk1", "wm1", wecomtest.KFMessage{Text: "hi"}); err != nil || status != http.StatusOK {
		t.Fatalf("CustomerSends: %d %v", status, err)
	}
	notice := parseXML[kfNotice](t, rc.received()[0])

	a := post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1", "token": notice.Token})
	wantErr(t, a, 0)
	if len(a.MsgList) != 1 {
		t.Errorf("got %d messages, want only the one of the last 3 days", len(a.MsgList))
	}
	wantErr(t, post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1", "limit": 1001}), wecomtest.ErrCodeInvalidParameter)
	wantErr(t, post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1", "cursor": "garbage"}), wecomtest.ErrCodeInvalidParameter)
	wantErr(t, post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1", "token": "ENCforged"}), wecomtest.ErrCodeInvalidMsgToken)

	c.Add(11 * time.Minute)
	tok = token(t, s, "kf-secret")
	wantErr(t, post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1", "token": notice.Token}), wecomtest.ErrCodeInvalidMsgToken)
	wantErr(t, post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1"}), 0)
}

func TestSyncWireFormat(t *testing.T) {
	c := newClock()
	s := newDouble(t, c)
	tok := token(t, s, "kf-secret")
	s.AddKFMessages("wk1",
		wecomtest.KFMessage{MsgID: "m-text", ExternalUserID: "wm1", Text: "hello", MenuID: "101"},
		wecomtest.KFMessage{MsgID: "m-agent", ExternalUserID: "wm1", Origin: 5, ServicerUserID: "zhangsan", Text: "typed in WeCom"},
		wecomtest.KFMessage{MsgID: "m-loc", ExternalUserID: "wm1", MsgType: "location", Latitude: 23.1, Longitude: 113.3, Name: "Canton Tower", Address: "Guangzhou"},
		wecomtest.KFMessage{MsgID: "m-event", ExternalUserID: "wm1", Event: &wecomtest.KFEvent{EventType: "msg_send_fail", FailMsgID: "r-1", FailType: 6}},
	)
	a := post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1"})
	want := []string{
		`{"external_userid":"wm1","msgid":"m-text","msgtype":"text","open_kfid":"wk1","origin":3,"send_time":1740819600,"text":{"content":"hello","menu_id":"101"}}`,
		`{"external_userid":"wm1","msgid":"m-agent","msgtype":"text","open_kfid":"wk1","origin":5,"send_time":1740819600,"servicer_userid":"zhangsan","text":{"content":"typed in WeCom"}}`,
		`{"external_userid":"wm1","location":{"address":"Guangzhou","latitude":23.1,"longitude":113.3,"name":"Canton Tower"},"msgid":"m-loc","msgtype":"location","open_kfid":"wk1","origin":3,"send_time":1740819600}`,
		`{"event":{"event_type":"msg_send_fail","external_userid":"wm1","fail_msgid":"r-1","fail_type":6,"open_kfid":"wk1"},"msgid":"m-event","msgtype":"event","origin":4,"send_time":1740819600}`,
	}
	if len(a.MsgList) != len(want) {
		t.Fatalf("got %d items", len(a.MsgList))
	}
	for i, raw := range a.MsgList {
		if string(raw) != want[i] {
			t.Errorf("item %d:\n got %s\nwant %s", i, raw, want[i])
		}
	}
}

func TestSendWindow(t *testing.T) {
	c := newClock()
	s := newDouble(t, c)
	tok := token(t, s, "kf-secret")
	send := func(msgid, text string) answer {
		body := map[string]any{"touser": "wm1", "open_kfid": "wk1", "msgtype": "text", "text": map[string]string{"content": text}}
		if msgid != "" {
			body["msgid"] = msgid
		}
		return post(t, s, "/cgi-bin/kf/send_msg", tok, body)
	}

	a := send("", "before the customer wrote")
	wantErr(t, a, wecomtest.ErrCodeSendTimeLimit)

	s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "hi"})
	for i := range 5 {
		a := send("", "reply")
		wantErr(t, a, 0)
		if a.MsgID == "" || i == 0 && a.ErrMsg != "ok" {
			t.Fatalf("answer %+v", a)
		}
	}
	a = send("", "sixth")
	wantErr(t, a, wecomtest.ErrCodeSendCountLimit)
	if a.ErrMsg != "send msg count limit" {
		t.Errorf("errmsg %q", a.ErrMsg)
	}

	c.Add(time.Hour)
	s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "still there?"})
	wantErr(t, send("", "the window reopened"), 0)

	c.Add(48*time.Hour + time.Second)
	tok = token(t, s, "kf-secret")
	a = send("", "too late")
	wantErr(t, a, wecomtest.ErrCodeSendTimeLimit)
	if a.ErrMsg != "send msg time limit" {
		t.Errorf("errmsg %q", a.ErrMsg)
	}

	s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "back"})
	s.SetSessionState("wk1", "wm1", 3)
	wantErr(t, send("", "taken over"), wecomtest.ErrCodeSessionStatus)
	s.SetSessionState("wk1", "wm1", 1)
	wantErr(t, send("", "bot again"), 0)

	if n := len(s.Sent()); n != 7 {
		t.Errorf("%d delivered, want 7", n)
	}
}

func TestSendMsgID(t *testing.T) {
	s := newDouble(t, newClock())
	tok := token(t, s, "kf-secret")
	s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "hi"})
	send := func(kfid, msgid string) answer {
		return post(t, s, "/cgi-bin/kf/send_msg", tok, map[string]any{
			"touser": "wm1", "open_kfid": kfid, "msgid": msgid, "msgtype": "text", "text": map[string]string{"content": "x"},
		})
	}

	wantErr(t, send("wk1", strings.Repeat("a", 33)), wecomtest.ErrCodeInvalidParameter)
	wantErr(t, send("wk1", "has space"), wecomtest.ErrCodeInvalidParameter)
	wantErr(t, send("wk1", "ticket.42"), wecomtest.ErrCodeInvalidParameter)

	// Retries of one msgid, even concurrent, deliver once.
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if a := send("wk1", "ticket-42_reply-1"); a.ErrCode != 0 || a.MsgID != "ticket-42_reply-1" {
				t.Errorf("retry answered %+v", a)
			}
		})
	}
	wg.Wait()
	if sent := s.Sent(); len(sent) != 1 || sent[0].MsgID != "ticket-42_reply-1" || sent[0].Text != "x" {
		t.Fatalf("Sent = %+v, want one message", sent)
	}
	if n := s.DuplicateSends(); n != 2 {
		t.Errorf("DuplicateSends = %d, want 2", n)
	}
	// The same msgid on another kf account is a different message.
	s.AddKFMessages("wk2", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "hi"})
	wantErr(t, send("wk2", "ticket-42_reply-1"), 0)
	if n := len(s.Sent()); n != 2 {
		t.Errorf("%d delivered, want 2", n)
	}
}

func TestSendFailuresAndMedia(t *testing.T) {
	s := newDouble(t, newClock())
	tok := token(t, s, "kf-secret")
	s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "hi"})
	text := map[string]any{"touser": "wm1", "open_kfid": "wk1", "msgtype": "text", "text": map[string]string{"content": "x"}}

	s.FailSends(2, wecomtest.ErrCodeSystemBusy)
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg", tok, text), wecomtest.ErrCodeSystemBusy)
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg", tok, text), wecomtest.ErrCodeSystemBusy)
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg", tok, text), 0)

	image := map[string]any{"touser": "wm1", "open_kfid": "wk1", "msgtype": "image", "image": map[string]string{"media_id": "unknown"}}
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg", tok, image), wecomtest.ErrCodeInvalidMediaID)
	image["image"] = map[string]string{"media_id": s.AddMedia([]byte("png"), "image/png", "a.png")}
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg", tok, image), 0)

	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg", tok, map[string]any{"touser": "wm1", "open_kfid": "wk1", "msgtype": "sticker"}), wecomtest.ErrCodeInvalidMsgType)
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg", tok, map[string]any{"touser": "wm1", "open_kfid": "wk1", "msgtype": "text", "text": map[string]string{}}), wecomtest.ErrCodeEmptyContent)
}

func TestWelcome(t *testing.T) {
	c := newClock()
	s := newDouble(t, c)
	rc := newReceiver(t, s.Config())
	s.SetCallbacks(rc.srv.URL, "")
	tok := token(t, s, "kf-secret")

	code, status, err := s.EnterSession("wk1", "wm1")
	if err != nil || status != http.StatusOK {
		t.Fatalf("EnterSession: %d %v", status, err)
	}
	a := post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1"})
	var ev struct {
		OpenKfID string `json:"open_kfid"`
		Origin   int    `json:"origin"`
		MsgType  string `json:"msgtype"`
		Event    struct {
			EventType      string `json:"event_type"`
			OpenKfID       string `json:"open_kfid"`
			ExternalUserID string `json:"external_userid"`
			WelcomeCode    string `json:"welcome_code"`
		} `json:"event"`
	}
	if err := json.Unmarshal(a.MsgList[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.OpenKfID != "" || ev.Origin != 4 || ev.Event.EventType != "enter_session" || ev.Event.OpenKfID != "wk1" || ev.Event.ExternalUserID != "wm1" || ev.Event.WelcomeCode != code {
		t.Fatalf("enter_session item %s", a.MsgList[0])
	}

	welcome := map[string]any{"code": code, "msgid": "welcome-1", "msgtype": "text", "text": map[string]string{"content": "Hi!"}}
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg_on_event", tok, welcome), 0)
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg_on_event", tok, welcome), wecomtest.ErrCodeInvalidParameter) // once

	late, _, _ := s.EnterSession("wk1", "wm2")
	c.Add(21 * time.Second)
	tok = token(t, s, "kf-secret")
	welcome["code"] = late
	wantErr(t, post(t, s, "/cgi-bin/kf/send_msg_on_event", tok, welcome), wecomtest.ErrCodeInvalidParameter) // 20 s

	r := s.EventReplies()
	if len(r) != 1 || r[0].ExternalUserID != "wm1" || r[0].Text != "Hi!" || r[0].MsgID != "welcome-1" {
		t.Errorf("EventReplies = %+v", r)
	}
	// A welcome is not a send_msg: it neither needs nor uses the window.
	if len(s.Sent()) != 0 {
		t.Error("a welcome showed up in Sent")
	}
}
