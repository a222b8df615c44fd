package wecomtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

// A customer writes to a kf account; the system under test is called back,
// pulls the message with sync_msg and answers with send_msg.
func Example() {
	// Stands in for loopdesk's /hooks/wecom/kf endpoint.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "success")
	}))
	defer hook.Close()

	s := wecomtest.New(wecomtest.Config{})
	defer s.Close()
	s.SetCallbacks(hook.URL+"/hooks/wecom/kf", hook.URL+"/hooks/wecom")

	_, status, err := s.CustomerSends("wkShop", "wmAlice", wecomtest.KFMessage{Text: "Where is my parcel?"})
	fmt.Println("callback:", status, err)

	// What the channel does next, against s.URL() instead of qyapi.weixin.qq.com.
	cfg := s.Config()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	getJSON(s.URL()+"/cgi-bin/gettoken?corpid="+cfg.CorpID+"&corpsecret="+cfg.KFSecret, &tok)
	var page struct {
		HasMore int `json:"has_more"`
		MsgList []struct {
			Text struct {
				Content string `json:"content"`
			} `json:"text"`
		} `json:"msg_list"`
	}
	postJSON(s.URL()+"/cgi-bin/kf/sync_msg?access_token="+url.QueryEscape(tok.AccessToken), `{"open_kfid":"wkShop","limit":1000}`, &page)
	fmt.Println("synced:", page.MsgList[0].Text.Content, "has_more:", page.HasMore)

	var sent struct {
		ErrCode int    `json:"errcode"`
		MsgID   string `json:"msgid"`
	}
	postJSON(s.URL()+"/cgi-bin/kf/send_msg?access_token="+url.QueryEscape(tok.AccessToken),
		`{"touser":"wmAlice","open_kfid":"wkShop","msgid":"ticket-1_reply-1","msgtype":"text","text":{"content":"It ships today."}}`, &sent)
	fmt.Println("send_msg:", sent.ErrCode, sent.MsgID)
	fmt.Println("customer got:", s.Sent()[0].Text)
	// Output:
	// callback: 200 <nil>
	// synced: Where is my parcel? has_more: 0
	// send_msg: 0 ticket-1_reply-1
	// customer got: It ships today.
}

func getJSON(u string, v any) {
	resp, err := http.Get(u)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(v)
}

func postJSON(u, body string, v any) {
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(v)
}
