package wecomtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/kf"
	"github.com/silenceper/wechat/v2/work/kf/sendmsg"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

// TestSilenceperClient drives the double with silenceper/wechat's kf client,
// a third-party reading of the same documents: what it parses, a channel
// built on it parses too. It points the library at the double through its
// package-level URI modifier, so it must not run in parallel.
func TestSilenceperClient(t *testing.T) {
	s := newDouble(t, newClock())
	util.SetURIModifier(func(uri string) string {
		return strings.Replace(uri, "https://qyapi.weixin.qq.com", s.URL(), 1)
	})
	t.Cleanup(func() { util.SetURIModifier(nil) })

	cfg := s.Config()
	client, err := kf.NewClient(&config.Config{
		CorpID: cfg.CorpID, CorpSecret: cfg.KFSecret, Token: cfg.Token, EncodingAESKey: cfg.EncodingAESKey, Cache: cache.NewMemory(),
	})
	if err != nil {
		t.Fatal(err)
	}

	bodies := make(chan []byte, 1)
	s.SetCallbacks(newRawServer(t, func(_ *http.Request, b []byte) { bodies <- b }), "")
	if _, _, err := s.CustomerSends("wk1", "wm1", wecomtest.KFMessage{Text: "你好", MenuID: "7"}); err != nil {
		t.Fatal(err)
	}
	notice, err := client.GetCallbackMessage(<-bodies)
	if err != nil || notice.OpenKfID != "wk1" || notice.Event != "kf_msg_or_event" || notice.Token == "" {
		t.Fatalf("GetCallbackMessage = %+v, %v", notice, err)
	}

	got, err := client.SyncMsg(kf.SyncMsgOptions{Token: notice.Token, Limit: 1000, OpenKfID: notice.OpenKfID})
	if err != nil || len(got.MsgList) != 1 || got.HasMore != 0 {
		t.Fatalf("SyncMsg = %+v, %v", got, err)
	}
	text, err := got.MsgList[0].GetTextMessage()
	if err != nil || text.Text.Content != "你好" || text.Text.MenuID != "7" || text.ExternalUserID != "wm1" || text.Origin != 3 {
		t.Errorf("text message %+v, %v", text, err)
	}

	msg := sendmsg.Text{Message: sendmsg.Message{ToUser: "wm1", OpenKFID: "wk1", MsgID: "reply-1"}, MsgType: "text"}
	msg.Text.Content = "收到"
	sent, err := client.SendMsg(msg)
	if err != nil || sent.MsgID != "reply-1" {
		t.Fatalf("SendMsg = %+v, %v", sent, err)
	}
	if d := s.Sent(); len(d) != 1 || d[0].Text != "收到" {
		t.Errorf("Sent = %+v", d)
	}

	req, echo := s.VerifyURLRequest("http://loopdesk.invalid/hooks/wecom/kf")
	q := req.URL.Query()
	plain, err := client.VerifyURL(kf.SignatureOptions{Signature: q.Get("msg_signature"), TimeStamp: q.Get("timestamp"), Nonce: q.Get("nonce"), EchoStr: q.Get("echostr")})
	if err != nil || plain != echo {
		t.Errorf("VerifyURL = %q, %v; want %q", plain, err, echo)
	}
}
