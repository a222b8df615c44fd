package api_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/api"
)

func TestConversationShape(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	conv := &fakeConversations{msgs: []channels.ConversationMessage{
		{ID: "M-1", Direction: channels.In, Text: "订单还没发货", At: at,
			Attachments: []channels.Attachment{{Filename: "a.png", ContentType: "image/png", Size: 3, Data: []byte("png")}}},
		{ID: "O-1", Direction: channels.Out, Text: "已收到", At: at.Add(time.Minute), Delivery: channels.DeliverySent, TicketID: "T-000123"},
	}}
	_, mux := newChannel(t, api.Config{}, nil, conv)
	rec := serve(mux, http.MethodGet, "/api/v1/conversations/user%2042/messages", bearer, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	if conv.channel != channels.API || conv.thread != "user 42" {
		t.Errorf("asked for (%q, %q), want (api, \"user 42\")", conv.channel, conv.thread)
	}
	var got map[string][]map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	want := map[string][]map[string]any{"messages": {
		{"id": "M-1", "direction": "in", "text": "订单还没发货", "at": "2026-03-01T08:30:00Z",
			"attachments": []any{map[string]any{"filename": "a.png", "content_type": "image/png", "size": 3.0}}},
		{"id": "O-1", "direction": "out", "text": "已收到", "at": "2026-03-01T08:31:00Z", "delivery": "sent", "ticket_id": "T-000123"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %v\nwant   %v", got, want)
	}
}

func TestConversationEmpty(t *testing.T) {
	_, mux := newChannel(t, api.Config{}, nil, &fakeConversations{})
	rec := serve(mux, http.MethodGet, "/api/v1/conversations/nobody/messages", bearer, nil)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"messages":[]}` {
		t.Fatalf("got %d %s, want 200 {\"messages\":[]}", rec.Code, rec.Body)
	}
}

func TestConversationRejects(t *testing.T) {
	tests := []struct {
		name       string
		auth       string
		thread     string
		err        error
		status     int
		code       string
		retryAfter string
		asked      int
	}{
		{name: "no authorization", thread: "t", status: 401, code: "unauthorized"},
		{name: "wrong token", auth: "Bearer wrong", thread: "t", status: 401, code: "unauthorized"},
		{name: "long thread", auth: bearer, thread: strings.Repeat("x", api.MaxIDBytes+1), status: 400, code: "invalid_id"},
		{name: "nul in thread", auth: bearer, thread: "a%00b", status: 400, code: "invalid_id"},
		{name: "store down", auth: bearer, thread: "t", err: errors.New("closed"), status: 503, code: "unavailable", retryAfter: "1", asked: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv := &fakeConversations{err: tt.err}
			_, mux := newChannel(t, api.Config{}, nil, conv)
			rec := serve(mux, http.MethodGet, "/api/v1/conversations/"+tt.thread+"/messages", tt.auth, nil)
			checkError(t, rec, tt.status, tt.code)
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if conv.asked != tt.asked {
				t.Errorf("conversation asked %d times, want %d", conv.asked, tt.asked)
			}
		})
	}
}
