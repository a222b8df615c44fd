package webhook_test

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

	"github.com/loopdesk/loopdesk/internal/signature"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/notify/webhook"
)

// received is what a webhook receiver saw.
type received struct {
	method string
	path   string
	header http.Header
	body   []byte
}

// receiver serves a webhook that records each request and answers status.
func receiver(t *testing.T, status int) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: body}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestNotifyPostsSignedPayload(t *testing.T) {
	srv, got := receiver(t, http.StatusAccepted)
	n := newNotifier(t, webhook.Config{URL: srv.URL + "/sms/send?key=gw-key", Secret: testSecret})
	if err := n.Notify(context.Background(), testNotice); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	r := <-got
	if r.method != http.MethodPost || r.path != "/sms/send?key=gw-key" {
		t.Errorf("request = %s %s, want POST /sms/send?key=gw-key", r.method, r.path)
	}
	if string(r.body) != testBody {
		t.Errorf("body = %s\nwant   %s", r.body, testBody)
	}
	ts := strconv.FormatInt(fixedNow.Unix(), 10)
	for name, want := range map[string]string{
		"Content-Type":         "application/json",
		"Idempotency-Key":      "O-000077",
		"X-Loopdesk-Delivery":  "O-000077",
		"X-Loopdesk-Timestamp": ts,
		"X-Loopdesk-Signature": signature.Sign(testSecret, ts, []byte(testBody)),
	} {
		if got := r.header.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want [%q]", name, got, want)
		}
	}
	err := signature.Verify(testSecret, r.header.Get(signature.HeaderTimestamp), r.header.Get(signature.HeaderSignature),
		r.body, fixedNow.Add(30*time.Second), time.Minute)
	if err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestNotifyUnsignedWithoutSecret(t *testing.T) {
	srv, got := receiver(t, http.StatusOK)
	n := newNotifier(t, webhook.Config{URL: srv.URL})
	if err := n.Notify(context.Background(), testNotice); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	r := <-got
	if v, ok := r.header[signature.HeaderSignature]; ok {
		t.Errorf("%s = %q, want no such header", signature.HeaderSignature, v)
	}
	if r.header.Get(signature.HeaderTimestamp) == "" || r.header.Get("Idempotency-Key") != testNotice.ID {
		t.Errorf("headers = %v, want the timestamp and the idempotency key", r.header)
	}
}

func TestNotifyZeroNotice(t *testing.T) {
	// Every field is on the wire, empty or not, so receivers need no defaults.
	srv, got := receiver(t, http.StatusOK)
	n := newNotifier(t, webhook.Config{URL: srv.URL})
	if err := n.Notify(context.Background(), notify.Notice{ID: "O-1"}); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	const want = `{"id":"O-1","kind":"","ticket_id":"","subject":"","text":"","priority":"","group":"",` +
		`"to":{"agent":"","address":""},"urgent":false,"attempt":0,"created_at":"0001-01-01T00:00:00Z"}`
	if r := <-got; string(r.body) != want {
		t.Errorf("body = %s\nwant   %s", r.body, want)
	}
}

func TestNotifyWithoutIDIsPermanent(t *testing.T) {
	n := newNotifier(t, webhook.Config{URL: "http://127.0.0.1:9/hook",
		HTTPClient: &http.Client{Transport: failingTransport{t}}})
	nt := testNotice
	nt.ID = ""
	checkClass(t, n.Notify(context.Background(), nt), false, true, 0)
}

// TestNotifyThroughOutbox sends a notice the way the dispatcher does: as an
// outbox message handed to notify.Channel.
func TestNotifyThroughOutbox(t *testing.T) {
	srv, got := receiver(t, http.StatusNoContent)
	ch := notify.Channel(newNotifier(t, webhook.Config{URL: srv.URL, Secret: testSecret}))
	if ch.Name() != "notify.sms" {
		t.Errorf("Name = %q, want notify.sms", ch.Name())
	}
	if err := ch.Send(context.Background(), notify.Outbound("sms", testNotice)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := <-got; string(r.body) != testBody {
		t.Errorf("body = %s\nwant   %s", r.body, testBody)
	}
}

type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.t.Error("the notifier made a request")
	return nil, errors.New("no network in this test")
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     webhook.Config
		wantErr string
	}{
		{name: "no name", cfg: webhook.Config{URL: "https://gw.example.com/send"}, wantErr: "name is required"},
		{name: "name with a space", cfg: webhook.Config{Name: "s ms", URL: "https://gw.example.com/send"}, wantErr: "name must be"},
		{name: "name with a dot", cfg: webhook.Config{Name: "sms.cn", URL: "https://gw.example.com/send"}, wantErr: "name must be"},
		{name: "name too long", cfg: webhook.Config{Name: strings.Repeat("a", 65), URL: "https://gw.example.com/send"}, wantErr: "name must be"},
		{name: "no URL", cfg: webhook.Config{Name: "sms"}, wantErr: "absolute http"},
		{name: "relative URL", cfg: webhook.Config{Name: "sms", URL: "/send"}, wantErr: "absolute http"},
		{name: "other scheme", cfg: webhook.Config{Name: "sms", URL: "ftp://gw.example.com/send"}, wantErr: "absolute http"},
		{name: "no host", cfg: webhook.Config{Name: "sms", URL: "https:///send"}, wantErr: "absolute http"},
		{name: "unparsable URL", cfg: webhook.Config{Name: "sms", URL: "https://gw.example.com/%zz?key=gw-key"}, wantErr: "absolute http"},
		{name: "negative timeout", cfg: webhook.Config{Name: "sms", URL: "https://gw.example.com/", Timeout: -time.Second}, wantErr: "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, want an error mentioning %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "gw-key") {
				t.Errorf("error %q contains the URL's query", err)
			}
		})
	}
	n, err := webhook.New(webhook.Config{Name: "on-call_2", URL: "http://127.0.0.1:8081/page"})
	if err != nil || n.Name() != "on-call_2" {
		t.Fatalf("New = %v, %v; want a notifier named on-call_2", n, err)
	}
}
