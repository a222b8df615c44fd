package wecom

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/channeltest"
	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

// rig is a running channel wired to a WeCom double and an in-memory core.
type rig struct {
	t     *testing.T
	clock *channeltest.Clock
	dbl   *wecomtest.Server
	core  *memCore
	ch    *Channel
	srv   *httptest.Server
	stop  func() // ends Run and waits for it; idempotent
}

const (
	testCorp    = "ww0000000000test"
	testToken   = "callbacktoken"
	testAESKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testKF      = "wkTESTACCOUNT01"
	testAgentID = 1000002
)

func newRig(t *testing.T, tweak ...func(*Config)) *rig {
	t.Helper()
	clk := channeltest.NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	dbl := wecomtest.New(wecomtest.Config{CorpID: testCorp, Token: testToken, EncodingAESKey: testAESKey,
		AppSecret: "app-secret", KFSecret: "kf-secret", AgentID: testAgentID, Now: clk.Now})
	t.Cleanup(dbl.Close)
	core := newMemCore(clk.Now)
	cfg := Config{CorpID: testCorp, Token: testToken, AESKey: testAESKey, AgentID: testAgentID,
		Secret: "app-secret", KFSecret: "kf-secret", APIBase: dbl.URL(), Welcome: "您好，请问有什么可以帮您？",
		Now: clk.Now, Location: time.UTC, Logger: quiet}
	for _, f := range tweak {
		f(&cfg)
	}
	ch, err := New(cfg, core.deps())
	if err != nil {
		t.Fatal(err)
	}
	ch.waitBase = 10 * time.Millisecond
	mux := http.NewServeMux()
	mux.Handle("/hooks/wecom/kf", ch.KFHandler())
	mux.Handle("/hooks/wecom", ch.AppHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	dbl.SetCallbacks(srv.URL+"/hooks/wecom/kf", srv.URL+"/hooks/wecom")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ch.Run(ctx) }()
	r := &rig{t: t, clock: clk, dbl: dbl, core: core, ch: ch, srv: srv}
	var once sync.Once
	r.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(r.stop)
	return r
}

// eventually waits for cond, which work started by a callback makes true.
func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// idle waits until no sync or command is in hand.
func (r *rig) idle() {
	r.t.Helper()
	r.eventually("the channel to go idle", func() bool {
		r.ch.syncs.mu.Lock()
		defer r.ch.syncs.mu.Unlock()
		for _, st := range r.ch.syncs.accounts {
			if st.running || st.dirty {
				return false
			}
		}
		return true
	})
}

func (r *rig) customer(user, text string) string {
	r.t.Helper()
	id, status, err := r.dbl.CustomerSends(testKF, user, wecomtest.KFMessage{Text: text})
	if err != nil || status != http.StatusOK {
		r.t.Fatalf("customer message: status %d, %v", status, err)
	}
	return id
}
