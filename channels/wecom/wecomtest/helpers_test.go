package wecomtest_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/loopdesk/loopdesk/channels/channeltest"
	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

// newClock is the tests' clock, at a fixed start.
func newClock() *channeltest.Clock {
	return channeltest.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
}

// newDouble starts a double with a fixed key and the given clock.
func newDouble(t *testing.T, c *channeltest.Clock) *wecomtest.Server {
	t.Helper()
	cfg := wecomtest.Config{
		CorpID:         "wx5823bf96d3bd56c7",
		Token:          "QDG6eK",
		EncodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
		AppSecret:      "app-secret",
		KFSecret:       "kf-secret",
		AgentID:        218,
	}
	if c != nil {
		cfg.Now = c.Now
	}
	s := wecomtest.New(cfg)
	t.Cleanup(s.Close)
	return s
}

// answer is the union of the fields the tests read from WeCom answers.
type answer struct {
	ErrCode      int               `json:"errcode"`
	ErrMsg       string            `json:"errmsg"`
	AccessToken  string            `json:"access_token"`
	ExpiresIn    int               `json:"expires_in"`
	NextCursor   string            `json:"next_cursor"`
	HasMore      int               `json:"has_more"`
	MsgList      []json.RawMessage `json:"msg_list"`
	MsgID        string            `json:"msgid"`
	ResponseCode string            `json:"response_code"`
	MediaID      string            `json:"media_id"`
}

// token fetches an access token for secret, failing the test on an error.
func token(t *testing.T, s *wecomtest.Server, secret string) string {
	t.Helper()
	a := get(t, s, "/cgi-bin/gettoken?corpid="+url.QueryEscape(s.Config().CorpID)+"&corpsecret="+url.QueryEscape(secret))
	if a.ErrCode != 0 || a.AccessToken == "" {
		t.Fatalf("gettoken(%s) = %+v", secret, a)
	}
	return a.AccessToken
}

func get(t *testing.T, s *wecomtest.Server, path string) answer {
	t.Helper()
	resp, err := http.Get(s.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	return readAnswer(t, resp)
}

// post sends body as JSON to path with access_token=tok.
func post(t *testing.T, s *wecomtest.Server, path, tok string, body any) answer {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.URL()+path+"?access_token="+url.QueryEscape(tok), "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return readAnswer(t, resp)
}

func readAnswer(t *testing.T, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, WeCom always answers 200", resp.StatusCode)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return a
}

func wantErr(t *testing.T, a answer, code int) {
	t.Helper()
	if a.ErrCode != code {
		t.Fatalf("errcode %d (%s), want %d", a.ErrCode, a.ErrMsg, code)
	}
}

// receiver plays the system under test's callback endpoint. It checks the
// signature and decrypts with silenceper/wechat's util, an implementation
// independent of the double's.
type receiver struct {
	t      *testing.T
	cfg    wecomtest.Config
	srv    *httptest.Server
	status int

	mu  sync.Mutex
	got [][]byte // decrypted plaintexts, in arrival order
}

func newReceiver(t *testing.T, cfg wecomtest.Config) *receiver {
	rc := &receiver{t: t, cfg: cfg, status: http.StatusOK}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

type envelope struct {
	ToUserName string `xml:"ToUserName"`
	Encrypt    string `xml:"Encrypt"`
	AgentID    string `xml:"AgentID"`
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	body, _ := io.ReadAll(r.Body)
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		http.Error(w, "bad xml", http.StatusBadRequest)
		return
	}
	if util.Signature(rc.cfg.Token, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) != q.Get("msg_signature") {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	_, plain, err := util.DecryptMsg(rc.cfg.CorpID, env.Encrypt, rc.cfg.EncodingAESKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, plain)
	status := rc.status
	rc.mu.Unlock()
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "success")
}

func (rc *receiver) received() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.got...)
}

// kfNotice is the plaintext of a kf callback.
type kfNotice struct {
	ToUserName string `xml:"ToUserName"`
	CreateTime int64  `xml:"CreateTime"`
	MsgType    string `xml:"MsgType"`
	Event      string `xml:"Event"`
	Token      string `xml:"Token"`
	OpenKfID   string `xml:"OpenKfId"`
}

func parseXML[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := xml.Unmarshal(raw, &v); err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	return v
}
