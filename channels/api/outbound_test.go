package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/api"
)

var testOutbound = channels.Outbound{
	ID:        "O-000042",
	Channel:   channels.API,
	Thread:    "user-42",
	To:        channels.Party{ID: "user-42", Name: "王芳"},
	Text:      "您好 <已收到>",
	TicketID:  "T-000123",
	Kind:      "reply",
	Attempt:   2,
	CreatedAt: time.Date(2026, 1, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
}

// received is what a callback receiver saw.
type received struct {
	header http.Header
	body   []byte
	err    error // from api.Verify
}

func TestSendSignedCallback(t *testing.T) {
	tests := []struct {
		name   string
		cfg    api.Config
		secret string
	}{
		{name: "callback secret", cfg: api.Config{CallbackSecret: "cb-secret"}, secret: "cb-secret"},
		{name: "defaults to token", cfg: api.Config{}, secret: testToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan received, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				got <- received{header: r.Header.Clone(), body: body,
					err: api.Verify(tt.secret, r.Header, body, fixedNow.Add(30*time.Second), time.Minute)}
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			cfg := tt.cfg
			cfg.CallbackURL = srv.URL + "/hooks/loopdesk"
			c, _ := newChannel(t, cfg, nil, nil)
			if err := c.Send(context.Background(), testOutbound); err != nil {
				t.Fatalf("Send: %v", err)
			}
			r := <-got
			if r.err != nil {
				t.Errorf("Verify: %v", r.err)
			}
			wantBody := `{"id":"O-000042","ticket_id":"T-000123","thread":"user-42","kind":"reply","text":"您好 <已收到>",` +
				`"to":{"id":"user-42","name":"王芳"},"created_at":"2026-01-01T00:00:00Z","attempt":2}`
			if string(r.body) != wantBody {
				t.Errorf("body = %s\nwant   %s", r.body, wantBody)
			}
			ts := strconv.FormatInt(fixedNow.Unix(), 10)
			for name, want := range map[string]string{
				"Content-Type":         "application/json",
				"X-Loopdesk-Delivery":  "O-000042",
				"Idempotency-Key":      "O-000042",
				"X-Loopdesk-Timestamp": ts,
				"X-Loopdesk-Signature": api.Sign(tt.secret, ts, []byte(wantBody)),
			} {
				if got := r.header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestSendClassifiesAnswers(t *testing.T) {
	type want int
	const (
		ok want = iota
		retry
		permanent
	)
	tests := []struct {
		status     int
		retryAfter string
		want       want
		delay      time.Duration // with RetryAfter; 0 means none asked
	}{
		{status: 200, want: ok},
		{status: 202, want: ok},
		{status: 204, want: ok},
		{status: 301, want: permanent}, // redirects are not followed
		{status: 400, want: permanent},
		{status: 401, want: permanent},
		{status: 404, want: permanent},
		{status: 410, want: permanent},
		{status: 408, want: retry},
		{status: 425, want: retry},
		{status: 429, want: retry},
		{status: 429, retryAfter: "7", want: retry, delay: 7 * time.Second},
		{status: 429, retryAfter: fixedNow.Add(90 * time.Second).Format(http.TimeFormat), want: retry, delay: 90 * time.Second},
		{status: 429, retryAfter: "soon", want: retry},
		{status: 429, retryAfter: "99999999999999999999", want: retry, delay: 24 * time.Hour},
		{status: 500, want: retry},
		{status: 502, want: retry},
		{status: 503, want: retry},
		{status: 503, retryAfter: "120", want: retry, delay: 2 * time.Minute},
		{status: 504, retryAfter: "5", want: retry}, // Retry-After counts on 429 and 503 only
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+" "+tt.retryAfter, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.status == 301 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, `{"error":"nope"}`)
			}))
			defer srv.Close()
			c, _ := newChannel(t, api.Config{CallbackURL: srv.URL + "/hook?key=query-credential", CallbackSecret: "cb-secret-value"}, nil, nil)
			err := c.Send(context.Background(), testOutbound)
			checkClass(t, err, tt.want == ok, tt.want == permanent, tt.delay)
			if err == nil {
				return
			}
			for _, leak := range []string{"cb-secret-value", "query-credential"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q contains %q", err, leak)
				}
			}
			if !strings.HasPrefix(err.Error(), "post api callback") || !strings.Contains(err.Error(), strconv.Itoa(tt.status)) {
				t.Errorf("error %q does not say what failed", err)
			}
		})
	}
}

// checkClass asserts how the dispatcher would read err.
func checkClass(t *testing.T, err error, wantNil, wantPermanent bool, wantDelay time.Duration) {
	t.Helper()
	if wantNil {
		if err != nil {
			t.Fatalf("Send = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatal("Send = nil, want an error")
	}
	if got := channels.IsPermanent(err); got != wantPermanent {
		t.Errorf("IsPermanent(%v) = %v, want %v", err, got, wantPermanent)
	}
	d, asked := channels.RetryDelay(err)
	if asked != (wantDelay > 0) || d != wantDelay {
		t.Errorf("RetryDelay(%v) = %v, %v; want %v", err, d, asked, wantDelay)
	}
}

func TestSendNetworkErrorsAreRetryable(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	refusedURL := closed.URL
	closed.Close()

	live := httptest.NewServer(http.NotFoundHandler())
	defer live.Close()
	expired, cancel := context.WithDeadline(context.Background(), fixedNow) // long past
	defer cancel()

	tests := []struct {
		name string
		url  string
		ctx  context.Context
	}{
		{name: "connection refused", url: refusedURL, ctx: context.Background()},
		{name: "deadline exceeded", url: live.URL, ctx: expired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newChannel(t, api.Config{CallbackURL: tt.url + "/hook"}, nil, nil)
			err := c.Send(tt.ctx, testOutbound)
			checkClass(t, err, false, false, 0)
			if err != nil && !strings.HasPrefix(err.Error(), "post api callback") {
				t.Errorf("error %q does not say what failed", err)
			}
			if err != nil && strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.t.Error("the channel made a request")
	return nil, errors.New("no network in this test")
}

func TestSendWithoutCallbackURL(t *testing.T) {
	c, _ := newChannel(t, api.Config{HTTPClient: &http.Client{Transport: failingTransport{t}}}, nil, nil)
	if err := c.Send(context.Background(), testOutbound); err != nil {
		t.Fatalf("Send = %v, want nil", err)
	}
}

func TestSendOtherChannelIsPermanent(t *testing.T) {
	c, _ := newChannel(t, api.Config{
		CallbackURL: "http://127.0.0.1:9/hook",
		HTTPClient:  &http.Client{Transport: failingTransport{t}},
	}, nil, nil)
	out := testOutbound
	out.Channel = channels.Slack
	checkClass(t, c.Send(context.Background(), out), false, true, 0)
}
