package wecomtest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// SetCallbacks sets the system under test's callback URLs: kfURL receives
// 微信客服 callbacks, appURL the self-built app's, e.g.
// http://127.0.0.1:8080/hooks/wecom/kf and http://127.0.0.1:8080/hooks/wecom.
func (s *Server) SetCallbacks(kfURL, appURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kfURL, s.appURL = kfURL, appURL
}

func (s *Server) callbackURLs() (kfURL, appURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kfURL, s.appURL
}

// CustomerSends appends a customer message (origin 3) from externalUserID
// to openKfid's log, then posts the kf callback as WeCom does, and returns
// the message's msgid and the HTTP status the callback got.
func (s *Server) CustomerSends(openKfid, externalUserID string, body KFMessage) (msgid string, status int, err error) {
	body.ExternalUserID = externalUserID
	if body.Origin == 0 {
		body.Origin = 3
	}
	msgid = s.AddKFMessages(openKfid, body)[0]
	status, err = s.callKF(openKfid)
	return msgid, status, err
}

// EnterSession appends an enter_session event for user to openKfid's log,
// with a fresh welcome_code usable once within 20 s on send_msg_on_event,
// then posts the kf callback.
func (s *Server) EnterSession(openKfid, user string) (welcomeCode string, status int, err error) {
	welcomeCode = randomID(43)
	s.AddKFMessages(openKfid, KFMessage{
		ExternalUserID: user,
		Event:          &KFEvent{EventType: "enter_session", WelcomeCode: welcomeCode},
	})
	status, err = s.callKF(openKfid)
	return welcomeCode, status, err
}

// CallKF posts one kf callback for openKfid, with a fresh Token, and
// returns the HTTP status it got.
func (s *Server) CallKF(openKfid string) (status int, err error) { return s.callKF(openKfid) }

func (s *Server) callKF(openKfid string) (int, error) {
	req, err := s.KFCallback(openKfid)
	if err != nil {
		return 0, err
	}
	return s.deliver(req)
}

// KFCallback returns a ready-to-send, signed kf callback request for
// openKfid, carrying a fresh Token that sync_msg accepts for 10 minutes.
// Its body can be re-read through GetBody, so a test can send it several
// times, concurrently, as WeCom's retries would:
//
//	r2 := req.Clone(ctx)
//	r2.Body, _ = req.GetBody()
func (s *Server) KFCallback(openKfid string) (*http.Request, error) {
	kfURL, _ := s.callbackURLs()
	if kfURL == "" {
		return nil, errors.New("wecomtest: kf callback URL not set (SetCallbacks)")
	}
	token := "ENC" + randomID(40)
	now := s.now()
	s.mu.Lock()
	s.kf.msgTokens[token] = now
	s.mu.Unlock()

	var x xmlBuilder
	x.text("ToUserName", s.cfg.CorpID)
	x.int("CreateTime", now.Unix())
	x.text("MsgType", "event")
	x.text("Event", "kf_msg_or_event")
	x.text("Token", token)
	x.text("OpenKfId", openKfid)
	return s.SignedRequest(http.MethodPost, kfURL, x.bytes())
}

// AgentSends posts an app callback: a text message from member userID, as
// typed in the WeCom client, with a random 64-bit MsgId.
func (s *Server) AgentSends(userID, text string) (status int, err error) {
	var x xmlBuilder
	x.text("ToUserName", s.cfg.CorpID)
	x.text("FromUserName", userID)
	x.int("CreateTime", s.now().Unix())
	x.text("MsgType", "text")
	x.text("Content", text)
	x.raw("MsgId", randomMsgID())
	x.int("AgentID", int64(s.cfg.AgentID))
	return s.postApp(x.bytes())
}

// ClickButton posts the template_card_event member userID causes by
// clicking the button with key on the card of taskID, with a fresh
// ResponseCode that update_template_card accepts once within 72 h. The
// CardType is the one the card was sent with, else button_interaction.
func (s *Server) ClickButton(userID, taskID, key string) (status int, err error) {
	s.mu.Lock()
	cardType := s.app.tasks[taskID]
	code := s.issueResponseCode(userID, taskID)
	s.mu.Unlock()
	if cardType == "" {
		cardType = "button_interaction"
	}
	var x xmlBuilder
	x.text("ToUserName", s.cfg.CorpID)
	x.text("FromUserName", userID)
	x.int("CreateTime", s.now().Unix())
	x.text("MsgType", "event")
	x.text("Event", "template_card_event")
	x.text("EventKey", key)
	x.text("TaskId", taskID)
	x.text("CardType", cardType)
	x.text("ResponseCode", code)
	x.int("AgentID", int64(s.cfg.AgentID))
	return s.postApp(x.bytes())
}

func (s *Server) postApp(plainXML []byte) (int, error) {
	_, appURL := s.callbackURLs()
	if appURL == "" {
		return 0, errors.New("wecomtest: app callback URL not set (SetCallbacks)")
	}
	req, err := s.SignedRequest(http.MethodPost, appURL, plainXML)
	if err != nil {
		return 0, err
	}
	return s.deliver(req)
}

// SignedRequest builds a callback request carrying plainXML encrypted and
// signed as WeCom does: the body is
//
//	<xml><ToUserName><![CDATA[corpid]]></ToUserName><Encrypt><![CDATA[…]]></Encrypt><AgentID><![CDATA[agentid]]></AgentID></xml>
//
// (AgentID taken from plainXML, empty for kf callbacks) and the query adds
// msg_signature, timestamp and nonce to target's own. Tests may tamper with
// the result.
func (s *Server) SignedRequest(method, target string, plainXML []byte) (*http.Request, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: parse callback URL: %w", err)
	}
	encrypted := s.crypt.encrypt(plainXML)
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce := randomDigits(10)
	q := u.Query()
	q.Set("msg_signature", s.crypt.sign(ts, nonce, encrypted))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	u.RawQuery = q.Encode()

	var x xmlBuilder
	x.text("ToUserName", s.cfg.CorpID)
	x.text("Encrypt", encrypted)
	x.text("AgentID", agentIDOf(plainXML))
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(x.bytes()))
	if err != nil {
		return nil, fmt.Errorf("wecomtest: build callback: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

// VerifyURLRequest builds the GET WeCom sends when a callback URL is saved
// in the admin console: msg_signature, timestamp, nonce and an encrypted
// echostr. The system under test must answer echo, the decrypted echostr,
// as the plain body. It panics if target is not a URL.
func (s *Server) VerifyURLRequest(target string) (req *http.Request, echo string) {
	u, err := url.Parse(target)
	if err != nil {
		panic(fmt.Sprintf("wecomtest: parse callback URL: %v", err))
	}
	echo = randomDigits(19)
	encrypted := s.crypt.encrypt([]byte(echo))
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce := randomDigits(10)
	q := u.Query()
	q.Set("msg_signature", s.crypt.sign(ts, nonce, encrypted))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("echostr", encrypted)
	u.RawQuery = q.Encode()
	req, err = http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		panic(fmt.Sprintf("wecomtest: build verify request: %v", err))
	}
	return req, echo
}

// deliver sends a callback and returns the status it got, reading the
// answer so the connection can be reused.
func (s *Server) deliver(req *http.Request) (int, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("wecomtest: callback %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// agentIDOf is the <AgentID> of a plaintext callback, "" when it has none.
func agentIDOf(plainXML []byte) string {
	var v struct {
		AgentID string `xml:"AgentID"`
	}
	_ = xml.Unmarshal(plainXML, &v)
	return strings.TrimSpace(v.AgentID)
}

// xmlBuilder writes WeCom's flat callback XML: strings in CDATA, numbers
// bare, no whitespace between elements.
type xmlBuilder struct{ b bytes.Buffer }

func (x *xmlBuilder) text(name, value string) {
	// "]]>" cannot appear in a CDATA section: split it across two.
	value = strings.ReplaceAll(value, "]]>", "]]]]><![CDATA[>")
	fmt.Fprintf(&x.b, "<%s><![CDATA[%s]]></%s>", name, value, name)
}

func (x *xmlBuilder) int(name string, v int64) { x.raw(name, strconv.FormatInt(v, 10)) }

func (x *xmlBuilder) raw(name, v string) { fmt.Fprintf(&x.b, "<%s>%s</%s>", name, v, name) }

func (x *xmlBuilder) bytes() []byte {
	return append(append([]byte("<xml>"), x.b.Bytes()...), "</xml>"...)
}
