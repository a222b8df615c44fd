package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A Socket Mode double: apps.connections.open gives a websocket URL; the
// socket says hello, sends the same events_api envelope twice (the second
// a retry) and collects the acknowledgements.
func TestSocketMode(t *testing.T) {
	acks := make(chan string, 10)
	var wsURL string
	event := dmEvent("EvS1", "1764151500.000100", "订单 2026112500012345 到哪了")
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"url":%q}`, wsURL)
	})
	mux.HandleFunc("/link", func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
			"connection_info": map[string]any{"app_id": "A1"}, "debug_info": map[string]any{"host": "double"}})
		for i, id := range []string{"env-1", "env-2"} {
			conn.WriteJSON(map[string]any{"envelope_id": id, "type": "events_api", "accepts_response_payload": false,
				"retry_attempt": i, "retry_reason": "", "payload": json.RawMessage(event)})
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					return
				}
				if strings.Contains(string(data), id) {
					acks <- id
					break
				}
			}
		}
		conn.ReadMessage() // hold the connection until the channel stops
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	wsURL = "ws" + strings.TrimPrefix(srv.URL, "http") + "/link"
	ch, core, _ := newTestChannel(t, time.Now)
	ch.cfg.AppToken, ch.cfg.APIBase = "xapp-test", srv.URL
	ch.log = slog.New(slog.NewTextHandler(t.Output(), nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ch.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for _, want := range []string{"env-1", "env-2"} {
		select {
		case got := <-acks:
			if got != want {
				t.Fatalf("acknowledged %s, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no acknowledgement of %s", want)
		}
	}
	if msgs := core.Messages(); len(msgs) != 1 || msgs[0].Thread != "D_CUST" {
		t.Fatalf("stored %+v, want the customer's message once", msgs)
	}
}
