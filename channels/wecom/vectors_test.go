package wecom

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

// vectorRig is a channel configured with the official sample's corp,
// token and key, its app API on a double of the same corp.
func vectorRig(t *testing.T, corpID string) (*Channel, *memCore, *wecomtest.Server) {
	t.Helper()
	dbl := wecomtest.New(wecomtest.Config{CorpID: vecCorpID, Token: vecToken, EncodingAESKey: vecAESKey,
		AppSecret: "app-secret", KFSecret: "kf-secret", AgentID: 218})
	t.Cleanup(dbl.Close)
	core := newMemCore(time.Now)
	sampleTime := func() time.Time { return time.Unix(1409659813, 0) } // when Tencent made the samples
	ch, err := New(Config{CorpID: corpID, Token: vecToken, AESKey: vecAESKey, AgentID: 218,
		Secret: "app-secret", KFSecret: "kf-secret", APIBase: dbl.URL(), Logger: quiet, Now: sampleTime}, core.deps())
	if err != nil {
		t.Fatal(err)
	}
	return ch, core, dbl
}

func vectorGET(sig, ts, nonce, echo string) *http.Request {
	q := url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
	return httptest.NewRequest(http.MethodGet, "/hooks/wecom?"+q.Encode(), nil)
}

func vectorPOST(sig, body string) *http.Request {
	q := url.Values{"msg_signature": {sig}, "timestamp": {vecTS}, "nonce": {vecNonce}}
	return httptest.NewRequest(http.MethodPost, "/hooks/wecom?"+q.Encode(), strings.NewReader(body))
}

func xmlEnvelope(enc string) string {
	return "<xml><ToUserName><![CDATA[" + vecCorpID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
}

func jsonEnvelope(enc string) string {
	return `{"ToUserName":"` + vecCorpID + `","Encrypt":"` + enc + `","AgentID":"218"}`
}

func serve(h http.Handler, req *http.Request) (int, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

// V1: the URL check of both callback URLs echoes the decrypted echostr.
func TestVectorV1URLCheck(t *testing.T) {
	ch, _, _ := vectorRig(t, vecCorpID)
	for _, h := range []http.Handler{ch.AppHandler(), ch.KFHandler()} {
		code, body := serve(h, vectorGET(vecV1Sig, vecV1TS, vecV1Nonce, vecV1Echo))
		if code != http.StatusOK || body != "1616140317555161061" {
			t.Errorf("V1: %d %q", code, body)
		}
	}
}

// V2 (XML) and V3 (JSON): the sample's text "hello" from member mycreate
// is read; mycreate is no agent, so the answer in the app says so. The
// same MsgId in both: V3 after V2 is a repeat and is dropped.
func TestVectorsV2V3AppMessages(t *testing.T) {
	for _, tc := range []struct {
		name, sig, body string
	}{
		{"V2 XML", vecV2Sig, xmlEnvelope(vecV2Enc)},
		{"V3 JSON", vecV3Sig, jsonEnvelope(vecV3Enc)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, core, dbl := vectorRig(t, vecCorpID)
			code, body := serve(ch.AppHandler(), vectorPOST(tc.sig, tc.body))
			if code != http.StatusOK || body != "success" {
				t.Fatalf("%d %q", code, body)
			}
			ch.work.Wait()
			msgs := dbl.AppMessages()
			if len(msgs) != 1 || msgs[0].ToUser != "mycreate" || !strings.Contains(msgs[0].Content, "还没有对应的 loopdesk 客服") {
				t.Fatalf("answers: %+v", msgs)
			}
			if seen, _ := core.Once(t.Context(), "wecom/app/seen/msg/4561255354251345929", time.Hour); seen {
				t.Error("the MsgId was not remembered (64-bit MsgId misread?)")
			}
		})
	}
}

// A flipped byte in the signature, the ciphertext or the receiver id is
// answered 401, and nothing is done: no answer, no seen id, no sync.
func TestForgedVectorsRefused(t *testing.T) {
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 1
		return string(b)
	}
	cases := []struct {
		name   string
		corpID string
		req    func() *http.Request
	}{
		{"V1 signature", vecCorpID, func() *http.Request { return vectorGET(flip(vecV1Sig, 3), vecV1TS, vecV1Nonce, vecV1Echo) }},
		{"V1 ciphertext", vecCorpID, func() *http.Request { return vectorGET(vecV1Sig, vecV1TS, vecV1Nonce, flip(vecV1Echo, 10)) }},
		{"V1 receiveid", "wx5823bf96d3bd56c8", func() *http.Request { return vectorGET(vecV1Sig, vecV1TS, vecV1Nonce, vecV1Echo) }},
		{"V2 signature", vecCorpID, func() *http.Request { return vectorPOST(flip(vecV2Sig, 0), xmlEnvelope(vecV2Enc)) }},
		{"V2 ciphertext", vecCorpID, func() *http.Request { return vectorPOST(vecV2Sig, xmlEnvelope(flip(vecV2Enc, 40))) }},
		{"V2 receiveid", "wx5823bf96d3bd56c8", func() *http.Request { return vectorPOST(vecV2Sig, xmlEnvelope(vecV2Enc)) }},
		{"V3 signature", vecCorpID, func() *http.Request { return vectorPOST(flip(vecV3Sig, 39), jsonEnvelope(vecV3Enc)) }},
		{"V3 ciphertext", vecCorpID, func() *http.Request { return vectorPOST(vecV3Sig, jsonEnvelope(flip(vecV3Enc, 7))) }},
		{"V3 receiveid", "wx5823bf96d3bd56c8", func() *http.Request { return vectorPOST(vecV3Sig, jsonEnvelope(vecV3Enc)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch, core, dbl := vectorRig(t, tc.corpID)
			for _, h := range []http.Handler{ch.AppHandler(), ch.KFHandler()} {
				if code, body := serve(h, tc.req()); code != http.StatusUnauthorized || !strings.Contains(body, "bad_signature") {
					t.Errorf("%d %s, want 401 bad_signature", code, body)
				}
			}
			ch.work.Wait()
			if n := len(dbl.AppMessages()) + dbl.SyncCalls(); n != 0 {
				t.Errorf("%d API calls after a forged callback", n)
			}
			if once, state := core.Remembered(); once+state+len(core.Messages()) != 0 {
				t.Errorf("stored: %d once keys, %d state keys, %d messages", once, state, len(core.Messages()))
			}
		})
	}
}

// A signed callback sent again long after (a replay) is refused, whoever
// captured it; so is one without a timestamp.
func TestStaleCallbackRefused(t *testing.T) {
	ch, core, dbl := vectorRig(t, vecCorpID)
	ch.cfg.Now = func() time.Time { return time.Unix(1409659813, 0).Add(2 * time.Hour) }
	for _, h := range []http.Handler{ch.AppHandler(), ch.KFHandler()} {
		if code, body := serve(h, vectorPOST(vecV2Sig, xmlEnvelope(vecV2Enc))); code != http.StatusUnauthorized {
			t.Errorf("replayed after 2 hours: %d %s", code, body)
		}
		if code, _ := serve(h, vectorGET(vecV1Sig, "", vecV1Nonce, vecV1Echo)); code != http.StatusUnauthorized {
			t.Errorf("no timestamp: %d", code)
		}
	}
	if once, _ := core.Remembered(); len(dbl.AppMessages())+once != 0 {
		t.Error("a stale callback acted")
	}
}
