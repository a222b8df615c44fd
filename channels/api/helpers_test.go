package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/api"
)

const testToken = "tok-3f9a1c"

// fixedNow is the clock of every test channel.
var fixedNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeHandler records what the channel hands over and answers receipt or err.
type fakeHandler struct {
	mu      sync.Mutex
	got     []channels.Message
	receipt channels.Receipt
	err     error
}

func (h *fakeHandler) HandleMessage(_ context.Context, msg channels.Message) (channels.Receipt, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, msg)
	return h.receipt, h.err
}

func (h *fakeHandler) messages() []channels.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]channels.Message(nil), h.got...)
}

// fakeConversations answers msgs or err and records what was asked.
type fakeConversations struct {
	mu      sync.Mutex
	msgs    []channels.ConversationMessage
	err     error
	asked   int
	channel string
	thread  string
}

func (c *fakeConversations) Conversation(_ context.Context, channel, thread string) ([]channels.ConversationMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked++
	c.channel, c.thread = channel, thread
	return c.msgs, c.err
}

// newChannel returns a channel with testToken, the fixed clock and the given
// overrides, and a mux serving it.
func newChannel(t *testing.T, cfg api.Config, h channels.Handler, conv channels.Conversations) (*api.Channel, *http.ServeMux) {
	t.Helper()
	if cfg.Token == "" && cfg.TokenHash == "" {
		cfg.Token = testToken
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	if h == nil {
		h = &fakeHandler{}
	}
	if conv == nil {
		conv = &fakeConversations{}
	}
	c, err := api.New(cfg, h, conv)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	c.Register(mux)
	return c, mux
}

func serve(mux *http.ServeMux, method, target, auth string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

// checkError asserts rec is the contract's error shape with status and code.
func checkError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var shape struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shape); err != nil || shape.Error == nil {
		t.Fatalf("body %s is not the error shape: %v", rec.Body, err)
	}
	if shape.Error.Code != code {
		t.Errorf("error code = %q, want %q (message %q)", shape.Error.Code, code, shape.Error.Message)
	}
	if shape.Error.Message == "" {
		t.Error("error message is empty")
	}
}

// logBuffer is a logger writing JSON lines to a buffer safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSpace(b.buf.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, nil))
}
