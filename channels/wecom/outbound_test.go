package wecom

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

func reply(id, user, text string) channels.Outbound {
	return channels.Outbound{ID: id, Channel: channels.WeCom, Thread: testKF + ":" + user, Text: text, Kind: "reply"}
}

// The window: 5 replies per customer message within 48 hours. The sixth
// is held until the customer writes again; after 48 hours a reply fails.
func TestSendWindow(t *testing.T) {
	r := newRig(t)
	r.customer("wmW", "在吗")
	r.eventually("the message", func() bool { return len(r.core.Messages()) == 1 })
	ctx := t.Context()
	for i := 1; i <= 5; i++ {
		if err := r.ch.Send(ctx, reply(fmt.Sprintf("o-%d", i), "wmW", "回复")); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	err := r.ch.Send(ctx, reply("o-6", "wmW", "第六条"))
	until, held := channels.HeldUntil(err)
	if !held || !until.Equal(r.clock.Now().Truncate(time.Second).Add(48*time.Hour)) {
		t.Fatalf("sixth reply: %v (held %v until %v)", err, held, until)
	}
	if n := len(r.dbl.Sent()); n != 5 {
		t.Fatalf("%d messages reached WeChat, want 5", n)
	}
	if err := r.ch.Send(ctx, reply("o-3", "wmW", "回复")); err != nil {
		t.Errorf("a retried delivery of a sent reply counted as a new one: %v", err)
	}
	r.clock.Add(time.Hour)
	r.customer("wmW", "好的")
	r.eventually("the second message", func() bool { return len(r.core.Messages()) == 2 })
	if err := r.ch.Send(ctx, reply("o-6", "wmW", "第六条")); err != nil {
		t.Fatalf("held reply after the customer wrote again: %v", err)
	}
	r.clock.Add(48 * time.Hour)
	err = r.ch.Send(ctx, reply("o-7", "wmW", "太晚了"))
	if !channels.IsPermanent(err) || !errors.Is(err, errWindowClosed) {
		t.Fatalf("reply after 48 hours: %v, want a permanent window-closed error", err)
	}
}

// The outbox id is the msgid: a delivery retried after a timeout reaches
// the customer once. Long replies go out in pieces.
func TestSendIsIdempotentAndSplitsLongText(t *testing.T) {
	r := newRig(t)
	r.customer("wmI", "你好")
	r.eventually("the message", func() bool { return len(r.core.Messages()) == 1 })
	out := reply("msg-0000000001-abcdefgh", "wmI", "您好")
	for range 2 {
		if err := r.ch.Send(t.Context(), out); err != nil {
			t.Fatal(err)
		}
	}
	if n, d := len(r.dbl.Sent()), r.dbl.DuplicateSends(); n != 1 || d != 1 {
		t.Errorf("delivered %d, duplicates recognised %d; want 1 and 1", n, d)
	}
	long := reply("msg-0000000002-abcdefgh", "wmI", repeat("很长的回复。", 400)) // 7,200 bytes
	if err := r.ch.Send(t.Context(), long); err != nil {
		t.Fatal(err)
	}
	sent := r.dbl.Sent()
	if len(sent) != 5 || sent[1].MsgID != "msg-0000000002-abcdefgh" || sent[4].MsgID != "msg-0000000002-abcdefgh_4" {
		t.Errorf("long reply went out as %d messages, want 4 of at most 2,048 bytes", len(sent)-1)
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// WeCom's errors: busy is retried, rate limits wait, a session taken over
// in the WeCom client is given up on, an expired token is renewed once.
func TestSendErrors(t *testing.T) {
	r := newRig(t)
	r.customer("wmE", "你好")
	r.eventually("the message", func() bool { return len(r.core.Messages()) == 1 })
	ctx := t.Context()
	r.dbl.FailSends(1, -1)
	if err := r.ch.Send(ctx, reply("o-busy", "wmE", "x")); err == nil || channels.IsPermanent(err) {
		t.Errorf("system busy: %v, want a retryable error", err)
	}
	r.dbl.FailSends(1, 45009)
	if d, ok := channels.RetryDelay(r.ch.Send(ctx, reply("o-freq", "wmE", "x"))); !ok || d != time.Minute {
		t.Errorf("freq limit: retry after %v %v", d, ok)
	}
	r.dbl.ExpireTokens()
	calls := r.dbl.GetTokenCalls("kf-secret")
	if err := r.ch.Send(ctx, reply("o-fresh", "wmE", "x")); err != nil {
		t.Errorf("send with an expired token: %v", err)
	}
	if n := r.dbl.GetTokenCalls("kf-secret") - calls; n != 1 {
		t.Errorf("%d gettoken calls to renew an expired token, want 1", n)
	}
	r.dbl.SetSessionState(testKF, "wmE", 3)
	if err := r.ch.Send(ctx, reply("o-taken", "wmE", "x")); !channels.IsPermanent(err) {
		t.Errorf("session in the WeCom client: %v, want permanent", err)
	}
	if err := r.ch.Send(ctx, channels.Outbound{ID: "o-bad", Thread: "no-colon"}); !channels.IsPermanent(err) {
		t.Errorf("bad thread: %v", err)
	}
}

// Ten calls at once while the token is expired make one gettoken call.
func TestExpiredTokenRefreshedOnce(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	if _, err := r.ch.kf.tokens.Token(ctx); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(2 * time.Hour) // past expires_in
	before := r.dbl.GetTokenCalls("kf-secret")
	var wg sync.WaitGroup
	tokens := make([]string, 10)
	for i := range tokens {
		wg.Go(func() {
			var err error
			if tokens[i], err = r.ch.kf.tokens.Token(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := r.dbl.GetTokenCalls("kf-secret") - before; n != 1 {
		t.Fatalf("%d gettoken calls, want 1", n)
	}
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("callers got different tokens: %v", tokens)
		}
	}
	if app, _ := r.ch.app.tokens.Token(ctx); app == tokens[0] {
		t.Error("the app and kf share a token")
	}
}

// A process that finds the token in the State uses it without a call.
func TestTokenSharedThroughState(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	tok, err := r.ch.kf.tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(r.ch.cfg, r.core.deps())
	if err != nil {
		t.Fatal(err)
	}
	before := r.dbl.GetTokenCalls("kf-secret")
	if got, err := other.kf.tokens.Token(ctx); err != nil || got != tok {
		t.Fatalf("second process got %q, %v; want the shared %q", got, err, tok)
	}
	if r.dbl.GetTokenCalls("kf-secret") != before {
		t.Error("the second process fetched its own token")
	}
}

// enter_session gets the welcome; msg_send_fail marks the reply failed.
func TestKFEvents(t *testing.T) {
	r := newRig(t)
	if _, status, err := r.dbl.EnterSession(testKF, "wmV"); err != nil || status != 200 {
		t.Fatalf("enter_session: %d %v", status, err)
	}
	r.eventually("the welcome", func() bool { return len(r.dbl.EventReplies()) == 1 })
	if w := r.dbl.EventReplies()[0]; w.Text != "您好，请问有什么可以帮您？" {
		t.Errorf("welcome %q", w.Text)
	}
	r.dbl.AddKFMessages(testKF, wecomtest.KFMessage{ExternalUserID: "wmV",
		Event: &wecomtest.KFEvent{EventType: "msg_send_fail", FailMsgID: "o-123_2", FailType: 10}})
	if _, err := r.dbl.CallKF(testKF); err != nil {
		t.Fatal(err)
	}
	r.eventually("the failure", func() bool {
		_, ok := r.core.Failure("o-123")
		return ok
	})
	if reason, _ := r.core.Failure("o-123"); reason != "WeChat did not deliver the message: the customer refuses messages" {
		t.Errorf("reason %q", reason)
	}
	if n := len(r.core.Messages()); n != 0 {
		t.Errorf("events became %d messages", n)
	}
}

// When WeChat's count differs from the channel's (a message sent from the
// WeCom client, a lost state), WeChat's word decides: over the count the
// reply is held, over the time it fails.
func TestSendWindowAsWeChatSaysIt(t *testing.T) {
	r := newRig(t)
	r.customer("wmQ", "你好")
	r.eventually("the message", func() bool { return len(r.core.Messages()) == 1 })
	r.dbl.FailSends(1, 95001)
	if _, held := channels.HeldUntil(r.ch.Send(t.Context(), reply("o-c", "wmQ", "x"))); !held {
		t.Error("95001 did not hold the reply")
	}
	r.dbl.FailSends(1, 95002)
	if err := r.ch.Send(t.Context(), reply("o-t", "wmQ", "x")); !channels.IsPermanent(err) || !errors.Is(err, errWindowClosed) {
		t.Errorf("95002: %v", err)
	}
	if err := r.ch.Send(t.Context(), reply("o-ok", "wmQ", "x")); err != nil {
		t.Errorf("refused sends kept their places in the window: %v", err)
	}
}

// A new customer message opens a new window, even in the same second; the
// same message read again (a page replayed after a crash) does not.
func TestWindowOpenedByNewMessagesOnly(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	at := uint64(r.clock.Now().Unix())
	first := []syncmsg.Message{{MsgID: "m1", OpenKFID: testKF, ExternalUserID: "wmR", SendTime: at}}
	if err := r.ch.openWindows(ctx, first); err != nil {
		t.Fatal(err)
	}
	ids := []string{"a", "b", "c", "d", "e"}
	if err := r.ch.reserve(ctx, testKF, "wmR", ids); err != nil {
		t.Fatal(err)
	}
	if err := r.ch.openWindows(ctx, first); err != nil { // replayed
		t.Fatal(err)
	}
	if _, held := channels.HeldUntil(r.ch.reserve(ctx, testKF, "wmR", []string{"f"})); !held {
		t.Fatal("a replayed message opened a new window")
	}
	second := []syncmsg.Message{{MsgID: "m2", OpenKFID: testKF, ExternalUserID: "wmR", SendTime: at}}
	if err := r.ch.openWindows(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := r.ch.reserve(ctx, testKF, "wmR", []string{"f"}); err != nil {
		t.Fatalf("a second message in the same second did not open a window: %v", err)
	}
}

// A token WeCom calls invalid (40014, e.g. after the secret was reset) is
// dropped and the call made once more with a fresh one; the app's token is
// not touched.
func TestRevokedTokenRenewedOnce(t *testing.T) {
	r := newRig(t)
	r.customer("wmT", "你好")
	r.eventually("the message", func() bool { return len(r.core.Messages()) == 1 })
	app, _ := r.ch.app.tokens.Token(t.Context())
	r.dbl.RevokeTokens()
	before := r.dbl.GetTokenCalls("kf-secret")
	if err := r.ch.Send(t.Context(), reply("o-rev", "wmT", "x")); err != nil {
		t.Fatalf("send after the token was revoked: %v", err)
	}
	if n := r.dbl.GetTokenCalls("kf-secret") - before; n != 1 {
		t.Errorf("%d gettoken calls, want 1", n)
	}
	if again, _ := r.ch.app.tokens.Token(t.Context()); again != app {
		t.Error("renewing the kf token replaced the app's")
	}
}

// Another process holds the refresh lease: this one waits, and takes the
// token the other stores, without a gettoken call of its own.
func TestTokenLeaseOfAnotherProcess(t *testing.T) {
	r := newRig(t)
	ts := r.ch.kf.tokens
	lease, _ := json.Marshal(storedToken{LeaseUntil: time.Now().Add(refreshLease), Owner: "another-process"})
	if err := r.core.Update(t.Context(), ts.key, func([]byte) ([]byte, error) { return lease, nil }); err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		tok, err := ts.Token(t.Context())
		if err != nil {
			t.Error(err)
		}
		done <- tok
	}()
	// The other process finishes its refresh.
	theirs, _ := json.Marshal(storedToken{Token: "their-token", Expires: r.clock.Now().Add(2 * time.Hour)})
	if err := r.core.Update(t.Context(), ts.key, func([]byte) ([]byte, error) { return theirs, nil }); err != nil {
		t.Fatal(err)
	}
	if tok := <-done; tok != "their-token" {
		t.Fatalf("got %q, want the other process's token", tok)
	}
	if n := r.dbl.GetTokenCalls("kf-secret"); n != 0 {
		t.Errorf("%d gettoken calls while another process held the lease", n)
	}
}

// A lease left by a process that died ends: the next caller refreshes.
func TestTokenStaleLeaseEnds(t *testing.T) {
	r := newRig(t)
	ts := r.ch.kf.tokens
	dead, _ := json.Marshal(storedToken{LeaseUntil: time.Now().Add(-time.Second), Owner: "dead-process"})
	r.core.Update(t.Context(), ts.key, func([]byte) ([]byte, error) { return dead, nil })
	if _, err := ts.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := r.dbl.GetTokenCalls("kf-secret"); n != 1 {
		t.Errorf("%d gettoken calls, want 1", n)
	}
}

// A wrong secret: the failure is answered to every caller for a few
// seconds instead of asking WeCom on every send.
func TestFailedRefreshRemembered(t *testing.T) {
	r := newRig(t, func(c *Config) { c.KFSecret = "wrong" })
	for range 5 {
		if _, err := r.ch.kf.tokens.Token(t.Context()); err == nil {
			t.Fatal("a token for a wrong secret")
		}
	}
	if n := r.dbl.GetTokenCalls("wrong"); n != 1 {
		t.Errorf("%d gettoken calls for five callers in a row, want 1", n)
	}
}

// After Run returns, callbacks still act (the change is made before the
// answer) but start no work: nothing runs after Run has waited.
func TestCallbackAfterRunStops(t *testing.T) {
	r := newRig(t)
	r.stop()
	r.agent("li", "T-000001 好的")
	if done := r.core.desk.done(); len(done) != 1 {
		t.Fatalf("acted %v", done)
	}
	if n := len(r.dbl.AppMessages()); n != 0 {
		t.Errorf("%d answers sent after Run stopped", n)
	}
}
