package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/wait"
)

// Token timing. WeCom tokens live 7,200 s; one is renewed when less than
// refreshAhead is left, so no call goes out with a token about to lapse.
// A refresh holds a lease in the State so that processes sharing it do not
// refresh at once (each refresh invalidates the others' tokens).
const (
	refreshAhead = 5 * time.Minute
	refreshLease = 15 * time.Second
	leaseWait    = 100 * time.Millisecond
	// failMemo is how long a failed refresh answers every caller at once
	// instead of asking WeCom again (a wrong secret fails every time).
	failMemo = 5 * time.Second
)

// storedToken is a token as kept in the State.
type storedToken struct {
	Token   string    `json:"token,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// LeaseUntil and Owner: who is refreshing, and until when others wait
	// (wall time: it bounds a wait, unlike Expires, WeCom's time).
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Owner      string    `json:"owner,omitempty"`
}

// tokenSource hands out the access token of one secret (the app's or
// kf's: they are distinct tokens and never share a key). Safe for
// concurrent use: one refresh at a time, whoever asks.
type tokenSource struct {
	key    string // State key
	corpID string
	secret string
	base   string
	http   *http.Client
	state  channels.State
	now    func() time.Time
	owner  string // this process, for the refresh lease

	flight singleflight.Group
	mu     sync.Mutex
	cached storedToken
	failed error     // the last refresh's failure
	until  time.Time // when failed stops being answered
}

// Token returns a valid token, from memory, the State, or WeCom. Callers
// asking at once share one refresh; each stops waiting when its ctx ends.
func (ts *tokenSource) Token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	c, failed := ts.cached, ts.failed
	if time.Now().After(ts.until) {
		failed = nil
	}
	ts.mu.Unlock()
	if ts.fresh(c) {
		return c.Token, nil
	}
	if failed != nil {
		return "", failed
	}
	ch := ts.flight.DoChan("token", func() (any, error) {
		tok, err := ts.load(context.WithoutCancel(ctx))
		ts.mu.Lock()
		ts.failed, ts.until = err, time.Now().Add(failMemo)
		ts.mu.Unlock()
		return tok, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (ts *tokenSource) fresh(t storedToken) bool {
	return t.Token != "" && ts.now().Add(refreshAhead).Before(t.Expires)
}

// load takes the token from the State, or refreshes it holding the lease.
func (ts *tokenSource) load(ctx context.Context) (string, error) {
	deadline := time.Now().Add(refreshLease)
	for {
		var got storedToken
		var mine bool
		err := ts.state.Update(ctx, ts.key, func(old []byte) ([]byte, error) {
			got, mine = storedToken{}, false
			if len(old) > 0 {
				if err := json.Unmarshal(old, &got); err != nil {
					got = storedToken{}
				}
			}
			if ts.fresh(got) || (got.LeaseUntil.After(time.Now()) && got.Owner != ts.owner) {
				return old, nil
			}
			mine = true
			got.LeaseUntil, got.Owner = time.Now().Add(refreshLease), ts.owner
			return json.Marshal(got)
		})
		if err != nil {
			return "", fmt.Errorf("wecom token: read state: %w", err)
		}
		switch {
		case ts.fresh(got) && !mine:
			ts.remember(got)
			return got.Token, nil
		case mine:
			return ts.refresh(ctx)
		case time.Now().After(deadline):
			return "", fmt.Errorf("wecom token: another process holds the refresh lease")
		}
		if !wait.Sleep(ctx, leaseWait) {
			return "", ctx.Err()
		}
	}
}

// refresh asks WeCom for a new token and stores it, ending the lease.
func (ts *tokenSource) refresh(ctx context.Context) (string, error) {
	tok, ttl, err := ts.fetch(ctx)
	t := storedToken{Token: tok, Expires: ts.now().Add(ttl)}
	serr := ts.state.Update(ctx, ts.key, func(old []byte) ([]byte, error) {
		if err != nil { // end the lease, keep what was there
			var prev storedToken
			_ = json.Unmarshal(old, &prev)
			prev.LeaseUntil, prev.Owner = time.Time{}, ""
			return json.Marshal(prev)
		}
		return json.Marshal(t)
	})
	if err != nil {
		return "", err
	}
	if serr != nil {
		return "", fmt.Errorf("wecom token: store: %w", serr)
	}
	ts.remember(t)
	return tok, nil
}

// fetch calls gettoken (docs path 91039).
func (ts *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	q := url.Values{"corpid": {ts.corpID}, "corpsecret": {ts.secret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.base+"/cgi-bin/gettoken?"+q.Encode(), nil)
	if err != nil { // err would show the URL, secret and all
		return "", 0, channels.Permanent(fmt.Errorf("wecom gettoken: the request could not be made"))
	}
	resp, err := ts.http.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("wecom /cgi-bin/gettoken: %w", redactURL(err))
	}
	defer resp.Body.Close()
	raw, err := readAnswer(resp, "/cgi-bin/gettoken")
	if err != nil {
		return "", 0, err
	}
	var ans struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := decodeAnswer("/cgi-bin/gettoken", raw, &ans); err != nil {
		return "", 0, err
	}
	if ans.AccessToken == "" || ans.ExpiresIn <= 0 {
		return "", 0, fmt.Errorf("wecom gettoken: answer without a token")
	}
	return ans.AccessToken, time.Duration(ans.ExpiresIn) * time.Second, nil
}

func (ts *tokenSource) remember(t storedToken) {
	ts.mu.Lock()
	ts.cached = t
	ts.mu.Unlock()
}

// Invalidate drops bad (a token WeCom refused) from memory and the State,
// unless a newer one replaced it already.
func (ts *tokenSource) Invalidate(ctx context.Context, bad string) {
	ts.mu.Lock()
	if ts.cached.Token == bad {
		ts.cached = storedToken{}
	}
	ts.mu.Unlock()
	_ = ts.state.Update(ctx, ts.key, func(old []byte) ([]byte, error) {
		var t storedToken
		if json.Unmarshal(old, &t) != nil || t.Token != bad {
			return old, nil
		}
		t.Token, t.Expires = "", time.Time{}
		return json.Marshal(t)
	})
}
