package wecomtest_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/silenceper/wechat/v2/util"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

func TestKFCallbackEnvelope(t *testing.T) {
	s := newDouble(t, newClock())
	var (
		mu     sync.Mutex
		bodies []string
		seen   []string
	)
	srv := newRawServer(t, func(r *http.Request, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, string(body))
		seen = append(seen, r.URL.RawQuery)
	})
	s.SetCallbacks(srv+"/hooks/wecom/kf?tenant=acme", "")

	msgid, status, err := s.CustomerSends("wk1", "wm1", wecomtest.KFMessage{Text: "hi"})
	if err != nil || status != http.StatusOK || msgid == "" {
		t.Fatalf("CustomerSends: %q %d %v", msgid, status, err)
	}
	body := bodies[0]
	if !strings.HasPrefix(body, "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[") ||
		!strings.HasSuffix(body, "]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>") {
		t.Errorf("envelope %s", body)
	}
	q := seen[0]
	for _, p := range []string{"tenant=acme", "msg_signature=", "timestamp=", "nonce="} {
		if !strings.Contains(q, p) {
			t.Errorf("query %s lacks %s", q, p)
		}
	}

	var env envelope
	if err := xml.Unmarshal([]byte(body), &env); err != nil {
		t.Fatal(err)
	}
	_, plain, err := util.DecryptMsg("wx5823bf96d3bd56c7", env.Encrypt, s.Config().EncodingAESKey)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><CreateTime>1740819600</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENC"
	if !strings.HasPrefix(string(plain), prefix) || !strings.HasSuffix(string(plain), "]]></Token><OpenKfId><![CDATA[wk1]]></OpenKfId></xml>") {
		t.Errorf("plaintext %s", plain)
	}
}

// newRawServer records each request and answers "success".
func newRawServer(t *testing.T, record func(*http.Request, []byte)) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		record(r, body)
		_, _ = io.WriteString(w, "success")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestKFCallbackRetries(t *testing.T) {
	s := newDouble(t, newClock())
	rc := newReceiver(t, s.Config())
	s.SetCallbacks(rc.srv.URL, "")
	s.AddKFMessages("wk1", wecomtest.KFMessage{ExternalUserID: "wm1", Text: "hi"})

	req, err := s.KFCallback("wk1")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		r := req.Clone(context.Background())
		r.Body, _ = req.GetBody()
		wg.Go(func() {
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("retry got %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	got := rc.received()
	if len(got) != 3 || string(got[0]) != string(got[1]) || string(got[1]) != string(got[2]) {
		t.Fatalf("received %d callbacks, want 3 identical", len(got))
	}

	// CallKF sends a fresh callback, with a new Token.
	if status, err := s.CallKF("wk1"); err != nil || status != http.StatusOK {
		t.Fatalf("CallKF: %d %v", status, err)
	}
	first, fourth := parseXML[kfNotice](t, got[0]), parseXML[kfNotice](t, rc.received()[3])
	if first.Token == fourth.Token {
		t.Error("CallKF reused the Token")
	}
}

func TestSignedRequestTampering(t *testing.T) {
	s := newDouble(t, newClock())
	rc := newReceiver(t, s.Config())
	req, err := s.SignedRequest(http.MethodPost, rc.srv.URL, []byte("<xml><AgentID>218</AgentID></xml>"))
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	q.Set("nonce", q.Get("nonce")+"1")
	req.URL.RawQuery = q.Encode()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("tampered nonce got %d", resp.StatusCode)
	}
}

func TestVerifyURLRequest(t *testing.T) {
	s := newDouble(t, newClock())
	cfg := s.Config()
	req, echo := s.VerifyURLRequest("http://loopdesk.invalid/hooks/wecom")
	q := req.URL.Query()
	if req.Method != http.MethodGet || q.Get("echostr") == "" {
		t.Fatalf("request %s %s", req.Method, req.URL)
	}
	if util.Signature(cfg.Token, q.Get("timestamp"), q.Get("nonce"), q.Get("echostr")) != q.Get("msg_signature") {
		t.Error("bad signature")
	}
	_, plain, err := util.DecryptMsg(cfg.CorpID, q.Get("echostr"), cfg.EncodingAESKey)
	if err != nil || string(plain) != echo {
		t.Errorf("echostr opens as %q, %v; want %q", plain, err, echo)
	}
}
