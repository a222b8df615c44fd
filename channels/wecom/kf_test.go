package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	r.eventually("7 messages stored", func() bool { return len(r.core.Messages()) == 7 })
	got := r.core.Messages()
	for _, m := range got {
		if m.Channel != channels.WeCom || m.Thread != testKF+":wmCUSTOMER1" || m.From.ID != "wmCUSTOMER1" || m.SentAt.IsZero() {
			t.Errorf("message %s: channel %q thread %q from %q sent %v", m.ExternalID, m.Channel, m.Thread, m.From.ID, m.SentAt)
		}
	}
	wantText := []string{"我的订单 2026112500012345 还没发货", "[图片]", "[文件]", "[语音]", "[位置] 人民广场 上海市黄浦区 (31.230400, 121.473701)",
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
	if a := got[3].Attachments; got[3].Meta["media_id"] != "gone-after-3-days" || len(a) != 1 || a[0].Data != nil ||
		!strings.Contains(a[0].NotFetched, "no longer has it") {
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
	r.eventually("10 messages", func() bool { return len(r.core.Messages()) == 10 })
	r.idle()
	var got []string
	for _, m := range r.core.Messages() {
		got = append(got, m.ExternalID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("stored %v, want %v in order", got, ids)
	}
	if d := r.core.Duplicates(); d != 0 {
		t.Errorf("%d messages were handed to the core twice", d)
	}
}

// A store failure in the middle of a sync leaves the cursor before the
// failed page: the retry reads it again and nothing is skipped or repeated.
func TestSyncResumesAtTheStoredCursor(t *testing.T) {
	r := newRig(t)
	r.dbl.SetPageSize(2)
	r.core.FailBatch(2) // the second page's batch fails once
	for i := range 5 {
		r.dbl.AddKFMessages(testKF, wecomtest.KFMessage{ExternalUserID: "wmC", Text: "第" + string(rune('1'+i)) + "条"})
	}
	if _, err := r.dbl.CallKF(testKF); err != nil {
		t.Fatal(err)
	}
	r.eventually("5 messages", func() bool { return len(r.core.Messages()) == 5 })
	r.idle()
	if d := r.core.Duplicates(); d != 0 {
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
	if n := len(r.core.Messages()); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// A page with a message loopdesk cannot read keeps it as such (the
// customer wrote); one without a msgid cannot be kept; the cursor moves on.
func TestUnreadableMessagesInAPage(t *testing.T) {
	r := newRig(t)
	page := []json.RawMessage{
		json.RawMessage(`{"msgid":"m-odd","open_kfid":"` + testKF + `","external_userid":"wmU","send_time":1764151200,"origin":3,"msgtype":"text","text":{"content":5}}`),
		json.RawMessage(`{"open_kfid":"` + testKF + `","origin":3,"msgtype":"text","text":{"content":"no id"}}`),
		json.RawMessage(`{"msgid":"m-ok","open_kfid":"` + testKF + `","external_userid":"wmU","send_time":1764151201,"origin":3,"msgtype":"text","text":{"content":"你好"}}`),
	}
	at := channels.Checkpoint{Key: kfCursorKey + testKF, Value: []byte("next")}
	if err := r.ch.takePage(t.Context(), page, "", at); err != nil {
		t.Fatal(err)
	}
	got := r.core.Messages()
	if len(got) != 2 || got[0].Text != "[无法读取的消息：text]" || !strings.Contains(got[0].Meta["raw"], `"content":5`) || got[1].Text != "你好" {
		t.Fatalf("stored %+v", got)
	}
	if cur, _ := r.core.Get(t.Context(), at.Key); string(cur) != "next" {
		t.Errorf("cursor %q", cur)
	}
}

// sync_msg answering has_more with nothing and the same cursor, again and
// again: the sync gives up after a few, tries later, and gets everything.
func TestStalledSyncTriesAgain(t *testing.T) {
	r := newRig(t)
	r.dbl.SetEmptyPages(maxStalls + 3)
	r.dbl.AddKFMessages(testKF, wecomtest.KFMessage{ExternalUserID: "wmS", Text: "在吗"})
	if _, err := r.dbl.CallKF(testKF); err != nil {
		t.Fatal(err)
	}
	r.eventually("the message", func() bool { return len(r.core.Messages()) == 1 })
	r.idle()
	if n := r.dbl.SyncCalls(); n > maxStalls+5 {
		t.Errorf("%d sync_msg calls for one message", n)
	}
}

// A media download that fails for a while (a network error, WeCom busy)
// is not turned into a reference: the page is read again until the file
// comes, and the message is stored once, with it.
func TestTransientMediaFailureRetriesThePage(t *testing.T) {
	var fail atomic.Int32
	fail.Store(2)
	r := newRig(t, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.URL.Path == "/cgi-bin/media/get" && fail.Add(-1) >= 0 {
				return nil, errors.New("connection reset by peer")
			}
			return http.DefaultTransport.RoundTrip(req)
		})}
	})
	img := r.dbl.AddMedia([]byte("\x89PNG\r\n\x1a\nimage"), "image/png", "photo.png")
	r.dbl.AddKFMessages(testKF, wecomtest.KFMessage{ExternalUserID: "wmM", MsgType: "image", MediaID: img})
	if _, err := r.dbl.CallKF(testKF); err != nil {
		t.Fatal(err)
	}
	r.eventually("the image", func() bool { return len(r.core.Messages()) == 1 })
	r.idle()
	if m := r.core.Messages()[0]; len(m.Attachments) != 1 || m.Attachments[0].Filename != "photo.png" || r.core.Duplicates() != 0 {
		t.Errorf("stored %+v (%d duplicates)", m, r.core.Duplicates())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
