package wecomtest_test

import (
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

func TestGetToken(t *testing.T) {
	c := newClock()
	s := newDouble(t, c)

	wantErr(t, get(t, s, "/cgi-bin/gettoken?corpid=wrong&corpsecret=app-secret"), wecomtest.ErrCodeInvalidCorpID)
	wantErr(t, get(t, s, "/cgi-bin/gettoken?corpid=wx5823bf96d3bd56c7&corpsecret=nope"), wecomtest.ErrCodeInvalidSecret)
	wantErr(t, get(t, s, "/cgi-bin/gettoken?corpsecret=app-secret"), wecomtest.ErrCodeMissingCorpID)

	a := get(t, s, "/cgi-bin/gettoken?corpid=wx5823bf96d3bd56c7&corpsecret=app-secret")
	if a.ErrCode != 0 || a.ErrMsg != "ok" || a.ExpiresIn != 7200 || a.AccessToken == "" {
		t.Fatalf("gettoken = %+v", a)
	}
	app := a.AccessToken
	kf := token(t, s, "kf-secret")
	if kf == app {
		t.Fatal("the app and kf secrets got the same token")
	}

	c.Add(time.Hour)
	again := get(t, s, "/cgi-bin/gettoken?corpid=wx5823bf96d3bd56c7&corpsecret=app-secret")
	if again.AccessToken != app || again.ExpiresIn != 3600 {
		t.Errorf("within validity got %q expires_in %d, want the same token with 3600 s left", again.AccessToken, again.ExpiresIn)
	}
	if n := s.GetTokenCalls("app-secret"); n != 4 { // failed calls count too
		t.Errorf("GetTokenCalls(app-secret) = %d, want 4", n)
	}
	if n := s.GetTokenCalls("kf-secret"); n != 1 {
		t.Errorf("GetTokenCalls(kf-secret) = %d, want 1", n)
	}
}

func TestTokenChecks(t *testing.T) {
	c := newClock()
	s := newDouble(t, c)
	app, kf := token(t, s, "app-secret"), token(t, s, "kf-secret")
	sync := func(tok string) answer {
		return post(t, s, "/cgi-bin/kf/sync_msg", tok, map[string]any{"open_kfid": "wk1"})
	}

	wantErr(t, sync(kf), 0)
	wantErr(t, sync("made-up"), wecomtest.ErrCodeInvalidToken)
	wantErr(t, sync(app), wecomtest.ErrCodeInvalidToken) // the app token on a kf call
	wantErr(t, post(t, s, "/cgi-bin/message/send", kf, map[string]any{"touser": "a", "msgtype": "text", "agentid": 218, "text": map[string]string{"content": "x"}}), wecomtest.ErrCodeInvalidToken)
	wantErr(t, sync(""), wecomtest.ErrCodeMissingToken)

	c.Add(7200 * time.Second)
	wantErr(t, sync(kf), wecomtest.ErrCodeTokenExpired)
	fresh := token(t, s, "kf-secret")
	if fresh == kf {
		t.Fatal("gettoken returned the expired token")
	}
	wantErr(t, sync(fresh), 0)

	s.ExpireTokens()
	wantErr(t, sync(fresh), wecomtest.ErrCodeTokenExpired)
	fresh = token(t, s, "kf-secret")
	wantErr(t, sync(fresh), 0)

	s.RevokeTokens()
	wantErr(t, sync(fresh), wecomtest.ErrCodeInvalidToken)
	wantErr(t, sync(token(t, s, "kf-secret")), 0)
}
