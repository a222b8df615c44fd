package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// inbound is the message body loadgen posts, as loopdesk reads it.
type inbound struct {
	ExternalID string `json:"external_id"`
	Thread     string `json:"thread"`
	From       struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"from"`
	Text string `json:"text"`
}

// fakeLoopdesk speaks the generic API channel: it answers every message 202
// and, for each new thread, posts one signed acknowledgement reply to its
// callback URL from a background sender, as loopdesk's outbox would.
type fakeLoopdesk struct {
	t           *testing.T
	token       string
	callbackURL string
	secret      string
	// status, when set, picks the answer to message n; non-202 answers store
	// nothing and send no reply.
	status func(n uint64) int
	// drop, when set, says which thread's reply is never sent.
	drop func(thread string) bool
	// repeat sends every reply this many extra times (at-least-once delivery).
	repeat int

	mu      sync.Mutex
	seen    map[string]bool // external ids
	threads map[string]bool
	bad     []string // protocol violations, reported by the test
	dropped int

	replies chan inbound
	done    chan struct{}
}

func newFakeLoopdesk(t *testing.T, f *fakeLoopdesk) *httptest.Server {
	t.Helper()
	f.t = t
	f.seen = make(map[string]bool)
	f.threads = make(map[string]bool)
	f.replies = make(chan inbound, 1<<16)
	f.done = make(chan struct{})
	srv := httptest.NewServer(f)
	go f.deliver()
	t.Cleanup(func() {
		srv.Close()
		close(f.replies)
		<-f.done
	})
	return srv
}

func (f *fakeLoopdesk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != messagesPath {
		f.violation("unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.violation("bad Authorization %q", r.Header.Get("Authorization"))
		http.Error(w, `{"error":{"code":"unauthorized","message":"no"}}`, http.StatusUnauthorized)
		return
	}
	var msg inbound
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		f.violation("decode body: %v", err)
		http.Error(w, `{"error":{"code":"bad_json","message":"no"}}`, http.StatusBadRequest)
		return
	}
	n, err := strconv.ParseUint(msg.ExternalID[strings.LastIndexByte(msg.ExternalID, '-')+1:], 10, 64)
	if err != nil || msg.Thread == "" || msg.From.ID != msg.Thread || msg.From.Name != "压测" || msg.Text == "" {
		f.violation("malformed message %+v", msg)
	}
	if f.status != nil {
		if code := f.status(n); code != http.StatusAccepted {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":{"code":"unavailable","message":"busy"}}`, code)
			return
		}
	}
	f.mu.Lock()
	dup := f.seen[msg.ExternalID]
	f.seen[msg.ExternalID] = true
	newThread := !f.threads[msg.Thread]
	f.threads[msg.Thread] = true
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"message_id":"M-%d","duplicate":%t}`, n, dup)
	if newThread && !dup {
		f.replies <- msg
	}
}

func (f *fakeLoopdesk) violation(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bad = append(f.bad, fmt.Sprintf(format, args...))
}

// deliver posts the acknowledgement replies, one after another.
func (f *fakeLoopdesk) deliver() {
	defer close(f.done)
	client := &http.Client{Timeout: 5 * time.Second}
	for msg := range f.replies {
		if f.drop != nil && f.drop(msg.Thread) {
			f.mu.Lock()
			f.dropped++
			f.mu.Unlock()
			continue
		}
		body, _ := json.Marshal(map[string]any{
			"id": "R-" + msg.Thread, "ticket_id": "T-000001", "thread": msg.Thread, "kind": "ack",
			"text": "已收到您的消息", "to": msg.From.ID, "created_at": time.Now().Format(time.RFC3339), "attempt": 1,
		})
		for range 1 + f.repeat {
			f.post(client, body)
		}
	}
}

func (f *fakeLoopdesk) post(client *http.Client, body []byte) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(f.secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, f.callbackURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Loopdesk-Timestamp", ts)
	req.Header.Set("X-Loopdesk-Signature", "v1="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		return // loadgen stopped listening; the test counts what arrived
	}
	resp.Body.Close()
}

// check fails the test on any protocol violation the fake saw.
func (f *fakeLoopdesk) check() {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.bad[:min(len(f.bad), 5)] {
		f.t.Errorf("fake loopdesk: %s", v)
	}
}

func (f *fakeLoopdesk) counts() (messages, threads, dropped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen), len(f.threads), f.dropped
}
