package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify/webhook"
)

func TestNotifyClassifiesAnswers(t *testing.T) {
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
		{status: 302, want: permanent},
		{status: 400, want: permanent},
		{status: 401, want: permanent},
		{status: 403, want: permanent},
		{status: 404, want: permanent},
		{status: 422, want: permanent},
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
				if tt.status/100 == 3 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, `{"error":"nope"}`)
			}))
			defer srv.Close()
			n := newNotifier(t, webhook.Config{URL: srv.URL + "/hook?key=query-credential", Secret: testSecret})
			err := n.Notify(context.Background(), testNotice)
			checkClass(t, err, tt.want == ok, tt.want == permanent, tt.delay)
			if err == nil {
				return
			}
			checkErrorText(t, err, strconv.Itoa(tt.status))
		})
	}
}

func TestNotifyRetryAfterInThePast(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", fixedNow.Add(-time.Hour).Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	err := newNotifier(t, webhook.Config{URL: srv.URL}).Notify(context.Background(), testNotice)
	if d, asked := channels.RetryDelay(err); !asked || d != 0 || channels.IsPermanent(err) {
		t.Errorf("Notify = %v (RetryDelay %v, %v); want a retry asked for now", err, d, asked)
	}
}

// checkErrorText asserts err says what failed and leaks nothing.
func checkErrorText(t *testing.T, err error, mention string) {
	t.Helper()
	for _, leak := range []string{testSecret, "query-credential", "/hook"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err, leak)
		}
	}
	if !strings.HasPrefix(err.Error(), "post sms notification O-000077 to http://127.0.0.1:") ||
		!strings.Contains(err.Error(), mention) {
		t.Errorf("error %q does not say what failed (%s)", err, mention)
	}
}

func TestNotifyRedactsEchoedRequest(t *testing.T) {
	// Some gateways quote the request in their error page.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "bad request to "+r.URL.RequestURI()+" user "+r.URL.Query().Get("key")+" sig "+testSecret)
	}))
	defer srv.Close()
	n := newNotifier(t, webhook.Config{URL: srv.URL + "/hook/acct-9?key=query%20credential", Secret: testSecret})
	err := n.Notify(context.Background(), testNotice)
	checkClass(t, err, false, true, 0)
	for _, leak := range []string{testSecret, "query%20credential", "query credential", "acct-9"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err, leak)
		}
	}
	if !strings.Contains(err.Error(), "bad request to") {
		t.Errorf("error %q lost the receiver's answer", err)
	}
}

func TestNotifyNetworkErrorsAreRetryable(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	refusedURL := closed.URL
	closed.Close()

	live := httptest.NewServer(http.NotFoundHandler())
	defer live.Close()
	expired, cancel := context.WithDeadline(context.Background(), fixedNow) // long past
	defer cancel()

	tests := []struct {
		name    string
		url     string
		ctx     context.Context
		mention string
	}{
		{name: "connection refused", url: refusedURL, ctx: context.Background(), mention: "refused"},
		{name: "deadline exceeded", url: live.URL, ctx: expired, mention: "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNotifier(t, webhook.Config{URL: tt.url + "/hook?key=query-credential", Secret: testSecret})
			err := n.Notify(tt.ctx, testNotice)
			checkClass(t, err, false, false, 0)
			checkErrorText(t, err, tt.mention)
		})
	}
}

func TestNotifyTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	// A client of the caller's own, without a timeout: Config.Timeout still bounds the call.
	n := newNotifier(t, webhook.Config{URL: slow.URL + "/hook?key=query-credential", Timeout: 50 * time.Millisecond,
		HTTPClient: &http.Client{}})
	start := time.Now()
	err := n.Notify(context.Background(), testNotice)
	checkClass(t, err, false, false, 0)
	checkErrorText(t, err, "deadline exceeded")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Notify took %v, want about 50ms", elapsed)
	}
}
