package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
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

// socketDouble serves apps.connections.open and a socket that sends the
// given envelopes one by one, each after the previous was acknowledged;
// the acknowledgements (raw) arrive on acks.
func socketDouble(t *testing.T, envelopes []map[string]any) (apiBase string, acks chan string) {
	t.Helper()
	acks = make(chan string, len(envelopes)+1)
	var wsURL string
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/apps.connections.open" {
			fmt.Fprintf(w, `{"ok":true,"url":%q}`, wsURL)
			return
		}
		fmt.Fprint(w, `{"ok":true,"channel":"C_AFTER","ts":"1764151600.000001","messages":[]}`)
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
		for _, env := range envelopes {
			conn.WriteJSON(env)
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					return
				}
				if strings.Contains(string(data), env["envelope_id"].(string)) {
					acks <- string(data)
					break
				}
			}
		}
		conn.ReadMessage()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	wsURL = "ws" + strings.TrimPrefix(srv.URL, "http") + "/link"
	return srv.URL, acks
}

// The agents' walk over Socket Mode: Claim on the card, a thread reply, a
// // note, /ticket priority, Solve — each acts once, as the mapped agent,
// and the command is answered in its acknowledgement.
func TestSocketModeAgents(t *testing.T) {
	ch, core, _ := newTestChannel(t, time.Now)
	ch.cfg.Groups = map[string]string{"after_sales": "C_AFTER"}
	ch.staff["C_AFTER"] = true
	desk := &fakeDesk{}
	ch.deps.Desk = desk
	// the card of T-000001 is in C_AFTER at 1764151600.000001
	core.Update(t.Context(), threadKey+"C_AFTER:1764151600.000001", func([]byte) ([]byte, error) { return []byte("T-000001"), nil })
	click := func(id, action string) map[string]any {
		return map[string]any{"envelope_id": id, "type": "interactive", "accepts_response_payload": true, "payload": json.RawMessage(fmt.Sprintf(
			`{"type":"block_actions","trigger_id":"tg-%s","user":{"id":"U_AGENT"},"container":{"channel_id":"C_AFTER","message_ts":"1764151600.000001"},`+
				`"actions":[{"type":"button","action_id":%q,"block_id":"ticket","value":"T-000001"}]}`, id, action))}
	}
	thread := func(id, ts, text string) map[string]any {
		return map[string]any{"envelope_id": id, "type": "events_api", "accepts_response_payload": false, "payload": json.RawMessage(fmt.Sprintf(
			`{"type":"event_callback","event_id":"Ev-%s","event":{"type":"message","channel":"C_AFTER","channel_type":"channel",`+
				`"user":"U_AGENT","text":%q,"ts":%q,"thread_ts":"1764151600.000001"}}`, id, text, ts))}
	}
	command := map[string]any{"envelope_id": "e4", "type": "slash_commands", "accepts_response_payload": true,
		"payload": map[string]any{"command": "/ticket", "user_id": "U_AGENT", "text": "priority T-000001 urgent", "trigger_id": "tg-e4"}}
	base, acks := socketDouble(t, []map[string]any{click("e1", "claim"), thread("e2", "1764151601.000100", "已为您办理"),
		thread("e3", "1764151602.000100", "// 内部备注"), command, click("e5", "solve")})
	ch.cfg.AppToken, ch.cfg.APIBase = "xapp-test", base
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ch.Run(ctx) }()
	defer func() { cancel(); <-done }()
	var got []string
	for range 5 {
		select {
		case a := <-acks:
			got = append(got, a)
		case <-time.After(10 * time.Second):
			t.Fatalf("acknowledged %d of 5 envelopes: %v", len(got), got)
		}
	}
	want := []string{"li claim T-000001", "li reply:已为您办理 T-000001", "li note:内部备注 T-000001",
		"li priority:urgent T-000001", "li solve T-000001"}
	if !slices.Equal(desk.did, want) {
		t.Errorf("acts %q, want %q", desk.did, want)
	}
	if !strings.Contains(got[3], "Priority set: T-000001") {
		t.Errorf("the command's acknowledgement: %s", got[3])
	}
}
