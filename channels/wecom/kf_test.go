package wecom

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

func TestCustomerMessagesOfEveryType(t *testing.T) {
	r := newRig(t)
	img := r.dbl.AddMedia([]byte("\x89PNG\r\n\x1a\nfake"), "image/png", "截图.png")
	file := r.dbl.AddMedia([]byte("%PDF-1.4"), "application/pdf", "发票.pdf")
	msgs := []wecomtest.KFMessage{
		{Text: "我的订单 2026112500012345 还没发货"},
		{MsgType: "image", MediaID: img},
		{MsgType: "file", MediaID: file},
		{MsgType: "voice", MediaID: "gone-after-3-days"},
		{MsgType: "location", Latitude: 31.2304, Longitude: 121.4737, Name: "人民广场", Address: "上海市黄浦区"},
		{MsgType: "link", Title: "商品页", Desc: "这件衣服", URL: "https://shop.example.com/item/1"},
		{MsgType: "miniprogram", Title: "订单详情", AppID: "wxapp", PagePath: "pages/order?id=1"},
	}
	for i := range msgs {
		msgs[i].ExternalUserID = "wmCUSTOMER1"
	}
	r.dbl.AddKFMessages(testKF, msgs...)
	if status, err := r.dbl.CallKF(testKF); err != nil || status != http.StatusOK {
		t.Fatalf("callback: %d %v", status, err)
	}
	r.eventually("7 messages stored", func() bool { return len(r.core.messages()) == 7 })
	got := r.core.messages()
	for _, m := range got {
		if m.Channel != channels.WeCom || m.Thread != testKF+":wmCUSTOMER1" || m.From.ID != "wmCUSTOMER1" || m.SentAt.IsZero() {
			t.Errorf("message %s: channel %q thread %q from %q sent %v", m.ExternalID, m.Channel, m.Thread, m.From.ID, m.SentAt)
		}
	}
	wantText := []string{"我的订单 2026112500012345 还没发货", "[图片]", "[文件]", "[语音]（", "[位置] 人民广场 上海市黄浦区 (31.230400, 121.473701)",
		"[链接] 商品页\n这件衣服\nhttps://shop.example.com/item/1", "[小程序] 订单详情\npages/order?id=1"}
	for i, w := range wantText {
		if !strings.HasPrefix(got[i].Text, w) {
			t.Errorf("message %d text %q, want it to start with %q", i, got[i].Text, w)
		}
	}
	if a := got[1].Attachments; len(a) != 1 || a[0].Filename != "截图.png" || a[0].ContentType != "image/png" || !bytes.HasPrefix(a[0].Data, []byte("\x89PNG")) {
		t.Errorf("image attachment: %+v", a)
	}
	if a := got[2].Attachments; len(a) != 1 || a[0].Filename != "发票.pdf" {
		t.Errorf("file attachment: %+v", a)
	}
	if got[3].Meta["media_id"] != "gone-after-3-days" || len(got[3].Attachments) != 0 {
		t.Errorf("expired voice kept as %+v / %v", got[3].Meta, got[3].Attachments)
	}
}

// WeCom calls back again when an answer is slow: three deliveries of one
// callback at once, with paging quirks, store each message once.
func TestRepeatedCallbacksStoreEachMessageOnce(t *testing.T) {
	r := newRig(t)
	r.dbl.SetPageSize(3)
	r.dbl.SetEmptyPages(2)
	var ids []string
	for i := range 10 {
		ids = append(ids, r.dbl.AddKFMessages(testKF, wecomtest.KFMessage{ExternalUserID: "wmC", Text: "消息 " + string(rune('0'+i))})...)
	}
	req, err := r.dbl.KFCallback(testKF)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := readAll(req)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			again := req.Clone(context.Background())
			again.Body = readCloser(body)
			resp, err := http.DefaultClient.Do(again)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("callback: %v %v", err, resp)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	r.eventually("10 messages", func() bool { return len(r.core.messages()) == 10 })
	r.idle()
	var got []string
	for _, m := range r.core.messages() {
		got = append(got, m.ExternalID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("stored %v, want %v in order", got, ids)
	}
	if d := r.core.duplicates; d != 0 {
		t.Errorf("%d messages were handed to the core twice", d)
	}
}

// A store failure in the middle of a sync leaves the cursor before the
// failed page: the retry reads it again and nothing is skipped or repeated.
func TestSyncResumesAtTheStoredCursor(t *testing.T) {
	r := newRig(t)
	r.dbl.SetPageSize(2)
	r.core.mu.Lock()
	r.core.failAt = 2 // the second page's batch fails once
	r.core.mu.Unlock()
	for i := range 5 {
		r.dbl.AddKFMessages(testKF, wecomtest.KFMessage{ExternalUserID: "wmC", Text: "第" + string(rune('1'+i)) + "条"})
	}
	if _, err := r.dbl.CallKF(testKF); err != nil {
		t.Fatal(err)
	}
	r.eventually("5 messages", func() bool { return len(r.core.messages()) == 5 })
	r.idle()
	if d := r.core.duplicates; d != 0 {
		t.Errorf("%d messages handed over twice", d)
	}
	if cur, _ := r.core.Get(context.Background(), kfCursorKey+testKF); len(cur) == 0 {
		t.Error("no cursor stored")
	}
}

func TestForgedKFCallbackSyncsNothing(t *testing.T) {
	r := newRig(t)
	r.dbl.AddKFMessages(testKF, wecomtest.KFMessage{ExternalUserID: "wmC", Text: "hi"})
	for name, tamper := range map[string]func(*http.Request, []byte) []byte{
		"signature": func(req *http.Request, b []byte) []byte {
			q := req.URL.Query()
			s := []byte(q.Get("msg_signature"))
			s[0] ^= 1
			q.Set("msg_signature", string(s))
			req.URL.RawQuery = q.Encode()
			return b
		},
		"ciphertext": func(_ *http.Request, b []byte) []byte {
			i := bytes.Index(b, []byte("<Encrypt><![CDATA[")) + len("<Encrypt><![CDATA[") + 5
			b = slices.Clone(b)
			b[i] ^= 1
			return b
		},
	} {
		req, err := r.dbl.KFCallback(testKF)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := readAll(req)
		req.Body = readCloser(tamper(req, body))
		req.ContentLength = -1
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s flipped: status %d, want 401", name, resp.StatusCode)
		}
	}
	r.idle()
	if n := r.dbl.SyncCalls(); n != 0 {
		t.Errorf("%d sync_msg calls after forged callbacks", n)
	}
	if n := len(r.core.messages()); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}
